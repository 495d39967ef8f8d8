import type { CacheHint } from './types';

/**
 * The cache hint a subgraph reply gives through its `Cache-Control` header (Apollo Gateway's
 * `RemoteGraphQLDataSource` reading): `max-age` in seconds (0 without one), `private`/`public` as the scope.
 *
 * @param cacheControl - the header value; `null`/`undefined` when the reply had none.
 * @returns the hint, or `undefined` when the reply sent no `Cache-Control` (then it restricts nothing).
 */
export function cacheHintOf(cacheControl: string | null | undefined): CacheHint | undefined {
  if (!cacheControl) return undefined;
  let maxAge = 0;
  let scope: CacheHint['scope'];
  for (const part of cacheControl.split(',')) {
    const [name, value] = part.trim().toLowerCase().split('=');
    if (name === 'max-age' && value && /^[0-9]+$/.test(value)) maxAge = Number(value);
    else if (name === 'private') scope = 'PRIVATE';
    else if (name === 'public') scope = 'PUBLIC';
    else if (name === 'no-store' || name === 'no-cache') maxAge = 0;
  }
  return scope ? { maxAge, scope } : { maxAge };
}
