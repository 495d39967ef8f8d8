import type { Dispatcher } from 'undici';
import type { RoamError } from '@roam/errors';
import { cacheHintOf } from './cacheHintOf';
import type { InflightCoalescer } from './InflightCoalescer';
import { parseSubgraphReply, postSubgraph, type RawSubgraphReply } from './postSubgraph';
import { describeFetchError, subgraphHttpError, subgraphMalformedError } from './subgraphFailure';
import type { FetchOptions, SubgraphRequest, SubgraphResponse, UpstreamHooks } from './types';

/**
 * The one HTTP client of one subgraph: every query-plan fetch to it (queries, mutations, entity fetches of
 * subscription events) goes through {@link SubgraphClient.fetch}, which
 * - POSTs the GraphQL request over the shared keep-alive undici pool (its connect/headers/body timeouts are the deadline),
 * - shares an identical in-flight query fetch when asked (`coalesce`; never for mutations),
 * - maps every transport failure to one error ({@link subgraphHttpError} / {@link subgraphMalformedError}),
 * - reads the reply's `Cache-Control` into a cache hint,
 * - runs the {@link UpstreamHooks} around the fetch (breakers, retries, metrics plug in there).
 */
export class SubgraphClient {
  /**
   * @param name - subgraph name (as in the supergraph's `@join__graph`).
   * @param url - its GraphQL endpoint.
   * @param dispatcher - the shared undici pool.
   * @param fetches - the shared coalescer of identical in-flight fetches.
   * @param hooks - resilience/observability hooks.
   */
  constructor(
    readonly name: string,
    readonly url: string,
    private readonly dispatcher: Dispatcher,
    private readonly fetches: InflightCoalescer<RawSubgraphReply>,
    private readonly hooks: UpstreamHooks,
  ) {}

  /**
   * Sends one GraphQL request to the subgraph.
   *
   * @returns the subgraph's GraphQL response (its `errors` included as sent) and cache hint.
   * @throws RoamError `SUBREQUEST_HTTP_ERROR` (refused, timed out, reset, non-2xx without a GraphQL body, or
   *   refused by a `beforeFetch` hook) or `SUBREQUEST_MALFORMED_RESPONSE` (2xx that is not a GraphQL response).
   */
  async fetch(request: SubgraphRequest, options: FetchOptions): Promise<SubgraphResponse> {
    const info = { serviceName: this.name, operationType: options.operationType };
    this.hooks.beforeFetch?.(info);
    const started = performance.now();
    const text = JSON.stringify(request);
    const coalesce = options.coalesce && options.operationType === 'query';
    const joinedBefore = this.fetches.joined;
    let raw: RawSubgraphReply;
    try {
      raw = coalesce ? await this.fetches.run(`${this.url}\u0000${text}`, () => postSubgraph(this.dispatcher, this.url, text)) : await postSubgraph(this.dispatcher, this.url, text);
    } catch (error) {
      return this.fail(info, started, subgraphHttpError(this.name, describeFetchError(error)), coalesce && this.fetches.joined > joinedBefore);
    }
    const coalesced = coalesce && this.fetches.joined > joinedBefore;
    let body: unknown;
    try {
      body = parseSubgraphReply(raw).body;
    } catch (error) {
      return this.fail(info, started, raw.status >= 200 && raw.status < 300 ? subgraphMalformedError(this.name, `the body is not JSON (${describeFetchError(error)})`) : subgraphHttpError(this.name, `HTTP ${raw.status}`), coalesced);
    }
    const graphql = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as SubgraphResponse) : undefined;
    const ok = raw.status >= 200 && raw.status < 300;
    // A GraphQL-over-HTTP error reply (4xx/5xx with a JSON body) still carries the subgraph's errors.
    if (!ok && !(graphql && Array.isArray(graphql.errors))) return this.fail(info, started, subgraphHttpError(this.name, `HTTP ${raw.status}`), coalesced);
    if (ok && (!graphql || (graphql.data === undefined && !Array.isArray(graphql.errors)))) {
      return this.fail(info, started, subgraphMalformedError(this.name, 'the reply is not a GraphQL response (no "data" or "errors")'), coalesced);
    }
    this.hooks.afterFetch?.(info, { durationMs: performance.now() - started, coalesced });
    const header = raw.headers['cache-control'];
    const cacheHint = cacheHintOf(Array.isArray(header) ? header.join(', ') : header);
    return { data: graphql!.data, errors: graphql!.errors, ...(cacheHint ? { cacheHint } : {}) };
  }

  private fail(info: { serviceName: string; operationType: FetchOptions['operationType'] }, started: number, error: RoamError, coalesced: boolean): never {
    this.hooks.afterFetch?.(info, { durationMs: performance.now() - started, error, coalesced });
    throw error;
  }
}
