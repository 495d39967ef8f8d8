import type { RoamError } from '@roam/errors';

/**
 * A variable value already serialised as JSON text (the executor writes entity representations straight to text,
 * issue 19): the subgraph client puts `json` into the request body as it is. `toJSON` keeps any other serialiser
 * (`JSON.stringify` of the variables) correct, at the price of a parse.
 */
export class RawJson {
  /** @param json - the value's JSON text (must be valid JSON). */
  constructor(readonly json: string) {}

  /** @returns the value the text stands for (JSON.stringify calls this). */
  toJSON(): unknown {
    return JSON.parse(this.json) as unknown;
  }
}

/** One GraphQL request to a subgraph (GraphQL over HTTP, "Request parameters"). */
export interface SubgraphRequest {
  readonly query: string;
  readonly variables: Record<string, unknown>;
  readonly operationName?: string;
}

/** An error a subgraph returned (GraphQL over HTTP response `errors` entry), as sent. */
export interface SubgraphError {
  readonly message?: string;
  readonly path?: readonly (string | number)[];
  readonly extensions?: Record<string, unknown>;
}

/** Apollo's cache hint: max age in seconds and scope. */
export interface CacheHint {
  readonly maxAge: number;
  readonly scope?: 'PUBLIC' | 'PRIVATE';
}

/** What a subgraph answered to one fetch: its GraphQL response, and the cache hint of its `Cache-Control` header, if it sent one. */
export interface SubgraphResponse {
  readonly data?: Record<string, unknown> | null;
  readonly errors?: readonly SubgraphError[];
  /** From the reply's `Cache-Control` (Apollo Gateway's `RemoteGraphQLDataSource` reading); absent when it sent none. */
  readonly cacheHint?: CacheHint;
}

/** How one fetch is made. */
export interface FetchOptions {
  /** The client operation's type: only `query` fetches may be shared (and, later, retried). */
  readonly operationType: 'query' | 'mutation' | 'subscription';
  /** Share an identical in-flight fetch (same subgraph, same body, same `headers`) instead of sending another. */
  readonly coalesce: boolean;
  /** Sent as the `Idempotency-Key` request header (a keyed mutation's derived key `<key>:<n>`), so the subgraph can deduplicate. @default none */
  readonly idempotencyKey?: string;
  /** Extra request headers of this fetch (propagated client headers, `roam-claims`; README "Security"); part of the sharing key. @default none */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * One execution's decoded copies of shared merged replies (the same map for every fetch of the execution): when
   * several of its fetches joined parts of one merged reply, the reply is parsed once for all of them. @default none
   */
  readonly decodedReplies?: Map<object, (SubgraphResponse | undefined)[]>;
}

/** What a hook is told about one fetch. */
export interface FetchInfo {
  /** Subgraph name. */
  readonly serviceName: string;
  readonly operationType: FetchOptions['operationType'];
}

/** How a fetch ended, for hooks. */
export interface FetchOutcome {
  /** Wall-clock duration, in ms. */
  readonly durationMs: number;
  /** The failure, when the fetch failed at the transport level (`SUBREQUEST_*`). */
  readonly error?: RoamError;
  /** Whether the caller joined an identical fetch in flight instead of sending one. */
  readonly coalesced: boolean;
  /** Retries sent for this fetch (by this subgraph's client while it ran; approximate under concurrency). */
  readonly retries?: number;
}

/**
 * Where resilience and observability plug into the upstream layer (issue 11: breakers, retries; issue 15:
 * metrics, traces). Every subgraph fetch, HTTP or WebSocket, passes these hooks.
 */
export interface UpstreamHooks {
  /**
   * Runs before a fetch leaves. Throwing a `RoamError` (e.g. `SUBREQUEST_HTTP_ERROR`, "circuit open") refuses
   * the fetch without touching the subgraph; the error reaches the executor like any fetch failure.
   */
  beforeFetch?(info: FetchInfo): void;
  /**
   * Headers to add to this fetch's HTTP request (W3C Trace Context's `traceparent` from tracing), asked once per
   * fetch after `beforeFetch` passed; the same `info` object is then given to `afterFetch`. Must not throw.
   */
  fetchHeaders?(info: FetchInfo): Readonly<Record<string, string>> | undefined;
  /** Runs once after each fetch ends (success or failure). Must not throw. */
  afterFetch?(info: FetchInfo, outcome: FetchOutcome): void;
}
