import type { EventRetention } from '@roam/redis';
import type { Logger } from 'pino';
import { InMemoryPubSub } from './InMemoryPubSub';
import type { PubSub } from './PubSub';
import { RedisPubSub } from './RedisPubSub';

/**
 * @param redisUrl - Redis URL (`REDIS_URL`); in-memory pub/sub when undefined.
 * @param prefix - channel prefix (`REDIS_PREFIX`), e.g. `roam:`.
 * @param retention - events kept per channel for resume (`EVENT_RETENTION_COUNT`, `EVENT_RETENTION_MS`). @default 10000 events, 1 hour
 * @returns a {@link RedisPubSub} when `redisUrl` is given, otherwise an {@link InMemoryPubSub}.
 */
export function createPubSub(redisUrl: string | undefined, prefix: string, logger: Logger, retention?: EventRetention): PubSub {
  return redisUrl ? new RedisPubSub(redisUrl, prefix, logger, retention ? { retention } : {}) : new InMemoryPubSub(retention);
}
