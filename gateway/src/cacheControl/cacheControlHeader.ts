import type { CachePolicy } from './computeCachePolicy';

/** `Cache-Control` of anything that must not be stored: mutations, responses with errors, failed requests. */
export const NO_STORE = 'no-store';
/**
 * `Cache-Control` of a query response with no positive `maxAge`: only the client may keep it, and must
 * revalidate it (with `If-None-Match` and the `ETag`) before each use (RFC 9111 §5.2.2.4, §5.2.2.7).
 */
export const PRIVATE_NO_CACHE = 'private, no-cache';

/**
 * @returns the `Cache-Control` value for a query response's policy: `max-age=N, public` or `max-age=N, private`
 * when `maxAge` is above 0 (Apollo Server's format), else {@link PRIVATE_NO_CACHE}.
 */
export function cacheControlHeader(policy: CachePolicy): string {
  if (policy.maxAge === undefined || policy.maxAge <= 0) return PRIVATE_NO_CACHE;
  return `max-age=${policy.maxAge}, ${policy.scope.toLowerCase()}`;
}

const CACHEABLE = /^max-age=(\d+), (public|private)$/;

/**
 * Combines the `Cache-Control` values of a batch's entries into the one the batch response gets: `no-store`
 * if any entry is `no-store` (or has none, or one Roam did not write); else `private, no-cache` if any is;
 * else the smallest `max-age`, `private` if any entry is private.
 *
 * @param values - one value per entry (`undefined` for an entry that has none).
 */
export function combineCacheControl(values: readonly (string | undefined)[]): string {
  let maxAge = Number.POSITIVE_INFINITY;
  let scope: 'public' | 'private' = 'public';
  let noCache = false;
  for (const value of values) {
    if (value === PRIVATE_NO_CACHE) {
      noCache = true;
      continue;
    }
    const match = value === undefined ? null : CACHEABLE.exec(value);
    if (!match) return NO_STORE;
    maxAge = Math.min(maxAge, Number(match[1]));
    if (match[2] === 'private') scope = 'private';
  }
  if (noCache || !Number.isFinite(maxAge) || maxAge <= 0) return PRIVATE_NO_CACHE;
  return `max-age=${maxAge}, ${scope}`;
}
