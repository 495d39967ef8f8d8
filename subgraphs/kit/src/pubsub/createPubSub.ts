import type { Logger } from 'pino';
import { InMemoryPubSub } from './InMemoryPubSub';
import type { PubSub } from './PubSub';
import { RedisPubSub } from './RedisPubSub';

/**
 * @param redisUrl - Redis URL (`REDIS_URL`); in-memory pub/sub when undefined.
 * @param prefix - channel prefix (`REDIS_PREFIX`), e.g. `roam:`.
 * @returns a {@link RedisPubSub} when `redisUrl` is given, otherwise an {@link InMemoryPubSub}.
 */
export function createPubSub(redisUrl: string | undefined, prefix: string, logger: Logger): PubSub {
  return redisUrl ? new RedisPubSub(redisUrl, prefix, logger) : new InMemoryPubSub();
}
