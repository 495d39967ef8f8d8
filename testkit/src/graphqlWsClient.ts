import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { waitFor } from './waitFor';
import { wsUrl } from './wsUrl';

/** A graphql-ws client subscription whose results and terminal outcome are recorded. */
export interface RecordedSubscription {
  /** Every `next` result so far, in arrival order. */
  readonly results: FormattedExecutionResult<any, unknown>[];
  /** Resolves once with the terminal outcome. */
  readonly done: Promise<{ kind: 'complete' } | { kind: 'error'; error: any }>;
  /** Waits (15 s at most) until at least `n` results arrived; resolves with all results so far. */
  waitResults(n: number): Promise<FormattedExecutionResult<any, unknown>[]>;
  /** Unsubscribes (sends `complete`). */
  dispose(): void;
}

/**
 * Creates a lazy graphql-ws client with no retries (tests want to see every failure).
 *
 * @param url - the endpoint's `http://` or `ws://` URL.
 * @param connectionParams - the `connection_init` payload.
 */
export function client(url: string, connectionParams: Record<string, unknown> = {}): Client {
  return createClient({ url: wsUrl(url), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams });
}

/**
 * Subscribes with `c` and records what arrives.
 *
 * @param c - a client from {@link client}.
 * @param query - the subscription document.
 * @param variables - its variables.
 */
export function record(c: Client, query: string, variables?: Record<string, unknown>): RecordedSubscription {
  const results: FormattedExecutionResult<any, unknown>[] = [];
  let settle!: (v: { kind: 'complete' } | { kind: 'error'; error: any }) => void;
  const done = new Promise<{ kind: 'complete' } | { kind: 'error'; error: any }>((resolve) => (settle = resolve));
  const dispose = c.subscribe(
    { query, variables },
    {
      next: (r) => results.push(r),
      error: (error) => settle({ kind: 'error', error }),
      complete: () => settle({ kind: 'complete' }),
    },
  );
  return {
    results,
    done,
    waitResults: (n) => waitFor(() => (results.length >= n ? results : undefined), `${n} subscription results (have ${results.length})`),
    dispose,
  };
}
