#!/usr/bin/env node
// `npm run bench`: Roam side by side with Apollo Gateway and Hive Gateway (JS planner and Rust planner)
// on the same four Roam subgraphs, in interleaved rounds; see README "Benchmarks" for the settings.
'use strict';
// Settings are environment variables (README "Benchmarks"); the only argument is --help. Anything else stops
// here: `node bench/run.js --help` used to start the whole 35-minute run on port 4000.
if (process.argv.length > 2) {
  const help = process.argv.length === 3 && ['--help', '-h'].includes(process.argv[2]);
  (help ? process.stdout : process.stderr).write(
    `${help ? '' : `bench/run.js: unknown argument(s) ${process.argv.slice(2).join(' ')}; settings are environment variables.\n`}` +
      'Usage: npm run bench   (or node bench/run.js after npm run build): Roam against Apollo Gateway and Hive Gateway,\n' +
      'interleaved rounds; about 35 minutes on 2 cores; the gateway listens on BENCH_PORT (4000; 0 = a free port).\n' +
      'Settings (environment; README "Benchmarks" lists all with their defaults):\n' +
      '  BENCH_DURATION_S (20)  BENCH_WARMUP_S (5)  BENCH_ROUNDS (3)  BENCH_CONNECTIONS (50,1)  BENCH_PORT (4000)\n' +
      '  BENCH_GATEWAYS (roam,apollo,hive,hive-rust)  BENCH_ONLY (all: rounds,user,scenarios,lists,ceiling,push,rcache,defer)\n' +
      '  BENCH_USER_SCENARIOS  BENCH_USER_GATEWAYS  BENCH_USER_ROUNDS  BENCH_SCENARIOS  BENCH_LISTS  BENCH_PUSH  BENCH_RCACHE\n' +
      '  BENCH_DEFER  BENCH_CEILING  BENCH_PIN  BENCH_ROAM_PRODUCTION  BENCH_ROAM_ENV  ...\n' +
      'Smoke run (about 1.5 minutes): BENCH_DURATION_S=3 BENCH_WARMUP_S=1 BENCH_ROUNDS=1 BENCH_SCENARIOS=0 npm run bench\n',
  );
  process.exit(help ? 0 : 2);
}
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { mkdirSync, mkdtempSync, readFileSync, writeFileSync } = require('node:fs');
const { cpus, tmpdir } = require('node:os');
const { join } = require('node:path');
const { isDeepStrictEqual } = require('node:util');
const { request } = require('undici');
const { freePort, startProcess, startRedis } = require('@roam/testkit');
const { composeSupergraph, withoutSecurityLinks } = require('@roam/gateway');
const { SUBGRAPHS: REGISTRY, subgraphByName, repoPath, readSchema } = require('@roam/subgraph-registry');
const { cpuMs, rssBytes, rssSampler } = require('./lib/procstat');
const { load } = require('./lib/load');
const { MOBILE_QUERY, LARGE_USERS, seeded } = require('./lib/scenarios');
const { chartSvg } = require('./lib/chart');

const ROOT = join(__dirname, '..');
const SUBGRAPHS = REGISTRY.map((s) => s.name); // the reference subgraphs, from subgraphs/registry/registry.json

