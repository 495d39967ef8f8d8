'use strict';
// `npm run bench:security` (issue 18, "Measured"): on this machine, interleaved and each gateway alone,
// 1. gateway CPU ms per request of the federation benchmark query with AUTH_MODE=off, with AUTH_MODE=required
//    (an ES256 JWT verified with jose on every request, plus the @authenticated/@requiresScopes walk), and with
//    that plus signed subgraph calls (SUBGRAPH_SIGNING_SECRETS);
// 2. the amplification query of issue 18 (600 `__typename` aliases under `users`, large dataset): time until the
//    gateway refuses it (MAX_ALIASES_LIMIT with default limits; RESPONSE_TOO_LARGE with LIMITS_MODE=off), and the
//    slowest `/health` answer while it runs.
// Settings: SECURITY_BENCH_DURATION_S (10), SECURITY_BENCH_ROUNDS (2), SECURITY_BENCH_CONNECTIONS (20), SECURITY_BENCH_OVERHEAD=0
// (amplification only). Ports: free ones.
const { spawn } = require('node:child_process');
const { mkdtempSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { request } = require('undici');
const { exportJWK, generateKeyPair, SignJWT } = require('jose');
const { freePort, startProcess } = require('@roam/testkit');
const { composeSupergraph } = require('@roam/gateway');
const { SUBGRAPHS, repoPath, readSchema } = require('@roam/subgraph-registry');
const { cpuMs } = require('./lib/procstat');
const { load } = require('./lib/load');

const ROOT = join(__dirname, '..');
const DURATION_S = Number(process.env.SECURITY_BENCH_DURATION_S ?? 10);
const ROUNDS = Number(process.env.SECURITY_BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.SECURITY_BENCH_CONNECTIONS ?? 20);
const SECRET = 'bench-signing-secret-0123456789abcdef';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Builds the in-process registry subgraphs over `dataset` on free ports; returns the supergraph file and a closer. */
async function subgraphsOver(dataset, env = {}) {
  const { useSubgraphSigning } = require('@roam/subgraph-kit');
  useSubgraphSigning(env.signed ? { secret: SECRET, required: false, maxAgeMs: 60_000 } : undefined);
  const servers = [];
  const definitions = [];
  for (const entry of SUBGRAPHS.filter((e) => e.inProcess)) {
    const { server } = require(repoPath(entry.server)).buildSubgraph(dataset);
    servers.push(server);
    definitions.push({ name: entry.name, url: await server.listen(0), sdl: readSchema(entry) });
  }
  useSubgraphSigning(undefined);
  const path = join(mkdtempSync(join(tmpdir(), `roam-security-bench-${dataset}-`)), 'supergraph.graphql');
  writeFileSync(path, composeSupergraph(definitions));
  return { path, close: () => Promise.all(servers.map((s) => s.close())) };
}

async function startGateway(supergraph, env) {
  const port = await freePort();
  const proc = await startProcess(
    join(ROOT, 'gateway/dist/bin.js'),
    { PORT: String(port), HOST: '127.0.0.1', SUPERGRAPH_PATH: supergraph, LOG_LEVEL: 'warn', ...env },
    `http://127.0.0.1:${port}/ready`,
  );
  return { proc, url: `http://127.0.0.1:${port}/graphql` };
}

async function overhead() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256' };
  const token = await new SignJWT({ scope: 'reviews:write' }).setProtectedHeader({ alg: 'ES256', kid: 'bench' }).setSubject('1').setIssuedAt().setExpirationTime('2h').sign(privateKey);
  const plain = await subgraphsOver('benchmark');
  const signed = await subgraphsOver('benchmark', { signed: true });
  const auth = { AUTH_MODE: 'required', AUTH_JWKS: JSON.stringify({ keys: [jwk] }) };
  const variants = {
    'auth off': { supergraph: plain.path, env: {}, headers: {} },
    'JWT + authorization': { supergraph: plain.path, env: auth, headers: { authorization: `Bearer ${token}` } },
    'JWT + authorization + signed subgraph calls': {
      supergraph: signed.path,
      env: { ...auth, SUBGRAPH_SIGNING_SECRETS: JSON.stringify({ '*': SECRET }) },
      headers: { authorization: `Bearer ${token}` },
    },
  };
  const { readFileSync } = require('node:fs');
  const body = JSON.stringify({ query: readFileSync(join(ROOT, 'test/fixtures/federation-benchmark/query.graphql'), 'utf8') });
  const results = Object.fromEntries(Object.keys(variants).map((v) => [v, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, v] of Object.entries(variants)) {
      const { proc, url } = await startGateway(v.supergraph, { LIMITS_MODE: 'off', PERSISTED_QUERIES: 'off', ...v.env });
      try {
        await load({ url, body, connections: CONNECTIONS, durationS: 2, headers: v.headers });
        const before = cpuMs(proc.child.pid);
        const r = await load({ url, body, connections: CONNECTIONS, durationS: DURATION_S, headers: v.headers });
        const cpu = cpuMs(proc.child.pid) - before;
        if (r.errors || r.non2xx || r.mismatches) throw new Error(`${name}: ${r.errors} errors, ${r.non2xx} non-2xx, ${r.mismatches} bodies with errors`);
        results[name].push({ rps: r.rps, cpu: cpu / r.requests });
        console.log(`round ${round + 1} ${name}: ${r.rps.toFixed(0)} req/s, ${(cpu / r.requests).toFixed(3)} CPU ms/request`);
      } finally {
        await proc.stop();
      }
    }
  }
  await plain.close();
  await signed.close();
  const base = median(results['auth off'].map((r) => r.cpu));
  const lines = Object.entries(results).map(([name, rs]) => {
    const cpu = median(rs.map((r) => r.cpu));
    return `${name}: median ${median(rs.map((r) => r.rps)).toFixed(0)} req/s, ${cpu.toFixed(3)} CPU ms/request (${name === 'auth off' ? 'baseline' : `+${(cpu - base).toFixed(3)} ms`})`;
  });
  return lines;
}

