import { CachedPersistedQueryStore, MemoryPersistedQueryStore, RedisPersistedQueryStore, type PersistedQueryStore } from '@roam/persisted-queries';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config';

/** The gateway's store plus its start-up step. */
export interface GatewayPersistedQueryStore {
  readonly store: PersistedQueryStore;
  /** Subscribes to revocations and waits (at most `readyTimeoutMs`) for Redis; never throws: a Redis outage at start is logged and retried in the background. */
  start(readyTimeoutMs?: number): Promise<void>;
}

/**
 * Builds the store the gateway reads: in-memory when `REDIS_URL` is unset (one process, `npm start`),
 * otherwise Redis under `PERSISTED_QUERIES_KEY_PREFIX` with an LRU of `PERSISTED_QUERIES_CACHE_SIZE`
 * ids in front, every call bounded by `PERSISTED_QUERIES_TIMEOUT_MS`.
 *
 * @param config - `config.persistedQueries`.
 * @param logger - Redis connection errors are logged at `warn`, at most once per second.
 */
export function createPersistedQueryStore(config: GatewayConfig['persistedQueries'], logger: Logger): GatewayPersistedQueryStore {
  if (!config.redisUrl) return { store: new MemoryPersistedQueryStore(), start: async () => undefined };
  let lastLog = 0;
  const redis = new RedisPersistedQueryStore({
    url: config.redisUrl,
    keyPrefix: config.keyPrefix,
    timeoutMs: config.timeoutMs,
    onError: (error) => {
      if (Date.now() - lastLog < 1000) return;
      lastLog = Date.now();
      logger.warn({ err: error }, 'persisted query store: Redis connection error');
    },
  });
  const store = new CachedPersistedQueryStore(redis, { maxEntries: config.cacheSize });
  return {
    store,
    async start(readyTimeoutMs = 2000) {
      await store.start();
      try {
        await redis.waitUntilReady(readyTimeoutMs);
      } catch (error) {
        logger.warn({ err: error }, 'persisted query store: Redis not ready at start; retrying in the background');
      }
    },
  };
}
