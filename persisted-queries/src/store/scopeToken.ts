import type { ClientScope } from './types';

/** The unscoped token. */
export const UNSCOPED_TOKEN = '*';

/**
 * Encodes a scope as one string (a Redis set member / map key): `*` for unscoped, otherwise the JSON
 * array `[clientName, clientVersion|null]`, so names containing any character stay unambiguous.
 */
export function scopeToken(scope: ClientScope): string {
  return scope.clientName === undefined ? UNSCOPED_TOKEN : JSON.stringify([scope.clientName, scope.clientVersion ?? null]);
}

/** Inverse of {@link scopeToken}. @throws Error on a string it did not produce. */
export function parseScopeToken(token: string): ClientScope {
  if (token === UNSCOPED_TOKEN) return {};
  const value = JSON.parse(token) as unknown;
  if (!Array.isArray(value) || typeof value[0] !== 'string' || (value[1] !== null && typeof value[1] !== 'string')) throw new Error(`Not a scope token: ${token}`);
  return value[1] === null ? { clientName: value[0] } : { clientName: value[0], clientVersion: value[1] };
}

/** Sort order of scopes in listings: unscoped first, then by token. */
export function compareScopes(a: ClientScope, b: ClientScope): number {
  const ta = scopeToken(a);
  const tb = scopeToken(b);
  return ta === tb ? 0 : ta === UNSCOPED_TOKEN ? -1 : tb === UNSCOPED_TOKEN ? 1 : ta < tb ? -1 : 1;
}
