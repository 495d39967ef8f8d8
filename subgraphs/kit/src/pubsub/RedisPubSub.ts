import Redis from 'ioredis';
import type { Logger } from 'pino';
import type { PubSub } from './PubSub';

/**
 * {@link PubSub} over Redis pub/sub (ioredis), for several subgraph replicas. One connection publishes
 * and a separate one subscribes (a subscribed Redis connection cannot publish). Every channel name is
 * `prefix + channel`, so several deployments or test runs can share one Redis. One Redis subscription
 * per channel is shared by every local handler; the last handler to leave unsubscribes.
 *
 * Delivery is at most once, as Redis pub/sub is: a replica that is disconnected misses events. A Redis
 * error is logged and never becomes an unhandled rejection; ioredis reconnects and resubscribes.
 */
export class RedisPubSub implements PubSub {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, Set<(payload: unknown) => void>>();

  /**
   * @param url - `redis://host:port[/db]`.
   * @param prefix - prepended to every channel name, e.g. `roam:`.
   */
  constructor(url: string, private readonly prefix: string, private readonly logger: Logger) {
    this.publisher = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
    this.subscriber = new Redis(url, { lazyConnect: false });
    for (const [role, client] of [['publisher', this.publisher], ['subscriber', this.subscriber]] as const) {
      client.on('error', (error: Error) => this.logger.warn({ role, err: error.message }, 'redis pub/sub connection error'));
    }
    this.subscriber.on('message', (channel: string, message: string) => {
      const set = this.handlers.get(channel);
      if (!set) return;
      let payload: unknown;
      try {
        payload = JSON.parse(message);
      } catch {
        this.logger.warn({ channel }, 'dropped a pub/sub message that is not JSON');
        return;
      }
      for (const handler of [...set]) handler(payload);
    });
  }

  async publish(channel: string, payload: unknown): Promise<void> {
    try {
      await this.publisher.publish(this.prefix + channel, JSON.stringify(payload));
    } catch (error) {
      this.logger.error({ channel, err: (error as Error).message }, 'redis publish failed; event lost');
    }
  }

  async subscribe(channel: string, handler: (payload: unknown) => void): Promise<() => Promise<void>> {
    const key = this.prefix + channel;
    let set = this.handlers.get(key);
    if (!set) {
      this.handlers.set(key, (set = new Set()));
      await this.subscriber.subscribe(key);
    }
    set.add(handler);
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      set.delete(handler);
      if (set.size === 0 && this.handlers.get(key) === set) {
        this.handlers.delete(key);
        await this.subscriber.unsubscribe(key).catch((error: Error) => this.logger.warn({ channel, err: error.message }, 'redis unsubscribe failed'));
      }
    };
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}
