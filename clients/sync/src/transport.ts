import { operationHash } from './syncManifest';
/** A GraphQL error as the gateway returns it. */
export interface GraphQLErrorBody {
  readonly message: string;
  readonly extensions?: { readonly code?: string; readonly [key: string]: unknown };
}

/** Thrown for an answer with errors; `code` is the first error's `extensions.code`. */
export class SyncRequestError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    /** False for refusals that repeat on resend (`INVALID_CHANGE`, `LIST_NOT_VISIBLE`, `CLIENT_ID_TAKEN`, `INVALID_CURSOR`, an operation not in the safelist). */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'SyncRequestError';
  }
}

const FINAL_CODES = new Set([
  'INVALID_CHANGE',
  'LIST_NOT_VISIBLE',
  'CLIENT_ID_TAKEN',
  'INVALID_CURSOR',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_IN_LIST',
  'QUERY_NOT_IN_SAFELIST',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/** The `fetch` the engine uses (Node's global by default; tests wrap it to drop, delay or duplicate requests). */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<{ status: number; text(): Promise<string> }>;

/**
 * How the engine names its operations to the gateway (README "Persisted queries"):
 * - `text`: the operation text in every request (any `PERSISTED_QUERIES` mode but `safelist` without a push);
 * - `hash`: the SHA-256 id only (`extensions.persistedQuery`); on `PERSISTED_QUERY_NOT_FOUND` (APQ miss) the same
 *   request again with the text, which registers it. In `safelist` mode the ids must have been pushed
 *   (`roam-pq push clients/sync/persisted-operations.json`); an unknown id is the final `PERSISTED_QUERY_NOT_IN_LIST`.
 */
export type PersistedMode = 'text' | 'hash';

const hashes = new Map<string, string>();
/** @returns the persisted-query extension naming `query` by its SHA-256 id (memoised per text). */
export function persistedQueryExtension(query: string): { persistedQuery: { version: 1; sha256Hash: string } } {
  let hash = hashes.get(query);
  if (!hash) hashes.set(query, (hash = operationHash(query)));
  return { persistedQuery: { version: 1, sha256Hash: hash } };
}

/** @returns true when the answer `text` is an APQ miss (`PERSISTED_QUERY_NOT_FOUND`): the gateway wants the text. */
function isPersistedQueryMiss(text: string): boolean {
  try {
    const body = JSON.parse(text) as { errors?: GraphQLErrorBody[] };
    return body.errors?.some((e) => e.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND') ?? false;
  } catch {
    return false;
  }
}

/**
 * POSTs one GraphQL operation as JSON: its text, or with `mode` `hash` its persisted id (text resent on an APQ miss).
 * @returns `data`.
 * @throws SyncRequestError for an answer with errors or without data (retryable unless the code is a final refusal),
 *   or the transport's error (network down: retryable).
 */
export async function postGraphQL<T>(fetchFn: FetchLike, url: string, query: string, variables: Record<string, unknown>, mode: PersistedMode = 'text'): Promise<T> {
  const send = (body: Record<string, unknown>) => fetchFn(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
  let res = await send(mode === 'hash' ? { variables, extensions: persistedQueryExtension(query) } : { query, variables });
  let text = await res.text();
  if (mode === 'hash' && isPersistedQueryMiss(text)) {
    res = await send({ query, variables, extensions: persistedQueryExtension(query) });
    text = await res.text();
  }
  let body: { data?: T | null; errors?: GraphQLErrorBody[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new SyncRequestError(`HTTP ${res.status}: not JSON`, undefined, true);
  }
  const error = body.errors?.[0];
  if (error || body.data == null) {
    const code = error?.extensions?.code;
    throw new SyncRequestError(error?.message ?? `HTTP ${res.status}: no data`, code, !FINAL_CODES.has(String(code)));
  }
  return body.data;
}

/** @returns true when `error` is worth retrying (network failure, 5xx, subgraph down, `CHANGE_ID_GAP`, `CLOCK_DRIFT`). */
export function isRetryable(error: unknown): boolean {
  return !(error instanceof SyncRequestError) || error.retryable;
}
