#!/usr/bin/env node
// @defer and multipart subscription benchmark (issue 16; not a test).
//
//   npm run bench:defer        (= npm run build && node bench/defer.js [--iterations 30] [--delay 500]
//                                 [--subscribers 1000] [--rate 20] [--seconds 5])
//
// Starts the reference subgraphs and a gateway as child processes on free ports, with a proxy in front of the
// inventory subgraph that holds every request `--delay` ms (a slow subgraph), then measures:
//
// 1. Time to first part: a screen query whose deferred fragment (`inStock`) needs the slow inventory, sent
//    with `Accept: multipart/mixed;deferSpec=20220824`, against the same query without the deferred fragment
//    (answered at once); `--iterations` sequential requests each, time to the first part and to the last.
// 2. Fan-out: `--subscribers` graphql-ws subscribers, then as many multipart HTTP subscribers
//    (`subscriptionSpec=1.0`), each on `reviewAdded(upc: "1")` enriched from accounts; `--rate` addReview
//    mutations per second for `--seconds` straight to the reviews subgraph; deliveries per second, latency
//    (mutation sent -> event parsed by the client, same process clock) p50/p99, and gateway CPU.
//
// Prints one JSON object. Timings on a shared machine are noisy: compare within one run.
'use strict';
const { createServer } = require('node:http');
const { mkdtempSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const WebSocket = require('ws');
const { Agent, request } = require('undici');
const { freePort, startProcess, waitFor } = require('../testkit/dist');
const { composeSupergraph } = require('../gateway/dist');
const { SUBGRAPHS: REGISTRY, subgraphByName, repoPath, readSchema } = require('@roam/subgraph-registry');
const { cpuMs } = require('./lib/procstat');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 || process.argv[i + 1] === undefined ? fallback : Number(process.argv[i + 1]);
}
const ITERATIONS = arg('iterations', 30);
const DELAY_MS = arg('delay', 500);
const SUBSCRIBERS = arg('subscribers', 1000);
const RATE = arg('rate', 20);
const SECONDS = arg('seconds', 5);
const NAMES = REGISTRY.filter((s) => s.inProcess).map((s) => s.name);
const BOUNDARY = '\r\n--graphql';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted, p) => (sorted.length === 0 ? null : +sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(1));
const summary = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99) };
};

