import type { GraphQLError } from 'graphql';
import type { PubSub } from './PubSub';

const eventIds = new WeakMap<object, string>();

/**
 * @param payload - a value an {@link eventIterator} yielded (a subscription's root value).
 * @returns its event id (`<channel>@<ms>-<seq>`), or undefined for values that did not come from a {@link PubSub}.
 */
export function eventIdOf(payload: unknown): string | undefined {
  return typeof payload === 'object' && payload !== null ? eventIds.get(payload) : undefined;
}

/** Options of {@link eventIterator}. */
export interface EventIteratorOptions {
  /** Bound of the buffer, in payloads; older ones are dropped past it. @default 1000 */
  readonly maxQueued?: number;
  /** Resume after this event id (the client's `lastEventId`). @default live only */
  readonly after?: string;
}

/**
 * Turns a {@link PubSub} channel into the `AsyncIterableIterator` a GraphQL `subscribe` resolver returns.
 * Delivery starts once the channel subscription is in place; payloads failing `filter` are skipped.
 * `return()` (the client completed or disconnected) unsubscribes at once and resolves a pending `next()`
 * with `done`. Each yielded payload (an object) is tagged with its event id ({@link eventIdOf}).
 *
 * @param pubsub - the bus.
 * @param channel - channel name without prefix.
 * @param filter - keeps a payload when it returns true.
 * @param options - buffer bound, resume position.
 */
export function eventIterator<T>(
  pubsub: PubSub,
  channel: string,
  filter: (payload: T) => boolean = () => true,
  options: EventIteratorOptions | number = {},
): AsyncIterableIterator<T> & { ready: Promise<void> } {
  const { maxQueued = 1000, after } = typeof options === 'number' ? { maxQueued: options } : options;
  const queue: T[] = [];
  const waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void }[] = [];
  let done = false;
  let failure: GraphQLError | undefined;
  const unsubscribe = pubsub.subscribe(
    channel,
    (payload, eventId) => {
      if (done || !filter(payload as T)) return;
      if (typeof payload === 'object' && payload !== null) eventIds.set(payload, eventId);
      const next = waiting.shift();
      if (next) next.resolve({ value: payload as T, done: false });
      else {
        queue.push(payload as T);
        if (queue.length > maxQueued) queue.shift();
      }
    },
    after !== undefined ? { after } : {},
  );
  const ready = unsubscribe.then(
    () => undefined,
    (error: GraphQLError) => {
      failure = error;
      done = true;
      throw error;
    },
  );
  ready.catch(() => undefined);
  const finish = async (): Promise<IteratorResult<T>> => {
    if (!done) {
      done = true;
      queue.length = 0;
      for (const w of waiting.splice(0)) w.resolve({ value: undefined, done: true });
      await (
        await unsubscribe
      )();
    }
    return { value: undefined, done: true };
  };
  return {
    ready,
    async next() {
      await ready.catch(() => undefined);
      if (queue.length > 0) return { value: queue.shift() as T, done: false };
      if (failure) throw failure;
      if (done) return { value: undefined, done: true };
      return new Promise<IteratorResult<T>>((resolve, reject) => waiting.push({ resolve, reject }));
    },
    return: finish,
    async throw(error: unknown) {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * Like {@link eventIterator}, but resolves only once the subscription is in place, so a refused resume
 * (`SUBSCRIPTION_RESUME_INVALID`, `SUBSCRIPTION_RESUME_GAP`) rejects the `subscribe` resolver and the client
 * gets one graphql-ws `error` message. Use it in `subscribe` resolvers of fields whose events come from a
 * {@link PubSub}, with the context's resume request ({@link resumeRequestOf}).
 */
export async function resumableEvents<T>(pubsub: PubSub, channel: string, filter: (payload: T) => boolean, after: string | undefined): Promise<AsyncIterableIterator<T>> {
  const iterator = eventIterator(pubsub, channel, filter, after !== undefined ? { after } : {});
  await iterator.ready;
  return iterator;
}