// ---------- settings (environment) ----------
const env = process.env;
const badSettings = [];
/** A whole number >= 0 from the environment; anything else (abc, -1, 1.5, a blank) is reported before anything starts. */
const num = (name, dflt) => {
  if (env[name] === undefined || env[name] === '') return dflt;
  if (!/^\d+$/.test(env[name]) && !badSettings.some((b) => b.startsWith(`${name}=`))) badSettings.push(`${name}=${JSON.stringify(env[name])}: expected a whole number, 0 or more`);
  return Number(env[name]);
};
const json = (name, dflt) => (env[name] ? JSON.parse(env[name]) : dflt);
const haveTaskset = spawnSync('taskset', ['-V']).status === 0;
const S = {
  durationS: num('BENCH_DURATION_S', 20),
  warmupS: num('BENCH_WARMUP_S', 5),
  rounds: num('BENCH_ROUNDS', 3),
  port: num('BENCH_PORT', 4000),
  connections: (env.BENCH_CONNECTIONS || '50,1').split(',').map(Number),
  gateways: (env.BENCH_GATEWAYS || 'roam,apollo,hive,hive-rust')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
  pin: env.BENCH_PIN === '0' ? false : env.BENCH_PIN === '1' ? true : haveTaskset && cpus().length >= 2,
  gatewayCpu: env.BENCH_GATEWAY_CPU || '0',
  otherCpus: env.BENCH_OTHER_CPUS || '1',
  scenarios: env.BENCH_SCENARIOS !== '0',
  /**
   * Issue 19 scenario rounds (interleaved, medians): `same` (the benchmark query, identical requests), `per-user`
   * (the benchmark query, a different bearer token on every request), `varied` (the persisted MobileUserScreen
   * query, a random user of the large dataset per request). BENCH_USER_SCENARIOS=0 skips them; a subset:
   * BENCH_USER_SCENARIOS=per-user,varied.
   */
  userScenarios: env.BENCH_USER_SCENARIOS === '0' ? [] : (env.BENCH_USER_SCENARIOS || 'same,per-user,varied').split(',').map((x) => x.trim()),
  /** Gateways of the scenario rounds: Roam with each sharing setting, and the others. */
  userGateways: (env.BENCH_USER_GATEWAYS || 'roam,roam-share-fetches,roam-share-none,apollo,hive,hive-rust')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
  userDurationS: num('BENCH_USER_DURATION_S', 10),
  userWarmupS: num('BENCH_USER_WARMUP_S', 3),
  /** Seed of the varied scenario's random variables (the same sequence for every gateway). */
  seed: num('BENCH_SEED', 19),
  userRounds: num('BENCH_USER_ROUNDS', num('BENCH_ROUNDS', 3)),
  /** Parts to run: rounds, user (the scenario rounds), scenarios, lists, ceiling, push, rcache, defer; default all. BENCH_ONLY=user runs the scenario rounds alone. */
  only: env.BENCH_ONLY ? env.BENCH_ONLY.split(',').map((x) => x.trim()) : undefined,
  /** The offline-sync measurements of bench/lists.js (issue 13) unless BENCH_LISTS=0. */
  lists: env.BENCH_LISTS !== '0',
  /** The push bridge measurements of bench/push.js (issue 17) unless BENCH_PUSH=0. */
  push: env.BENCH_PUSH !== '0',
  /** The response-cache and delta measurements of bench/responseCache.js (issue 14) unless BENCH_RCACHE=0. */
  rcache: env.BENCH_RCACHE !== '0',
  /** The @defer and multipart subscription measurements of bench/defer.js (issue 16) unless BENCH_DEFER=0. */
  defer: env.BENCH_DEFER !== '0',
  ceiling: env.BENCH_CEILING !== '0',
  roamEnv: json('BENCH_ROAM_ENV', {}),
  /** Roam in production settings (issue 6 item 1) unless BENCH_ROAM_PRODUCTION=0; each variable below still overrides. */
  production: env.BENCH_ROAM_PRODUCTION !== '0',
};
// Production settings: safelist mode, the bench operations pushed by `roam-pq push` into a real redis-server,
// default limits on (MAX_COST 1000000; the benchmark query costs 848315), the client sending the hash only.
// roam-unprotected turns both protections off (PERSISTED_QUERIES=off, LIMITS_MODE=off: no cost analysis at all).
const PRODUCTION = {
  protectionEnv: { REDIS_URL: '{redisUrl}', PERSISTED_QUERIES_KEY_PREFIX: '{redisPrefix}', PERSISTED_QUERIES: 'safelist', LIMITS_MODE: 'enforce' },
  offEnv: { PERSISTED_QUERIES: 'off', LIMITS_MODE: 'off' },
  register: 'node persisted-queries/dist/cli/bin.js push "$BENCH_MANIFEST" --redis-url "$REDIS_URL" --prefix "$BENCH_REDIS_PREFIX" --supergraph "$SUPERGRAPH_PATH"',
};
const flag = (name, dflt) => (env[name] === undefined || env[name] === '' ? dflt : env[name] === '1');
Object.assign(S, {
  roamProtectionEnv: json('BENCH_ROAM_PROTECTION_ENV', S.production ? PRODUCTION.protectionEnv : {}),
  roamOffEnv: json('BENCH_ROAM_OFF_ENV', S.production ? PRODUCTION.offEnv : {}),
  redis: flag('BENCH_REDIS', S.production),
  roamRegister: env.BENCH_ROAM_REGISTER ?? (S.production ? PRODUCTION.register : ''),
  hashOnly: flag('BENCH_ROAM_HASH_ONLY', S.production),
});
if (badSettings.length > 0) {
  process.stderr.write(`bench/run.js: nothing was started.\n${badSettings.map((b) => `  ${b}`).join('\n')}\n`);
  process.exit(2);
}
if (S.only) {
  for (const [part, key] of [
    ['scenarios', 'scenarios'],
    ['lists', 'lists'],
    ['ceiling', 'ceiling'],
    ['push', 'push'],
    ['rcache', 'rcache'],
    ['defer', 'defer'],
  ])
    if (!S.only.includes(part)) S[key] = false;
  if (!S.only.includes('user')) S.userScenarios = [];
  if (!S.only.includes('rounds')) S.rounds = 0;
}
const protectionsConfigured = Object.keys(S.roamProtectionEnv).length > 0 || S.hashOnly || S.redis;

// ---------- operations ----------
const BENCH_QUERY = readFileSync(join(ROOT, 'test/fixtures/federation-benchmark/query.graphql'), 'utf8');
const BENCH_EXPECTED = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/federation-benchmark/expected.json'), 'utf8'));
const MOBILE_VARIABLES = { id: '1' };
const MUTATION = `mutation AddReview($input: AddReviewInput!) {
  addReview(input: $input) { body author { id name } product { upc name } }
}`;
const MUTATION_VARIABLES = { input: { authorId: '6', productUpc: '2', body: 'Benchmark review: sturdy, arrived on time.' } };
const sha256 = (s) => createHash('sha256').update(s).digest('hex');

/** Request body for an operation; Roam with BENCH_ROAM_HASH_ONLY=1 sends only the APQ hash. */
function bodyFor(query, variables, hashOnly) {
  const ext = { persistedQuery: { version: 1, sha256Hash: sha256(query) } };
  return JSON.stringify(hashOnly ? { variables, extensions: ext } : { query, variables });
}

// ---------- processes ----------
const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function spawnPinned(args, extraEnv, cpu) {
  const cmd = S.pin ? ['taskset', '-c', cpu, process.execPath, ...args] : [process.execPath, ...args];
  const child = spawn(cmd[0], cmd.slice(1), { cwd: ROOT, env: { ...env, NODE_ENV: 'production', ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out = (out + d).slice(-20000)));
  child.stderr.on('data', (d) => (out = (out + d).slice(-20000)));
  const exited = new Promise((r) => child.once('exit', r));
  return {
    pid: child.pid,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
    exited: () => child.exitCode !== null || child.signalCode !== null,
  };
}

async function post(url, body) {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.body.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, body: parsed, text };
}

/**
 * Waits until the gateway answers. Roam entries are probed on GET /ready (200 once the supergraph is loaded):
 * in safelist mode Roam refuses the free-text probe `{ __typename }` with 403, as it should.
 */
async function waitReady(url, proc, isRoam, timeoutMs = 90_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.exited()) throw new Error(`gateway exited during start:\n${proc.output()}`);
    try {
      if (isRoam) {
        const res = await request(url.replace(/\/graphql$/, '/ready'));
        await res.body.text();
        if (res.statusCode === 200) return;
      } else {
        const r = await post(url, JSON.stringify({ query: '{ __typename }' }));
        if (r.status === 200 && r.body?.data?.__typename === 'Query') return;
      }
    } catch {
      /* not listening yet */
    }
    await sleep(200);
  }
  throw new Error(`gateway not ready at ${url} after ${timeoutMs} ms:\n${proc.output()}`);
}

const HIVE_BIN = join(ROOT, 'node_modules/@graphql-hive/gateway/dist/bin.js');

