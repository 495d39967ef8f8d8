import Redis, { Cluster, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from './parseRedisUrl';

/** An ioredis connection (standalone/Sentinel) or cluster. */
export type RedisClient = Redis | Cluster;

/**
 * Opens an ioredis client for a `REDIS_URL` in any of the forms {@link parseRedisUrl} reads.
 *
 * @param url - standalone, Sentinel or Cluster URL.
 * @param options - ioredis options merged over the URL's (deadlines, offline queue, retry strategy).
 * @returns a client that connects in the background (or on `connect()` with `lazyConnect`).
 * @throws Error when the URL is malformed.
 */
export function createRedisClient(url: string, options: RedisOptions = {}): RedisClient {
  const target = parseRedisUrl(url);
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
