import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { createSubgraphServer, InMemoryPubSub, type BuildSubgraph, type PubSub, type SubgraphServer } from '@roam/subgraph-kit';
import type { Logger } from 'pino';
import { seedInventory, type InventorySeed } from './seed';
import { InMemoryInventoryRepository, type InventoryRepository } from './repository';
import { createLoaders } from './loaders';
import { createResolvers } from './resolvers';

/** The inventory subgraph's SDL (`schema.graphql`), as text. */
export const typeDefsText = readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8');

/** A built inventory subgraph and its repository (tests read the repository's call counts). */
export interface InventorySubgraph {
  readonly server: SubgraphServer;
  readonly repository: InventoryRepository;
}

/**
 * Builds the inventory subgraph over `seed.inventory` (see {@link seedInventory}) without listening.
 * @param pubsub - event bus of `setInStock`/`stockChanged`, shared by replicas; in-memory when omitted.
 */
export function buildInventorySubgraph(seed: InventorySeed, logger?: Logger, pubsub: PubSub = new InMemoryPubSub()): InventorySubgraph {
  const repository = new InMemoryInventoryRepository(seed.inventory);
  const server = createSubgraphServer({
    name: 'inventory',
    typeDefs: parse(typeDefsText),
    resolvers: createResolvers(pubsub),
    createContext: () => ({ repository, loaders: createLoaders(repository) }),
    logger,
  });
  return { server, repository };
}

/** {@link BuildSubgraph} of the inventory subgraph: its own rows of `dataset` ({@link seedInventory}), then {@link buildInventorySubgraph}. */
export const buildSubgraph: BuildSubgraph = (dataset, logger, pubsub) => buildInventorySubgraph(seedInventory(dataset), logger, pubsub);
