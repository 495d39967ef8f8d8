/**
 * The key layout of every Roam process in one place. Every key and channel is
 * `<prefix><namespace>:<rest>`, built by {@link redisKeyspace}; `<prefix>` is the deployment's root
 * prefix (`REDIS_PREFIX`, default `roam:`), so one Redis can hold several deployments or test runs.
 * A new Redis user adds its namespace here (the union type makes an unknown one a compile error) and
 * documents its keys in its own key builder.
 *
 * | namespace | user | keys (built in) |
 * | --- | --- | --- |
 * | `pq` | persisted queries (gateway, `roam-pq`) | `op:<id>`, `op:<id>:clients`, `ops`, `scopes`, `scope:<token>`, `apq:<id>`, channel `revoked` (`persisted-queries/src/store/redisKeys.ts`); the whole `<prefix>pq:` can be replaced by `PERSISTED_QUERIES_KEY_PREFIX`; hash-tagged in Cluster mode |
 * | `events` | subgraph event pub/sub | channel `<event>`, e.g. `REVIEW_ADDED` (`subgraphs/kit/src/pubsub/RedisPubSub.ts`) |
 * | `cache` | response cache and delta base versions (gateway) | `m:<key>`, `r:<key>`, `i:<index>`, `x:<index>`, `b:<op>`, `b:<op>:<etag>`, channel `invalidate` (`gateway/src/responseCache/ResponseCacheStore.ts`); prefix `RESPONSE_CACHE_KEY_PREFIX` |
 * | `idem` | idempotency keys of mutations (reserved) | — |
 * | `rate` | rate-limit counters (reserved) | — |
 * | `stream` | event streams for resumable subscriptions (reserved) | — |
 */
export const REDIS_NAMESPACES = ['pq', 'events', 'cache', 'idem', 'rate', 'stream'] as const;

/** One of {@link REDIS_NAMESPACES}. */
export type RedisNamespace = (typeof REDIS_NAMESPACES)[number];
