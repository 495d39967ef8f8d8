#!/usr/bin/env node
// Idempotency benchmark (not a test; issue 12 "Done when"): the latency a key adds to a mutation. Runs the four
// reference subgraphs and one gateway as child processes against a real redis-server (the store replicas
// share), then sends `--requests` addReview mutations one at a time, alternating unkeyed and keyed (a new key
// each), plus as many replays (a keyed mutation sent again), and prints one JSON object:
//   { unkeyed: {p50Ms, p99Ms}, keyed: {p50Ms, p99Ms}, replay: {p50Ms, p99Ms}, addedP50Ms, addedP99Ms }
// Alternating in one run puts both kinds under the same machine noise.
//
//   npm run build && node bench/idempotency.js [--requests 1000] [--memory]   (--memory: no Redis, the in-process store)
'use strict';
const { randomUUID } = require('node:crypto');
const { mkdtempSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { request, Agent } = require('undici');
const { freePort, startProcess, startRedis } = require('../testkit/dist');
const { composeSupergraph } = require('../gateway/dist');
const { readSchema, repoPath, subgraphByName } = require('../subgraphs/registry');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}
const REQUESTS = Number(arg('requests', 1000));
const MEMORY = process.argv.includes('--memory');
const NAMES = ['accounts', 'products', 'inventory', 'reviews'];
const ADD = 'mutation Add($body: String!) { addReview(input: { authorId: "1", productUpc: "1", body: $body }) { id } }';

/** @returns p50 and p99 of `samples` (ms), 2 decimals. */
function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const r = (x) => Math.round(x * 100) / 100;
  return { p50Ms: r(at(0.5)), p99Ms: r(at(0.99)), n: sorted.length };
}

async function main() {
  const redis = MEMORY ? undefined : await startRedis();
  const ports = await Promise.all(NAMES.map(() => freePort()));
  const subgraphs = await Promise.all(NAMES.map((name, i) => startProcess(repoPath(subgraphByName(name).main), { PORT: String(ports[i]), LOG_LEVEL: 'warn' }, `http://127.0.0.1:${ports[i]}/health`)));
  const dir = mkdtempSync(join(tmpdir(), 'roam-bench-idem-'));
  const supergraph = join(dir, 'supergraph.graphql');
  writeFileSync(supergraph, composeSupergraph(NAMES.map((name, i) => ({ name, url: `http://127.0.0.1:${ports[i]}/graphql`, sdl: readSchema(subgraphByName(name)) }))));
  const port = Number(process.env.BENCH_PORT) || (await freePort());
  const gatewayEnv = {
    PORT: String(port),
    SUPERGRAPH_PATH: supergraph,
    LOG_LEVEL: 'warn',
    ...(redis ? { REDIS_URL: redis.url, IDEMPOTENCY_REDIS_PREFIX: redis.prefix, PERSISTED_QUERIES_KEY_PREFIX: `${redis.prefix}pq:` } : {}),
  };
  const gateway = await startProcess(join(__dirname, '../gateway/dist/bin.js'), gatewayEnv, `http://127.0.0.1:${port}/ready`);
  const url = `http://127.0.0.1:${port}/graphql`;
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 1 });
  const send = async (body, key) => {
    const headers = { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) };
    const started = performance.now();
    const res = await request(url, { method: 'POST', headers, body: JSON.stringify({ query: ADD, variables: { body } }), dispatcher: agent });
    const text = await res.body.text();
    const ms = performance.now() - started;
    if (res.statusCode !== 200 || !text.includes('addReview')) throw new Error(`unexpected answer ${res.statusCode}: ${text}`);
    return { ms, replayed: res.headers['idempotent-replayed'] === 'true' };
  };
  try {
    for (let i = 0; i < 100; i++) await send(`warm ${i}`, i % 2 ? randomUUID() : undefined); // warm-up: JIT, connections, plan cache
    const unkeyed = [];
    const keyed = [];
    const replay = [];
    const keys = [];
    for (let i = 0; i < REQUESTS; i++) {
      unkeyed.push((await send(`u ${i}`)).ms);
      const key = randomUUID();
      keys.push(key);
      keyed.push((await send(`k ${i}`, key)).ms);
    }
    for (let i = 0; i < REQUESTS; i++) {
      const r = await send(`k ${i}`, keys[i]);
      if (!r.replayed) throw new Error('expected a replay');
      replay.push(r.ms);
    }
    const u = summary(unkeyed);
    const k = summary(keyed);
    const out = {
      store: redis ? 'redis' : 'memory',
      requests: REQUESTS,
      unkeyed: u,
      keyed: k,
      replay: summary(replay),
      addedP50Ms: Math.round((k.p50Ms - u.p50Ms) * 100) / 100,
      addedP99Ms: Math.round((k.p99Ms - u.p99Ms) * 100) / 100,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    await agent.close();
    await gateway.stop();
    await Promise.all(subgraphs.map((s) => s.stop()));
    await redis?.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});
