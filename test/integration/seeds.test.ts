import { createHash } from 'node:crypto';
import { seedAccounts } from '@roam/subgraph-accounts/dist/seed';
import { seedInventory } from '@roam/subgraph-inventory/dist/seed';
import { seedProducts } from '@roam/subgraph-products/dist/seed';
import { seedReviews } from '@roam/subgraph-reviews/dist/seed';
import { LARGE_DATASET_SIZES, type DatasetName } from '@roam/subgraph-kit';

const sha256 = (rows: unknown): string => createHash('sha256').update(JSON.stringify(rows)).digest('hex');
const seeds = (dataset: DatasetName) => ({ ...seedAccounts(dataset), ...seedProducts(dataset), ...seedInventory(dataset), ...seedReviews(dataset) });

// Each subgraph owns its seed rows (subgraphs/<name>/src/seed.ts, data/benchmark.json). The digests are
// those of the rows the subgraph kit generated before the data moved (one loader for all four), so any
// change to a row, its order or its key order fails here.
const DIGESTS: Record<DatasetName, Record<string, [number, string]>> = {
  benchmark: {
    users: [6, 'c77fc57aed4c67bcb8310b1532aba42db27855284c5848283ab216162a38d9e8'],
    products: [9, '124a695fa557ae0815c72d63d482c6f2cd65bacd11dacb002cc10ec2c2e08fb2'],
    inventory: [9, 'e4dba074e4a7006398adb8bca77592237221477d706c7b2687dd966d519a1a5d'],
    reviews: [11, '452c69fa7d7fb576c9d0f220f16c55a0d1bcc773c0efb712a1245f702c54de8e'],
  },
  large: {
    users: [5000, '6cbb6eb9b0910b516df405301035fa52b4fa7ea0f8589f38212f51d6742421d6'],
    products: [2000, '504a70f463474c5c54d705cf1ff408fd23556a5f56d0b3330449317a75ea94ff'],
    inventory: [2000, 'b972e6e32fad219baac65768eea3ca2c97ce19e2e6338f227397e2e71bc78304'],
    reviews: [20000, 'ed3fb1c3f4053a2690191d2d7797cefc4a556b4dce57876f4aa984b6cfdc7a26'],
  },
};

describe('seed data owned by each subgraph', () => {
  it.each(['benchmark', 'large'] as const)('%s: every subgraph generates exactly the rows it had before the move', (dataset) => {
    const all = seeds(dataset) as unknown as Record<string, unknown[]>;
    const got = Object.fromEntries(Object.keys(DIGESTS[dataset]).map((table) => [table, [all[table]!.length, sha256(all[table])]]));
    expect(got).toEqual(DIGESTS[dataset]);
  });

  it('large: deterministic across calls, sized as documented, and every reference points at an existing row', () => {
    const a = seeds('large');
    expect(seeds('large')).toEqual(a);
    expect([a.users.length, a.products.length, a.inventory.length, a.reviews.length]).toEqual([
      LARGE_DATASET_SIZES.users,
      LARGE_DATASET_SIZES.products,
      LARGE_DATASET_SIZES.products,
      LARGE_DATASET_SIZES.reviews,
    ]);
    const users = new Set(a.users.map((u) => u.id));
    const products = new Set(a.products.map((p) => p.upc));
    expect(a.reviews.every((r) => users.has(r.authorId) && products.has(r.productUpc))).toBe(true);
    expect(a.inventory.every((i) => products.has(i.upc))).toBe(true);
    expect(new Set(a.users.map((u) => u.username)).size).toBe(a.users.length);
  });

  it('benchmark: fresh rows on every call (the inventory repository mutates its rows)', () => {
    const first = seedInventory('benchmark').inventory;
    (first[0] as { inStock: boolean }).inStock = !first[0]!.inStock;
    expect(seedInventory('benchmark').inventory[0]).not.toEqual(first[0]);
    expect(seedProducts('benchmark').products[0]).toEqual({ upc: '1', name: 'Table', price: 899, weight: 100 });
  });
});
