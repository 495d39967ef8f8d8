import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A user row owned by the accounts subgraph. `birthday` is seconds since the Unix epoch. */
export interface UserRow { readonly id: string; readonly name: string; readonly username: string; readonly birthday: number }
/** A product row owned by the products subgraph. `price` is in cents, `weight` in grams. */
export interface ProductRow { readonly upc: string; readonly name: string; readonly price: number; readonly weight: number }
/** A stock row owned by the inventory subgraph. */
export interface InventoryRow { readonly upc: string; inStock: boolean }
/** A review row owned by the reviews subgraph; `authorId` is a `User.id`, `productUpc` a `Product.upc`. */
export interface ReviewRow { readonly id: string; readonly body: string; readonly authorId: string; readonly productUpc: string }

/** The whole seed: every subgraph takes its own slice of it. */
export interface Dataset {
  readonly users: readonly UserRow[];
  readonly products: readonly ProductRow[];
  readonly inventory: readonly InventoryRow[];
  readonly reviews: readonly ReviewRow[];
}

/** Names of the datasets a subgraph can start with (`DATASET` or `--dataset`). */
export type DatasetName = 'benchmark' | 'large';

/** Sizes of the generated `large` dataset. */
export const LARGE_DATASET_SIZES = { users: 5000, products: 2000, reviews: 20000 } as const;

/**
 * Loads a dataset.
 *
 * - `benchmark`: the data of the public federation gateways benchmark
 *   (`data/benchmark.json`, 6 users, 9 products, 9 stock rows, 11 reviews).
 * - `large`: a deterministic generated dataset of {@link LARGE_DATASET_SIZES} rows, identical on every
 *   call and in every subgraph process, so that ids agree across subgraphs.
 *
 * @param name - which dataset.
 * @returns fresh row arrays (callers may mutate stock rows and append reviews).
 */
export function loadDataset(name: DatasetName): Dataset {
  if (name === 'large') return generateLargeDataset();
  const raw = JSON.parse(readFileSync(join(__dirname, '..', 'data', 'benchmark.json'), 'utf8')) as Dataset;
  return {
    users: raw.users.map((u) => ({ ...u })),
    products: raw.products.map((p) => ({ ...p })),
    inventory: raw.inventory.map((i) => ({ ...i })),
    reviews: raw.reviews.map((r) => ({ ...r })),
  };
}

/** mulberry32: a small deterministic PRNG; returns a function giving floats in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ada', 'Bo', 'Chen', 'Dara', 'Eli', 'Fay', 'Gus', 'Hana', 'Ivo', 'Juno', 'Kai', 'Lea'];
const LAST = ['Nordin', 'Okafor', 'Petrov', 'Quinn', 'Reyes', 'Sato', 'Tanaka', 'Ueda', 'Varga', 'Weiss'];
const THINGS = ['Table', 'Couch', 'Glass', 'Chair', 'TV', 'Lamp', 'Grill', 'Fridge', 'Sofa', 'Desk', 'Shelf', 'Rug'];
const WORDS = ['sturdy', 'lovely', 'cheap', 'broke', 'great', 'value', 'would', 'buy', 'again', 'never', 'fast', 'slow'];

function generateLargeDataset(): Dataset {
  const rand = prng(20261130);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const users: UserRow[] = [];
  for (let i = 1; i <= LARGE_DATASET_SIZES.users; i++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    users.push({ id: String(i), name: `${first} ${last}`, username: `${first}${last}${i}`.toLowerCase(), birthday: 631152000 + Math.floor(rand() * 946080000) });
  }
  const products: ProductRow[] = [];
  const inventory: InventoryRow[] = [];
  for (let i = 1; i <= LARGE_DATASET_SIZES.products; i++) {
    products.push({ upc: String(i), name: `${pick(THINGS)} ${i}`, price: 100 + Math.floor(rand() * 200000), weight: 10 + Math.floor(rand() * 8000) });
    inventory.push({ upc: String(i), inStock: rand() < 0.6 });
  }
  const reviews: ReviewRow[] = [];
  for (let i = 1; i <= LARGE_DATASET_SIZES.reviews; i++) {
    const words = Array.from({ length: 8 + Math.floor(rand() * 24) }, () => pick(WORDS)).join(' ');
    reviews.push({
      id: String(i),
      body: words,
      authorId: String(1 + Math.floor(rand() * LARGE_DATASET_SIZES.users)),
      productUpc: String(1 + Math.floor(rand() * LARGE_DATASET_SIZES.products)),
    });
  }
  return { users, products, inventory, reviews };
}