/** The gateways under test: name -> how to start it on `port` against `supergraph`. */
const GATEWAYS = {
  roam: (port, supergraph, ctx) => roamProcess(port, supergraph, { ...S.roamEnv, ...S.roamProtectionEnv }, ctx),
  'roam-unprotected': (port, supergraph, ctx) => roamProcess(port, supergraph, { ...S.roamEnv, ...S.roamOffEnv }, ctx),
  /**
   * Another build of Roam (a checkout of an earlier commit, built, named by BENCH_BASELINE_DIR) with the same
   * settings as `roam`: before/after comparisons of a change in one interleaved run.
   */
  'roam-baseline': (port, supergraph, ctx) => {
    if (!env.BENCH_BASELINE_DIR) throw new Error('roam-baseline needs BENCH_BASELINE_DIR: a built checkout of the Roam version to compare with');
    return spawnPinned(
      [join(env.BENCH_BASELINE_DIR, 'gateway/dist/bin.js')],
      { PORT: String(port), HOST: '127.0.0.1', SUPERGRAPH_PATH: supergraph, LOG_LEVEL: 'warn', ...substitute({ ...S.roamEnv, ...S.roamProtectionEnv }, ctx) },
      S.gatewayCpu,
    );
  },
  /** Roam with whole-request sharing off, subgraph-fetch sharing on (COALESCE_REQUESTS=false). */
  'roam-share-fetches': (port, supergraph, ctx) => roamProcess(port, supergraph, { ...S.roamEnv, ...S.roamProtectionEnv, COALESCE_REQUESTS: 'false', COALESCE_SUBGRAPH_FETCHES: 'true' }, ctx),
  /** Roam with whole-request sharing on, subgraph-fetch sharing off. */
  'roam-share-requests': (port, supergraph, ctx) => roamProcess(port, supergraph, { ...S.roamEnv, ...S.roamProtectionEnv, COALESCE_REQUESTS: 'true', COALESCE_SUBGRAPH_FETCHES: 'false' }, ctx),
  /** Roam with fetch merging off (MERGE_SUBGRAPH_FETCHES=false): every subgraph fetch its own HTTP request. */
  'roam-no-merge': (port, supergraph, ctx) => roamProcess(port, supergraph, { ...S.roamEnv, ...S.roamProtectionEnv, MERGE_SUBGRAPH_FETCHES: 'false' }, ctx),
  /** Roam with no sharing at all. */
  'roam-share-none': (port, supergraph, ctx) => roamProcess(port, supergraph, { ...S.roamEnv, ...S.roamProtectionEnv, COALESCE_REQUESTS: 'false', COALESCE_SUBGRAPH_FETCHES: 'false' }, ctx),
  /** Roam with Apollo Gateway executing the plans (EXECUTOR=apollo), to price Roam's own executor. */
  'roam-apollo-executor': (port, supergraph, ctx) => roamProcess(port, supergraph, { ...S.roamEnv, EXECUTOR: 'apollo' }, ctx),
  // the other gateways get the supergraph without @authenticated/@requiresScopes (Apollo Gateway refuses them)
  apollo: (port, supergraph, ctx) => spawnPinned([join(__dirname, 'gateways/apollo.js')], { PORT: String(port), SUPERGRAPH_PATH: ctx.competitorSupergraph ?? supergraph }, S.gatewayCpu),
  hive: (port, supergraph, ctx) => spawnPinned([HIVE_BIN, 'supergraph', ctx.competitorSupergraph ?? supergraph, '--fork', '1', '--port', String(port), '--host', '127.0.0.1'], {}, S.gatewayCpu),
  'hive-rust': (port, supergraph, ctx) =>
    spawnPinned(
      [HIVE_BIN, 'supergraph', ctx.competitorSupergraph ?? supergraph, '--fork', '1', '--port', String(port), '--host', '127.0.0.1', '-c', join(__dirname, 'gateways/hive-rust.config.mjs')],
      {},
      S.gatewayCpu,
    ),
};

function roamProcess(port, supergraph, extra, ctx) {
  return spawnPinned([join(ROOT, 'gateway/dist/bin.js')], { PORT: String(port), HOST: '127.0.0.1', SUPERGRAPH_PATH: supergraph, LOG_LEVEL: 'warn', ...substitute(extra, ctx) }, S.gatewayCpu);
}

function substitute(obj, ctx) {
  const out = {};
  for (const [k, v] of Object.entries(obj))
    out[k] = String(v)
      .replaceAll('{redisUrl}', ctx.redisUrl ?? '')
      .replaceAll('{redisPrefix}', ctx.redisPrefix ?? '');
  return out;
}

const usesHash = (name) => (name === 'roam' || name === 'roam-baseline' || name === 'roam-no-merge' || name.startsWith('roam-share-')) && S.hashOnly;

// ---------- measurement ----------
/** Checks one answer: the benchmark query against expected.json, other operations against a reference answer. */
function checkAnswer(r, expected) {
  if (r.status !== 200) return `HTTP ${r.status}: ${r.text.slice(0, 200)}`;
  if (!r.body) return `not JSON: ${r.text.slice(0, 200)}`;
  if (r.body.errors) return `errors: ${JSON.stringify(r.body.errors).slice(0, 300)}`;
  if (!isDeepStrictEqual(r.body, expected)) return `wrong answer: ${r.text.slice(0, 200)}`;
  if (JSON.stringify(r.body) !== JSON.stringify(expected)) return 'right values, wrong field order';
  return undefined;
}

/** Runs warm-up + measured load at `connections`, with correctness before and after and gateway CPU. */
async function measure(proc, url, body, expected, connections, opts = {}) {
  const durationS = opts.durationS ?? S.durationS;
  const warmupS = opts.warmupS ?? S.warmupS;
  const before = checkAnswer(await post(url, body), expected);
  if (before) return { invalid: `before the run: ${before}` };
  if (warmupS > 0) await load({ url, body, connections, durationS: warmupS, setupRequest: opts.setupRequest?.() });
  const cpu0 = cpuMs(proc.pid);
  const r = await load({ url, body, connections, durationS, setupRequest: opts.setupRequest?.() });
  const cpu1 = cpuMs(proc.pid);
  const after = checkAnswer(await post(url, body), expected);
  if (after) return { invalid: `after the run: ${after}` };
  const bad = r.non2xx + r.errors + r.mismatches;
  if (r.requests === 0) return { invalid: 'no request completed during the run (duration too short for this load?)' };
  return {
    rps: round(r.rps, 1),
    p50: r.p50,
    p99: r.p99,
    errors: bad,
    requests: r.requests,
    cpuMsPerRequest: r.requests > 0 ? round((cpu1 - cpu0) / r.requests, 3) : null,
    ...(bad > 0 ? { invalid: `${bad} non-200 or error responses during the run` } : {}),
  };
}

