#!/usr/bin/env node
// `npm run bench:memory`: where Roam's gateway memory goes after a fixed load, and before/after comparisons.
// Starts the four subgraphs once, then for each round and each gateway directory (MEMORY_GATEWAY_DIRS,
// comma-separated checkouts with a built gateway/dist; default this one), interleaved: starts
// `gateway/dist/bin.js` (NODE_ENV=production, default settings plus MEMORY_ROAM_ENV JSON) on a free port,
// reads its memory at start, sends the benchmark query for MEMORY_DURATION_S (default 10) seconds from
// MEMORY_CONNECTIONS (50) connections, every request with its own bearer token when MEMORY_PER_USER=1
// (default 1: nothing is shared, the worst case for retained per-request objects), then reads RSS (/proc,
// like `npm run bench`) split into anonymous and file-backed pages (smaps_rollup), heap used/total and its
// spaces, external and array buffers, the module count, the gateway's CPU ms per request, and the heap used and
// RSS again after a full GC.
// MEMORY_GATEWAY_CPU: pin the gateway to these CPUs with `taskset` (as `npm run bench` does; run this script itself
// under `taskset -c 1` to keep the load and the subgraphs off them). MEMORY_ALLOC_PROFILE=1: also print the top allocating functions during the load (V8 sampling heap profiler,
// collected objects included). MEMORY_NODE_ARGS: extra node/V8 flags (space-separated); several variants separated by `|` are
// each run as their own entry, e.g. 'x|--max-semi-space-size=32' ('x' or empty: none); a `NAME=value` word in a variant is an
// environment variable of that entry's gateway ('x|MALLOC_ARENA_MAX=2', 'x|HEAP_GROWTH_PERCENT=0'). Medians over MEMORY_ROUNDS (default 3). Measurements on a shared machine are noisy.
'use strict';
const { spawn } = require('node:child_process');
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { freePort, startProcess } = require('@roam/testkit');
const { composeSupergraph } = require('@roam/gateway');
const { SUBGRAPHS: REGISTRY, subgraphByName, repoPath, readSchema } = require('@roam/subgraph-registry');
const { load } = require('./lib/load');
const { cpuMs, rssBytes } = require('./lib/procstat');
const { firstAnswer } = require('./lib/firstAnswer');

const ROOT = join(__dirname, '..');
const SUBGRAPHS = REGISTRY.map((s) => s.name);
const QUERY = readFileSync(join(ROOT, 'test/fixtures/federation-benchmark/query.graphql'), 'utf8');
const DIRS = (process.env.MEMORY_GATEWAY_DIRS || ROOT).split(',').map((d) => resolve(d));
const rounds = Number(process.env.MEMORY_ROUNDS || 3);
const durationS = Number(process.env.MEMORY_DURATION_S || 10);
const connections = Number(process.env.MEMORY_CONNECTIONS || 50);
const perUser = (process.env.MEMORY_PER_USER ?? '1') === '1';
const VARIANTS = (process.env.MEMORY_NODE_ARGS || '').split('|').map((v) => v.trim());
const allocProfile = process.env.MEMORY_ALLOC_PROFILE === '1';
const extraEnv = process.env.MEMORY_ROAM_ENV ? JSON.parse(process.env.MEMORY_ROAM_ENV) : {};
const MB = 2 ** 20;
const mb = (n) => Math.round((n / MB) * 10) / 10;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function ask(child, message) {
  return new Promise((res) => {
    child.once('message', res);
    child.send(message);
  });
}

/** RSS of the process split into anonymous memory (heap, malloc, stacks) and file-backed pages (the node binary, libraries), in MB, from /proc/<pid>/smaps_rollup. */
function smaps(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { anonMB: mb(kb('Anonymous') * 1024), fileMB: mb((kb('Rss') - kb('Anonymous')) * 1024) };
  } catch {
    return {};
  }
}

async function snapshot(child) {
  const rss = rssBytes(child.pid);
  const split = smaps(child.pid);
  const r = await ask(child, 'memory');
  const g = await ask(child, 'memory-gc');
  return {
    rssMB: mb(rss),
    ...split,
    heapUsedMB: mb(r.memory.heapUsed),
    heapTotalMB: mb(r.memory.heapTotal),
    externalMB: mb(r.memory.external),
    arrayBuffersMB: mb(r.memory.arrayBuffers),
    newSpaceMB: mb(r.spaces.new_space ?? 0),
    oldSpaceMB: mb(r.spaces.old_space ?? 0),
    largeObjectMB: mb((r.spaces.large_object_space ?? 0) + (r.spaces.new_large_object_space ?? 0)),
    heapUsedAfterGcMB: mb(g.memory.heapUsed),
    rssAfterGcMB: mb(rssBytes(child.pid)),
    modules: r.modules,
  };
}

