import { LARGE_DATASET_SIZES, loadDataset } from '../dataset';

describe('datasets', () => {
  it('benchmark: the federation benchmark data (6 users, 9 products, 9 stock rows, 11 reviews)', () => {
    const d = loadDataset('benchmark');
    expect([d.users.length, d.products.length, d.inventory.length, d.reviews.length]).toEqual([6, 9, 9, 11]);
    expect(d.products[0]).toEqual({ upc: '1', name: 'Table', price: 899, weight: 100 });
  });

  it('large: deterministic, sized as documented, and every reference points at an existing row', () => {
    const a = loadDataset('large');
    const b = loadDataset('large');
    expect(a).toEqual(b);
    expect(a.users).toHaveLength(LARGE_DATASET_SIZES.users);
    expect(a.products).toHaveLength(LARGE_DATASET_SIZES.products);
    expect(a.inventory).toHaveLength(LARGE_DATASET_SIZES.products);
    expect(a.reviews).toHaveLength(LARGE_DATASET_SIZES.reviews);
    const users = new Set(a.users.map((u) => u.id));
    const products = new Set(a.products.map((p) => p.upc));
    expect(a.reviews.every((r) => users.has(r.authorId) && products.has(r.productUpc))).toBe(true);
    expect(new Set(a.users.map((u) => u.username)).size).toBe(a.users.length);
  });
});
