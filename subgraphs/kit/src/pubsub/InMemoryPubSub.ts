import type { PubSub } from './PubSub';

/**
 * {@link PubSub} inside one process: used when `REDIS_URL` is unset (one replica, tests, `npm start`).
 * Handlers run in a later microtask than `publish`, as they would with Redis.
 */
export class InMemoryPubSub implements PubSub {
  private readonly handlers = new Map<string, Set<(payload: unknown) => void>>();

  async publish(channel: string, payload: unknown): Promise<void> {
    const set = this.handlers.get(channel);
    if (!set) return;
    // JSON round trip: subscribers get the same shape a Redis transport would give them.
    const copy = JSON.parse(JSON.stringify(payload)) as unknown;
    for (const handler of [...set]) queueMicrotask(() => handler(copy));
  }

  async subscribe(channel: string, handler: (payload: unknown) => void): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0 && this.handlers.get(channel) === set) this.handlers.delete(channel);
    };
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
