import { createRedisConnections, RedisChannels, redisKeyspace } from '@roam/redis';
import type { Logger } from 'pino';
import { DeltaResponder } from './DeltaResponder';
import { ResponseCache, type ResponseCacheObserver } from './ResponseCache';
import type { DeltaResponderOptions } from './DeltaResponder';
import { MemoryResponseCacheStore, RedisResponseCacheStore, type ResponseCacheStore } from './ResponseCacheStore';
import type { ResponseCacheSettings } from './responseCacheEnv';

export { DeltaResponder, acceptsJsonPatch, type Delta } from './DeltaResponder';
export { jsonDiff, type PatchOperation } from './jsonDiff';
export { ResponseCache, type ResponseCacheObserver, CACHE_STATUS_HEADER, INVALIDATION_CHANNEL, INVALIDATION_SCHEMA, type Invalidation } from './ResponseCache';
export { MemoryResponseCacheStore, RedisResponseCacheStore, type ResponseCacheStore, type StoredResponse } from './ResponseCacheStore';
export { CACHE_ADMIN_PATH, registerCacheAdminRoute } from './registerCacheAdminRoute';
export { RESPONSE_CACHE_ENV_SHAPE, responseCacheSettingsFromEnv, type ResponseCacheSettings } from './responseCacheEnv';

/** The response-cache parts of one gateway. */
export interface ResponseCaching {
  /** The cache, when `RESPONSE_CACHE=on`. */
  readonly cache: ResponseCache | undefined;
  /** Delta updates, when `DELTA_UPDATES=on`. */
  readonly deltas: DeltaResponder | undefined;
  /** Starts listening for published invalidations. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Builds the response cache and delta updates over one store: Redis when the cache is on and `redisUrl` is set
 * (shared by every replica; its own connections with the deadline `timeoutMs`, invalidations published on
 * `<keyPrefix>invalidate` heard by every replica), else in memory (one process, LRU-bounded; with the cache
 * off, delta base versions are per replica, so a delta request reaching another replica gets the full response).
 *
 * @param settings - `RESPONSE_CACHE_*` and `DELTA_*` settings.
 * @param redisUrl - `REDIS_URL`, or undefined.
 * @param logger - gets store failures and Redis state changes.
 * @param observers - told cache lookups and invalidations, and delta answers (metrics). @default none
 * @throws Error when `redisUrl` is malformed (config validation has already checked it).
 */
export function createResponseCaching(
  settings: ResponseCacheSettings,
  redisUrl: string | undefined,
  logger: Logger,
  observers: { readonly cache?: ResponseCacheObserver; readonly onDelta?: DeltaResponderOptions['onOutcome'] } = {},
): ResponseCaching {
  if (!settings.enabled && !settings.deltas) return { cache: undefined, deltas: undefined, start: async () => undefined, close: async () => undefined };
  const log = logger.child({ component: 'response-cache' });
  let store: ResponseCacheStore;
  let channels: RedisChannels | undefined;
  if (redisUrl && settings.enabled) {
    const connections = createRedisConnections(redisUrl, { commandTimeoutMs: settings.timeoutMs, logger: log, name: 'response cache' });
    store = new RedisResponseCacheStore(connections, settings.keyPrefix);
    channels = new RedisChannels(connections, redisKeyspace(settings.keyPrefix), { logger: log, name: 'response cache' });
  } else {
    store = new MemoryResponseCacheStore({ maxEntries: settings.maxEntries, maxBytes: settings.memoryMaxBytes });
  }
  const cache = settings.enabled
    ? new ResponseCache({ store, maxEntryBytes: settings.maxEntryBytes, logger: log, ...(channels ? { channels } : {}), ...(observers.cache ? { observer: observers.cache } : {}) })
    : undefined;
  const deltas = settings.deltas
    ? new DeltaResponder({ store, maxVersions: settings.deltaMaxVersions, maxAgeMs: settings.deltaMaxAgeSeconds * 1000, logger: log, ...(observers.onDelta ? { onOutcome: observers.onDelta } : {}) })
    : undefined;
  return {
    cache,
    deltas,
    start: async () => cache?.start(),
    close: async () => (cache ? cache.close() : store.close()),
  };
}
