import DataLoader from 'dataloader';
import type { InventoryRow } from './seed';
import type { InventoryRepository } from './repository';

/** Per-request DataLoaders of the inventory subgraph. */
export interface InventoryLoaders {
  /** Stock row by UPC; `null` for a product inventory does not track. */
  readonly stock: DataLoader<string, InventoryRow | null>;
}

/** Per-request context of the inventory subgraph. */
export interface InventoryContext {
  readonly loaders: InventoryLoaders;
  readonly repository: InventoryRepository;
}

/** @returns fresh loaders for one request (never share them across requests). */
export function createLoaders(repository: InventoryRepository): InventoryLoaders {
  return {
    stock: new DataLoader(async (upcs) => (await repository.findByUpcs(upcs)).map((row) => row ?? null)),
  };
}
