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
 * | `events` | subgraph event notifications | channel `stream-appended:<channel>` after each append to a stream (`RedisEventLog`, used by `subgraphs/kit/src/pubsub/RedisPubSub.ts`) |
 * | `cache` | response cache and delta base versions (gateway) | `m:<key>`, `r:<key>`, `i:<index>`, `x:<index>`, `b:<op>`, `b:<op>:<etag>`, channel `invalidate` (`gateway/src/responseCache/ResponseCacheStore.ts`); prefix `RESPONSE_CACHE_KEY_PREFIX` |
 * | `idem` | idempotency keys of mutations (reserved) | — |
 * | `rate` | rate-limit counters (gateway) | `<budget>:<user or client>`, budgets `user-requests`, `client-requests`, `user-cost`, `client-cost` (`gateway/src/security/rateLimitsPlugin.ts`, rate-limiter-flexible) |
 * | `stream` | durable event streams for resumable subscriptions | `{<channel>}`, e.g. `{reviews:REVIEW_ADDED}`: one Redis Stream per channel, hash-tagged by its own name (`RedisEventLog.ts`) |
 * | `push` | push bridge registrations (gateway) | `reg:<id>`, `sub:<key>`, `subs`, `tok:<platform>:<hash>`, `live:<id>`, `lease:<key>`, `rate:<device>` (`gateway/src/push/RedisRegistrationStore.ts`); the whole `<prefix>push:` can be replaced by `PUSH_KEY_PREFIX`; hash-tagged |
 */
export const REDIS_NAMESPACES = ['pq', 'events', 'cache', 'idem', 'rate', 'stream', 'push'] as const;

/** One of {@link REDIS_NAMESPACES}. */
export type RedisNamespace = (typeof REDIS_NAMESPACES)[number];
