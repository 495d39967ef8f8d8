import type { PubSub } from './PubSub';

/**
 * Turns a {@link PubSub} channel into the `AsyncIterableIterator` a GraphQL `subscribe` resolver returns.
 * Delivery starts once the channel subscription is in place; payloads failing `filter` are skipped.
 * `return()` (the client completed or disconnected) unsubscribes at once and resolves a pending `next()`
 * with `done`. At most `maxQueued` undelivered payloads are kept; older ones are dropped past that.
 *
 * @param pubsub - the bus.
 * @param channel - channel name without prefix.
 * @param filter - keeps a payload when it returns true.
 * @param maxQueued - bound of the buffer, in payloads; @default 1000
 */
export function eventIterator<T>(pubsub: PubSub, channel: string, filter: (payload: T) => boolean = () => true, maxQueued = 1000): AsyncIterableIterator<T> {
  const queue: T[] = [];
  const waiting: ((result: IteratorResult<T>) => void)[] = [];
  let done = false;
  const unsubscribe = pubsub.subscribe(channel, (payload) => {
    if (done || !filter(payload as T)) return;
    const resolve = waiting.shift();
    if (resolve) resolve({ value: payload as T, done: false });
    else {
      queue.push(payload as T);
      if (queue.length > maxQueued) queue.shift();
    }
  });
  const finish = async (): Promise<IteratorResult<T>> => {
    if (!done) {
      done = true;
      queue.length = 0;
      for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
      await (
        await unsubscribe
      )();
    }
    return { value: undefined, done: true };
  };
  return {
    async next() {
      await unsubscribe;
      if (queue.length > 0) return { value: queue.shift() as T, done: false };
      if (done) return { value: undefined, done: true };
      return new Promise<IteratorResult<T>>((resolve) => waiting.push(resolve));
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
