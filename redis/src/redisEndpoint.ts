import type { RedisTarget } from './parseRedisUrl';

/**
 * Names where a {@link RedisTarget} lives, for log lines and error messages; never includes credentials.
 *
 * @param target - from {@link parseRedisUrl}.
 * @returns `host:port` (standalone; port 6379 when the URL gives none), `sentinel <master> via h1:p1,h2:p2`
 *   or `cluster h1:p1,h2:p2`.
 */
export function redisEndpoint(target: RedisTarget): string {
  switch (target.kind) {
    case 'standalone': {
      const { hostname, port } = new URL(target.url);
      return `${hostname.replace(/^\[|\]$/g, '')}:${port || '6379'}`;
    }
    case 'sentinel':
      return `sentinel ${target.masterName} via ${target.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`;
    case 'cluster':
      return `cluster ${target.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
    default: {
      const never: never = target;
      throw new Error(`Unknown Redis target ${JSON.stringify(never)}`);
    }
  }
}
