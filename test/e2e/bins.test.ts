import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
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
    ['roam-subgraph-accounts', '@roam/subgraph-accounts/bin/roam-subgraph-accounts.js'],
    ['roam-subgraph-products', '@roam/subgraph-products/bin/roam-subgraph-products.js'],
    ['roam-subgraph-inventory', '@roam/subgraph-inventory/bin/roam-subgraph-inventory.js'],
    ['roam-subgraph-reviews', '@roam/subgraph-reviews/bin/roam-subgraph-reviews.js'],
    ['roam-example-client', '@roam/example-client/bin/roam-example-client.js'],
  ])('node_modules/.bin/%s links the committed shim %s', (bin, target) => {
    expect(readlinkSync(join(ROOT, 'node_modules/.bin', bin))).toBe(`../${target}`);
  });
});
