import { join } from 'node:path';
import { LARGE_DATASET_SIZES, LARGE_DATASET_STREAM, readSeedRows, SeededStream, type DatasetName } from '@roam/subgraph-kit';

/** A product row owned by the products subgraph. `price` is in cents, `weight` in grams. */
export interface ProductRow {
  readonly upc: string;
  readonly name: string;
  readonly price: number;
  readonly weight: number;
}

/** The products subgraph's seed. */
export interface ProductsSeed {
  readonly products: readonly ProductRow[];
}

const THINGS = ['Table', 'Couch', 'Glass', 'Chair', 'TV', 'Lamp', 'Grill', 'Fridge', 'Sofa', 'Desk', 'Shelf', 'Rug'];
const DRAWS_PER_PRODUCT = 3;

/**
 * The products subgraph's catalog of a dataset.
 * - `benchmark`: `data/benchmark.json` (9 products of the federation benchmark).
 * - `large`: {@link LARGE_DATASET_SIZES}.products generated products with upcs `1..n`, the same in every
 *   process (the products' slot of {@link LARGE_DATASET_STREAM}: 3 draws per product, then 1 for its stock row).
 * @returns fresh rows.
 */
export function seedProducts(dataset: DatasetName): ProductsSeed {
  if (dataset === 'benchmark') return { products: readSeedRows<ProductRow>(join(__dirname, '..', 'data', 'benchmark.json'), 'products') };
  const { seed, products: slot } = LARGE_DATASET_STREAM;
  const rand = new SeededStream(seed, slot.start);
  const products: ProductRow[] = [];
  for (let i = 1; i <= LARGE_DATASET_SIZES.products; i++) {
    products.push({ upc: String(i), name: `${rand.pick(THINGS)} ${i}`, price: 100 + rand.below(200000), weight: 10 + rand.below(8000) });
    rand.skip(slot.stride - DRAWS_PER_PRODUCT);
  }
  return { products };
}
