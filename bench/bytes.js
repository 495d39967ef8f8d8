#!/usr/bin/env node
// Bytes scenario (issue 7): how many bytes the benchmark query and a small mobile query cost on the wire
// as JSON, gzip, brotli, MessagePack and MessagePack+brotli, and how large a request is with the full
// query text vs a persisted-query hash only; plus brotli quality vs compression time for the benchmark
// response (why BROTLI_QUALITY defaults to 5).
//
// Run with the built code: `npm run build && node bench/bytes.js` (starts the four subgraphs and a gateway
// on free loopback ports, sends about 20 requests, stops them). Prints Markdown tables.
'use strict';
const { createHash } = require('node:crypto');
const { mkdtempSync, readFileSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const zlib = require('node:zlib');
const { request } = require('undici');
const { pack } = require('msgpackr');
const { composeSupergraph } = require('@roam/gateway');
const { SUBGRAPHS: REGISTRY, subgraphByName, repoPath, readSchema } = require('@roam/subgraph-registry');
const { freePort, startProcess } = require('@roam/testkit');

const ROOT = join(__dirname, '..');
const SUBGRAPHS = REGISTRY.map((s) => s.name); // the reference subgraphs, from subgraphs/registry/registry.json
const BENCHMARK_QUERY = readFileSync(join(ROOT, 'test/fixtures/federation-benchmark/query.graphql'), 'utf8');
const MOBILE_QUERY = `query MobileUserReviews($id: ID!) {
  user(id: $id) {
    id
    name
    reviewsConnection(first: 10) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id body product { upc name } } }
    }
  }
}`;
const OPERATIONS = [
  { name: 'benchmark query', body: { query: BENCHMARK_QUERY } },
  { name: 'mobile query (user 1, first 10 reviews)', body: { query: MOBILE_QUERY, variables: { id: '1' } } },
];
const VARIANTS = [
  { name: 'JSON', headers: {} },
  { name: 'JSON + gzip', headers: { 'accept-encoding': 'gzip' } },
  { name: 'JSON + brotli', headers: { 'accept-encoding': 'br' } },
  { name: 'MessagePack', headers: { accept: 'application/msgpack' } },
  { name: 'MessagePack + gzip', headers: { accept: 'application/msgpack', 'accept-encoding': 'gzip' } },
  { name: 'MessagePack + brotli', headers: { accept: 'application/msgpack', 'accept-encoding': 'br' } },
];

async function startStack() {
  const ports = await Promise.all(SUBGRAPHS.map(() => freePort()));
  const subgraphs = await Promise.all(
    SUBGRAPHS.map((name, i) => startProcess(repoPath(subgraphByName(name).main), { PORT: String(ports[i]), LOG_LEVEL: 'warn' }, `http://127.0.0.1:${ports[i]}/health`)),
  );
  const dir = mkdtempSync(join(tmpdir(), 'roam-bytes-'));
  const supergraphPath = join(dir, 'supergraph.graphql');
  writeFileSync(supergraphPath, composeSupergraph(SUBGRAPHS.map((name, i) => ({ name, url: `http://127.0.0.1:${ports[i]}/graphql`, sdl: readSchema(subgraphByName(name)) }))));
  const port = await freePort();
  // Threshold 0 so that even the small response is compressed and its compressed size shows.
  const gateway = await startProcess(
    join(ROOT, 'gateway/dist/bin.js'),
    { PORT: String(port), HOST: '127.0.0.1', SUPERGRAPH_PATH: supergraphPath, RESPONSE_COMPRESSION_MIN_BYTES: '0', LOG_LEVEL: 'warn' },
    `http://127.0.0.1:${port}/ready`,
  );
  return { url: `http://127.0.0.1:${port}/graphql`, stop: () => Promise.all([gateway, ...subgraphs].map((p) => p.stop())) };
}

async function responseBytes(url, body, headers) {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${bytes.toString()}`);
  return { bytes, encoding: res.headers['content-encoding'] ?? 'identity' };
}

function requestSizes(op) {
  const hash = createHash('sha256').update(op.body.query).digest('hex');
  const full = Buffer.byteLength(JSON.stringify(op.body));
  const hashOnly = { ...op.body, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } };
  delete hashOnly.query;
  const hashJson = Buffer.byteLength(JSON.stringify(hashOnly));
  const getUrl = `/graphql?${new URLSearchParams({ ...(hashOnly.variables ? { variables: JSON.stringify(hashOnly.variables) } : {}), extensions: JSON.stringify(hashOnly.extensions) })}`;
  return [
    ['full text, JSON', full],
    ['full text, JSON + gzip', zlib.gzipSync(JSON.stringify(op.body)).length],
    ['hash only, JSON', hashJson],
    ['hash only, MessagePack', pack(hashOnly).length],
    ['hash only, GET URL path+query', Buffer.byteLength(getUrl)],
  ];
}

function timeMs(fn, runs) {
  fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) fn();
  return Number(process.hrtime.bigint() - start) / runs / 1e6;
}

async function main() {
  const stack = await startStack();
  try {
    console.log('## Response bytes (body on the wire)\n');
    console.log(`| variant | ${OPERATIONS.map((o) => o.name).join(' | ')} |`);
    console.log(`| --- | ${OPERATIONS.map(() => '---:').join(' | ')} |`);
    const jsonSizes = [];
    for (const variant of VARIANTS) {
      const cells = [];
      for (const [i, op] of OPERATIONS.entries()) {
        const { bytes } = await responseBytes(stack.url, op.body, variant.headers);
        if (variant.name === 'JSON') jsonSizes[i] = bytes.length;
        cells.push(`${bytes.length} (${((100 * bytes.length) / jsonSizes[i]).toFixed(1)}%)`);
      }
      console.log(`| ${variant.name} | ${cells.join(' | ')} |`);
    }

    console.log('\n## Request bytes (body, or URL for GET)\n');
    const sizes = OPERATIONS.map(requestSizes);
    console.log(`| request | ${OPERATIONS.map((o) => o.name).join(' | ')} |`);
    console.log(`| --- | ${OPERATIONS.map(() => '---:').join(' | ')} |`);
    for (const [row, [label]] of sizes[0].entries()) console.log(`| ${label} | ${sizes.map((s) => s[row][1]).join(' | ')} |`);

    console.log('\n## Brotli quality vs time, benchmark response (JSON), this machine\n');
    const json = (await responseBytes(stack.url, OPERATIONS[0].body, {})).bytes;
    console.log('| setting | bytes | ms per response |');
    console.log('| --- | ---: | ---: |');
    console.log(`| gzip level 6 | ${zlib.gzipSync(json, { level: 6 }).length} | ${timeMs(() => zlib.gzipSync(json, { level: 6 }), 50).toFixed(3)} |`);
    for (const q of [1, 3, 4, 5, 6, 7, 9, 11]) {
      const options = {
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: q, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: json.length },
      };
      console.log(`| brotli quality ${q} | ${zlib.brotliCompressSync(json, options).length} | ${timeMs(() => zlib.brotliCompressSync(json, options), q >= 9 ? 5 : 50).toFixed(3)} |`);
    }
  } finally {
    await stack.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
