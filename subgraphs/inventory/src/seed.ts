import { join } from 'node:path';
import { LARGE_DATASET_SIZES, LARGE_DATASET_STREAM, readSeedRows, SeededStream, type DatasetName } from '@roam/subgraph-kit';

/** A stock row owned by the inventory subgraph (`inStock` changes with `setInStock`). */
export interface InventoryRow {
  readonly upc: string;
  inStock: boolean;
}

/** The inventory subgraph's seed. */
export interface InventorySeed {
  readonly inventory: readonly InventoryRow[];
}

/**
 * The inventory subgraph's stock rows of a dataset.
 * - `benchmark`: `data/benchmark.json` (9 stock rows of the federation benchmark).
 * - `large`: one stock row per generated product (upcs `1..`{@link LARGE_DATASET_SIZES}.products), 60%
 *   in stock, the same in every process (the stock slot of {@link LARGE_DATASET_STREAM}, 1 draw per row).
 * @returns fresh rows (the repository mutates `inStock`).
 */
export function seedInventory(dataset: DatasetName): InventorySeed {
  if (dataset === 'benchmark') return { inventory: readSeedRows<InventoryRow>(join(__dirname, '..', 'data', 'benchmark.json'), 'inventory') };
  const { seed, stock: slot } = LARGE_DATASET_STREAM;
  const rand = new SeededStream(seed, slot.start);
  const inventory: InventoryRow[] = [];
  for (let i = 1; i <= LARGE_DATASET_SIZES.products; i++) {
    inventory.push({ upc: String(i), inStock: rand.next() < 0.6 });
    rand.skip(slot.stride - 1);
  }
  return { inventory };
}
