import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { freePort, waitFor, postGraphQL } from '@roam/testkit';
import { SUBGRAPHS } from '@roam/subgraph-registry';
import { BENCHMARK_EXPECTED, BENCHMARK_QUERY, ROOT } from '../support/stack';

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Free ports for the gateway (`PORT`) and each registry subgraph (`<NAME>_PORT`), never 4000–4004. */
async function stackPorts(): Promise<Record<string, number>> {
  const ports: Record<string, number> = { PORT: await freePort() };
  for (const s of SUBGRAPHS) ports[s.portVariable] = await freePort();
  return ports;
}

// npm start builds nothing here but starts the whole registry (the lists subgraph's embedded PGlite takes seconds): generous timeouts.
jest.setTimeout(180_000);

describe('npm start (scripts/start.js)', () => {
  // Files start.js writes under the repository (.roam/, gitignored): removed even when a test fails.
  const written: string[] = [];
  afterAll(() => {
    for (const file of written) rmSync(file, { force: true });
  });

  it("starts the registry's subgraphs and the gateway, serves the benchmark query, and stops every child on SIGTERM", async () => {
    const ports = await stackPorts();
    const env = {
      ...process.env,
      LOG_LEVEL: 'warn',
      SUPERGRAPH_PATH: join(mkdtempSync(join(tmpdir(), 'roam-start-')), 'supergraph.graphql'),
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    };
    const child = spawn(process.execPath, [join(ROOT, 'scripts/start.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => out.includes('Roam is running') && out.includes('Press Ctrl-C to stop.'), `npm start to print its URLs (output so far: ${out})`, 90_000);
      expect(out).toContain(`http://127.0.0.1:${ports.PORT}/graphql`);
      expect(out).toContain(`http://127.0.0.1:${ports.REVIEWS_PORT}/graphql`);
      for (const s of SUBGRAPHS) expect(out).toContain(`${s.name.padEnd(10)} http://127.0.0.1:${ports[s.portVariable]}/graphql`);
      const res = await postGraphQL(`http://127.0.0.1:${ports.PORT}/graphql`, { query: BENCHMARK_QUERY });
      expect(res.body).toEqual(BENCHMARK_EXPECTED);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    for (const port of Object.values(ports)) expect({ port, open: await portOpen(port) }).toEqual({ port, open: false });
  });
  it('with custom ports and no SUPERGRAPH_PATH leaves the tracked supergraph.graphql alone, and survives a subgraph exiting', async () => {
    const tracked = join(ROOT, 'supergraph.graphql');
    const trackedHash = () => createHash('sha256').update(readFileSync(tracked)).digest('hex');
    const before = trackedHash();
    const ports = await stackPorts();
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
    delete env.SUPERGRAPH_PATH;
    const composed = join(ROOT, '.roam', `supergraph.${SUBGRAPHS.map((s) => ports[s.portVariable]).join('-')}.graphql`);
    written.push(composed);
    const child = spawn(process.execPath, [join(ROOT, 'scripts/start.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => out.includes('Roam is running') && out.includes('Press Ctrl-C to stop.'), `npm start to print its URLs (output so far: ${out})`, 90_000);
      expect(trackedHash()).toBe(before);
      expect(readFileSync(composed, 'utf8')).toContain(`url: "http://127.0.0.1:${ports.INVENTORY_PORT}/graphql"`);

      // Kill the inventory subgraph (a child of start.js): the gateway keeps answering the other fields.
      const inventoryPid = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(child.pid)], { encoding: 'utf8' })
        .split('\n')
        .find((line) => line.includes('subgraphs/inventory/dist/index.js'))
        ?.trim()
        .split(/\s+/)[0];
      expect(inventoryPid).toMatch(/^\d+$/);
      process.kill(Number(inventoryPid), 'SIGKILL');
      await waitFor(() => out.includes('subgraph inventory exited'), `start.js to report the inventory exit (output so far: ${out})`, 10_000);
      await waitFor(async () => !(await portOpen(ports.INVENTORY_PORT)), 'the inventory port to close', 10_000);
      const res = await postGraphQL(`http://127.0.0.1:${ports.PORT}/graphql`, { query: '{ topProducts(first: 1) { upc name inStock } }' });
      expect(res.body.data).toEqual({ topProducts: [{ upc: '1', name: 'Table', inStock: null }] });
      expect(res.body.errors?.[0]?.extensions?.code).toBe('SUBREQUEST_HTTP_ERROR');
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(trackedHash()).toBe(before);
    for (const port of Object.values(ports)) expect({ port, open: await portOpen(port) }).toEqual({ port, open: false });
  });
});
