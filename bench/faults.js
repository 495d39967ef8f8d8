#!/usr/bin/env node
// Faults benchmark (not a test; issue 11 "Measured"): one of the four subgraphs hangs while the gateway is
// under load. Prints one JSON object with
// - healthy: p50/p99 and rps of the benchmark query (touches all four subgraphs) and of a query that does
//   not touch inventory;
// - hangingBeforeOpen: p99 of the benchmark query while inventory hangs and its breaker has not opened yet
//   (should be ≤ inventory's timeoutMs + 50 ms);
// - hangingOpen: p99 of the benchmark query (partial answers) and rps of the other query once the breaker is
//   open (p99 within ~10 ms of healthy; rps ≥ 90% of healthy);
// - recoveryMs: from inventory answering again to the first complete answer (< 1 s with halfOpenAfterMs 500);
// - overload: the benchmark query sent open-loop at the healthy closed-loop rate (1×) and at twice it (2×) to the
//   gateway, which runs with MAX_INFLIGHT_REQUESTS = 2 × connections: answers by status, p50/p99 of accepted (2xx)
//   answers and of shed (503) ones; the target is p99 of accepted answers at 2× under 3× the healthy p99.
//
//   npm run build && node bench/faults.js [--seconds 5] [--connections 20]
//
// The four reference subgraphs and the gateway run as child processes; inventory sits behind a small
// forwarding server in this process that the script switches between forwarding and hanging.
'use strict';
const http = require('node:http');
const { mkdtempSync, readFileSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { request, Agent } = require('undici');
const { freePort, startProcess } = require('../testkit/dist');
const { composeSupergraph } = require('../gateway/dist');
const { load } = require('./lib/load');
const { openLoop } = require('./lib/openLoop');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}
const SECONDS = Number(arg('seconds', 5));
const CONNECTIONS = Number(arg('connections', 20));
const TIMEOUT_MS = 500;
const HALF_OPEN_AFTER_MS = 500;
const root = join(__dirname, '..');
const NAMES = ['accounts', 'products', 'inventory', 'reviews'];
const BENCH_QUERY = readFileSync(join(root, 'test/fixtures/federation-benchmark/query.graphql'), 'utf8');
const OTHER_QUERY = '{ topProducts(first: 5) { upc name price reviews { body author { name } } } }';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A forwarding server in front of `target`; `state.hang` makes it accept requests and never answer. */
function startSwitch(target, port) {
  const state = { hang: false };
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 256 });
  const held = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      if (state.hang) {
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      }
      try {
        const up = await request(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks), dispatcher: agent });
        const body = await up.body.text();
        res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? 'application/json') });
        res.end(body);
      } catch {
        res.destroy();
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () =>
      resolve({
        state,
        close: () => {
          for (const r of held) r.destroy();
          server.closeAllConnections();
          server.close();
          return agent.close();
        },
      }),
    ),
  );
}

async function post(url, query) {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  return res.body.json();
}

async function main() {
  const ports = await Promise.all(NAMES.map(() => freePort()));
  const subgraphs = await Promise.all(
    NAMES.map((n, i) => startProcess(join(root, 'subgraphs', n, 'dist/index.js'), { PORT: String(ports[i]), LOG_LEVEL: 'error' }, `http://127.0.0.1:${ports[i]}/health`)),
  );
  const urls = Object.fromEntries(NAMES.map((n, i) => [n, `http://127.0.0.1:${ports[i]}/graphql`]));
  const switchPort = await freePort();
  const inventory = await startSwitch(urls.inventory, switchPort);
  const dir = mkdtempSync(join(tmpdir(), 'roam-bench-faults-'));
  const supergraphPath = join(dir, 'supergraph.graphql');
  writeFileSync(
    supergraphPath,
    composeSupergraph(
      NAMES.map((name) => ({ name, url: name === 'inventory' ? `http://127.0.0.1:${switchPort}/graphql` : urls[name], sdl: readFileSync(join(root, 'subgraphs', name, 'schema.graphql'), 'utf8') })),
    ),
  );
  const gatewayPort = await freePort();
  const gateway = await startProcess(
    join(root, 'gateway/dist/bin.js'),
    {
      PORT: String(gatewayPort),
      HOST: '127.0.0.1',
      SUPERGRAPH_PATH: supergraphPath,
      LOG_LEVEL: 'error',
      SUBGRAPH_POLICIES: JSON.stringify({ inventory: { timeoutMs: TIMEOUT_MS, breaker: { halfOpenAfterMs: HALF_OPEN_AFTER_MS } } }),
      MAX_INFLIGHT_REQUESTS: String(2 * CONNECTIONS),
    },
    `http://127.0.0.1:${gatewayPort}/ready`,
  );
  const url = `http://127.0.0.1:${gatewayPort}/graphql`;
  const run = (query, durationS = SECONDS) => load({ url, body: JSON.stringify({ query }), connections: CONNECTIONS, durationS });
  const result = { settings: { seconds: SECONDS, connections: CONNECTIONS, inventoryTimeoutMs: TIMEOUT_MS, halfOpenAfterMs: HALF_OPEN_AFTER_MS, maxInflightRequests: 2 * CONNECTIONS } };
  try {
    await run(BENCH_QUERY, 2); // warm-up
    result.healthy = { bench: await run(BENCH_QUERY), other: await run(OTHER_QUERY) };
    inventory.state.hang = true;
    // Before the breaker opens: the first wave of requests waits for inventory's deadline.
    result.hangingBeforeOpen = await run(BENCH_QUERY, 1);
    await sleep(100);
    result.hangingOpen = { bench: await run(BENCH_QUERY), other: await run(OTHER_QUERY) };
    inventory.state.hang = false;
    const healedAt = performance.now();
    for (;;) {
      const body = await post(url, BENCH_QUERY);
      if (!body.errors) break;
      if (performance.now() - healedAt > 30_000) throw new Error('no complete answer 30 s after inventory healed');
      await sleep(5);
    }
    result.recoveryMs = Math.round(performance.now() - healedAt);
    await sleep(200);
    const sustainable = result.healthy.bench.rps;
    const body = JSON.stringify({ query: BENCH_QUERY });
    result.overload = {
      sustainableRps: +sustainable.toFixed(1),
      at1x: await openLoop({ url, body, rate: sustainable, durationS: SECONDS }),
      at2x: await openLoop({ url, body, rate: 2 * sustainable, durationS: SECONDS }),
    };
    result.ratios = {
      otherRpsOpenVsHealthy: +(result.hangingOpen.other.rps / result.healthy.other.rps).toFixed(3),
      benchP99OpenMinusHealthyMs: result.hangingOpen.bench.p99 - result.healthy.bench.p99,
      acceptedP99At2xVsHealthyP99: +(result.overload.at2x.accepted.p99 / result.healthy.bench.p99).toFixed(2),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await gateway.stop();
    await inventory.close();
    await Promise.all(subgraphs.map((s) => s.stop()));
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
