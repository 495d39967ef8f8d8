#!/usr/bin/env node
// Response cache and delta updates (issue 14), runnable alone (`npm run bench:rcache`) and as part of
// `npm run bench` (BENCH_RCACHE=0 skips it there):
// 1. the benchmark query through Roam with the cache cold (RESPONSE_CACHE=off; with and without in-flight coalescing) and
//    hot (RESPONSE_CACHE=on and CACHE_HINTS making the response public for 60 s; every request is a hit), with the
//    store in a real redis-server and in memory: req/s and gateway CPU ms per request;
// 2. bytes of a delta (226 JSON Patch) after a one-field change (setInStock of one product) vs the full
//    response, both with brotli, as JSON and as MessagePack.
// Starts its own subgraphs, redis-server and gateways on free loopback ports. Prints one JSON line on stdout
// (human lines on stderr). Settings: BENCH_RCACHE_DURATION_S (10), BENCH_RCACHE_WARMUP_S (2),
// BENCH_RCACHE_CONNECTIONS (50). Measurements on a shared machine are noisy.
'use strict';
const { mkdtempSync, readFileSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { request } = require('undici');
const { composeSupergraph } = require('@roam/gateway');
const { SUBGRAPHS: REGISTRY, subgraphByName, repoPath, readSchema } = require('@roam/subgraph-registry');
const { freePort, startProcess, startRedis } = require('@roam/testkit');
const { cpuMs } = require('./lib/procstat');
const { load } = require('./lib/load');

const ROOT = join(__dirname, '..');
const SUBGRAPHS = REGISTRY.filter((s) => s.inProcess).map((s) => s.name);
const env = process.env;
const num = (name, dflt) => (env[name] === undefined || env[name] === '' ? dflt : Number(env[name]));
const DURATION_S = num('BENCH_RCACHE_DURATION_S', 10);
const WARMUP_S = num('BENCH_RCACHE_WARMUP_S', 2);
const CONNECTIONS = num('BENCH_RCACHE_CONNECTIONS', 50);
const BENCH_QUERY = readFileSync(join(ROOT, 'test/fixtures/federation-benchmark/query.graphql'), 'utf8');
const BODY = JSON.stringify({ query: BENCH_QUERY });
const HINTS = JSON.stringify({ User: { maxAge: 60, scope: 'PUBLIC' }, Product: { maxAge: 60, scope: 'PUBLIC' }, Review: { maxAge: 60, scope: 'PUBLIC' } });
const log = (...a) => console.error(`[bench:rcache ${new Date().toISOString().slice(11, 19)}]`, ...a);
const round = (x, d) => Math.round(x * 10 ** d) / 10 ** d;

async function post(url, body, headers = {}) {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, bytes };
}

async function startGateway(supergraph, extra) {
  const port = await freePort();
  const proc = await startProcess(
    join(ROOT, 'gateway/dist/bin.js'),
    { PORT: String(port), HOST: '127.0.0.1', SUPERGRAPH_PATH: supergraph, LOG_LEVEL: 'warn', NODE_ENV: 'production', ...extra },
    `http://127.0.0.1:${port}/ready`,
  );
  return { proc, url: `http://127.0.0.1:${port}/graphql` };
}

/** Loads the benchmark query at CONNECTIONS; checks the cache state the run is meant to have before and after. */
async function measure(name, gateway, expectCache) {
  const check = async () => {
    const r = await post(gateway.url, BODY);
    if (r.status !== 200 || r.bytes.includes('"errors"')) throw new Error(`${name}: HTTP ${r.status} ${r.bytes.subarray(0, 200)}`);
    if ((r.headers['x-roam-cache'] ?? 'none') !== expectCache) throw new Error(`${name}: x-roam-cache ${r.headers['x-roam-cache']}, expected ${expectCache}`);
  };
  await post(gateway.url, BODY); // fills the cache when it is on
  await new Promise((r) => setTimeout(r, 200));
  await check();
  if (WARMUP_S > 0) await load({ url: gateway.url, body: BODY, connections: CONNECTIONS, durationS: WARMUP_S });
  const cpu0 = cpuMs(gateway.proc.child.pid);
  const r = await load({ url: gateway.url, body: BODY, connections: CONNECTIONS, durationS: DURATION_S });
  const cpu1 = cpuMs(gateway.proc.child.pid);
  // what the cache did under the same concurrency (a Redis read past RESPONSE_CACHE_TIMEOUT_MS is a BYPASS)
  const states = {};
  for (let i = 0; i < 4; i++)
    for (const r of await Promise.all(Array.from({ length: CONNECTIONS }, () => post(gateway.url, BODY))))
      states[r.headers['x-roam-cache'] ?? 'none'] = (states[r.headers['x-roam-cache'] ?? 'none'] ?? 0) + 1;
  await check();
  const bad = r.non2xx + r.errors + r.mismatches;
  const result = {
    rps: round(r.rps, 1),
    p50: r.p50,
    p99: r.p99,
    requests: r.requests,
    cpuMsPerRequest: r.requests > 0 ? round((cpu1 - cpu0) / r.requests, 3) : null,
    errors: bad,
    cacheStates: states,
  };
  log(`${name}: ${JSON.stringify(result)}`);
  return bad > 0 ? { ...result, invalid: `${bad} failed requests` } : result;
}

