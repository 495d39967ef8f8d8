import { createRedisConnections, RedisChannels, redisKeyspace, RedisUnavailableError, type RedisConnections } from '@roam/redis';
import type { Logger } from 'pino';
import type { PubSub } from './PubSub';

/** Options of {@link RedisPubSub}. */
export interface RedisPubSubOptions {
  /** Deadline of each publish, in ms; past it the event is lost and logged. @default 1000 */
  readonly timeoutMs?: number;
}

/**
 * {@link PubSub} over Redis pub/sub for several subgraph replicas, through the shared Redis layer
 * (`@roam/redis`): the same `REDIS_URL` forms as the gateway (standalone, TLS, Sentinel, Cluster),
 * publishes on the command connection with a deadline, subscriptions on a separate subscriber
 * connection (a subscribed Redis connection cannot publish), one log line per connection state change.
 * Every channel name is `<prefix>events:<channel>` (the `events` namespace), so several deployments or
 * test runs can share one Redis. One Redis subscription per channel is shared by every local handler;
 * the last handler to leave unsubscribes.
 *
 * Delivery is at most once, as Redis pub/sub is: a replica that is disconnected misses events, and a
 * publish while Redis is down fails at once (logged, event lost). No Redis error becomes an unhandled
 * rejection; ioredis reconnects and resubscribes.
 */
export class RedisPubSub implements PubSub {
  private readonly connections: RedisConnections;
  private readonly channels: RedisChannels;
  private readonly cacheChannels: RedisChannels;

  /**
   * @param url - `REDIS_URL` in any form `parseRedisUrl` of `@roam/redis` reads.
   * @param prefix - root prefix of every channel name (`REDIS_PREFIX`), e.g. `roam:`; non-empty.
   * @param logger - gets connection state changes and lost events, one line each.
   * @throws Error when the URL is malformed or the prefix empty.
   */
  constructor(
    url: string,
    prefix: string,
    private readonly logger: Logger,
    options: RedisPubSubOptions = {},
  ) {
    this.connections = createRedisConnections(url, { commandTimeoutMs: options.timeoutMs ?? 1000, logger, name: 'subgraph pub/sub' });
    this.channels = new RedisChannels(this.connections, redisKeyspace(prefix).namespace('events'), { logger, name: 'subgraph pub/sub' });
    this.cacheChannels = new RedisChannels(this.connections, redisKeyspace(prefix).namespace('cache'), { logger, name: 'subgraph pub/sub' });
  }

  async publish(channel: string, payload: unknown): Promise<void> {
    try {
      await this.channels.publish(channel, payload);
    } catch (error) {
      const e = RedisUnavailableError.from(error);
      this.logger.error({ channel, reason: e.reason, detail: e.message }, 'redis publish failed; event lost');
    }
  }

  async invalidateCache(invalidation: { readonly entities?: readonly string[]; readonly types?: readonly string[] }): Promise<void> {
    try {
      await this.cacheChannels.publish('invalidate', invalidation);
    } catch (error) {
      const e = RedisUnavailableError.from(error);
      this.logger.error({ reason: e.reason, detail: e.message }, 'redis publish of a cache invalidation failed; it is lost');
    }
  }

  subscribe(channel: string, handler: (payload: unknown) => void): Promise<() => Promise<void>> {
    return this.channels.subscribe(channel, handler);
  }

  async close(): Promise<void> {
    this.channels.close();
    await this.connections.close();
  }
}
