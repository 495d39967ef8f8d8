import type { GraphQLFormattedError } from 'graphql';
import { documentHash, documentText, operationName, type PersistedDocument } from './persistedDocument';
import { acceptHeader, decodeResponseBody, encodeRequestBody, requestContentType, type WireEncoding } from './wireEncoding';

/** Options of {@link createPersistedClient}. */
export interface PersistedClientOptions {
  /** The gateway's GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  readonly endpoint: string;
  /** Sent as `apollographql-client-name` (per-client safelists). */
  readonly clientName?: string;
  /** Sent as `apollographql-client-version`. */
  readonly clientVersion?: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /**
   * Encoding of responses: `msgpack` sends `Accept: application/msgpack` (JSON as a lower-q fallback) and
   * decodes the MessagePack answer with msgpackr; smaller than JSON on the wire (README "Mobile clients").
   * @default "json"
   */
  readonly responseEncoding?: WireEncoding;
  /** Encoding of request bodies: `msgpack` sends them with `Content-Type: application/msgpack`. @default "json" */
  readonly requestEncoding?: WireEncoding;
}

/** One operation's result, and whether the text had to be sent. */
export interface PersistedResult<TResult> {
  readonly data?: TResult | null;
  readonly errors?: readonly GraphQLFormattedError[];
  /** HTTP status of the last request. */
  readonly status: number;
  /** True when the gateway did not know the hash and the text was sent (Apollo APQ protocol). */
  readonly sentText: boolean;
}

/** A client that sends persisted hashes only and falls back to the text on `PERSISTED_QUERY_NOT_FOUND`. */
export interface PersistedClient {
  execute<TResult, TVariables>(document: PersistedDocument<TResult, TVariables>, variables: TVariables): Promise<PersistedResult<TResult>>;
}

/**
 * Builds a client for Roam's APQ protocol: each operation is first sent as
 * `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":…}}}` (no text); on
 * `PERSISTED_QUERY_NOT_FOUND` it is sent again with the manifest text, which registers it.
 * In safelist mode a hash the gateway does not list is refused (`PERSISTED_QUERY_NOT_IN_LIST`) and not retried.
 * With `responseEncoding: 'msgpack'` / `requestEncoding: 'msgpack'` the same protocol runs over MessagePack
 * (issue 7 item 3; the gateway's `Accept` and `Content-Type` negotiation).
 *
 * @throws from `execute` only on network failures and bodies that do not decode (JSON or MessagePack).
 */
export function createPersistedClient(options: PersistedClientOptions): PersistedClient {
  const doFetch = options.fetch ?? fetch;
  const requestEncoding = options.requestEncoding ?? 'json';
  const headers: Record<string, string> = { 'content-type': requestContentType(requestEncoding), accept: acceptHeader(options.responseEncoding ?? 'json') };
  if (options.clientName) headers['apollographql-client-name'] = options.clientName;
  if (options.clientVersion) headers['apollographql-client-version'] = options.clientVersion;
  const post = async (body: unknown): Promise<{ status: number; json: { data?: unknown; errors?: GraphQLFormattedError[] } }> => {
    const res = await doFetch(options.endpoint, { method: 'POST', headers, body: encodeRequestBody(body, requestEncoding) });
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, json: decodeResponseBody(res.headers.get('content-type'), bytes) as { data?: unknown; errors?: GraphQLFormattedError[] } };
  };
  return {
    async execute<TResult, TVariables>(document: PersistedDocument<TResult, TVariables>, variables: TVariables): Promise<PersistedResult<TResult>> {
      const base = { operationName: operationName(document), variables, extensions: { persistedQuery: { version: 1, sha256Hash: documentHash(document) } } };
      let res = await post(base);
      let sentText = false;
      if (res.json.errors?.some((e) => e.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND')) {
        res = await post({ ...base, query: documentText(document) });
        sentText = true;
      }
      return { ...(res.json as { data?: TResult | null; errors?: GraphQLFormattedError[] }), status: res.status, sentText };
    },
  };
}
