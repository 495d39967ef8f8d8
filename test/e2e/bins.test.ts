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
