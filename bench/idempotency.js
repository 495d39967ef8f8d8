#!/usr/bin/env node
// Idempotency benchmark (not a test; issue 12 "Done when"): the latency a key adds to a mutation. Runs the four
// reference subgraphs and one gateway as child processes against a real redis-server (the store replicas
// share), then sends `--requests` addReview mutations one at a time, alternating unkeyed and keyed (a new key
// each), plus as many replays (a keyed mutation sent again), and prints one JSON object:
//   { unkeyed: {p50Ms, p99Ms}, keyed: {p50Ms, p99Ms}, replay: {p50Ms, p99Ms}, addedP50Ms, addedP99Ms }
// Alternating in one run puts both kinds under the same machine noise.
// Then (unless --no-duplicates) the policy for a duplicate that arrives while the first request still runs: the
// reviews fetch is slowed to --slow-ms behind a forwarding server, a duplicate follows the first by 50 ms, and the
// duplicate's client retries with the same key, sleeping `Retry-After` on 409; measured is the duplicate's time to
// its answer, for IDEMPOTENCY_WAIT_MS=0 (409 at once) and for the default bounded wait:
//   duplicates: { wait0: {p50Ms, p99Ms, attempts}, wait1000: {…} }
//
//   npm run build && node bench/idempotency.js [--requests 1000] [--memory]   (--memory: no Redis, the in-process store)
'use strict';
const { randomUUID } = require('node:crypto');
const { mkdtempSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const http = require('node:http');
const { request, Agent } = require('undici');
const { freePort, startProcess, startRedis } = require('../testkit/dist');
const { composeSupergraph } = require('../gateway/dist');
const { readSchema, repoPath, subgraphByName } = require('../subgraphs/registry');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}
const REQUESTS = Number(arg('requests', 1000));
const SLOW_MS = Number(arg('slow-ms', 300));
const DUPLICATE_ROUNDS = Number(arg('duplicate-rounds', 20));
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

/** A forwarding server in front of `target` that answers `delayMs` after the target did (headers forwarded). */
async function startDelaying(target, delayMs) {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const headers = { 'content-type': 'application/json' };
      if (req.headers['idempotency-key']) headers['idempotency-key'] = req.headers['idempotency-key'];
      try {
        const up = await request(target, { method: 'POST', headers, body: Buffer.concat(chunks) });
        const text = await up.body.text();
        setTimeout(() => {
          res.writeHead(up.statusCode, { 'content-type': 'application/json' });
          res.end(text);
        }, delayMs);
      } catch {
        res.destroy();
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/graphql`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** The duplicate-policy phase: one gateway per IDEMPOTENCY_WAIT_MS value, reviews slowed to SLOW_MS. */
async function duplicates(ports, redis) {
  const slow = await startDelaying(`http://127.0.0.1:${ports[NAMES.indexOf('reviews')]}/graphql`, SLOW_MS);
  const dir = mkdtempSync(join(tmpdir(), 'roam-bench-idem-slow-'));
  const supergraph = join(dir, 'supergraph.graphql');
  writeFileSync(supergraph, composeSupergraph(NAMES.map((name, i) => ({ name, url: name === 'reviews' ? slow.url : `http://127.0.0.1:${ports[i]}/graphql`, sdl: readSchema(subgraphByName(name)) }))));
  const out = {};
  try {
    for (const waitMs of [0, 1000]) {
      const port = await freePort();
      const env = {
        PORT: String(port),
        SUPERGRAPH_PATH: supergraph,
        LOG_LEVEL: 'warn',
        IDEMPOTENCY_WAIT_MS: String(waitMs),
        ...(redis ? { REDIS_URL: redis.url, IDEMPOTENCY_REDIS_PREFIX: `${redis.prefix}w${waitMs}:` } : {}),
      };
      const gateway = await startProcess(join(__dirname, '../gateway/dist/bin.js'), env, `http://127.0.0.1:${port}/ready`);
      const url = `http://127.0.0.1:${port}/graphql`;
      const post = async (key, body) => {
        const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify({ query: ADD, variables: { body } }) });
        await res.body.text();
        return { status: res.statusCode, retryAfterS: Number(res.headers['retry-after'] ?? 0) };
      };
      const times = [];
      let attempts = 0;
      try {
        for (let i = 0; i < DUPLICATE_ROUNDS; i++) {
          const key = randomUUID();
          const first = post(key, `dup ${waitMs} ${i}`);
          await new Promise((r) => setTimeout(r, 50));
          const started = performance.now();
          for (;;) {
            attempts++;
            const r = await post(key, `dup ${waitMs} ${i}`);
            if (r.status === 200) break;
            if (r.status !== 409) throw new Error(`unexpected ${r.status}`);
            await new Promise((resolve) => setTimeout(resolve, r.retryAfterS * 1000));
          }
          times.push(performance.now() - started);
          await first;
        }
      } finally {
        await gateway.stop();
      }
      out[`wait${waitMs}`] = { ...summary(times), attemptsPerDuplicate: attempts / DUPLICATE_ROUNDS };
    }
  } finally {
    await slow.close();
  }
  return out;
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
      ...(process.argv.includes('--no-duplicates') ? {} : { slowMs: SLOW_MS, duplicates: await duplicates(ports, redis) }),
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
