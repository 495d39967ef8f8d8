import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { createSubgraphServer, type BuildSubgraph, type SubgraphServer } from '@roam/subgraph-kit';
import type { Logger } from 'pino';
import { seedAccounts, type AccountsSeed } from './seed';
import { InMemoryUserRepository, type UserRepository } from './repository';
import { createLoaders } from './loaders';
import { resolvers } from './resolvers';

/** The accounts subgraph's SDL (`schema.graphql`), as text. */
export const typeDefsText = readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8');

/** A built accounts subgraph and its repository (tests read the repository's call counts). */
export interface AccountsSubgraph {
  readonly server: SubgraphServer;
  readonly repository: UserRepository;
}

/** Builds the accounts subgraph over `seed.users` (see {@link seedAccounts}) without listening. */
export function buildAccountsSubgraph(seed: AccountsSeed, logger?: Logger): AccountsSubgraph {
  const repository = new InMemoryUserRepository(seed.users);
  const server = createSubgraphServer({
    name: 'accounts',
    typeDefs: parse(typeDefsText),
    resolvers,
    createContext: (request) => ({ repository, loaders: createLoaders(repository), claims: request?.claims }),
    logger,
  });
  return { server, repository };
}

/** {@link BuildSubgraph} of the accounts subgraph: its own rows of `dataset` ({@link seedAccounts}), then {@link buildAccountsSubgraph}. */
export const buildSubgraph: BuildSubgraph = (dataset, logger) => buildAccountsSubgraph(seedAccounts(dataset), logger);