const round = (x, d) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

async function withGateway(name, ctx, fn) {
  const port = S.port === 0 ? await freePort() : S.port;
  const url = `http://127.0.0.1:${port}/graphql`;
  const proc = GATEWAYS[name](port, ctx.supergraph, ctx);
  // (ctx.supergraph: the default-dataset subgraphs; the scenario rounds pass a ctx with both supergraphs)
  try {
    await waitReady(url, proc, name.startsWith('roam'));
    const sampler = rssSampler(proc.pid);
    const result = await fn(proc, url);
    const rssEnd = rssBytes(proc.pid);
    const rssPeak = sampler.stop();
    return { ...result, rssEndMB: round(rssEnd / 2 ** 20, 1), rssPeakMB: round(rssPeak / 2 ** 20, 1) };
  } catch (error) {
    return { invalid: `failed: ${error.message.slice(0, 500)}` };
  } finally {
    await proc.stop();
    await sleep(300);
  }
}

// ---------- issue 19 scenario rounds ----------
let userCounter = 0;
/** autocannon setupRequest: every request carries a bearer token no other request has (a different signed-in user). */
const perUserSetup = () => (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer bench-user-${++userCounter}` } });
/** autocannon setupRequest: the persisted screen query with a random user of the large dataset. */
const variedSetup = (name) => () => {
  const rand = seeded(S.seed);
  return (req) => ({ ...req, body: bodyFor(MOBILE_QUERY, { id: String(1 + Math.floor(rand() * LARGE_USERS)) }, usesHash(name)) });
};

/** Starts the reference subgraphs on the `large` dataset and composes their supergraph in `dir`, and its copy without the security links for the other gateways. */
async function startLargeSubgraphs(dir) {
  const ports = await Promise.all(SUBGRAPHS.map(() => freePort()));
  const procs = await Promise.all(
    SUBGRAPHS.map((name, i) =>
      startProcess(repoPath(subgraphByName(name).main), { PORT: String(ports[i]), NODE_ENV: 'production', LOG_LEVEL: 'warn', DATASET: 'large' }, `http://127.0.0.1:${ports[i]}/health`),
    ),
  );
  const supergraph = join(dir, 'supergraph-large.graphql');
  writeFileSync(supergraph, composeSupergraph(SUBGRAPHS.map((name, i) => ({ name, url: `http://127.0.0.1:${ports[i]}/graphql`, sdl: readSchema(subgraphByName(name)) }))));
  // the other gateways get this supergraph too (without the security links), not the default dataset's
  const competitorSupergraph = join(dir, 'supergraph-large.competitors.graphql');
  writeFileSync(competitorSupergraph, withoutSecurityLinks(readFileSync(supergraph, 'utf8')));
  return { supergraph, competitorSupergraph, stop: () => Promise.all(procs.map((p) => p.stop())) };
}

/**
 * Interleaved rounds of the issue 19 scenarios over S.userGateways, at the first connection count.
 * @returns `{ rounds: [{ round, gateways: { name: { same, 'per-user', varied, rssEndMB } } }], reference }`.
 */
async function runUserRounds(ctx, dir) {
  const c = S.connections[0];
  const opts = { durationS: S.userDurationS, warmupS: S.userWarmupS };
  const wantDefault = S.userScenarios.some((x) => x === 'same' || x === 'per-user');
  const large = S.userScenarios.includes('varied') ? await startLargeSubgraphs(dir) : undefined;
  const out = { rounds: [], variedReference: undefined };
  let reference;
  try {
    for (let r = 1; r <= S.userRounds; r++) {
      const round = { round: r, gateways: {} };
      for (const name of S.userGateways) {
        log(`scenario round ${r}: ${name}`);
        const g = {};
        if (wantDefault) {
          const res = await withGateway(name, ctx, async (proc, url) => {
            const body = bodyFor(BENCH_QUERY, undefined, usesHash(name));
            const o = {};
            if (S.userScenarios.includes('same')) o.same = await measure(proc, url, body, BENCH_EXPECTED, c, opts);
            if (S.userScenarios.includes('per-user')) o['per-user'] = await measure(proc, url, body, BENCH_EXPECTED, c, { ...opts, setupRequest: perUserSetup });
            return o;
          });
          for (const k of ['same', 'per-user']) if (S.userScenarios.includes(k)) g[k] = res[k] ?? { invalid: res.invalid ?? 'no result' };
          g.rssEndMB = res.rssEndMB;
        }
        if (large) {
          const res = await withGateway(name, { ...ctx, supergraph: large.supergraph, competitorSupergraph: large.competitorSupergraph }, async (proc, url) => {
            const body = bodyFor(MOBILE_QUERY, { id: '1' }, usesHash(name));
            if (!reference) {
              const first = await post(url, body);
              if (first.status !== 200 || !first.body || first.body.errors) return { varied: { invalid: `no reference answer: ${first.text.slice(0, 200)}` } };
              reference = first.body;
              out.variedReference = name;
            }
            return { varied: await measure(proc, url, body, reference, c, { ...opts, setupRequest: variedSetup(name) }) };
          });
          g.varied = res.varied ?? { invalid: res.invalid ?? 'no result' };
          g.rssEndLargeMB = res.rssEndMB;
        }
        round.gateways[name] = g;
        log(`  ${JSON.stringify(g)}`);
      }
      out.rounds.push(round);
    }
  } finally {
    await large?.stop();
  }
  return out;
}

