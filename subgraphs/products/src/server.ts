import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { createSubgraphServer, type BuildSubgraph, type SubgraphServer } from '@roam/subgraph-kit';
import type { Logger } from 'pino';
import { seedProducts, type ProductsSeed } from './seed';
import { InMemoryProductRepository, type ProductRepository } from './repository';
import { createLoaders } from './loaders';
import { resolvers } from './resolvers';

/** The products subgraph's SDL (`schema.graphql`), as text. */
export const typeDefsText = readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8');

/** A built products subgraph and its repository (tests read the repository's call counts). */
export interface ProductsSubgraph {
  readonly server: SubgraphServer;
  readonly repository: ProductRepository;
}

/** Builds the products subgraph over `seed.products` (see {@link seedProducts}) without listening. */
export function buildProductsSubgraph(seed: ProductsSeed, logger?: Logger): ProductsSubgraph {
  const repository = new InMemoryProductRepository(seed.products);
  const server = createSubgraphServer({
    name: 'products',
    typeDefs: parse(typeDefsText),
    resolvers,
    createContext: () => ({ repository, loaders: createLoaders(repository) }),
    logger,
  });
  return { server, repository };
}

/** {@link BuildSubgraph} of the products subgraph: its own rows of `dataset` ({@link seedProducts}), then {@link buildProductsSubgraph}. */
export const buildSubgraph: BuildSubgraph = (dataset, logger) => buildProductsSubgraph(seedProducts(dataset), logger);
