import type { HeaderMap } from '@apollo/server';

/**
 * One GraphQL request as sent by a client (GraphQL over HTTP, "Request parameters"), one entry of a
 * batch or the whole request. Fields are `unknown`-checked by {@link parseRequestEntry} before use.
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

/** What the HTTP layer knows about the request an entry came in. */
export interface RequestInfo {
  readonly method: 'GET' | 'POST';
  /** Request headers, lower-cased names. */
  readonly headers: HeaderMap;
  /** The URL's query string including the leading `?`, or `''`. */
  readonly search: string;
  /** `apollographql-client-name`, when sent. */
  readonly clientName: string | undefined;
  /** `apollographql-client-version`, when sent. */
  readonly clientVersion: string | undefined;
  /** Whether this entry is part of a JSON-array batch. */
  readonly inBatch: boolean;
}

/**
 * The finished outcome of one entry: the HTTP status it asks for (used when it is the only entry),
 * headers to set, and the JSON text of its GraphQL response (`{"data":…,"errors":…}`).
 */
export interface EntryOutcome {
  readonly kind: 'outcome';
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  /** A JSON document: the GraphQL response of this entry. */
  readonly body: string;
}

/**
 * A step of the per-entry pipeline (persisted queries, limits, …), run in order before execution.
 * It returns the entry to go on with (possibly rewritten, e.g. with the query text filled in from the
 * persisted-query store) or an {@link EntryOutcome} that ends the entry without executing it.
 * A step that throws ends the entry with 500 `INTERNAL_SERVER_ERROR` (logged, no stack sent).
 */
export type EntryStep = (entry: GraphQLRequestEntry, request: RequestInfo) => Promise<GraphQLRequestEntry | EntryOutcome> | GraphQLRequestEntry | EntryOutcome;
