export * from './types';
export * from './isInScope';
export * from './scopeToken';
export * from './redisKeys';
// The gateway's config validates REDIS_URL through this package; the parser lives in @roam/redis.
export { parseRedisUrl, type RedisTarget, type HostPort } from '@roam/redis';
export * from './MemoryPersistedQueryStore';
export * from './RedisPersistedQueryStore';
export * from './CachedPersistedQueryStore';
