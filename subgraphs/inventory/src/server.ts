import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { createSubgraphServer, InMemoryPubSub, type Dataset, type PubSub, type SubgraphServer } from '@roam/subgraph-kit';
import type { Logger } from 'pino';
import { InMemoryInventoryRepository, type InventoryRepository } from './repository';
import { createLoaders } from './loaders';
import { createResolvers } from './resolvers';

/** The inventory subgraph's SDL (`schema.graphql`), as text. */
export const typeDefsText = readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8');

/** A built inventory subgraph and its repository (tests read the repository's call counts). */
export interface InventorySubgraph { readonly server: SubgraphServer; readonly repository: InventoryRepository }

/**
 * Builds the inventory subgraph over `dataset.inventory` without listening.
 * @param pubsub - event bus of `setInStock`/`stockChanged`, shared by replicas; in-memory when omitted.
 */
export function buildInventorySubgraph(dataset: Pick<Dataset, 'inventory'>, logger?: Logger, pubsub: PubSub = new InMemoryPubSub()): InventorySubgraph {
  const repository = new InMemoryInventoryRepository(dataset.inventory);
  const server = createSubgraphServer({
    name: 'inventory',
    typeDefs: parse(typeDefsText),
    resolvers: createResolvers(pubsub),
    createContext: () => ({ repository, loaders: createLoaders(repository) }),
    logger,
  });
  return { server, repository };
}
