import type { RoamError } from '@roam/errors';
import type { DocumentNode, GraphQLError, GraphQLFormattedError, OperationDefinitionNode } from 'graphql';
import type { VerifiedPrincipal } from '../security/Authenticator';
import type { SupergraphSnapshot } from '../supergraph/SupergraphSnapshot';

/**
 * One GraphQL request as sent by a client (GraphQL over HTTP, "Request parameters"): one entry of a batch,
 * the whole request, or a graphql-ws `subscribe` payload. Fields are checked by {@link parseRequestEntry}.
 */
export interface GraphQLRequestEntry {
  /** The document text; absent for a hash-only persisted query. */
  readonly query?: string;
  readonly operationName?: string;
  readonly variables?: Readonly<Record<string, unknown>>;
  /** `extensions.persistedQuery = { version: 1, sha256Hash }` (Apollo APQ protocol) lives here. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  /** A persisted document id sent at top level (GraphQL over HTTP persisted documents), optionally `sha256:`-prefixed. */
  readonly documentId?: string;
}

/** What the transport knows about the request an entry came in. */
export interface RequestInfo {
  /** `http` (POST/GET, batch entries) or `ws` (graphql-transport-ws `subscribe`). */
  readonly transport: 'http' | 'ws';
  /** The HTTP method; a WebSocket operation counts as `POST`. */
  readonly method: 'GET' | 'POST';
  /** Request headers, lower-case names (a WebSocket's identity from `connection_init` appears as the HTTP headers that carry it). */
  readonly headers: ReadonlyMap<string, string>;
  /**
   * The client name for limits, safelists, metrics and gating: `apollographql-client-name` when `AUTH_MODE=off`;
   * with authentication on, only the verified token's client claim (README "Security"), never a header.
   */
  readonly clientName: string | undefined;
  /** The app version, from `apollographql-client-version` or (authentication on) the verified token's claim only. */
  readonly clientVersion: string | undefined;
  /**
   * The verified caller (a valid JWT was sent; README "Security"), undefined for anonymous requests and with
   * `AUTH_MODE=off`. `principal.subject` is the user to scope per-user state by (idempotency keys, caches, rate limits).
   */
  readonly principal?: VerifiedPrincipal;
  /** Whether this entry is part of a JSON-array batch. */
  readonly inBatch: boolean;
  /** The caller's IP address (the TCP peer, or from `X-Forwarded-For` past `RATE_LIMIT_TRUSTED_PROXIES`; README "Security"), when the transport knows it. */
  readonly clientAddress?: string;
  /**
   * An HTTP request whose `Accept` allows Apollo's multipart subscriptions (`multipart/mixed;subscriptionSpec=1.0`):
   * a subscription may run over it. @default false
   */
  readonly multipartSubscription?: boolean;
  /** The transport's own context for plugins that need it (the WebSocket's `ConnectionInfo`). */
  readonly transportContext?: unknown;
}

/**
 * The state of one operation as it passes the pipeline's stages. Each stage fills in what it learns; plugins
 * read it and keep their own state in `WeakMap`s keyed by it.
 */
export interface OperationContext {
  readonly request: RequestInfo;
  /** The supergraph the operation started with (kept to the end, whatever reloads happen meanwhile). */
  readonly snapshot: SupergraphSnapshot;
  /** The entry; after the resolve stage its `query` holds the document text. */
  entry: GraphQLRequestEntry;
  /** SHA-256 of `entry.query` (set by the resolve stage: a persisted id, or computed). */
  documentHash?: string;
  /** Set by the parse-and-validate stage. */
  document?: DocumentNode;
  /** Set by the operation-selection stage. */
  operation?: OperationDefinitionNode;
  /**
   * What the executor plans when it differs from `document` (set by the authorization stage: the document without
   * unauthorized fields); the response is still shaped by `document`, so removed fields come back null.
   */
  plannedDocument?: { readonly document: DocumentNode; readonly documentHash: string };
}

/** A result on its way out: mutable by `willSendResult` hooks (cache policy, extensions). */
export interface OperationResult {
  /** HTTP status when this is the only entry (200 for executed operations). */
  status: number;
  /** Response headers to set (lower-case names), e.g. `cache-control`, `retry-after`, `allow`. */
  readonly headers: Map<string, string>;
  /** The GraphQL response: `data` absent for request errors (GraphQL over HTTP). */
  readonly body: { data?: unknown; errors?: GraphQLFormattedError[]; extensions?: Record<string, unknown> };
}

/** Why an operation is refused before execution: one or more errors; the first one's HTTP status and headers apply. */
export interface Refusal {
  /** Catalogue errors (`RoamError`), or the GraphQL errors an embedder's hook returned (status 400). */
  readonly refused: readonly GraphQLError[];
  /** The operation's context when the refusal came from a check of the selected operation (limits, transport rules). */
  readonly ctx?: OperationContext;
}

/** A refusal or nothing: what a check hook returns. */
export type Check = RoamError | GraphQLError | undefined | void;

/**
 * One cross-cutting concern on the operation pipeline (persisted queries, limits, transport rules, cache
 * policy, …). Each hook is optional and runs at its stage, in GraphQL's order:
 * decode → `resolveDocument` → `checkDocument` → parse and validate → select the operation →
 * `checkOperation` → `didPassChecks` → plan and execute (or subscribe) → `willSendResult` → encode.
 * A hook refuses by returning a `RoamError` (its status and headers become the response's); a hook that
 * throws anything else fails the entry with 500 `INTERNAL_SERVER_ERROR` (logged, no details sent).
 */
export interface PipelinePlugin {
  /** For logs. */
  readonly name: string;
  /** Turns a persisted id into text (sets `entry.query`, and `documentHash` when known). */
  resolveDocument?(ctx: OperationContext): Promise<Check> | Check;
  /** Checks the text before parsing (bytes, tokens). `entry.query` is set. */
  checkDocument?(ctx: OperationContext): Check;
  /** Checks the selected operation (transport rules, limits). `document` and `operation` are set. */
  checkOperation?(ctx: OperationContext): Promise<Check> | Check;
  /** The operation passed every check: now side effects may happen (APQ registration). */
  didPassChecks?(ctx: OperationContext): Promise<void> | void;
  /**
   * Adjusts a result before it is encoded (cache policy, `extensions`): an executed operation's (`executed`), or
   * a refusal by an operation check (as Apollo Server's `willSendResponse` sees error responses too).
   */
  willSendResult?(ctx: OperationContext, result: OperationResult, hints: readonly { maxAge: number; scope?: 'PUBLIC' | 'PRIVATE' }[], executed: boolean): void;
}
