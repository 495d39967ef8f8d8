import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { freePort, waitFor } from '@roam/testkit';
import { BENCHMARK_EXPECTED, BENCHMARK_QUERY, ROOT } from '../support/stack';
import { postGraphQL } from '../support/graphql';

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

describe('npm start (scripts/start.js)', () => {
  it('starts the four subgraphs and the gateway, serves the benchmark query, and stops every child on SIGTERM', async () => {
    const ports = { PORT: await freePort(), ACCOUNTS_PORT: await freePort(), PRODUCTS_PORT: await freePort(), INVENTORY_PORT: await freePort(), REVIEWS_PORT: await freePort() };
    const env = { ...process.env, LOG_LEVEL: 'warn', SUPERGRAPH_PATH: join(mkdtempSync(join(tmpdir(), 'roam-start-')), 'supergraph.graphql'), ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
    const child = spawn(process.execPath, [join(ROOT, 'scripts/start.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => out.includes('Roam is running'), `npm start to print its URLs (output so far: ${out})`, 30_000);
      expect(out).toContain(`http://127.0.0.1:${ports.PORT}/graphql`);
      expect(out).toContain(`http://127.0.0.1:${ports.REVIEWS_PORT}/graphql`);
      const res = await postGraphQL(`http://127.0.0.1:${ports.PORT}/graphql`, { query: BENCHMARK_QUERY });
      expect(res.body).toEqual(BENCHMARK_EXPECTED);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    for (const port of Object.values(ports)) expect({ port, open: await portOpen(port) }).toEqual({ port, open: false });
  });
});
