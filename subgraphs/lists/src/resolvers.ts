import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLError } from 'graphql';
import { eventIterator, type PubSub } from '@roam/subgraph-kit';
import { type ChangeOp, type ChangeOpFields, InvalidChangeError, type ListState, parseChangeOp, viewOf } from './crdt';
import type { ListsContext } from './loaders';
import type { IncomingChange, ListStore } from './storage/ListStore';
import { SyncError } from './syncErrors';
import { type ChangesPageWire, pageToWire } from './wire';

/** Most changes accepted in one `pushChanges`. */
export const MAX_CHANGES_PER_PUSH = 1000;
/** Largest `limit` of `pullChanges`. */
export const MAX_PULL_LIMIT = 1000;
/** Pub/sub channel poked after every push that appended to the log; the payload is `{ cursor }`. */
export const LISTS_CHANGED_CHANNEL = 'lists:CHANGED';

interface ChangeInput extends ChangeOpFields {
  readonly id: number;
  readonly listId: string;
  readonly hlc: string;
}

function syncError(error: SyncError): GraphQLError {
  return new GraphQLError(error.message, { extensions: { code: error.code, ...(error.changeId !== undefined ? { changeId: error.changeId } : {}) } });
}

/** @returns the log position `since` names; 0 for null. @throws GraphQLError `INVALID_CURSOR`. */
export function parseCursor(since: string | null | undefined): number {
  if (since == null || since === '') return 0;
  if (!/^\d{1,15}$/.test(since))
    throw new GraphQLError(`Expected "since" to be a cursor returned by this server (digits); got ${JSON.stringify(since.slice(0, 40))}.`, { extensions: { code: 'INVALID_CURSOR' } });
  return Number(since);
}

/**
 * Pages of the log for `userId` after `since`, then a new page after every poke on {@link LISTS_CHANGED_CHANNEL}
 * (empty pages are skipped). The poke subscription starts before the first read, so no change falls between.
 */
async function* changesAfter(store: ListStore, pubsub: PubSub, userId: string, since: number): AsyncGenerator<ChangesPageWire> {
  const pokes = eventIterator<unknown>(pubsub, LISTS_CHANGED_CHANNEL);
  try {
    let cursor = since;
    for (;;) {
      const page = await store.pull(userId, undefined, cursor, MAX_PULL_LIMIT);
      cursor = page.cursor;
      if (page.changes.length > 0) yield pageToWire(page);
      if (page.hasMore) continue;
      if ((await pokes.next()).done) return;
    }
  } finally {
    await pokes.return?.();
  }
}

/**
 * @param pubsub - the bus `pushChanges` pokes and `Subscription.listChanges` listens to.
 * @returns the resolvers of the lists subgraph, by type.
 */
export function createResolvers(pubsub: PubSub): GraphQLResolverMap<ListsContext> {
  return {
    Subscription: {
      listChanges: {
        subscribe: (_root: unknown, { since }: { since?: string | null }, { store, userId }: ListsContext) => changesAfter(store, pubsub, userId, parseCursor(since)),
        resolve: (page: ChangesPageWire) => page,
      },
    },
    Query: {
      shoppingList: async (_root, { id }: { id: string }, { loaders }) => (await loaders.list.load(id)) ?? null,
      pullChanges: async (_root, args: { clientId?: string | null; since?: string | null; limit?: number | null }, { store, userId }) => {
        const limit = args.limit ?? 500;
        if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PULL_LIMIT) {
          throw new GraphQLError(`Expected "limit" from 1 to ${MAX_PULL_LIMIT}; got ${limit}.`, { extensions: { code: 'BAD_USER_INPUT' } });
        }
        return pageToWire(await store.pull(userId, args.clientId ?? undefined, parseCursor(args.since), limit));
      },
    },
    Mutation: {
      pushChanges: async (_root, { clientId, changes }: { clientId: string; changes: readonly ChangeInput[] }, { store, userId }) => {
        if (clientId.length === 0 || clientId.length > 64 || clientId.includes(':')) {
          throw new GraphQLError('Expected "clientId" to be 1 to 64 characters without ":".', { extensions: { code: 'INVALID_CHANGE' } });
        }
        if (changes.length > MAX_CHANGES_PER_PUSH) {
          throw new GraphQLError(`At most ${MAX_CHANGES_PER_PUSH} changes per push; got ${changes.length}. Push the rest in another call.`, { extensions: { code: 'INVALID_CHANGE' } });
        }
        let incoming: IncomingChange[];
        try {
          incoming = changes.map((c) => ({ changeId: c.id, listId: c.listId, hlc: c.hlc, op: parseChangeOpOf(c) }));
        } catch (error) {
          if (error instanceof InvalidChangeError) throw new GraphQLError(error.message, { extensions: { code: error.code } });
          throw error;
        }
        try {
          const result = await store.push(userId, clientId, incoming);
          if (result.outcomes.some((o) => o.outcome !== 'ALREADY_APPLIED')) await pubsub.publish(LISTS_CHANGED_CHANNEL, { cursor: result.cursor });
          return { outcomes: result.outcomes.map((o) => ({ id: o.changeId, outcome: o.outcome })), lastChangeId: result.lastChangeId, cursor: String(result.cursor) };
        } catch (error) {
          if (error instanceof SyncError) throw syncError(error);
          throw error;
        }
      },
    },
    ShoppingList: {
      __resolveReference: async (reference: { id: string }, { loaders }: ListsContext) => (await loaders.list.load(reference.id)) ?? null,
      title: (s: ListState) => s.title.value,
      archived: (s: ListState) => s.archived.value,
      items: (s: ListState) => viewOf(s).items.map((i) => ({ ...i, product: { __typename: 'Product', upc: i.upc } })),
      owner: (s: ListState) => ({ __typename: 'User', id: s.ownerId }),
      members: (s: ListState) => viewOf(s).memberIds.map((id) => ({ __typename: 'User', id })),
    },
    User: {
      __resolveReference: (reference: { id: string }) => reference,
      lists: (user: { id: string }, _args: unknown, { loaders, userId }: ListsContext) => (user.id === userId ? loaders.listsOfUser.load(user.id) : []),
    },
    Product: {
      __resolveReference: (reference: { upc: string }) => reference,
      onLists: async (product: { upc: string }, _args: unknown, { loaders, userId }: ListsContext) =>
        (await loaders.listsOfUser.load(userId)).filter((s) => viewOf(s).items.some((i) => i.upc === product.upc)),
    },
  };
}

/** Validates one `ChangeInput`; @throws InvalidChangeError naming the change id. */
function parseChangeOpOf(c: ChangeInput): ChangeOp {
  if (c.listId.length === 0 || c.listId.length > 64) throw new InvalidChangeError(`Change ${c.id}: "listId" must be 1 to 64 characters; got ${c.listId.length}.`);
  if (c.hlc.length > 100) throw new InvalidChangeError(`Change ${c.id}: "hlc" is longer than 100 characters.`);
  try {
    return parseChangeOp(c);
  } catch (error) {
    if (error instanceof InvalidChangeError) throw new InvalidChangeError(`Change ${c.id}: ${error.message}`);
    throw error;
  }
}
