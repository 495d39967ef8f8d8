import type { RequestInfo } from '../pipeline/types';

/** Request headers that always make answers differ between callers (credentials). */
const CREDENTIAL_HEADERS = ['authorization', 'cookie'] as const;

/**
 * The sharing boundary of one request (issue 18 item 5): two requests share an in-flight execution (and their
 * subgraph fetches) only when this key is equal. It holds everything besides the operation that can change an
 * answer: the credentials sent (`authorization`, `cookie`), every header propagated to subgraphs, and the
 * verified caller (issuer, subject, scopes, client name: what the verified-claims header tells subgraphs).
 *
 * @param request - the request's facts.
 * @param propagated - `SUBGRAPH_PROPAGATE_HEADERS` (lower-case names).
 * @returns an opaque string (NUL-separated parts).
 */
export function sharingScope(request: RequestInfo, propagated: readonly string[]): string {
  const parts: string[] = [];
  for (const h of CREDENTIAL_HEADERS) parts.push(request.headers.get(h) ?? '');
  // only the propagated headers sent: an anonymous request without any keeps an empty scope (the response cache's public entries)
  for (const h of propagated) {
    const value = request.headers.get(h);
    if (value !== undefined) parts.push(`${h}=${value}`);
  }
  const p = request.principal;
  if (p) parts.push(`principal=${JSON.stringify([p.issuer ?? '', p.subject, p.scopes, p.clientName ?? ''])}`);
  return parts.join('\u0000');
}
