import DataLoader from 'dataloader';
import type { ListState } from './crdt';
import type { ListStore } from './storage/ListStore';

/** Per-request DataLoaders of the lists subgraph. */
export interface ListsLoaders {
  /** A list the signed-in user can see, by id; `undefined` otherwise. */
  readonly list: DataLoader<string, ListState | undefined>;
  /** The lists (not deleted) a user can see, by user id. */
  readonly listsOfUser: DataLoader<string, ListState[]>;
}

/** Per-request context of the lists subgraph. */
export interface ListsContext {
  readonly store: ListStore;
  /** The signed-in user. */
  readonly userId: string;
  readonly loaders: ListsLoaders;
}

/** @returns fresh loaders for one request (never share them across requests). */
export function createLoaders(store: ListStore, userId: string): ListsLoaders {
  return {
    list: new DataLoader((ids) => store.findVisible(userId, ids)),
    listsOfUser: new DataLoader((userIds) => store.listsOfUsers(userIds)),
  };
}