/** Medians per gateway and scenario, and each gateway's req/s ratio to hive-rust (per round, then the median). */
function summarizeUserRounds(user) {
  const medians = {};
  const ratios = {};
  for (const name of S.userGateways) {
    medians[name] = {};
    ratios[name] = {};
    for (const sc of S.userScenarios) {
      const runs = user.rounds.map((r) => r.gateways[name]?.[sc]).filter((x) => x && !x.invalid);
      medians[name][sc] = runs.length
        ? {
            rps: median(runs.map((x) => x.rps)),
            p50: median(runs.map((x) => x.p50)),
            p99: median(runs.map((x) => x.p99)),
            cpuMsPerRequest: median(runs.map((x) => x.cpuMsPerRequest)),
            validRounds: runs.length,
          }
        : { rps: null, invalid: user.rounds.map((r) => r.gateways[name]?.[sc]?.invalid).filter(Boolean) };
      const perRound = user.rounds.map((r) => {
        const a = r.gateways[name]?.[sc];
        const b = r.gateways['hive-rust']?.[sc];
        return a && b && !a.invalid && !b.invalid && b.rps > 0 ? round(a.rps / b.rps, 3) : null;
      });
      ratios[name][sc] = { perRound, median: median(perRound) };
    }
    medians[name].rssEndMB = median(user.rounds.map((r) => r.gateways[name]?.rssEndMB));
  }
  user.medians = medians;
  user.ratiosToHiveRust = ratios;
}

function printUserRounds(user) {
  const pad = (x, n) => String(x ?? '-').padStart(n);
  const lines = [
    `\nScenario rounds (issue 19): ${S.connections[0]} connections, medians of ${S.userRounds} interleaved round(s), ${S.userDurationS}s per run after ${S.userWarmupS}s warm-up.`,
    '  same: the benchmark query, identical requests; per-user: the benchmark query, a different bearer token per request;',
    `  varied: persisted MobileUserScreen, a random user of the large dataset per request (seed ${S.seed}; reference answer from ${user.variedReference ?? '-'}).`,
    '  roam: COALESCE_REQUESTS and COALESCE_SUBGRAPH_FETCHES on; roam-share-fetches: only subgraph fetches shared; roam-share-requests: only whole requests; roam-share-none: nothing shared.',
    ['gateway'.padEnd(20), ...S.userScenarios.flatMap((sc) => [pad(`${sc} req/s`, 18), pad('CPU ms/req', 12), pad('p99 ms', 9), pad('/hive-rust', 11)]), pad('RSS end MB', 12)].join(''),
  ];
  for (const name of S.userGateways) {
    const cells = S.userScenarios.flatMap((sc) => {
      const m = user.medians[name][sc];
      const ratio = user.ratiosToHiveRust[name][sc];
      if (m.rps == null) return [pad('no figure', 18), pad('', 12), pad('', 9), pad('', 11)];
      return [pad(m.rps, 18), pad(m.cpuMsPerRequest, 12), pad(m.p99, 9), pad(ratio.median == null ? '' : `${ratio.median}x`, 11)];
    });
    lines.push([name.padEnd(20), ...cells, pad(user.medians[name].rssEndMB, 12)].join(''));
  }
  for (const name of S.userGateways)
    for (const sc of S.userScenarios) {
      const inv = user.medians[name][sc].invalid;
      if (inv?.length) lines.push(`  ${name} ${sc}: ${inv.join('; ').slice(0, 200)}`);
      const pr = user.ratiosToHiveRust[name][sc].perRound;
      if (name.startsWith('roam') && pr.some((x) => x != null)) lines.push(`  ${name} ${sc} / hive-rust per round: ${pr.join(', ')}`);
    }
  console.log(lines.join('\n'));
}

