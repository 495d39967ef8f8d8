import { createRedisConnections, formatEventId, RedisChannels, RedisEventLog, redisKeyspace, RedisUnavailableError, type EventRetention, type RedisConnections } from '@roam/redis';
import { roamError } from '@roam/errors';
import type { Logger } from 'pino';
import type { EventHandler, PubSub, SubscribeOptions } from './PubSub';
import { resumeGap, resumeInvalid, resumePosition } from './resumeErrors';

/** Options of {@link RedisPubSub}. */
export interface RedisPubSubOptions {
  /** Deadline of each Redis call, in ms; past it a publish is lost and logged. @default 1000 */
  readonly timeoutMs?: number;
  /** How many events, and how old, each stream keeps for resume. @default 10000 events, 1 hour */
  readonly retention?: EventRetention;
  /** How often a stream is read without a notification, in ms. @default 1000 */
  readonly pollMs?: number;
}

/**
 * {@link PubSub} on Redis Streams for several subgraph replicas, through the shared Redis layer
 * (`@roam/redis` {@link RedisEventLog}): the same `REDIS_URL` forms as the gateway (standalone, TLS,
 * Sentinel, Cluster). A publish is an `XADD` to `<prefix>stream:<channel>` (trimmed to the retention)
 * plus a pub/sub notification on `<prefix>events:stream-appended:<channel>`; every replica reads the
 * stream in order, so an event reaches every subscriber of every replica once, in publish order, and a
 * subscriber can resume after any event still retained. A publish while Redis is down fails at once
 * (logged, event lost: the mutation already happened); readers retry every poll.
 */
export class RedisPubSub implements PubSub {
  private readonly connections: RedisConnections;
  private readonly channels: RedisChannels;
  private readonly log: RedisEventLog;
  private readonly cacheChannels: RedisChannels;

  /**
   * @param url - `REDIS_URL` in any form `parseRedisUrl` of `@roam/redis` reads.
   * @param prefix - root prefix of every key and channel name (`REDIS_PREFIX`), e.g. `roam:`; non-empty.
   * @param logger - gets connection state changes and lost events, one line each.
   * @throws Error when the URL is malformed or the prefix empty.
   */
  constructor(
    url: string,
    prefix: string,
    private readonly logger: Logger,
    options: RedisPubSubOptions = {},
  ) {
    this.connections = createRedisConnections(url, { commandTimeoutMs: options.timeoutMs ?? 1000, logger, name: 'subgraph events' });
    const root = redisKeyspace(prefix);
    this.channels = new RedisChannels(this.connections, root.namespace('events'), { logger, name: 'subgraph events' });
    this.log = new RedisEventLog(this.connections, root.namespace('stream'), this.channels, {
      retention: options.retention ?? { maxCount: 10_000, maxAgeMs: 3_600_000 },
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      // a publish waits for a connection that is still opening at most the same deadline as a command
      readyWaitMs: options.timeoutMs ?? 1000,
      logger,
      name: 'subgraph events',
    });
    this.cacheChannels = new RedisChannels(this.connections, root.namespace('cache'), { logger, name: 'subgraph events' });
  }

  async publish(channel: string, payload: unknown): Promise<void> {
    try {
      await this.log.append(channel, payload);
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

  async subscribe(channel: string, handler: EventHandler, options: SubscribeOptions = {}): Promise<() => Promise<void>> {
    let from: string | undefined;
    try {
      if (options.after !== undefined) {
        from = resumePosition(channel, options.after);
        const check = await this.log.check(channel, from);
        if (check === 'future') throw resumeInvalid('it is beyond the newest event of its stream');
        if (check === 'gap') throw resumeGap();
      }
      const stop = await this.log.listen(channel, (event) => handler(event.payload, formatEventId(channel, event.position)), from);
      return async () => stop();
    } catch (error) {
      if (error instanceof RedisUnavailableError) {
        this.logger.warn({ channel, reason: error.reason, detail: error.message }, 'event stream not readable; subscription refused');
        throw roamError('SUBSCRIPTION_UPSTREAM_ERROR', 'The event stream is not available right now; resubscribe with backoff.', { reason: 'event stream unavailable' });
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    this.log.close();
    this.channels.close();
    await this.connections.close();
  }
}
