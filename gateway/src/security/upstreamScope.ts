import { createHash } from 'node:crypto';
import type { RequestInfo } from '../pipeline/types';
import { subgraphHeaders } from './subgraphHeaders';

/** Who an upstream subscription runs for: the sharing key and what goes to the subgraph in `connection_init`. */
export interface UpstreamScope {
  /** Opaque key (hex SHA-256): subscriptions share a subgraph WebSocket and an upstream subscription only when it is equal. */
  readonly key: string;
  /** The `connection_init` payload for the subgraph: `{ headers }` with the propagated headers, or `{}` when there are none. */
  readonly connectionParams: Record<string, unknown>;
}

/**
 * The upstream side of a subscription (graphql-ws or multipart HTTP) follows the same propagation rules as HTTP
 * fetches (README "Security", issue 18 item 4): the subgraph's `connection_init` payload is `{ headers }` holding
 * exactly what {@link subgraphHeaders} would send on an HTTP fetch, i.e. the allowlisted client headers
 * (`SUBGRAPH_PROPAGATE_HEADERS`) and `roam-claims` when a token was verified. The client's `authorization` goes
 * upstream only when it is allowlisted. The WebSocket upgrade additionally carries `roam-claims` and a signature
 * over it (`UpstreamPool`), which is how the subgraph kit trusts the claims.
 *
 * The key holds everything propagated (every header above, claims included) and, for a caller without verified
 * claims, a hash of its `authorization` (the caller's credential), so callers never share an upstream that could
 * answer differently for them (issue 18 item 5).
 *
 * @param request - the subscribing request's facts (headers from the HTTP request or the `connection_init` payload, verified principal).
 * @param propagate - `SUBGRAPH_PROPAGATE_HEADERS` (lower-case names).
 * @returns the scope; never throws.
 */
export function upstreamScope(request: RequestInfo, propagate: readonly string[]): UpstreamScope {
  const headers = subgraphHeaders(request, propagate);
  const credential = request.principal ? '' : (request.headers.get('authorization') ?? '');
  const entries = Object.entries(headers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const anonymous = entries.length === 0 && credential === '';
  return {
    key: anonymous
      ? 'anonymous'
      : createHash('sha256')
          .update(JSON.stringify([credential, entries]))
          .digest('hex'),
    connectionParams: entries.length === 0 ? {} : { headers },
  };
}
