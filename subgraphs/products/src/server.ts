import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { createSubgraphServer, type Dataset, type SubgraphServer } from '@roam/subgraph-kit';
import type { Logger } from 'pino';
import { InMemoryProductRepository, type ProductRepository } from './repository';
import { createLoaders } from './loaders';
import { resolvers } from './resolvers';

/** The products subgraph's SDL (`schema.graphql`), as text. */
export const typeDefsText = readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8');

/** A built products subgraph and its repository (tests read the repository's call counts). */
export interface ProductsSubgraph { readonly server: SubgraphServer; readonly repository: ProductRepository }

/** Builds the products subgraph over `dataset.products` without listening. */
export function buildProductsSubgraph(dataset: Pick<Dataset, 'products'>, logger?: Logger): ProductsSubgraph {
  const repository = new InMemoryProductRepository(dataset.products);
  const server = createSubgraphServer({
    name: 'products',
    typeDefs: parse(typeDefsText),
    resolvers,
    createContext: () => ({ repository, loaders: createLoaders(repository) }),
    logger,
  });
  return { server, repository };
}
