#!/usr/bin/env node
// Subscription benchmark (not a test): N concurrent graphql-transport-ws subscribers on one gateway
// process, events fanned out from addReview mutations, delivery latency from mutation to client, and
// gateway memory per connection.
//
//   npm run build && node bench/subscriptions.js --subscribers 1000 --rate 100 --seconds 10 [--distinct 1] [--redis] [--dataset large]
//
// Starts the four reference subgraphs and a gateway as child processes on free ports (a real
// redis-server too with --redis), opens N raw WebSockets (each: connection_init, one subscription to
// `reviewAdded(upc: "1")` enriched from accounts and products; --distinct K spreads them over K
// distinct documents, so K upstream subscriptions), measures the gateway's RSS before and after, then
// sends `rate` addReview mutations per second for `seconds` straight to the reviews subgraph. Each
// review body carries its send time; latency = arrival at the client - send time (same process clock).
// Prints one JSON object. Memory per connection is an RSS delta: only meaningful from a few thousand
// subscribers up (below that, GC timing dominates).
//
// The clients share the machine with the gateway, so they read cheaply: the arrival time is taken first, and
// an event (`next` without `errors`) is not JSON-parsed; only its send time is read from the raw bytes (a full
// parse per message made the clients, not the gateway, the slowest part at 10,000 subscribers). Every other
// message is parsed whole. BENCH_GATEWAY_DIR runs another built checkout's gateway (before/after, same client).
'use strict';
const { readFileSync } = require('node:fs');
const { cpuMs, rssBytes } = require('./lib/procstat');
const { join } = require('node:path');
const WebSocket = require('ws');
const { request } = require('undici');
const { freePort, startProcess, startRedis, waitFor } = require('../testkit/dist');
const { composeSupergraph } = require('../gateway/dist');
const { SUBGRAPHS: REGISTRY, subgraphByName, repoPath, readSchema } = require('@roam/subgraph-registry');
const { mkdtempSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith('--') ? true : v;
}
const SUBSCRIBERS = Number(arg('subscribers', 200));
const RATE = Number(arg('rate', 20));
const SECONDS = Number(arg('seconds', 5));
const DISTINCT = Math.max(1, Number(arg('distinct', 1)));
const USE_REDIS = arg('redis', false) === true;
const DATASET = String(arg('dataset', 'benchmark')); // benchmark: products 1-9; large: products 1-2000
if (DATASET === 'benchmark' && DISTINCT > 9) throw new Error('--distinct above 9 needs --dataset large (the benchmark dataset has 9 products)');
const root = join(__dirname, '..');
const gatewayDir = process.env.BENCH_GATEWAY_DIR || root;
// the parts of an event message the clients look for without parsing it (see the header)
const NEXT_MARK = Buffer.from('"type":"next"');
const ERRORS_MARK = Buffer.from('"errors"');
const SENT_MARK = Buffer.from('"body":"t ');
const QUOTE = 0x22;
const NAMES = REGISTRY.map((s) => s.name); // the reference subgraphs, from subgraphs/registry/registry.json

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const redis = USE_REDIS ? await startRedis() : undefined;
  const env = { LOG_LEVEL: 'error', DATASET, ...(redis ? { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix } : {}) };
  const ports = await Promise.all(NAMES.map(() => freePort()));
  const subgraphs = await Promise.all(NAMES.map((n, i) => startProcess(repoPath(subgraphByName(n).main), { PORT: String(ports[i]), ...env }, `http://127.0.0.1:${ports[i]}/health`)));
  const urls = Object.fromEntries(NAMES.map((n, i) => [n, `http://127.0.0.1:${ports[i]}/graphql`]));
  const dir = mkdtempSync(join(tmpdir(), 'roam-bench-'));
  const supergraphPath = join(dir, 'supergraph.graphql');
  writeFileSync(supergraphPath, composeSupergraph(NAMES.map((name) => ({ name, url: urls[name], sdl: readSchema(subgraphByName(name)) }))));
  const gatewayPort = await freePort();
  const gateway = await startProcess(
    process.env.BENCH_GATEWAY_PROFILE ? join(__dirname, 'profileGateway.js') : join(gatewayDir, 'gateway/dist/bin.js'),
    {
      PORT: String(gatewayPort),
      SUPERGRAPH_PATH: supergraphPath,
      LOG_LEVEL: 'error',
      SUBSCRIPTION_MAX_CONNECTIONS_PER_CLIENT: String(SUBSCRIBERS + 10),
      SUBSCRIPTION_MAX_QUEUED_EVENTS: '10000',
    },
    `http://127.0.0.1:${gatewayPort}/ready`,
  );
  // with BENCH_GATEWAY_PROFILE the measured process is the wrapper's child (the real gateway)
  const gatewayPid = process.env.BENCH_GATEWAY_PROFILE ? Number(readFileSync(`/proc/${gateway.child.pid}/task/${gateway.child.pid}/children`, 'utf8').trim().split(' ')[0]) : gateway.child.pid;
  const stopAll = async () => {
    await gateway.stop();
    await Promise.all(subgraphs.map((s) => s.stop()));
    await redis?.stop();
  };

  try {
    // warm up: one query through the gateway so planner and pools exist before measuring memory
    await (
      await request(`http://127.0.0.1:${gatewayPort}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ product(upc: "1") { name } }' }) })
    ).body.dump();
    await sleep(500);
    const rssBefore = rssBytes(gatewayPid);

    const latencies = [];
    let received = 0;
    let errors = 0;
    let firstError;
    const sockets = [];
    const openOne = (i) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${gatewayPort}/graphql`, 'graphql-transport-ws', { perMessageDeflate: false, skipUTF8Validation: true });
        ws.on('error', reject);
        ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { 'apollographql-client-name': 'bench' } })));
        ws.on('message', (data) => {
          const arrived = performance.timeOrigin + performance.now();
          if (data.indexOf(NEXT_MARK) >= 0 && data.indexOf(ERRORS_MARK) < 0) {
            received++;
            const at = data.indexOf(SENT_MARK);
            if (at >= 0) {
              const sent = Number(data.toString('latin1', at + SENT_MARK.length, data.indexOf(QUOTE, at + SENT_MARK.length)));
              if (Number.isFinite(sent)) latencies.push(arrived - sent);
            }
            return;
          }
          const m = JSON.parse(String(data));
          if (m.type === 'connection_ack') {
            const upc = String(1 + (i % DISTINCT));
            ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `subscription { reviewAdded(upc: "${upc}") { id body author { name } product { name } } }` } }));
            resolve(ws);
          } else if (m.type === 'next') {
            received++;
            if (m.payload.errors) {
              errors++;
              firstError ??= m.payload.errors[0];
            }
            const sent = Number(String(m.payload.data?.reviewAdded?.body ?? '').split(' ')[1]);
            if (Number.isFinite(sent)) latencies.push(arrived - sent);
          } else if (m.type === 'error') {
            errors++;
            firstError ??= m.payload[0];
          }
        });
      });
    const connectStart = Date.now();
    for (let i = 0; i < SUBSCRIBERS; i += 100) {
      const batch = [];
      for (let j = i; j < Math.min(SUBSCRIBERS, i + 100); j++) batch.push(openOne(j));
      sockets.push(...(await Promise.all(batch)));
    }
    const connectMs = Date.now() - connectStart;
    await waitFor(
      async () => {
        const res = await request(urls.reviews.replace('/graphql', '/health'));
        const body = await res.body.json();
        return body.subscriptions.active === Math.min(DISTINCT, SUBSCRIBERS);
      },
      'upstream subscriptions',
      60_000,
    );
    await sleep(1000);
    const rssAfter = rssBytes(gatewayPid);

    // fan-out phase: RATE mutations per second to product 1..DISTINCT, straight to the reviews subgraph
    const total = Math.round(RATE * SECONDS);
    const expected = [];
    const start = Date.now();
    const gatewayCpuStartMs = cpuMs(gatewayPid);
    const benchCpuStart = process.cpuUsage();
    let sent = 0;
    const inflight = [];
    while (sent < total) {
      const due = Math.floor(((Date.now() - start) / 1000) * RATE);
      while (sent < Math.min(due, total)) {
        const upc = String(1 + (sent % DISTINCT));
        expected.push(upc);
        const body = `t ${performance.timeOrigin + performance.now()}`;
        inflight.push(
          request(urls.reviews, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: `mutation { addReview(input: { authorId: "1", productUpc: "${upc}", body: "${body}" }) { id } }` }),
          }).then((r) => r.body.dump()),
        );
        sent++;
      }
      await sleep(2);
    }
    await Promise.all(inflight);
    const sendSeconds = (Date.now() - start) / 1000;
    // each event reaches the subscribers of its upc
    const perUpc = new Map();
    for (let i = 0; i < SUBSCRIBERS; i++) perUpc.set(String(1 + (i % DISTINCT)), (perUpc.get(String(1 + (i % DISTINCT))) ?? 0) + 1);
    const expectedDeliveries = expected.reduce((n, upc) => n + (perUpc.get(upc) ?? 0), 0);
    await waitFor(() => received >= expectedDeliveries, 'deliveries', 30_000, 50).catch(() => undefined);
    const deliverSeconds = (Date.now() - start) / 1000;
    const gatewayCpuMs = cpuMs(gatewayPid) - gatewayCpuStartMs;
    const gatewayCpuPercent = +((100 * gatewayCpuMs) / 1000 / deliverSeconds).toFixed(0);
    const benchCpu = process.cpuUsage(benchCpuStart);
    const benchCpuMs = (benchCpu.user + benchCpu.system) / 1000;
    const benchCpuPercent = +((100 * benchCpuMs) / 1000 / deliverSeconds).toFixed(0);
    latencies.sort((a, b) => a - b);
    const result = {
      subscribers: SUBSCRIBERS,
      distinctUpstreams: Math.min(DISTINCT, SUBSCRIBERS),
      redis: USE_REDIS,
      connectMs,
      gatewayRssBeforeMB: +(rssBefore / 1048576).toFixed(1),
      gatewayRssAfterMB: +(rssAfter / 1048576).toFixed(1),
      gatewayBytesPerConnection: Math.round((rssAfter - rssBefore) / SUBSCRIBERS),
      eventsSent: sent,
      eventsPerSecond: +(sent / sendSeconds).toFixed(1),
      deliveriesExpected: expectedDeliveries,
      deliveriesReceived: received,
      deliveriesPerSecond: +(received / deliverSeconds).toFixed(0),
      errors,
      firstError,
      gatewayCpuPercent,
      // CPU time over the fan-out phase (idle time between events included) per event sent, in ms
      gatewayCpuMsPerEvent: +(gatewayCpuMs / Math.max(1, sent)).toFixed(1),
      benchClientCpuPercent: benchCpuPercent,
      benchClientCpuMsPerEvent: +(benchCpuMs / Math.max(1, sent)).toFixed(1),
      latencyMs: { p50: +percentile(latencies, 50)?.toFixed(1), p99: +percentile(latencies, 99)?.toFixed(1), max: +latencies[latencies.length - 1]?.toFixed(1) },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    for (const ws of sockets) ws.terminate();
  } finally {
    await stopAll();
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
