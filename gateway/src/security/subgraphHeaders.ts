import { CLAIMS_HEADER } from '@roam/subgraph-registry/signing';
import type { RequestInfo } from '../pipeline/types';

/**
 * The headers one client request adds to every subgraph fetch it causes (issue 18 item 4):
 * - each header named in `SUBGRAPH_PROPAGATE_HEADERS` that the client sent (the allowlist; hop-by-hop,
 *   framing and `roam-*` names are refused at start, so a client's copy of an internal header never passes);
 * - `roam-claims`: the verified caller as base64url JSON `{sub, iss, scope, client_name, client_version}`, only
 *   when a token was verified. Subgraphs trust it only on a signed request (the signature covers it).
 *
 * @param request - the client request's facts.
 * @param propagate - lower-case header names to copy.
 * @returns the headers (lower-case names); an empty object when there are none.
 */
export function subgraphHeaders(request: RequestInfo, propagate: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of propagate) {
    const value = request.headers.get(name);
    if (value !== undefined) headers[name] = value;
  }
  const p = request.principal;
  if (p) {
    const claims = { sub: p.subject, iss: p.issuer, scope: p.scopes.join(' '), client_name: p.clientName, client_version: p.clientVersion };
    headers[CLAIMS_HEADER] = Buffer.from(JSON.stringify(claims)).toString('base64url');
  }
  return headers;
}
