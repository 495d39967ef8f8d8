import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { createSubgraphServer, InMemoryPubSub, type PubSub, type SubgraphServer } from '@roam/subgraph-kit';
import type { Logger } from 'pino';
import { encodeHlc } from './crdt';
import { createLoaders } from './loaders';
import { createResolvers } from './resolvers';
import type { Database } from './storage/Database';
import { ListStore } from './storage/ListStore';
import { migrate } from './storage/migrate';

/** The lists subgraph's SDL (`schema.graphql`), as text. */
export const typeDefsText = readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8');

/** Options of {@link buildListsSubgraph}. */
export interface ListsSubgraphOptions {
  /** Open database; migrated on build and closed with the server. */
  readonly db: Database;
  /** The signed-in user (see `LISTS_USER_ID`). */
  readonly userId: string;
  /** See `LISTS_MAX_CLOCK_DRIFT_MS`. */
  readonly maxClockDriftMs: number;
  readonly logger?: Logger;
  /** Event bus shared by replicas; a fresh in-memory one when omitted. */
  readonly pubsub?: PubSub;
  /** Seed the reference lists into an empty log; @default true */
  readonly seed?: boolean;
}

/** A built lists subgraph and its store (tests read the log and the projection). */
export interface ListsSubgraph {
  readonly server: SubgraphServer;
  readonly store: ListStore;
}

/**
 * Seeds an empty log with the reference lists: user 1's "Weekly groceries" (products 1 and 2, shared with
 * user 2) and user 2's private "Hardware store" (a list user 1 cannot see). Pushed like any device's changes.
 */
async function seed(store: ListStore): Promise<void> {
  if ((await store.pull('1', undefined, 0, 1)).cursor > 0) return;
  const at = (replica: string, counter: number): string => encodeHlc({ wallMs: 1_764_547_200_000, counter, replica });
  await store.push('1', 'seed-1', [
    { changeId: 1, listId: 'groceries', hlc: at('seed-1', 0), op: { kind: 'CREATE_LIST', title: 'Weekly groceries' } },
    { changeId: 2, listId: 'groceries', hlc: at('seed-1', 1), op: { kind: 'ADD_ITEM', upc: '1', quantity: 2 } },
    { changeId: 3, listId: 'groceries', hlc: at('seed-1', 2), op: { kind: 'ADD_ITEM', upc: '2', quantity: 1 } },
    { changeId: 4, listId: 'groceries', hlc: at('seed-1', 3), op: { kind: 'ADD_MEMBER', userId: '2' } },
  ]);
  await store.push('2', 'seed-2', [{ changeId: 1, listId: 'hardware', hlc: at('seed-2', 0), op: { kind: 'CREATE_LIST', title: 'Hardware store' } }]);
}

/**
 * Builds the lists subgraph without listening: migrates the database, seeds it when empty, and serves the
 * sync protocol (`pushChanges`, `pullChanges`, `Subscription.listChanges`) and the `ShoppingList` entity.
 * Closing the server also closes the database.
 */
export async function buildListsSubgraph(options: ListsSubgraphOptions): Promise<ListsSubgraph> {
  const pubsub = options.pubsub ?? new InMemoryPubSub();
  await migrate(options.db);
  const store = new ListStore(options.db, { maxClockDriftMs: options.maxClockDriftMs });
  if (options.seed ?? true) await seed(store);
  const server = createSubgraphServer({
    name: 'lists',
    typeDefs: parse(typeDefsText),
    resolvers: createResolvers(pubsub),
    createContext: () => ({ store, userId: options.userId, loaders: createLoaders(store, options.userId) }),
    logger: options.logger,
  });
  const close = server.close.bind(server);
  return {
    server: {
      ...server,
      close: async () => {
        await close();
        await options.db.close();
      },
    },
    store,
  };
}
