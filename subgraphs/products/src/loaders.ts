import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import type { ProductRow } from './seed';
import type { ProductRepository } from './repository';

/** Per-request DataLoaders of the products subgraph. */
export interface ProductsLoaders {
  /** Product by UPC; an unknown UPC rejects only its own load with `NOT_FOUND`. */
  readonly product: DataLoader<string, ProductRow>;
}

/** Per-request context of the products subgraph. */
export interface ProductsContext {
  readonly loaders: ProductsLoaders;
  readonly repository: ProductRepository;
}

/** @returns fresh loaders for one request (never share them across requests). */
export function createLoaders(repository: ProductRepository): ProductsLoaders {
  return {
    product: new DataLoader<string, ProductRow>(async (upcs) => {
      const rows = await repository.findByUpcs(upcs);
      return rows.map((row, i) => row ?? new GraphQLError(`Product "${upcs[i]}" not found.`, { extensions: { code: 'NOT_FOUND' } }));
    }),
  };
}
