#!/usr/bin/env node
// The machine's floor for a subscription fan-out (not a test): what `bench/subscriptions.js` would measure with a
// gateway that did nothing but write. A child process holds N loopback connections and, once per round, writes one
// message of --bytes bytes to each of them in a tight loop; this process holds the N client ends, takes the arrival
// time of each message and reads its send time from the first bytes (no other parsing). Prints one JSON object:
// latency from the start of the loop to arrival (p50, p99, max over all rounds), the writer's loop time and CPU
// (user, system) per round, and the readers' CPU per round.
//
//   node bench/fanoutFloor.js --subscribers 10000 [--rounds 10] [--bytes 200] [--ws]
//
// --ws: the same over WebSockets with the `ws` library on both ends (the gateway's and the bench's library): one
// text frame per connection (server side `send(Buffer)`, as the gateway sends a shared event), the clients with
// `skipUTF8Validation` as in bench/subscriptions.js. Without it: raw TCP, the kernel's part alone.
'use strict';
const net = require('node:net');
const { fork } = require('node:child_process');
const WebSocket = require('ws');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith('--') ? true : v;
}
const SUBSCRIBERS = Number(arg('subscribers', 10000));
const ROUNDS = Number(arg('rounds', 10));
const BYTES = Math.max(32, Number(arg('bytes', 200)));
const USE_WS = arg('ws', false) === true;
const STAMP_BYTES = 24; // the send time, as text, at the start of every message

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The writer (child process): accepts the connections, then writes one message to each per `go`. */
function writer() {
  const sockets = [];
  const onReady = (port) => process.send({ port });
  if (USE_WS) {
    const wss = new WebSocket.Server({ port: 0, host: '127.0.0.1', perMessageDeflate: false }, () => onReady(wss.address().port));
    wss.on('connection', (ws) => sockets.push(ws));
  } else {
    const server = net.createServer((s) => {
      s.setNoDelay(true);
      s.on('error', () => undefined);
      sockets.push(s);
    });
    server.listen(0, '127.0.0.1', () => onReady(server.address().port));
  }
  process.on('message', (m) => {
    if (m !== 'go') return;
    const message = Buffer.alloc(BYTES, 0x20);
    message.write(String(performance.timeOrigin + performance.now()).padEnd(STAMP_BYTES), 0, 'latin1');
    const cpu = process.cpuUsage();
    const start = performance.now();
    if (USE_WS) for (const ws of sockets) ws.send(message, { binary: false });
    else for (const s of sockets) s.write(message);
    const loopMs = performance.now() - start;
    const used = process.cpuUsage(cpu);
    process.send({ loopMs, userMs: used.user / 1000, systemMs: used.system / 1000 });
  });
}

async function main() {
  const child = fork(__filename, process.argv.slice(2).concat('--writer'));
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  const latencies = [];
  let arrivedThisRound = 0;
  let roundDone;
  const onMessage = (data) => {
    const arrived = performance.timeOrigin + performance.now();
    latencies.push(arrived - Number(data.toString('latin1', 0, STAMP_BYTES)));
    if (++arrivedThisRound === SUBSCRIBERS) roundDone();
  };
  const connectOne = () =>
    new Promise((resolve, reject) => {
      if (USE_WS) {
        const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false, skipUTF8Validation: true });
        ws.on('error', reject);
        ws.on('open', resolve);
        ws.on('message', onMessage);
      } else {
        // one message per read: the messages are small and written once per round
        const s = net.connect(port, '127.0.0.1', resolve);
        s.setNoDelay(true);
        s.on('error', reject);
        s.on('data', onMessage);
      }
    });
  for (let i = 0; i < SUBSCRIBERS; i += 200) await Promise.all(Array.from({ length: Math.min(200, SUBSCRIBERS - i) }, connectOne));
  await new Promise((r) => setTimeout(r, 1000));
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    arrivedThisRound = 0;
    const cpu = process.cpuUsage();
    const done = new Promise((resolve) => (roundDone = resolve));
    const report = new Promise((resolve) => child.once('message', resolve));
    child.send('go');
    const [writerReport] = await Promise.all([report, done]);
    const used = process.cpuUsage(cpu);
    rounds.push({ ...writerReport, readersMs: (used.user + used.system) / 1000 });
    await new Promise((res) => setTimeout(res, 300));
  }
  child.kill();
  latencies.sort((a, b) => a - b);
  const median = (key) => {
    const xs = rounds.map((r) => r[key]).sort((a, b) => a - b);
    return +xs[Math.floor(xs.length / 2)].toFixed(1);
  };
  const result = {
    transport: USE_WS ? 'ws' : 'tcp',
    subscribers: SUBSCRIBERS,
    rounds: ROUNDS,
    messageBytes: BYTES,
    latencyMs: { p50: +percentile(latencies, 50).toFixed(1), p99: +percentile(latencies, 99).toFixed(1), max: +latencies[latencies.length - 1].toFixed(1) },
    // medians over the rounds, in ms per round (one message to every subscriber)
    writerLoopMs: median('loopMs'),
    writerUserMs: median('userMs'),
    writerSystemMs: median('systemMs'),
    readersCpuMs: median('readersMs'),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
}

if (process.argv.includes('--writer')) writer();
else
  main().catch((error) => {
    process.stderr.write(`${error.stack ?? error}\n`);
    process.exit(1);
  });