/** CPU of one uncached verification (a token the gateway has not seen), measured in this process with jose. */
async function verifyCost() {
  const { jwtVerify, createLocalJWKSet } = require('jose');
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] });
  const tokens = await Promise.all(
    Array.from({ length: 2000 }, (_, i) => new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k' }).setSubject(String(i)).setExpirationTime('1h').sign(privateKey)),
  );
  for (const t of tokens.slice(0, 200)) await jwtVerify(t, keys, { algorithms: ['ES256'] });
  const start = process.cpuUsage();
  for (const t of tokens) await jwtVerify(t, keys, { algorithms: ['ES256'] });
  const used = process.cpuUsage(start);
  return [`one ES256 verification of a new token (jose, in-process, 2000 tokens): ${((used.user + used.system) / 1000 / tokens.length).toFixed(3)} CPU ms`];
}

async function amplification() {
  const large = await subgraphsOver('large');
  const aliases = Array.from({ length: 600 }, (_, i) => `t${i}: __typename`).join(' ');
  const body = JSON.stringify({ query: `{ users { ${aliases} } }` });
  const lines = [];
  for (const [name, env] of Object.entries({ 'default limits (MAX_ALIASES)': {}, 'LIMITS_MODE=off (SUBGRAPH_MAX_RESPONSE_BYTES, MAX_RESPONSE_FIELDS)': { LIMITS_MODE: 'off' } })) {
    const { proc, url } = await startGateway(large.path, { PERSISTED_QUERIES: 'off', ...env });
    try {
      const times = [];
      let code;
      // /health is polled from another process: this one hosts the subgraphs, whose work must not count
      const poller = spawn(
        process.execPath,
        [
          '-e',
          `let max=0;const tick=async()=>{const t=performance.now();await (await fetch(${JSON.stringify(url.replace('/graphql', '/health'))})).text();max=Math.max(max,performance.now()-t);setTimeout(tick,20)};tick();process.on('SIGTERM',()=>{process.stdout.write(String(max));process.exit(0)})`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let polled = '';
      poller.stdout.on('data', (d) => (polled += d));
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < 10; i++) {
        const t = performance.now();
        const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const text = await res.body.text();
        times.push(performance.now() - t);
        code = JSON.parse(text).errors?.[0]?.extensions?.code;
      }
      const exited = new Promise((r) => poller.once('exit', r));
      poller.kill('SIGTERM');
      await exited;
      const slowestHealth = Number(polled);
      lines.push(`${name}: refused with ${code} in median ${median(times).toFixed(1)} ms (max ${Math.max(...times).toFixed(1)} ms); slowest /health meanwhile ${slowestHealth.toFixed(1)} ms`);
    } finally {
      await proc.stop();
    }
  }
  await large.close();
  return lines;
}

async function main() {
  const lines = [...(process.env.SECURITY_BENCH_OVERHEAD === '0' ? [] : [...(await overhead()), ...(await verifyCost())]), ...(await amplification())];
  console.log(`\nSecurity (bench/security.js, ${CONNECTIONS} connections, ${DURATION_S} s x ${ROUNDS} rounds; noisy shared machine):`);
  for (const line of lines) console.log(`  ${line}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
