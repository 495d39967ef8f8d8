import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SUBGRAPHS } from '@roam/subgraph-registry';
import { ROOT } from '../support/stack';

// The README's `npx roam-*` commands must run this checkout's code, never fall through to the registry:
// each workspace bin is a committed shim outside dist/ (linked by `npm install` before any build).
describe('workspace bins (npx roam-*)', () => {
  it('npx --no-install roam-pq --help runs the local CLI and exits 0', () => {
    const r = spawnSync('npx', ['--no-install', 'roam-pq', '--help'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, REDIS_URL: '' } });
    expect({ status: r.status, usage: r.stdout.includes('Usage: roam-pq') }).toEqual({ status: 0, usage: true });
  });

  it.each([
    ['roam-pq', '@roam/persisted-queries/bin/roam-pq.js'],
    ['roam-gateway', '@roam/gateway/bin/roam-gateway.js'],
    // every reference subgraph of the registry
    ...SUBGRAPHS.map((s) => [s.bin, `${s.package}/bin/${s.bin}.js`]),
    ['roam-example-client', '@roam/example-client/bin/roam-example-client.js'],
  ])('node_modules/.bin/%s links the committed shim %s', (bin, target) => {
    expect(readlinkSync(join(ROOT, 'node_modules/.bin', bin))).toBe(`../${target}`);
  });
});

// Found as a new user: bench/run.js read no arguments, so `node bench/run.js --help` started the whole
// 35-minute benchmark on port 4000, and BENCH_DURATION_S=abc ran with NaN. Both stop before anything starts.
describe('bench/run.js arguments and settings', () => {
  const bench = (args: string[], vars: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(ROOT, 'bench/run.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000, env: { ...process.env, BENCH_PORT: '0', ...vars } });

  it('--help prints the usage and exits 0; another argument exits 2', () => {
    const help = bench(['--help']);
    expect({ status: help.status, usage: help.stdout.startsWith('Usage: npm run bench') }).toEqual({ status: 0, usage: true });
    const other = bench(['--rounds', '1']);
    expect(other.status).toBe(2);
    expect(other.stderr).toContain('bench/run.js: unknown argument(s) --rounds 1; settings are environment variables.');
  });

  it('a BENCH_* number that is not a whole number stops it, naming each', () => {
    const r = bench([], { BENCH_DURATION_S: 'abc', BENCH_ROUNDS: '-1', BENCH_SEED: '1.5' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'bench/run.js: nothing was started.\n' +
        '  BENCH_DURATION_S="abc": expected a whole number, 0 or more\n' +
        '  BENCH_ROUNDS="-1": expected a whole number, 0 or more\n' +
        '  BENCH_SEED="1.5": expected a whole number, 0 or more\n',
    );
  });
});
