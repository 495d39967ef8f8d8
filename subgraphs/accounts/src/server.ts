import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { createSubgraphServer, type Dataset, type SubgraphServer } from '@roam/subgraph-kit';
import type { Logger } from 'pino';
import { InMemoryUserRepository, type UserRepository } from './repository';
import { createLoaders } from './loaders';
import { resolvers } from './resolvers';

/** The accounts subgraph's SDL (`schema.graphql`), as text. */
export const typeDefsText = readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8');

/** A built accounts subgraph and its repository (tests read the repository's call counts). */
export interface AccountsSubgraph { readonly server: SubgraphServer; readonly repository: UserRepository }

/** Builds the accounts subgraph over `dataset.users` without listening. */
export function buildAccountsSubgraph(dataset: Pick<Dataset, 'users'>, logger?: Logger): AccountsSubgraph {
  const repository = new InMemoryUserRepository(dataset.users);
  const server = createSubgraphServer({
    name: 'accounts',
    typeDefs: parse(typeDefsText),
    resolvers,
    createContext: () => ({ repository, loaders: createLoaders(repository) }),
    logger,
  });
  return { server, repository };
}
