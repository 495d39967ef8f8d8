import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

// Issue 19 (memory): modules only some settings use are loaded when those settings are on, not at every start.
// `@apollo/gateway` (EXECUTOR=apollo) and the OpenTelemetry trace SDK/exporter (TRACING_OTLP_URL) are about
// 50 MB and 20 MB of RSS that the default configuration never touches. A fresh process per case: Jest's
// module registry is not Node's `require.cache`. It loads what `roam-gateway` (gateway/dist/bin.js) loads:
// createGateway and config, not the package index, which re-exports every module for embedders.
const ROOT = join(__dirname, '../..');
const WATCHED = ['@apollo/gateway', '@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http'];
const SCRIPT = `
const pino = require('pino');
const { createGateway } = require(${JSON.stringify(join(ROOT, 'gateway/dist/createGateway.js'))});
const { readConfig } = require(${JSON.stringify(join(ROOT, 'gateway/dist/config.js'))});
(async () => {
  const gateway = createGateway(readConfig(process.env), pino({ level: 'silent' }));
  await gateway.listen();
  const loaded = Object.keys(require.cache);
  const found = ${JSON.stringify(WATCHED)}.filter((m) => loaded.some((f) => f.includes('/node_modules/' + m + '/')));
  await gateway.close();
  process.stdout.write(JSON.stringify({ found, modules: loaded.length }));
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
`;

async function modulesLoaded(env: Record<string, string>): Promise<{ found: string[]; modules: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', SCRIPT], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', SUPERGRAPH_PATH: join(ROOT, 'supergraph.graphql'), ...env },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as { found: string[]; modules: number };
}

describe('modules loaded at start (issue 19, memory)', () => {
  it('the default settings load neither Apollo Gateway nor the OpenTelemetry trace SDK', async () => {
    const { found, modules } = await modulesLoaded({});
    expect(found).toEqual([]);
    expect(modules).toBeGreaterThan(100); // the gateway itself did load
  });

  it('EXECUTOR=apollo and TRACING_OTLP_URL load them', async () => {
    // Port 9 (discard) on loopback: nothing listens; no span is exported before close in this test.
    const { found } = await modulesLoaded({ EXECUTOR: 'apollo', TRACING_OTLP_URL: 'http://127.0.0.1:9/v1/traces' });
    expect(found).toEqual(WATCHED);
  });
});