/** An HTTP proxy that forwards each POST to `target` after `delayMs`. */
async function slowProxy(target, delayMs) {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      setTimeout(async () => {
        const upstream = await request(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) });
        const text = await upstream.body.text();
        res.writeHead(upstream.statusCode, { 'content-type': 'application/json' });
        res.end(text);
      }, delayMs);
    });
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}/graphql`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Reads a multipart body; calls `onPart(json)` for every complete part as it arrives. */
async function readParts(body, onPart) {
  let buffer = '';
  for await (const chunk of body) {
    buffer += chunk.toString('utf8');
    let end;
    // a part is complete once the boundary after it arrived
    while ((end = buffer.indexOf(BOUNDARY, 1)) > 0) {
      const segment = buffer.slice(0, end);
      buffer = buffer.slice(end);
      const json = segment.slice(segment.indexOf('\r\n\r\n') + 4);
      if (json) onPart(JSON.parse(json));
    }
  }
}

async function timeToFirstPart(url) {
  const deferred = { first: [], last: [] };
  const plain = [];
  const dispatcher = new Agent({ connections: 4 });
  const post = (query, accept) => request(url, { method: 'POST', dispatcher, headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ query }) });
  const DEFERRED = '{ product(upc: "1") { upc name price reviews { body } ... @defer(label: "stock") { inStock } } }';
  const PLAIN = '{ product(upc: "1") { upc name price reviews { body } } }';
  for (let i = 0; i < ITERATIONS + 3; i++) {
    let t0 = performance.now();
    const res = await post(DEFERRED, 'multipart/mixed;deferSpec=20220824,application/json');
    let first;
    await readParts(res.body, () => (first ??= performance.now() - t0));
    const last = performance.now() - t0;
    t0 = performance.now();
    await (await post(PLAIN, 'application/json')).body.text();
    const whole = performance.now() - t0;
    if (i < 3) continue; // warm-up (plans, pools)
    deferred.first.push(first);
    deferred.last.push(last);
    plain.push(whole);
  }
  await dispatcher.close();
  const firstSummary = summary(deferred.first);
  const plainSummary = summary(plain);
  return {
    subgraphDelayMs: DELAY_MS,
    iterations: ITERATIONS,
    deferredFirstPartMs: firstSummary,
    deferredLastPartMs: summary(deferred.last),
    withoutFragmentMs: plainSummary,
    firstPartOverheadP50Ms: +(firstSummary.p50 - plainSummary.p50).toFixed(1),
  };
}

async function fanOut(transport, gatewayUrl, reviewsUrl, gatewayPid) {
  const latencies = [];
  let received = 0;
  let errors = 0;
  const onEvent = (payload) => {
    if (payload.errors) errors++;
    const sent = Number(String(payload.data?.reviewAdded?.body ?? '').split(' ')[1]);
    if (Number.isFinite(sent)) {
      received++;
      latencies.push(performance.timeOrigin + performance.now() - sent);
    }
  };
  const query = 'subscription { reviewAdded(upc: "1") { id body author { name } } }';
  const closers = [];
  const dispatcher = new Agent({ bodyTimeout: 0, headersTimeout: 0 });
  const openWs = () =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(gatewayUrl.replace('http', 'ws'), 'graphql-transport-ws', { perMessageDeflate: false });
      ws.on('error', reject);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: {} })));
      ws.on('message', (data) => {
        const m = JSON.parse(String(data));
        if (m.type === 'connection_ack') {
          ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
          resolve(() => ws.terminate());
        } else if (m.type === 'next') onEvent(m.payload);
        else if (m.type === 'error') errors++;
      });
    });
  const openMultipart = async () => {
    const controller = new AbortController();
    const res = await request(gatewayUrl, {
      method: 'POST',
      dispatcher,
      signal: controller.signal,
      headers: { 'content-type': 'application/json', accept: 'multipart/mixed;subscriptionSpec=1.0,application/json' },
      body: JSON.stringify({ query }),
    });
    readParts(res.body, (part) => (part.payload ? onEvent(part.payload) : part.errors ? errors++ : undefined)).catch(() => undefined);
    return () => controller.abort();
  };
  for (let i = 0; i < SUBSCRIBERS; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(SUBSCRIBERS, i + 100); j++) batch.push(transport === 'ws' ? openWs() : openMultipart());
    closers.push(...(await Promise.all(batch)));
  }
  const active = async () => (await (await request(reviewsUrl.replace('/graphql', '/health'))).body.json()).subscriptions.active;
  await waitFor(async () => (await active()) === 1, 'the shared upstream subscription', 60_000);
  await sleep(500);
  const total = Math.round(RATE * SECONDS);
  const start = Date.now();
  const cpuStart = cpuMs(gatewayPid);
  const clientCpuStart = process.cpuUsage();
  let sent = 0;
  const inflight = [];
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * RATE));
    for (; sent < due; sent++) {
      const body = `t ${performance.timeOrigin + performance.now()}`;
      inflight.push(
        request(reviewsUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: `mutation { addReview(input: { authorId: "1", productUpc: "1", body: "${body}" }) { id } }` }),
        }).then((r) => r.body.dump()),
      );
    }
    await sleep(2);
  }
  await Promise.all(inflight);
  const expected = total * SUBSCRIBERS;
  await waitFor(() => received >= expected, 'deliveries', 30_000, 50).catch(() => undefined);
  const seconds = (Date.now() - start) / 1000;
  const cpuPercent = Math.round((100 * (cpuMs(gatewayPid) - cpuStart)) / 1000 / seconds);
  const clientCpu = process.cpuUsage(clientCpuStart);
  // the subscribers live in this one process: near 100% here means the client, not the gateway, set the pace
  const clientCpuPercent = Math.round((100 * (clientCpu.user + clientCpu.system)) / 1e6 / seconds);
  for (const close of closers) close();
  await waitFor(async () => (await active()) === 0, 'the upstream subscription to end', 30_000).catch(() => undefined);
  await dispatcher.close().catch(() => undefined);
  const s = summary(latencies);
  return {
    transport,
    subscribers: SUBSCRIBERS,
    deliveriesExpected: expected,
    deliveriesReceived: received,
    deliveriesPerSecond: Math.round(received / seconds),
    latencyMs: s,
    gatewayCpuPercent: cpuPercent,
    benchClientCpuPercent: clientCpuPercent,
    errors,
  };
}

async function main() {
  const ports = await Promise.all(NAMES.map(() => freePort()));
  const env = { LOG_LEVEL: 'error' };
  const subgraphs = await Promise.all(NAMES.map((n, i) => startProcess(repoPath(subgraphByName(n).main), { PORT: String(ports[i]), ...env }, `http://127.0.0.1:${ports[i]}/health`)));
  const urls = Object.fromEntries(NAMES.map((n, i) => [n, `http://127.0.0.1:${ports[i]}/graphql`]));
  const proxy = await slowProxy(urls.inventory, DELAY_MS);
  const dir = mkdtempSync(join(tmpdir(), 'roam-bench-defer-'));
  const supergraphPath = join(dir, 'supergraph.graphql');
  writeFileSync(supergraphPath, composeSupergraph(NAMES.map((name) => ({ name, url: name === 'inventory' ? proxy.url : urls[name], sdl: readSchema(subgraphByName(name)) }))));
  const port = Number(process.env.BENCH_PORT) || (await freePort());
  const gateway = await startProcess(
    join(__dirname, '..', 'gateway/dist/bin.js'),
    { PORT: String(port), SUPERGRAPH_PATH: supergraphPath, LOG_LEVEL: 'error', SUBSCRIPTION_MAX_CONNECTIONS_PER_CLIENT: String(SUBSCRIBERS + 10), SUBSCRIPTION_MAX_QUEUED_EVENTS: '10000' },
    `http://127.0.0.1:${port}/ready`,
  );
  const url = `http://127.0.0.1:${port}/graphql`;
  try {
    const defer = await timeToFirstPart(url);
    const ws = await fanOut('ws', url, urls.reviews, gateway.child.pid);
    const multipart = await fanOut('multipart', url, urls.reviews, gateway.child.pid);
    process.stdout.write(`${JSON.stringify({ defer, fanOut: [ws, multipart] }, null, 2)}\n`);
  } finally {
    await gateway.stop();
    await proxy.close();
    await Promise.all(subgraphs.map((s) => s.stop()));
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
