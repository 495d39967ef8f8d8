/** A GraphQL error as the gateway returns it. */
export interface GraphQLErrorBody { readonly message: string; readonly extensions?: { readonly code?: string; readonly [key: string]: unknown } }

/** Thrown for an answer with errors; `code` is the first error's `extensions.code`. */
export class SyncRequestError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    /** False for refusals that repeat on resend (`INVALID_CHANGE`, `LIST_NOT_VISIBLE`, `CLIENT_ID_TAKEN`, `INVALID_CURSOR`). */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'SyncRequestError';
  }
}

const FINAL_CODES = new Set(['INVALID_CHANGE', 'LIST_NOT_VISIBLE', 'CLIENT_ID_TAKEN', 'INVALID_CURSOR', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);

/** The `fetch` the engine uses (Node's global by default; tests wrap it to drop, delay or duplicate requests). */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<{ status: number; text(): Promise<string> }>;

/**
 * POSTs one GraphQL operation as JSON.
 * @returns `data`.
 * @throws SyncRequestError for an answer with errors or without data (retryable unless the code is a final refusal),
 *   or the transport's error (network down: retryable).
 */
export async function postGraphQL<T>(fetchFn: FetchLike, url: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await fetchFn(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ query, variables }) });
  const text = await res.text();
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