async function runOne(dir, variant, supergraph) {
  const nodeArgs = variant.split(' ').filter((a) => a.startsWith('--'));
  const variantEnv = Object.fromEntries(
    variant
      .split(' ')
      .filter((a) => /^[A-Z_][A-Z0-9_]*=/.test(a))
      .map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]),
  );
  const port = await freePort();
  const pin = process.env.MEMORY_GATEWAY_CPU ? ['taskset', '-c', process.env.MEMORY_GATEWAY_CPU, process.execPath] : [process.execPath];
  const child = spawn(pin[0], [...pin.slice(1), ...nodeArgs, '--expose-gc', '-r', join(__dirname, 'lib/memoryReport.js'), join(dir, 'gateway/dist/bin.js')], {
    env: { ...process.env, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', SUPERGRAPH_PATH: supergraph, LOG_LEVEL: 'warn', ...extraEnv, ...variantEnv },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = `http://127.0.0.1:${port}/graphql`;
  const body = JSON.stringify({ query: QUERY });
  await firstAnswer(url, body);
  const start = { rssMB: mb(rssBytes(child.pid)) };
  let n = 0;
  const setupRequest = perUser ? (req) => ({ ...req, headers: { ...req.headers, authorization: `Bearer memory-user-${++n}` } }) : undefined;
  if (allocProfile) await ask(child, 'alloc-start');
  const cpu0 = cpuMs(child.pid);
  const r = await load({ url, body, connections, durationS, setupRequest });
  const cpuMsPerRequest = Math.round(((cpuMs(child.pid) - cpu0) / Math.max(1, r.requests)) * 1000) / 1000;
  const alloc = allocProfile ? await ask(child, 'alloc-stop') : undefined;
  const end = await snapshot(child);
  if (alloc) {
    const perReq = (b) => `${(b / Math.max(1, r.requests) / 1024).toFixed(1)} KB/request`;
    console.log(`allocated (sampled) ${perReq(alloc.total)}; top functions:`);
    for (const [fn, bytes] of alloc.top) console.log(`  ${((bytes / alloc.total) * 100).toFixed(1).padStart(5)}%  ${perReq(bytes).padStart(18)}  ${fn}`);
  }
  const exited = new Promise((res) => child.once('exit', res));
  child.kill('SIGTERM');
  await exited;
  return { startRssMB: start.rssMB, ...end, requests: r.requests, cpuMsPerRequest, errors: r.errors + r.non2xx + r.mismatches };
}

async function main() {
  const ports = await Promise.all(SUBGRAPHS.map(() => freePort()));
  const subgraphs = await Promise.all(
    SUBGRAPHS.map((name, i) => startProcess(repoPath(subgraphByName(name).main), { PORT: String(ports[i]), NODE_ENV: 'production' }, `http://127.0.0.1:${ports[i]}/health`)),
  );
  const outDir = join(__dirname, 'results');
  mkdirSync(outDir, { recursive: true });
  const supergraph = join(outDir, 'memory-supergraph.graphql');
  writeFileSync(supergraph, composeSupergraph(SUBGRAPHS.map((name, i) => ({ name, url: `http://127.0.0.1:${ports[i]}/graphql`, sdl: readSchema(subgraphByName(name)) }))));
  const ENTRIES = DIRS.flatMap((dir) => VARIANTS.map((variant) => ({ dir, variant, name: variant && variant !== 'x' ? `${dir} ${variant}` : dir })));
  const results = Object.fromEntries(ENTRIES.map((e) => [e.name, []]));
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const e of round % 2 ? ENTRIES : [...ENTRIES].reverse()) {
        const r = await runOne(e.dir, e.variant, supergraph);
        results[e.name].push(r);
        console.log(`round ${round} ${e.name}: ${JSON.stringify(r)}`);
      }
    }
  } finally {
    await Promise.all(subgraphs.map((p) => p.stop()));
  }
  const keys = [
    'startRssMB',
    'rssMB',
    'anonMB',
    'fileMB',
    'heapUsedMB',
    'heapTotalMB',
    'newSpaceMB',
    'oldSpaceMB',
    'largeObjectMB',
    'externalMB',
    'arrayBuffersMB',
    'heapUsedAfterGcMB',
    'rssAfterGcMB',
    'modules',
    'requests',
    'cpuMsPerRequest',
    'errors',
  ];
  console.log(`\nmedians of ${rounds} rounds (${connections} connections, ${durationS}s${perUser ? ', a bearer token per request' : ''}):`);
  console.log(['gateway'.padEnd(40), ...keys.map((k) => k.padStart(14))].join(''));
  for (const { name } of ENTRIES) console.log([name.padEnd(40), ...keys.map((k) => String(median(results[name].map((r) => r[k]))).padStart(14))].join(''));
  writeFileSync(join(outDir, `memory-${Date.now()}.json`), JSON.stringify(results, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
