'use strict';
// Overhead of metrics and tracing on the benchmark query (issue 15): the same gateway build run with
// METRICS=off (and no tracing), METRICS=on, and METRICS=on plus TRACING_OTLP_URL (to an OTLP sink in this process;
// every trace, then TRACING_SAMPLE_RATIO=0.1),
// interleaved, each alone; reports gateway CPU ms per request (utime + stime from /proc) and requests/s.
// Usage: npm run build && node bench/observabilityOverhead.js   (OVERHEAD_DURATION_S, OVERHEAD_ROUNDS, OVERHEAD_CONNECTIONS)
const { createServer } = require('node:http');
const { mkdtempSync, readFileSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { freePort, startProcess } = require('@roam/testkit');
const { composeSupergraph } = require('@roam/gateway');
const { SUBGRAPHS, repoPath, readSchema } = require('@roam/subgraph-registry');
const { cpuMs } = require('./lib/procstat');
const { load } = require('./lib/load');

const ROOT = join(__dirname, '..');
const DURATION_S = Number(process.env.OVERHEAD_DURATION_S ?? 10);
const ROUNDS = Number(process.env.OVERHEAD_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.OVERHEAD_CONNECTIONS ?? 50);

async function main() {
  // the registry's in-process subgraphs (as the tests build them) over the benchmark dataset, in this process
  const servers = [];
  const definitions = [];
  for (const entry of SUBGRAPHS.filter((e) => e.inProcess)) {
    const { server } = require(repoPath(entry.server)).buildSubgraph('benchmark');
    servers.push(server);
    definitions.push({ name: entry.name, url: await server.listen(0), sdl: readSchema(entry) });
  }
  const supergraph = join(mkdtempSync(join(tmpdir(), 'roam-overhead-')), 'supergraph.graphql');
  writeFileSync(supergraph, composeSupergraph(definitions));
  let spans = 0;
  const sink = createServer((req, res) => req.on('data', () => undefined).on('end', () => (spans++, res.end('{}'))));
  await new Promise((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const variants = {
    off: { METRICS: 'off' },
    metrics: { METRICS: 'on' },
    'metrics+tracing': { METRICS: 'on', TRACING_OTLP_URL: `http://127.0.0.1:${sink.address().port}/v1/traces` },
    'metrics+tracing 10%': { METRICS: 'on', TRACING_OTLP_URL: `http://127.0.0.1:${sink.address().port}/v1/traces`, TRACING_SAMPLE_RATIO: '0.1' },
  };
  const body = JSON.stringify({ query: readFileSync(join(ROOT, 'test/fixtures/federation-benchmark/query.graphql'), 'utf8') });
  const results = Object.fromEntries(Object.keys(variants).map((v) => [v, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, env] of Object.entries(variants)) {
      const port = await freePort();
      const proc = await startProcess(
        join(ROOT, 'gateway/dist/bin.js'),
        { PORT: String(port), HOST: '127.0.0.1', SUPERGRAPH_PATH: supergraph, LOG_LEVEL: 'warn', NODE_ENV: 'production', ...env },
        `http://127.0.0.1:${port}/ready`,
      );
      const url = `http://127.0.0.1:${port}/graphql`;
      try {
        await load({ url, body, connections: CONNECTIONS, durationS: 3 });
        const before = cpuMs(proc.child.pid);
        const r = await load({ url, body, connections: CONNECTIONS, durationS: DURATION_S });
        const cpu = cpuMs(proc.child.pid) - before;
        if (r.errors || r.non2xx || r.mismatches) throw new Error(`${name}: ${r.errors} errors, ${r.non2xx} non-2xx, ${r.mismatches} bodies with errors`);
        results[name].push({ rps: r.rps, cpuMsPerRequest: cpu / r.requests, p50: r.p50 });
        console.log(`round ${round + 1} ${name}: ${r.rps.toFixed(0)} req/s, ${(cpu / r.requests).toFixed(3)} CPU ms/request, p50 ${r.p50} ms`);
      } finally {
        await proc.stop();
      }
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const [name, rs] of Object.entries(results)) {
    console.log(`${name}: median ${median(rs.map((r) => r.rps)).toFixed(0)} req/s, ${median(rs.map((r) => r.cpuMsPerRequest)).toFixed(3)} CPU ms/request`);
  }
  console.log(`OTLP requests received by the sink: ${spans}`);
  sink.close();
  await Promise.all(servers.map((s) => s.close()));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