/** Bytes of the full response and of the 226 patch after one setInStock of product `upc`, with brotli, for one media type. */
async function deltaBytes(url, accept, upc) {
  const headers = { accept, 'accept-encoding': 'br', 'a-im': 'json-patch' };
  const base = await post(url, BODY, headers);
  if (base.status !== 200) throw new Error(`base: HTTP ${base.status}`);
  const before = JSON.parse((await post(url, BODY)).bytes.toString()).data.topProducts.find((p) => p.upc === upc);
  const mutate = (inStock) =>
    post(url, JSON.stringify({ query: 'mutation($upc: String!, $s: Boolean!) { setInStock(upc: $upc, inStock: $s) { upc inStock } }', variables: { upc: before.upc, s: inStock } }));
  await mutate(!before.inStock);
  try {
    const delta = await post(url, BODY, { ...headers, 'if-none-match': base.headers.etag });
    if (delta.status !== 226) throw new Error(`delta: HTTP ${delta.status}, expected 226`);
    const full = await post(url, BODY, { accept, 'accept-encoding': 'br' });
    const patchJson = JSON.parse((await post(url, BODY, { 'a-im': 'json-patch', 'if-none-match': base.headers.etag })).bytes.toString());
    return {
      fullBytes: full.bytes.length,
      deltaBytes: delta.bytes.length,
      ratio: round(delta.bytes.length / full.bytes.length, 4),
      patchOperations: patchJson.length,
      encoding: delta.headers['content-encoding'] ?? 'identity',
    };
  } finally {
    await mutate(before.inStock);
  }
}

async function main() {
  const ports = await Promise.all(SUBGRAPHS.map(() => freePort()));
  const subgraphs = await Promise.all(
    SUBGRAPHS.map((name, i) => startProcess(repoPath(subgraphByName(name).main), { PORT: String(ports[i]), NODE_ENV: 'production', LOG_LEVEL: 'warn' }, `http://127.0.0.1:${ports[i]}/health`)),
  );
  const redis = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'roam-bench-rcache-'));
  const supergraph = join(dir, 'supergraph.graphql');
  writeFileSync(supergraph, composeSupergraph(SUBGRAPHS.map((name, i) => ({ name, url: `http://127.0.0.1:${ports[i]}/graphql`, sdl: readSchema(subgraphByName(name)) }))));
  const runs = {
    // concurrent identical requests already share one execution (COALESCE_INFLIGHT): "cold" is the default
    // gateway, "cold, no coalescing" executes every request (what a cache hit really saves)
    cold: { RESPONSE_CACHE: 'off', CACHE_HINTS: HINTS },
    'cold, no coalescing': { RESPONSE_CACHE: 'off', CACHE_HINTS: HINTS, COALESCE_INFLIGHT: 'false' },
    'hot (redis)': { RESPONSE_CACHE: 'on', CACHE_HINTS: HINTS, REDIS_URL: redis.url, PERSISTED_QUERIES_KEY_PREFIX: `${redis.prefix}pq:`, RESPONSE_CACHE_KEY_PREFIX: `${redis.prefix}cache:` },
    'hot (memory)': { RESPONSE_CACHE: 'on', CACHE_HINTS: HINTS },
  };
  const result = { settings: { durationS: DURATION_S, warmupS: WARMUP_S, connections: CONNECTIONS }, load: {}, delta: {} };
  try {
    for (const [name, extra] of Object.entries(runs)) {
      const gateway = await startGateway(supergraph, extra);
      try {
        result.load[name] = await measure(name, gateway, name.startsWith('cold') ? 'none' : 'HIT');
        if (name === 'hot (redis)') {
          // product 5 appears once in the benchmark response, product 1 forty times (every place it is nested)
          for (const [label, accept, upc] of [
            ['JSON + brotli, product 5 (1 place)', 'application/json', '5'],
            ['MessagePack + brotli, product 5 (1 place)', 'application/msgpack', '5'],
            ['JSON + brotli, product 1 (40 places)', 'application/json', '1'],
            ['MessagePack + brotli, product 1 (40 places)', 'application/msgpack', '1'],
          ]) {
            result.delta[label] = await deltaBytes(gateway.url, accept, upc);
            log(`delta ${label}: ${JSON.stringify(result.delta[label])}`);
          }
        }
      } catch (error) {
        result.load[name] ??= { invalid: error.message.slice(0, 300) };
        log(`${name} failed: ${error.message}`);
      } finally {
        await gateway.proc.stop();
      }
    }
  } finally {
    await Promise.all(subgraphs.map((p) => p.stop()));
    await redis.stop();
  }
  console.log(JSON.stringify(result));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