// ---------- main ----------
async function main() {
  if (S.pin) execFileSync('taskset', ['-pc', S.otherCpus, String(process.pid)], { stdio: 'ignore' });
  const started = new Date();
  log(`settings: ${JSON.stringify({ ...S, roamEnv: S.roamEnv, protectionsConfigured })}`);
  for (const g of [...S.gateways, ...(S.userScenarios.length ? S.userGateways : [])]) if (!GATEWAYS[g]) throw new Error(`unknown gateway ${g}; known: ${Object.keys(GATEWAYS).join(', ')}`);

  // Subgraphs: started once (they inherit this process's CPU affinity).
  const ports = await Promise.all(SUBGRAPHS.map(() => freePort()));
  const subgraphs = await Promise.all(
    SUBGRAPHS.map((name, i) => startProcess(repoPath(subgraphByName(name).main), { PORT: String(ports[i]), NODE_ENV: 'production', LOG_LEVEL: 'warn' }, `http://127.0.0.1:${ports[i]}/health`)),
  );
  const dir = mkdtempSync(join(tmpdir(), 'roam-bench-'));
  const supergraph = join(dir, 'supergraph.graphql');
  writeFileSync(supergraph, composeSupergraph(SUBGRAPHS.map((name, i) => ({ name, url: `http://127.0.0.1:${ports[i]}/graphql`, sdl: readSchema(subgraphByName(name)) }))));
  const competitorSupergraph = join(dir, 'supergraph.competitors.graphql');
  writeFileSync(competitorSupergraph, withoutSecurityLinks(readFileSync(supergraph, 'utf8')));
  const ctx = { supergraph, competitorSupergraph };

  // Production settings for Roam: a real redis-server and a registration hook (see README).
  let redis;
  if (S.redis) {
    redis = await startRedis();
    ctx.redisUrl = redis.url;
    ctx.redisPrefix = redis.prefix;
  } else {
    ctx.redisUrl = env.REDIS_URL;
    ctx.redisPrefix = env.PERSISTED_QUERIES_KEY_PREFIX;
  }
  const manifest = join(dir, 'operations.json');
  writeFileSync(
    manifest,
    JSON.stringify({
      format: 'apollo-persisted-query-manifest',
      version: 1,
      operations: [
        { id: sha256(BENCH_QUERY), name: 'TestQuery', type: 'query', body: BENCH_QUERY },
        { id: sha256(MOBILE_QUERY), name: 'MobileUserScreen', type: 'query', body: MOBILE_QUERY },
        { id: sha256(MUTATION), name: 'AddReview', type: 'mutation', body: MUTATION },
      ],
    }),
  );
  if (S.roamRegister) {
    log(`registering operations: ${S.roamRegister}`);
    const r = spawnSync('sh', ['-c', S.roamRegister], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...env, REDIS_URL: ctx.redisUrl ?? env.REDIS_URL ?? '', BENCH_REDIS_PREFIX: ctx.redisPrefix ?? '', BENCH_MANIFEST: manifest, SUPERGRAPH_PATH: supergraph },
    });
    if (r.status !== 0) throw new Error('BENCH_ROAM_REGISTER failed');
  }

  const results = { startedAt: started.toISOString(), settings: { ...S, protectionsConfigured }, node: process.version, cpus: cpus().map((c) => c.model), rounds: [], scenarios: {}, ceiling: {} };
  try {
    // Ceiling of the machine.
    if (S.ceiling) {
      for (const mode of ['static', 'parse']) {
        const port = await freePort();
        const proc = spawnPinned([join(__dirname, 'gateways/ceiling.js')], { PORT: String(port), MODE: mode, BODY_PATH: join(ROOT, 'test/fixtures/federation-benchmark/expected.json') }, S.gatewayCpu);
        const url = `http://127.0.0.1:${port}/graphql`;
        await sleep(500);
        results.ceiling[mode] = await measure(proc, url, JSON.stringify({ query: BENCH_QUERY }), BENCH_EXPECTED, 50);
        // one connection: what one request/response round trip costs a process on an otherwise idle core
        results.ceiling[`${mode}, 1 connection`] = await measure(proc, url, JSON.stringify({ query: BENCH_QUERY }), BENCH_EXPECTED, 1);
        await proc.stop();
        log(
          `ceiling ${mode}: ${results.ceiling[mode].rps} req/s, ${results.ceiling[mode].cpuMsPerRequest} ms CPU/req; 1 connection ${results.ceiling[`${mode}, 1 connection`].cpuMsPerRequest} ms CPU/req`,
        );
      }
    }

    // Interleaved rounds on the benchmark query.
    for (let round_ = 1; round_ <= S.rounds; round_++) {
      const round = { round: round_, gateways: {} };
      for (const name of entries(S)) {
        log(`round ${round_}: ${name}`);
        round.gateways[name] = await withGateway(name, ctx, async (proc, url) => {
          const out = {};
          const body = bodyFor(BENCH_QUERY, undefined, usesHash(name));
          for (const c of S.connections) out[`c${c}`] = await measure(proc, url, body, BENCH_EXPECTED, c);
          return out;
        });
        log(`  ${JSON.stringify(round.gateways[name])}`);
      }
      results.rounds.push(round);
    }

    if (S.userScenarios.length > 0) {
      results.user = await runUserRounds(ctx, dir);
      summarizeUserRounds(results.user);
    }

    // Scenarios: a small mobile screen query and a mutation (reference answer: the first gateway that answers without errors).
    if (S.scenarios) {
      const ops = [
        { key: 'mobile', query: MOBILE_QUERY, variables: MOBILE_VARIABLES },
        { key: 'mutation', query: MUTATION, variables: MUTATION_VARIABLES },
      ];
      const reference = {};
      for (const name of S.gateways) {
        log(`scenarios: ${name}`);
        results.scenarios[name] = await withGateway(name, ctx, async (proc, url) => {
          const out = {};
          for (const op of ops) {
            const body = bodyFor(op.query, op.variables, usesHash(name));
            if (!reference[op.key]) {
              const r = await post(url, body);
              if (r.status === 200 && r.body && !r.body.errors) reference[op.key] = { from: name, body: r.body };
              else {
                out[op.key] = { invalid: `no reference answer: ${r.text.slice(0, 200)}` };
                continue;
              }
            }
            out[op.key] = await measure(proc, url, body, reference[op.key].body, S.connections[0]);
          }
          return out;
        });
        log(`  ${JSON.stringify(results.scenarios[name])}`);
      }
      results.scenarioReference = Object.fromEntries(Object.entries(reference).map(([k, v]) => [k, v.from]));
    }
  } finally {
    await Promise.all(subgraphs.map((p) => p.stop()));
    await redis?.stop();
  }

  if (S.lists) {
    log('lists: offline sync (bench/lists.js: pull of 10,000 changes, delta vs whole, push of 1,000, 5 replicas converging)');
    results.lists = runListsBench();
    log(`  ${JSON.stringify(results.lists)}`);
  }
  if (S.push) {
    log('push: push bridge (bench/push.js: BENCH_PUSH_DEVICES backgrounded devices, notifications/s to a fake APNs, event to push p50/p99)');
    results.push = runPushBench();
    log(`  ${JSON.stringify(results.push)}`);
  }
  if (S.rcache) {
    log('response cache: bench/responseCache.js (benchmark query cold vs hot, delta bytes after a one-field change)');
    results.responseCache = runScriptBench('responseCache.js');
    log(`  ${JSON.stringify(results.responseCache)}`);
  }

  if (S.defer) {
    log('defer: time to first part with a 500 ms subgraph, multipart vs graphql-ws fan-out at 1,000 subscribers (bench/defer.js)');
    results.defer = runDeferBench();
    log(`  ${JSON.stringify(results.defer)}`);
  }

  summarize(results, entries(S));
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const outDir = join(__dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `${stamp}.json`), JSON.stringify(results, null, 2));
  const chartRows = Object.entries(results.medians).map(([label, m]) => ({ label, rps50: m.c50?.rps ?? null, cpu1: m.c1?.cpuMsPerRequest ?? null }));
  writeFileSync(join(outDir, `${stamp}.svg`), chartSvg(chartRows, `${stamp} · ${S.rounds} rounds × ${S.durationS}s · pin ${S.pin ? `gateway cpu ${S.gatewayCpu}` : 'off'} · Node ${process.version}`));
  if (results.rounds.length > 0 || Object.keys(results.scenarios).length > 0) printTable(results);
  if (results.user) printUserRounds(results.user);
  console.log(`\nwrote bench/results/${stamp}.json and bench/results/${stamp}.svg`);
}

/**
 * Runs bench/defer.js in its own process (its own subgraphs and gateway on free ports).
 * @returns its JSON figures, or `{ invalid }` with the reason when it fails.
 */
