import type { ExecutionResult, GraphQLError } from 'graphql';
import type { EventPayload } from './EventPayload';

/**
 * The result stream of one client subscription, as the graphql-ws server consumes it (`for await`).
 * Events are pushed by a {@link SubscriptionHub}; the stream ends with `end()` (the server then sends
 * `complete`) or `fail()` (the server sends one `error` and no `complete`), never both: the first
 * terminal call wins (graphql-transport-ws, "Error" and "Complete": one terminal message per operation).
 *
 * `return()` (the client sent `complete` or the socket closed) resolves a pending `next()` with `done`
 * at once and runs `onFinish` immediately, so the upstream is released promptly. `onFinish` runs exactly
 * once whichever way the stream ends.
 *
 * At most `maxQueued` undelivered events are kept (a slow client); one more fails the stream with
 * `SUBSCRIPTION_OVERFLOW`, so memory per subscriber stays bounded.
 *
 * Fast path: with a `write` function, `next` events skip the queue and the server's per-event async
 * loop and are written straight to the socket as an already-serialised {@link EventPayload} (serialised and
 * encoded once per event for every subscriber of a hub); the server's loop then only waits for the terminal
 * outcome. `write` returns false when the socket's send buffer is over its bound, which fails the stream with
 * `SUBSCRIPTION_OVERFLOW`.
 */
export class EventStream implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: ExecutionResult[] = [];
  private waiting: { resolve: (r: IteratorResult<ExecutionResult>) => void; reject: (e: unknown) => void } | undefined;
  private terminal: { error?: GraphQLError } | undefined;
  private finished = false;

  /**
   * @param maxQueued - bound of undelivered events, in events.
   * @param onFinish - runs once when the stream ends for any reason.
   * @param overflowError - builds the error sent when the bound is passed.
   * @param write - writes one serialised `next` payload to the client; false = buffer over its bound.
   */
  constructor(
    private readonly maxQueued: number,
    private readonly onFinish: () => void,
    private readonly overflowError: () => GraphQLError,
    private readonly write?: (payload: EventPayload) => boolean,
  ) {}

  /** @returns whether the stream still accepts events. */
  get open(): boolean {
    return !this.terminal && !this.finished;
  }

  /**
   * Delivers one event; ignored once the stream ended.
   * @param payload - the serialised `next` payload of `result` (memoised by the caller, shared by all its subscribers), used by the fast path.
   */
  push(result: ExecutionResult, payload?: () => EventPayload): void {
    if (!this.open) return;
    if (this.write && payload) {
      if (!this.write(payload())) this.fail(this.overflowError());
      return;
    }
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting.resolve({ value: result, done: false });
      return;
    }
    this.queue.push(result);
    if (this.queue.length > this.maxQueued) {
      this.queue.length = 0;
      this.fail(this.overflowError());
    }
  }

  /** Ends the stream with `error` after the events already queued. */
  fail(error: GraphQLError): void {
    if (!this.open) return;
    this.terminal = { error };
    this.settleWaiting();
  }

  /** Ends the stream normally after the events already queued. */
  end(): void {
    if (!this.open) return;
    this.terminal = {};
    this.settleWaiting();
  }

  private settleWaiting(): void {
    const waiting = this.waiting;
    if (!waiting || this.queue.length > 0) return;
    this.waiting = undefined;
    const error = this.terminal?.error;
    this.finish();
    if (error) waiting.reject(error);
    else waiting.resolve({ value: undefined, done: true });
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.queue.length = 0;
    this.onFinish();
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.queue.length > 0) return { value: this.queue.shift() as ExecutionResult, done: false };
    if (this.terminal) {
      const error = this.terminal.error;
      this.finish();
      if (error) throw error;
      return { value: undefined, done: true };
    }
    if (this.finished) return { value: undefined, done: true };
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    const waiting = this.waiting;
    this.waiting = undefined;
    this.finish();
    waiting?.resolve({ value: undefined, done: true });
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
