#!/usr/bin/env node
// The machine's ceiling: a bare node:http server answering the benchmark's 64 KB JSON.
// MODE=static answers a prebuilt buffer; MODE=parse also reads and JSON.parses the request body and
// JSON.stringifies the response object each time (the least work a real gateway does). Env: PORT, BODY_PATH.
'use strict';
const http = require('node:http');
const { readFileSync } = require('node:fs');

const text = readFileSync(process.env.BODY_PATH, 'utf8');
const object = JSON.parse(text);
const buffer = Buffer.from(JSON.stringify(object));
const parse = process.env.MODE === 'parse';
const server = http.createServer((req, res) => {
  if (!parse) {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': buffer.length });
    res.end(buffer);
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (chunks.length) JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const out = Buffer.from(JSON.stringify(object));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': out.length });
    res.end(out);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
