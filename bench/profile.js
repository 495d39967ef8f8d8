#!/usr/bin/env node
// `npm run bench:profile`: CPU profile of Roam's gateway on the benchmark query. Starts the four
// subgraphs and `node --cpu-prof gateway/dist/bin.js`, loads it with autocannon (PROFILE_CONNECTIONS,
// default 10; PROFILE_DURATION_S, default 10), stops it, and prints where the self time went by
// package and by function. Extra gateway environment: PROFILE_ROAM_ENV (JSON), e.g. '{"EXECUTOR":"roam"}'.
// PROFILE_PER_USER=1: every request carries its own bearer token (the per-user scenario of `npm run bench`:
// whole requests cannot be shared). PROFILE_GATEWAY_DIR: profile another built checkout's gateway (before/after).
// PROFILE_PRODUCTION=1: the production settings of `npm run bench` (safelist mode, the operations pushed by
// `roam-pq push` into a real redis-server, LIMITS_MODE=enforce, the client sending the hash only).
// PROFILE_SCENARIO=varied: the varied scenario of `npm run bench` (the MobileUserScreen query, a random user of
// the large dataset per request, subgraphs on DATASET=large) instead of the benchmark query.
// The .cpuprofile stays in bench/results/ (open it in Chrome DevTools or speedscope for a flame graph).
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { mkdirSync, readdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const { createHash } = require('node:crypto');
const { freePort, startProcess, startRedis } = require('@roam/testkit');
const { composeSupergraph } = require('@roam/gateway');
const { SUBGRAPHS: REGISTRY, subgraphByName, repoPath, readSchema } = require('@roam/subgraph-registry');
const { load } = require('./lib/load');
const { MOBILE_QUERY, LARGE_USERS, seeded } = require('./lib/scenarios');
const { cpuMs, rssBytes } = require('./lib/procstat');
const { firstAnswer } = require('./lib/firstAnswer');

const ROOT = join(__dirname, '..');
const SUBGRAPHS = REGISTRY.map((s) => s.name); // the reference subgraphs, from subgraphs/registry/registry.json
const QUERY = readFileSync(join(ROOT, 'test/fixtures/federation-benchmark/query.graphql'), 'utf8');
const connections = Number(process.env.PROFILE_CONNECTIONS || 10);
const durationS = Number(process.env.PROFILE_DURATION_S || 10);
const extraEnv = process.env.PROFILE_ROAM_ENV ? JSON.parse(process.env.PROFILE_ROAM_ENV) : {};
const production = process.env.PROFILE_PRODUCTION === '1';
const varied = process.env.PROFILE_SCENARIO === 'varied';
const sha256 = (s) => createHash('sha256').update(s).digest('hex');
const bodyFor = (query, variables) => JSON.stringify(production ? { variables, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } } : { query, variables });
const rand = seeded(19);
let userCounter = 0;
const perUser = process.env.PROFILE_PER_USER === '1' ? (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer profile-user-${++userCounter}` } }) : (req) => req;
const setupRequest = varied
  ? (req) => perUser({ ...req, body: bodyFor(MOBILE_QUERY, { id: String(1 + Math.floor(rand() * LARGE_USERS)) }) })
  : process.env.PROFILE_PER_USER === '1'
    ? perUser
    : undefined;

/**
 * Self time per call frame of a V8 .cpuprofile, in ms. By default every sample counts as the median sampling
 * interval: on a busy machine a thread that was descheduled gets one late sample whose time delta covers the
 * whole off-CPU gap (mostly charged to `writev`, which wakes the subgraph), so weighting by time deltas counts
 * waiting as work. PROFILE_WEIGHT=time weights by the deltas instead.
 */
function selfTimes(profile, skipMs) {
  const deltas = [...profile.timeDeltas].sort((a, b) => a - b);
  const interval = (deltas[Math.floor(deltas.length / 2)] ?? 1000) / 1000;
  const byTime = process.env.PROFILE_WEIGHT === 'time';
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let t = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    t += dt;
    if (t < skipMs) continue;
    const node = byId.get(profile.samples[i]);
    self.set(node, (self.get(node) ?? 0) + (byTime ? dt : interval));
  }
  return self;
}

function packageOf(url) {
  if (!url) return '(native/V8)';
  if (url.startsWith('node:')) return 'node core';
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) {
    const rest = url.slice(i + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.includes('/gateway/dist/')) return 'roam gateway';
  return relative(ROOT, url.replace('file://', ''));
}

async function main() {
  const ports = await Promise.all(SUBGRAPHS.map(() => freePort()));
  const subgraphs = await Promise.all(
    SUBGRAPHS.map((name, i) =>
      startProcess(
        repoPath(subgraphByName(name).main),
        { PORT: String(ports[i]), NODE_ENV: 'production', LOG_LEVEL: 'warn', ...(varied ? { DATASET: 'large' } : {}) },
        `http://127.0.0.1:${ports[i]}/health`,
      ),
    ),
  );
  const outDir = join(__dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  const supergraph = join(outDir, 'profile-supergraph.graphql');
  writeFileSync(supergraph, composeSupergraph(SUBGRAPHS.map((name, i) => ({ name, url: `http://127.0.0.1:${ports[i]}/graphql`, sdl: readSchema(subgraphByName(name)) }))));
  const redis = production ? await startRedis() : undefined;
  const productionEnv = redis ? { REDIS_URL: redis.url, PERSISTED_QUERIES_KEY_PREFIX: redis.prefix, PERSISTED_QUERIES: 'safelist', LIMITS_MODE: 'enforce' } : {};
  if (redis) {
    const manifest = join(outDir, 'profile-operations.json');
    const operations = [
      { id: sha256(QUERY), name: 'TestQuery', type: 'query', body: QUERY },
      { id: sha256(MOBILE_QUERY), name: 'MobileUserScreen', type: 'query', body: MOBILE_QUERY },
    ];
    writeFileSync(manifest, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations }));
    const pushed = spawnSync(process.execPath, [join(ROOT, 'persisted-queries/dist/cli/bin.js'), 'push', manifest, '--redis-url', redis.url, '--prefix', redis.prefix, '--supergraph', supergraph], {
      stdio: 'inherit',
    });
    if (pushed.status !== 0) throw new Error('roam-pq push failed');
  }
  const port = await freePort();
  const profDir = join(outDir, `profile-${Date.now()}`);
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, join(process.env.PROFILE_GATEWAY_DIR || ROOT, 'gateway/dist/bin.js')], {
    env: { ...process.env, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', SUPERGRAPH_PATH: supergraph, LOG_LEVEL: 'warn', ...productionEnv, ...extraEnv },
    stdio: 'inherit',
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  const body = varied ? bodyFor(MOBILE_QUERY, { id: '1' }) : bodyFor(QUERY, undefined);
  await firstAnswer(url, body);
  await load({ url, body, connections, durationS: 2, setupRequest });
  const measuredFromMs = Date.now() - spawnedAt;
  const cpu0 = cpuMs(child.pid);
  const r = await load({ url, body, connections, durationS, setupRequest });
  const cpuPerRequest = (cpuMs(child.pid) - cpu0) / Math.max(1, r.requests);
  const rssEndMB = rssBytes(child.pid) / 2 ** 20;
  console.log(`load: ${r.requests} requests in ${durationS}s (${r.rps.toFixed(1)} req/s), errors ${r.errors + r.non2xx + r.mismatches}`);
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((res) => child.once('exit', res));
  child.kill('SIGTERM');
  await exited;
  await Promise.all(subgraphs.map((p) => p.stop()));
  await redis?.stop();

  const file = join(
    profDir,
    readdirSync(profDir).find((f) => f.endsWith('.cpuprofile')),
  );
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const self = selfTimes(profile, measuredFromMs); // start-up and warm-up samples left out
  let total = 0;
  const byPkg = new Map();
  const byFn = new Map();
  for (const [node, ms] of self) {
    total += ms;
    const cf = node.callFrame;
    if (cf.functionName === '(idle)') {
      byFn.set('(idle)', (byFn.get('(idle)') ?? 0) + ms);
      continue;
    }
    const pkg = packageOf(cf.url);
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + ms);
    const key = `${cf.functionName || '(anonymous)'}  ${pkg}${cf.url ? `:${cf.url.split('/').pop()}:${cf.lineNumber + 1}` : ''}`;
    byFn.set(key, (byFn.get(key) ?? 0) + ms);
  }
  const idle = [...byFn].filter(([k]) => k.startsWith('(idle)')).reduce((n, [, v]) => n + v, 0);
  const busy = total - idle;
  const pct = (ms) => `${((ms / busy) * 100).toFixed(1).padStart(5)}%`;
  console.log(
    `\nprofile: ${file}\ngateway CPU (utime + stime, /proc) ${cpuPerRequest.toFixed(2)} ms per request, RSS at the end ${rssEndMB.toFixed(0)} MB; profile: busy ${busy.toFixed(0)} ms of ${total.toFixed(0)} ms sampled (${(busy / Math.max(1, r.requests)).toFixed(2)} ms per request, start-up and warm-up excluded)\n\nself time by package (share of busy time):`,
  );
  for (const [k, v] of [...byPkg].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${pct(v)}  ${k}`);
  console.log('\ntop functions by self time:');
  for (const [k, v] of [...byFn]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 40))
    console.log(`  ${pct(v)}  ${k}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
