import { applyPatch, type Operation } from 'fast-json-patch';
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
  /**
   * Delta updates (README "Response cache and delta updates"): keep the last response and `ETag` of each
   * operation and variables, ask with `A-IM: json-patch` and `If-None-Match`, and apply a 226 JSON Patch
   * (fast-json-patch) or reuse the kept response on 304; a patched result whose SHA-256 does not match the
   * new `ETag` is thrown away and the full response fetched.
   * @default false
   */
  readonly deltas?: boolean;
}

/** How a result with `deltas` on was obtained: the full response, a patch applied to the kept one, or the kept one (304). */
export type DeltaOutcome = 'full' | 'patch' | 'not-modified';

/** One operation's result, and whether the text had to be sent. */
export interface PersistedResult<TResult> {
  readonly data?: TResult | null;
  readonly errors?: readonly GraphQLFormattedError[];
  /** HTTP status of the last request. */
  readonly status: number;
  /** True when the gateway did not know the hash and the text was sent (Apollo APQ protocol). */
  readonly sentText: boolean;
  /** With `deltas`: how the result was obtained. */
  readonly delta?: DeltaOutcome;
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
  /** The last response and ETag of each operation and variables (with `deltas`). */
  const kept = new Map<string, { etag: string; body: Response }>();
  type Response = { data?: unknown; errors?: GraphQLFormattedError[] };
  const send = async (body: unknown, extra: Record<string, string> = {}) => {
    const res = await doFetch(options.endpoint, { method: 'POST', headers: { ...headers, ...extra }, body: encodeRequestBody(body, requestEncoding) });
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, etag: res.headers.get('etag'), decoded: res.status === 304 ? undefined : decodeResponseBody(res.headers.get('content-type'), bytes) };
  };
  const post = async (body: unknown, key: string): Promise<{ status: number; json: Response; delta?: DeltaOutcome }> => {
    if (!options.deltas) {
      const res = await send(body);
      return { status: res.status, json: res.decoded as Response };
    }
    const last = kept.get(key);
    const res = await send(body, { 'a-im': 'json-patch', ...(last ? { 'if-none-match': last.etag } : {}) });
    if (res.status === 304 && last) return { status: 304, json: last.body, delta: 'not-modified' };
    if (res.status === 226 && last && res.etag) {
      const patched = applyPatch(structuredClone(last.body), res.decoded as Operation[], true, false).newDocument;
      // the ETag's data part (before any `.mp`/`.br`/`.gz` representation suffix) is the SHA-256 of the JSON text
      if ((await etagOf(JSON.stringify(patched))) === `${res.etag.replace(/^W\//, '').split('.')[0]!.replace(/"$/, '')}"`) {
        kept.set(key, { etag: res.etag, body: patched });
        return { status: 226, json: patched, delta: 'patch' };
      }
      kept.delete(key);
      return post(body, key); // the patch did not reproduce the gateway's version: fetch it whole
    }
    const json = res.decoded as Response;
    if (res.status === 200 && res.etag) kept.set(key, { etag: res.etag, body: structuredClone(json) });
    return { status: res.status, json, delta: 'full' };
  };
  return {
    async execute<TResult, TVariables>(document: PersistedDocument<TResult, TVariables>, variables: TVariables): Promise<PersistedResult<TResult>> {
      const base = { operationName: operationName(document), variables, extensions: { persistedQuery: { version: 1, sha256Hash: documentHash(document) } } };
      const key = `${documentHash(document)}:${JSON.stringify(variables)}`;
      let res = await post(base, key);
      let sentText = false;
      if (res.json.errors?.some((e) => e.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND')) {
        res = await post({ ...base, query: documentText(document) }, key);
        sentText = true;
      }
      return { ...(res.json as { data?: TResult | null; errors?: GraphQLFormattedError[] }), status: res.status, sentText, ...(res.delta ? { delta: res.delta } : {}) };
    },
  };
}

/** @returns the gateway's data tag of a JSON text: `"` + the first 22 base64url characters of its SHA-256 + `"` (README "Mobile clients"). */
export async function etagOf(jsonText: string): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(jsonText)));
  return `"${Buffer.from(digest).toString('base64url').slice(0, 22)}"`;
}