function runDeferBench() {
  const r = spawnSync(process.execPath, [join(__dirname, 'defer.js')], {
    cwd: ROOT,
    env: { ...env, BENCH_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    timeout: 15 * 60_000,
  });
  if (r.status !== 0) return { invalid: `bench/defer.js ${r.error ? r.error.message : `exited with ${r.status ?? r.signal}`}` };
  try {
    return JSON.parse(r.stdout);
  } catch {
    return { invalid: `bench/defer.js printed no JSON: ${r.stdout.slice(0, 200)}` };
  }
}

/**
 * Runs bench/lists.js in its own process (its own lists subgraph on a free port; LISTS_DATABASE_URL passes through).
 * @returns its JSON figures, or `{ invalid }` with the reason when it fails.
 */
function runListsBench() {
  const r = spawnSync(process.execPath, [join(__dirname, 'lists.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60_000 });
  if (r.status !== 0) return { invalid: `bench/lists.js ${r.error ? r.error.message : `exited with ${r.status ?? r.signal}`}` };
  try {
    return JSON.parse(r.stdout);
  } catch {
    return { invalid: `bench/lists.js printed no JSON: ${r.stdout.slice(0, 200)}` };
  }
}

/**
 * Runs bench/push.js in its own process (its own subgraphs, gateway, redis-server and fake APNs on free ports).
 * @returns its JSON figures, or `{ invalid }` with the reason when it fails.
 */
function runPushBench() {
  const r = spawnSync(process.execPath, [join(__dirname, 'push.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000 });
  if (r.status !== 0) return { invalid: `bench/push.js ${r.error ? r.error.message : `exited with ${r.status ?? r.signal}`}` };
  try {
    return JSON.parse(r.stdout);
  } catch {
    return { invalid: `bench/push.js printed no JSON: ${r.stdout.slice(0, 200)}` };
  }
}

/** Runs a bench script that prints one JSON line on stdout, in its own process. @returns its result, or `{ invalid }`. */
function runScriptBench(script) {
  const r = spawnSync(process.execPath, [join(__dirname, script)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60_000 });
  if (r.status !== 0) return { invalid: `bench/${script} ${r.error ? r.error.message : `exited with ${r.status ?? r.signal}`}` };
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    return { invalid: `bench/${script} printed no JSON: ${r.stdout.slice(0, 200)}` };
  }
}

function entries(s) {
  const e = [...s.gateways];
  if (protectionsConfigured && s.gateways.includes('roam')) e.splice(1, 0, 'roam-unprotected');
  return e;
}

/** Medians per gateway and connection count over the valid rounds, and the Roam/each ratios. */
function summarize(results, names) {
  results.medians = {};
  for (const name of names) {
    const m = {};
    for (const c of S.connections) {
      const runs = results.rounds.map((r) => r.gateways[name]?.[`c${c}`]).filter((x) => x && !x.invalid);
      const invalid = results.rounds.map((r) => r.gateways[name]?.[`c${c}`]?.invalid ?? r.gateways[name]?.invalid).filter(Boolean);
      m[`c${c}`] = runs.length
        ? {
            rps: median(runs.map((x) => x.rps)),
            p50: median(runs.map((x) => x.p50)),
            p99: median(runs.map((x) => x.p99)),
            cpuMsPerRequest: median(runs.map((x) => x.cpuMsPerRequest)),
            errors: runs.reduce((n, x) => n + x.errors, 0),
            validRounds: runs.length,
          }
        : { rps: null, invalid };
    }
    m.rssEndMB = median(results.rounds.map((r) => r.gateways[name]?.rssEndMB));
    m.rssPeakMB = median(results.rounds.map((r) => r.gateways[name]?.rssPeakMB));
    results.medians[name] = m;
  }
  results.ratios = {};
  if (!names.includes('roam')) return;
  for (const name of names.filter((n) => n !== 'roam')) {
    const r = {};
    for (const c of S.connections) {
      const k = `c${c}`;
      const perRound = results.rounds.map((rd) => {
        const a = rd.gateways.roam?.[k];
        const b = rd.gateways[name]?.[k];
        return a && b && !a.invalid && !b.invalid && b.rps > 0 ? round(a.rps / b.rps, 3) : null;
      });
      const cpuPerRound = results.rounds.map((rd) => {
        const a = rd.gateways.roam?.[k];
        const b = rd.gateways[name]?.[k];
        return a && b && !a.invalid && !b.invalid && b.cpuMsPerRequest > 0 ? round(a.cpuMsPerRequest / b.cpuMsPerRequest, 3) : null;
      });
      r[k] = { rpsRatioPerRound: perRound, rpsRatioMedian: median(perRound), cpuRatioPerRound: cpuPerRound, cpuRatioMedian: median(cpuPerRound) };
    }
    results.ratios[name] = r;
  }
}

function printTable(results) {
  const pad = (s, n) => String(s ?? '-').padStart(n);
  const lines = [];
  lines.push(
    `\nBenchmark query, medians of ${S.rounds} interleaved round(s), ${S.durationS}s per run after ${S.warmupS}s warm-up; gateway pinned: ${S.pin ? `CPU ${S.gatewayCpu} (others ${S.otherCpus})` : 'no'}`,
  );
  lines.push(
    protectionsConfigured
      ? `roam: ${S.hashOnly ? 'hash-only requests' : 'full query text'}, env ${JSON.stringify(S.roamProtectionEnv)}${S.redis ? ', real redis-server' : ''}${S.roamRegister ? ', operations pushed before the rounds' : ''}; roam-unprotected: full query text, env ${JSON.stringify(S.roamOffEnv)}`
      : 'roam: gateway defaults, full query text (BENCH_ROAM_PRODUCTION=0)',
  );
  const head = ['gateway', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'CPU ms/req', 'RSS end MB', 'RSS peak MB', 'Roam/this req/s'];
  lines.push(head.map((h, i) => (i === 0 ? h.padEnd(18) : pad(h, 16))).join(''));
  for (const [name, m] of Object.entries(results.medians)) {
    for (const c of S.connections) {
      const x = m[`c${c}`];
      const ratio = results.ratios[name]?.[`c${c}`]?.rpsRatioMedian;
      if (x.rps == null) {
        lines.push(`${name.padEnd(18)}${pad(c, 16)}  no figure: ${(x.invalid ?? []).join('; ').slice(0, 160)}`);
        continue;
      }
      lines.push(
        [
          name.padEnd(18),
          pad(c, 16),
          pad(x.rps, 16),
          pad(x.p50, 16),
          pad(x.p99, 16),
          pad(x.errors, 16),
          pad(x.cpuMsPerRequest, 16),
          pad(m.rssEndMB, 16),
          pad(m.rssPeakMB, 16),
          pad(ratio == null ? '' : `${ratio}x`, 16),
        ].join(''),
      );
    }
  }
  if (Object.keys(results.ceiling).length) {
    lines.push('\nMachine ceiling (bare node:http, same 64 KB JSON, 50 connections unless named):');
    for (const [mode, x] of Object.entries(results.ceiling)) lines.push(`  ${mode.padEnd(22)} ${x.invalid ? x.invalid : `${x.rps} req/s, p99 ${x.p99} ms, ${x.cpuMsPerRequest} ms CPU/req`}`);
  }
  if (Object.keys(results.scenarios).length) {
    lines.push(`\nScenarios (${S.connections[0]} connections, one run each; reference answers from: ${JSON.stringify(results.scenarioReference ?? {})}):`);
    for (const [name, s] of Object.entries(results.scenarios)) {
      const f = (x) => (!x ? '-' : x.invalid ? `no figure (${x.invalid.slice(0, 80)})` : `${x.rps} req/s p99 ${x.p99} ms ${x.cpuMsPerRequest} ms CPU/req`);
      lines.push(`  ${name.padEnd(18)} mobile: ${f(s.mobile)} | mutation: ${f(s.mutation)}${s.invalid ? ` ${s.invalid.slice(0, 120)}` : ''}`);
    }
  }
  if (results.lists) {
    const l = results.lists;
    lines.push(`\nOffline sync (lists subgraph on ${l.database ?? '?'}, bench/lists.js; BENCH_LISTS=0 skips):`);
    if (l.invalid) lines.push(`  no figures: ${l.invalid}`);
    else {
      lines.push(
        `  pull of ${l.seed.changes} changes: ${l.pull10k.pages} pages, ${l.pull10k.msPerPage} ms/page, ${l.pull10k.totalMs} ms, ${l.pull10k.bytes} bytes; refetching the lists whole: ${l.refetchWhole.bytes} bytes`,
      );
      lines.push(
        `  delta pull after a 1% change (${l.deltaAfter1Percent.changes} changes): ${l.deltaAfter1Percent.bytes} bytes in ${l.deltaAfter1Percent.requests} request(s) = ${round(l.deltaAfter1Percent.ratioToWhole * 100, 2)}% of the whole (target ≤ 10%)`,
      );
      lines.push(`  push of 1,000 queued changes: ${l.push1000.pushRequests} round trips, ${l.push1000.pushMs} ms (sync with the pull after: ${l.push1000.syncMsWithPull} ms)`);
      lines.push(`  5 replicas after a partition heals (${l.converge5.offlineEditsPerDevice} offline edits each): converged in ${l.converge5.ms} ms${l.converge5.converged ? '' : ' — NOT CONVERGED'}`);
    }
  }
  if (results.push) {
    const p = results.push;
    lines.push(`\nPush bridge (bench/push.js, ${p.settings?.devices ?? '?'} devices; BENCH_PUSH=0 skips):`);
    if (p.invalid) lines.push(`  no figures: ${p.invalid}`);
    else {
      const f = (x) =>
        `${x.receivedPushes}/${x.expectedPushes} pushes, ${x.duplicates} duplicates, ${x.notificationsPerSecond} notifications/s, event to push p50 ${x.eventToPushMs.p50} ms p99 ${x.eventToPushMs.p99} ms`;
      lines.push(`  burst: ${f(p.burst)}`);
      lines.push(`  paced: ${f(p.paced)}`);
    }
  }
  if (results.responseCache) {
    const c = results.responseCache;
    lines.push(`\nResponse cache (bench/responseCache.js, benchmark query, ${c.settings?.connections ?? '?'} connections; BENCH_RCACHE=0 skips):`);
    if (c.invalid) lines.push(`  no figures: ${c.invalid}`);
    else {
      for (const [name, x] of Object.entries(c.load))
        lines.push(
          `  ${name.padEnd(14)} ${x.invalid ? `no figure (${x.invalid})` : `${x.rps} req/s, p99 ${x.p99} ms, ${x.cpuMsPerRequest} ms CPU/req (gateway), cache states after: ${JSON.stringify(x.cacheStates)}`}`,
        );
      for (const [name, d] of Object.entries(c.delta))
        lines.push(`  delta after one setInStock, ${name}: ${d.deltaBytes} bytes (${d.patchOperations} patch operations) vs ${d.fullBytes} bytes full = ${round(d.ratio * 100, 1)}% (target ≤ 10%)`);
    }
  }
  if (results.medians['roam-unprotected'] && results.medians.roam) {
    const k = `c${S.connections[0]}`;
    const a = results.medians.roam[k]?.rps;
    const b = results.medians['roam-unprotected'][k]?.rps;
    if (a && b)
      lines.push(
        `\nCost of protections (roam vs roam-unprotected: safelist lookup in Redis, hash-only requests${S.roamOffEnv.LIMITS_MODE === 'off' ? ', and the limits: roam-unprotected runs with LIMITS_MODE=off' : '; the limits run in both, since BENCH_ROAM_OFF_ENV does not set LIMITS_MODE=off'}) at ${S.connections[0]} connections: ${round((1 - a / b) * 100, 1)}% of req/s (target: under 5%; negative = roam was faster, i.e. noise)`,
      );
  } else if (S.gateways.includes('roam')) {
    lines.push('\nProtections off (BENCH_ROAM_PRODUCTION=0 and no BENCH_ROAM_PROTECTION_ENV / BENCH_ROAM_HASH_ONLY / BENCH_REDIS), so "roam" is already the unprotected configuration.');
  }
  console.log(lines.join('\n'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
