import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitFor } from '@roam/testkit';
import { SUBGRAPHS } from '@roam/subgraph-registry';
import { readStackSettings } from '@roam/subgraph-registry/stackSettings';
import { ROOT } from '../support/stack';
import { postGraphQL } from '@roam/testkit';
import { descendants, isRunning } from '../support/processTree';

const START = join(ROOT, 'scripts/start.js');
const COMPOSE = join(ROOT, 'gateway/dist/compose/cli.js');

/** Runs start.js to completion (it must exit by itself) and returns its exit code and output. */
function runStart(vars: Record<string, string>, args: string[] = []): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [START, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...vars }, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

// Issue 15: `PORT=abc npm start` reported "NaN" after starting the four subgraphs, and `ACCOUNTS_PORT=abc`
// was reported as PORT. Every setting is validated before anything starts, naming the variable and value.
// npm start builds nothing here but starts the whole registry (the lists subgraph's embedded PGlite takes seconds): generous timeouts.
jest.setTimeout(180_000);

describe('npm start validates every setting before starting anything', () => {
  let ports: Record<string, string>;
  beforeAll(async () => {
    ports = { PORT: String(await freePort()) };
    for (const s of SUBGRAPHS) ports[s.portVariable] = String(await freePort());
  });

  it('PORT=abc: exits 1 naming PORT and "abc", before any subgraph starts', () => {
    const r = runStart({ ...ports, PORT: 'abc' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^\s+PORT="abc": /m);
    expect(r.stderr).toContain('nothing was started');
    expect(r.stderr).not.toContain('PORT="NaN"');
    expect(r.stderr + r.stdout).not.toMatch(/subgraph ready|Composed/);
  });

  it('ACCOUNTS_PORT=abc: names ACCOUNTS_PORT, not PORT', () => {
    const r = runStart({ ...ports, ACCOUNTS_PORT: 'abc' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^\s+ACCOUNTS_PORT="abc": expected a TCP port/m);
    expect(r.stderr).not.toMatch(/^\s+PORT=/m);
    expect(r.stderr + r.stdout).not.toMatch(/NaN|subgraph ready|Composed/);
  });

  it("reports every bad variable at once: subgraph ports, URLs, the gateway's own settings and port clashes", () => {
    const r = runStart({ ...ports, PRODUCTS_PORT: '70000', REVIEWS_URL: 'not a url', MAX_BODY_BYTES: '-1', INVENTORY_PORT: ports.ACCOUNTS_PORT! });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/PRODUCTS_PORT="70000": expected a TCP port/);
    expect(r.stderr).toMatch(/REVIEWS_URL="not a url": expected an http/);
    expect(r.stderr).toMatch(/MAX_BODY_BYTES="-1"/);
    expect(r.stderr).toMatch(/INVENTORY_PORT="\d+": the same port as ACCOUNTS_PORT/);
    const clash = runStart({ ...ports, PORT: ports.REVIEWS_PORT! });
    expect(clash.status).toBe(1);
    expect(clash.stderr).toMatch(/PORT="\d+": the same port as REVIEWS_PORT/);
  });

  // Found as a new user: DATASET=huge started subgraphs that each printed the error, then stopped; `npm start --
  // --port 4800` passed --port to every subgraph (EADDRINUSE), and a misspelt `--datset large` was ignored.
  it.each([
    [{ DATASET: 'huge' }, [], /^\s+DATASET: Invalid option: expected one of "benchmark"\|"large" \(got "huge"\)$/m],
    [{}, ['--dataset', 'huge'], /^\s+DATASET: Invalid option: expected one of "benchmark"\|"large" \(got "huge"\)$/m],
    [{}, ['--dataset'], /^\s+--dataset: needs a value/m],
    [{}, ['--port', '4800'], /^\s+"--port": npm start takes only --dataset benchmark\|large; settings are environment variables/m],
    [{}, ['--datset', 'large'], /^\s+"--datset": npm start takes only --dataset/m],
    [{ LISTS_MAX_CLOCK_DRIFT_MS: ' ' }, [], /^\s+LISTS_MAX_CLOCK_DRIFT_MS: only whitespace; give a value, or leave it empty for the default \(got " "\)$/m],
    [{ LISTS_MAX_CLOCK_DRIFT_MS: '-5' }, [], /^\s+LISTS_MAX_CLOCK_DRIFT_MS: Too small/m],
  ])('%j with arguments %j: exits 1 once, before any subgraph starts', (vars: Record<string, string>, args: string[], expected: RegExp) => {
    const r = runStart({ ...ports, ...vars }, args);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('nothing was started');
    expect(r.stderr).toMatch(expected);
    expect(r.stderr.match(/Invalid subgraph configuration/g)?.length ?? 0).toBeLessThanOrEqual(1);
    expect(r.stderr + r.stdout).not.toMatch(/subgraph ready|Composed|exited/);
  });
});

// Issue 15: `npm run compose` with the same port variables as `npm start` rewrote the tracked
// supergraph.graphql while the running gateway read .roam/…: now both compute the file with one module.
describe('npm run compose recomposes what a running `npm start` reads', () => {
  it('with the same port variables it rewrites the file the running gateway watches, and leaves the tracked one alone', async () => {
    const tracked = join(ROOT, 'supergraph.graphql');
    const trackedHash = () => createHash('sha256').update(readFileSync(tracked)).digest('hex');
    const before = trackedHash();
    const vars: Record<string, string> = { PORT: String(await freePort()) };
    for (const s of SUBGRAPHS) vars[s.portVariable] = String(await freePort());
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', SUPERGRAPH_POLL_INTERVAL_MS: '100', ...vars };
    delete env.SUPERGRAPH_PATH;
    const file = readStackSettings(env).supergraphPath;
    expect(file).toBe(join(ROOT, '.roam', `supergraph.${SUBGRAPHS.map((s) => vars[s.portVariable]).join('-')}.graphql`));
    const child = spawn(process.execPath, [START], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const pids: number[] = [];
    try {
      await waitFor(() => out.includes('Roam is running'), `npm start to print its URLs (output so far: ${out})`, 60_000);
      pids.push(...descendants(child.pid!));
      const gateway = `http://127.0.0.1:${vars.PORT}/graphql`;
      const query = { query: '{ topProducts(first: 1) { upc inStock } }' };
      expect((await postGraphQL(gateway, query)).body).toEqual({ data: { topProducts: [{ upc: '1', inStock: true }] } });

      // Recompose with the same ports, inventory's URL pointing nowhere: the running gateway reloads it.
      const dead = `http://127.0.0.1:${await freePort()}/graphql`;
      const compose = spawnSync(process.execPath, [COMPOSE], { env: { ...env, INVENTORY_URL: dead }, encoding: 'utf8' });
      expect(compose.status).toBe(0);
      expect(compose.stdout).toContain(file);
      expect(readFileSync(file, 'utf8')).toContain(`url: "${dead}"`);
      await waitFor(async () => (await postGraphQL(gateway, query)).body.data?.topProducts?.[0]?.inStock === null, 'the running gateway to reload the recomposed supergraph', 15_000, 100);

      // And back: the same command with the same variables restores what npm start composed.
      expect(spawnSync(process.execPath, [COMPOSE], { env, encoding: 'utf8' }).status).toBe(0);
      await waitFor(async () => (await postGraphQL(gateway, query)).body.data?.topProducts?.[0]?.inStock === true, 'the gateway to reload the restored supergraph', 15_000, 100);
      expect(trackedHash()).toBe(before);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(pids.filter(isRunning)).toEqual([]);
    if (existsSync(file)) rmSync(file);
  });

  it("without port variables it writes the tracked supergraph.graphql with the registry's default URLs (the one way to rewrite it)", () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const s of SUBGRAPHS) {
      delete env[s.portVariable];
      delete env[s.urlVariable];
    }
    delete env.SUPERGRAPH_PATH;
    expect(readStackSettings(env).supergraphPath).toBe(join(ROOT, 'supergraph.graphql'));
    expect(readStackSettings(env).subgraphs.map((s) => s.url)).toEqual(SUBGRAPHS.map((s) => `http://127.0.0.1:${s.port}/graphql`));
  });
});
