import { redactRedisUrl as redact } from './redactRedisUrl';

/** A Redis deployment described by a `REDIS_URL` (see {@link parseRedisUrl}). */
export type RedisTarget =
  | { readonly kind: 'standalone'; readonly url: string }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly HostPort[];
      readonly masterName: string;
      readonly username?: string;
      readonly password?: string;
      readonly db: number;
      readonly tls: boolean;
    }
  | { readonly kind: 'cluster'; readonly nodes: readonly HostPort[]; readonly username?: string; readonly password?: string; readonly tls: boolean };

/** One `host:port`. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

function hosts(list: string, defaultPort: number, url: string): HostPort[] {
  return list.split(',').map((part) => {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`Invalid host "${part}" in REDIS_URL ${redact(url)}`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : defaultPort };
  });
}

/**
 * Reads the three `REDIS_URL` forms:
 * - standalone: `redis://[[user]:password@]host[:port][/db]` or `rediss://…` (TLS), passed to ioredis as is;
 * - Sentinel: `redis+sentinel://[[user]:password@]host1[:26379],host2[:26379]/<masterName>[/<db>]`
 *   (`rediss+sentinel://` for TLS); the password authenticates to the master;
 * - Cluster: `redis+cluster://[[user]:password@]host1[:6379],host2[:6379]` (`rediss+cluster://` for TLS),
 *   any subset of the nodes as seeds.
 *
 * @param url - the `REDIS_URL` value.
 * @returns the parsed target.
 * @throws Error naming the form expected when the URL is none of these (credentials are not echoed).
 */
export function parseRedisUrl(url: string): RedisTarget {
  const m = /^(rediss?)(?:\+(sentinel|cluster))?:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]*)(\/[^?#]*)?$/.exec(url);
  if (!m) throw new Error(`REDIS_URL ${redact(url)} is not redis://host:port, redis+sentinel://host:port,…/master or redis+cluster://host:port,…`);
  const [, scheme, variant, user, pass, hostList, path] = m;
  const tls = scheme === 'rediss';
  const credentials = {
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(pass !== undefined && pass !== '' ? { password: decodeURIComponent(pass) } : {}),
  };
  if (!hostList) throw new Error(`REDIS_URL ${redact(url)} names no host`);
  if (variant === undefined) {
    if (hostList.includes(',')) throw new Error(`REDIS_URL ${redact(url)} lists several hosts; use redis+sentinel:// or redis+cluster://`);
    // ioredis and redisEndpoint read it with new URL(): a port that is not a number would throw there, echoing the password
    if (!URL.canParse(url)) throw new Error(`REDIS_URL ${redact(url)} is not a valid URL (host and a numeric port, e.g. redis://127.0.0.1:6379)`);
    return { kind: 'standalone', url };
  }
  const segments = (path ?? '').split('/').filter(Boolean);
  if (variant === 'sentinel') {
    const masterName = segments[0];
    if (!masterName) throw new Error(`REDIS_URL ${redact(url)} must name the master: redis+sentinel://host:26379,…/<masterName>`);
    const db = segments[1] === undefined ? 0 : Number(segments[1]);
    if (!Number.isInteger(db) || db < 0) throw new Error(`REDIS_URL ${redact(url)}: database "${segments[1]}" is not a non-negative integer`);
    return { kind: 'sentinel', sentinels: hosts(hostList, 26379, url), masterName: decodeURIComponent(masterName), db, tls, ...credentials };
  }
  if (segments.length > 0) throw new Error(`REDIS_URL ${redact(url)}: Redis Cluster has no databases; remove the path`);
  return { kind: 'cluster', nodes: hosts(hostList, 6379, url), tls, ...credentials };
}
