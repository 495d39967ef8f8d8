import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import type { UserRow } from './seed';
import type { UserRepository } from './repository';

/** Per-request DataLoaders of the accounts subgraph. */
export interface AccountsLoaders {
  /** User by id; an unknown id rejects only its own load with `NOT_FOUND`. */
  readonly user: DataLoader<string, UserRow>;
}

/** Per-request context of the accounts subgraph. */
export interface AccountsContext {
  readonly loaders: AccountsLoaders;
  readonly repository: UserRepository;
  /** The caller the gateway verified (`roam-claims` of a signed request; README "Security"), when there is one. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** @returns fresh loaders for one request (never share them across requests). */
export function createLoaders(repository: UserRepository): AccountsLoaders {
  return {
    user: new DataLoader<string, UserRow>(async (ids) => {
      const rows = await repository.findByIds(ids);
      return rows.map((row, i) => row ?? new GraphQLError(`User "${ids[i]}" not found.`, { extensions: { code: 'NOT_FOUND' } }));
    }),
  };
}
