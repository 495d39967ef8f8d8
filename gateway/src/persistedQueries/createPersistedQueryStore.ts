import { CachedPersistedQueryStore, MemoryPersistedQueryStore, RedisPersistedQueryStore, type PersistedQueryStore } from '@roam/persisted-queries';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config';

/** The gateway's store plus its start-up step. */
export interface GatewayPersistedQueryStore {
  readonly store: PersistedQueryStore;
  /** Subscribes to revocations and waits (at most `readyTimeoutMs`) for Redis; never throws: a Redis outage at start is logged and retried in the background. */
  start(readyTimeoutMs?: number): Promise<void>;
  /**
   * @returns whether the store has been reachable at least once since start (always true in memory): until then
   * no persisted id can be resolved (the local cache is empty), so `GET /ready` answers 503 in safelist mode.
   * Later outages do not make it false: ids in the local cache keep being served.
   */
  hasConnected(): boolean;
}

/**
 * Builds the store the gateway reads: in-memory when `REDIS_URL` is unset (one process, `npm start`),
 * otherwise Redis under `PERSISTED_QUERIES_KEY_PREFIX` with an LRU of `PERSISTED_QUERIES_CACHE_SIZE`
 * ids in front, every call bounded by `PERSISTED_QUERIES_TIMEOUT_MS`.
 *
 * @param config - `config.persistedQueries`.
 * @param logger - gets one line per Redis connection state change (`@roam/redis`: ready, unreachable,
 *   lost, reconnected), never a stack trace per reconnect attempt.
 */
export function createPersistedQueryStore(config: GatewayConfig['persistedQueries'], logger: Logger): GatewayPersistedQueryStore {
  if (!config.redisUrl) return { store: new MemoryPersistedQueryStore(), start: async () => undefined, hasConnected: () => true };
  const redis = new RedisPersistedQueryStore({ url: config.redisUrl, keyPrefix: config.keyPrefix, timeoutMs: config.timeoutMs, logger });
  const store = new CachedPersistedQueryStore(redis, { maxEntries: config.cacheSize });
  let connected = false;
  return {
    store,
    hasConnected: () => connected || (connected = redis.isConnected()),
    async start(readyTimeoutMs = 2000) {
      await store.start();
      try {
        await redis.waitUntilReady(readyTimeoutMs);
        connected = true;
      } catch (error) {
        // one line, no stack: the Redis layer has already logged the cause (refused, unreachable…)
        logger.warn({ detail: (error as Error).message }, 'persisted query store: Redis not ready at start; retrying in the background');
      }
    },
  };
}
