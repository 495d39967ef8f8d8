import Redis, { Cluster, type RedisOptions } from 'ioredis';
import type { RedisTarget } from './parseRedisUrl';

/** An ioredis connection (standalone/Sentinel) or cluster. */
export type RedisClient = Redis | Cluster;

/**
 * Opens one ioredis client for a parsed `REDIS_URL`. Prefer {@link createRedisConnections}, which sets
 * the request-path options, tracks the connection state and adds the subscriber connection.
 *
 * @param target - from {@link parseRedisUrl}.
 * @param options - ioredis options merged over the URL's (deadlines, offline queue, retry strategy). For
 *   a cluster, `enableOfflineQueue` and `retryStrategy` apply to the cluster (`clusterRetryStrategy`) and
 *   the rest to every node connection.
 * @returns a client that connects in the background (or on `connect()` with `lazyConnect`).
 */
export function createRedisClient(target: RedisTarget, options: RedisOptions = {}): RedisClient {
  switch (target.kind) {
    case 'standalone':
      return new Redis(target.url, options);
    case 'sentinel':
      return new Redis({
        ...options,
        sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
        name: target.masterName,
        db: target.db,
        ...(target.username ? { username: target.username } : {}),
        ...(target.password ? { password: target.password } : {}),
        ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
      });
    case 'cluster': {
      // The queue setting and retry strategy apply to the cluster; ioredis manages its node connections' own.
      const { enableOfflineQueue, retryStrategy, ...nodeOptions } = options;
      return new Cluster(
        target.nodes.map((n) => ({ host: n.host, port: n.port })),
        {
          enableOfflineQueue: enableOfflineQueue ?? true,
          ...(retryStrategy ? { clusterRetryStrategy: retryStrategy } : {}),
          redisOptions: {
            ...nodeOptions,
            ...(target.username ? { username: target.username } : {}),
            ...(target.password ? { password: target.password } : {}),
            ...(target.tls ? { tls: {} } : {}),
          },
        },
      );
    }
    default: {
      const never: never = target;
      throw new Error(`Unknown Redis target ${JSON.stringify(never)}`);
    }
  }
}
