import { randomUUID } from 'node:crypto';
import type { GraphQLFormattedError } from 'graphql';

/** Options of {@link sendIdempotentMutation}. */
export interface IdempotentMutationOptions {
  /** The gateway's GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  readonly endpoint: string;
  /** Sent as `apollographql-client-name`: keys are scoped to it on the gateway. */
  readonly clientName?: string;
  /** The user action's key; one is minted (UUID v4) when omitted. Keep it for the action's whole life. */
  readonly idempotencyKey?: string;
  /** Attempts in all, the first included. @default 6 */
  readonly maxAttempts?: number;
  /** Cap of the first backoff, in ms; doubles per attempt. @default 200 */
  readonly baseDelayMs?: number;
  /** Largest backoff cap, in ms. @default 10000 */
  readonly maxDelayMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Uniform random number in [0, 1), for the jitter. @default Math.random */
  readonly random?: () => number;
  /** Waits `ms` milliseconds. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What one user action ended with. */
export interface IdempotentMutationResult<TData> {
  readonly data?: TData | null;
  readonly errors?: readonly GraphQLFormattedError[];
  /** HTTP status of the last attempt. */
  readonly status: number;
  /** Attempts made (1 when the first answer was final). */
  readonly attempts: number;
  /** The key every attempt carried. */
  readonly idempotencyKey: string;
  /** Whether the gateway answered with the stored response of an earlier attempt (`Idempotent-Replayed: true`). */
  readonly replayed: boolean;
  /** The wait before each retry, in ms (for logs and tests). */
  readonly delaysMs: readonly number[];
}

/** Statuses worth resending with the same key: the first attempt is still running (409), or the server or the path to it failed. */
const RETRYABLE = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

/**
 * Sends one mutation as one user action, safe to retry (README "Idempotency keys"): the action gets one
 * `Idempotency-Key` (minted here, or given), and every attempt carries it, so the gateway executes the mutation
 * at most once and a retry gets the first answer. Network failures, 409, 408/425/429 and 5xx are retried with
 * exponential backoff and full jitter (a random wait up to `min(maxDelayMs, baseDelayMs × 2^n)`, AWS Architecture
 * Blog "Exponential Backoff and Jitter"), waiting at least `Retry-After` seconds when the gateway sends it. Any
 * other 4xx (a bad key, the key reused for another request, a validation error) stops at once: resending would
 * not change it.
 *
 * @param request - the mutation: `query` (text), `variables`, `operationName`.
 * @returns the last answer and how it was reached.
 * @throws the last network error when every attempt failed without an answer.
 */
export async function sendIdempotentMutation<TData = unknown>(
  request: { readonly query: string; readonly variables?: Record<string, unknown>; readonly operationName?: string },
  options: IdempotentMutationOptions,
): Promise<IdempotentMutationResult<TData>> {
  const doFetch = options.fetch ?? fetch;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxAttempts = options.maxAttempts ?? 6;
  const baseDelayMs = options.baseDelayMs ?? 200;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const idempotencyKey = options.idempotencyKey ?? randomUUID();
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': idempotencyKey };
  if (options.clientName) headers['apollographql-client-name'] = options.clientName;
  const body = JSON.stringify(request);
  const delaysMs: number[] = [];
  for (let attempt = 1; ; attempt++) {
    let retryAfterMs = 0;
    try {
      const res = await doFetch(options.endpoint, { method: 'POST', headers, body });
      const json = (await res.json().catch(() => ({}))) as { data?: TData | null; errors?: GraphQLFormattedError[] };
      const final = !RETRYABLE.has(res.status) || attempt >= maxAttempts;
      if (final) return { ...json, status: res.status, attempts: attempt, idempotencyKey, replayed: res.headers.get('idempotent-replayed') === 'true', delaysMs };
      retryAfterMs = retryAfterOf(res.headers.get('retry-after'));
    } catch (error) {
      // No answer (connection refused, reset, the response lost on the way): the mutation may or may not have run; the key makes resending safe.
      if (attempt >= maxAttempts) throw error;
    }
    const delay = Math.max(retryAfterMs, Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1))));
    delaysMs.push(delay);
    await sleep(delay);
  }
}

/** @returns `Retry-After` in ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3); 0 when absent or unreadable. */
function retryAfterOf(value: string | null): number {
  if (!value) return 0;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? 0 : Math.max(0, at - Date.now());
}
