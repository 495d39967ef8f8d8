import { createClient, type Client } from 'graphql-ws';
import { downstreamError, roamError } from '@roam/errors';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import type { UpstreamHooks } from './types';

/** One result the owning subgraph sent for a subscription's primary fetch. */
export interface UpstreamEvent {
  readonly data?: Record<string, unknown> | null;
  readonly errors?: readonly GraphQLFormattedError[];
  /** The subgraph's `extensions`, e.g. `eventId` (the event's id in its event stream, see `@roam/redis` `EVENT_ID_EXTENSION`). */
  readonly extensions?: Record<string, unknown>;
}

/** What an upstream subscription reports to its owner. */
export interface UpstreamSink {
  next(result: UpstreamEvent): void;
  /** The stream failed; `error` carries a code (see {@link upstreamError}). Terminal. */
  error(error: GraphQLError): void;
  /** The subgraph completed the stream. Terminal. */
  complete(): void;
}

/** Settings of {@link UpstreamPool}. */
export interface UpstreamPoolOptions {
  /** How long to wait for the subgraph's `connection_ack`, in ms. */
  readonly connectTimeoutMs: number;
  /** Interval of graphql-ws `ping` messages to subgraphs, in ms; 0 turns them off. */
  readonly keepAliveMs: number;
  readonly logger: Logger;
  /** The upstream layer's hooks (breakers, metrics); `beforeFetch` may refuse opening a subscription. @default none */
  readonly hooks?: UpstreamHooks;
  /** Says why a subscription to `service` may not open now (its circuit breaker is open), or `undefined` to allow it. @default always allow */
  readonly admit?: (service: string, httpUrl: string) => string | undefined;
  /** Told whether a WebSocket to `service` opened (`connection_ack`) or failed at the transport level (refused, dropped); feeds its breaker. @default nothing */
  readonly report?: (service: string, ok: boolean) => void;
}

/**
 * graphql-ws clients to subgraphs, one per (subgraph URL, authorization scope), each multiplexing every
 * upstream subscription of that scope over one WebSocket. Each pings every `keepAliveMs` and closes its
 * socket when the pong does not come within the next `keepAliveMs`. A client connects on its first subscription
 * and closes when its last one ends (graphql-ws `lazy`). There are no silent retries: a refused
 * connection or a dropped socket ends every subscription on it with `SUBSCRIPTION_UPSTREAM_ERROR`, so
 * clients learn about it and resubscribe; the broken client is dropped and the next subscription opens
 * a fresh one.
 */
export class UpstreamPool {
  private readonly clients = new Map<string, Client>();
  private closed = false;

  constructor(private readonly options: UpstreamPoolOptions) {}

  /** Number of graphql-ws clients (WebSockets to subgraphs, open or opening). */
  get size(): number {
    return this.clients.size;
  }

  /**
   * Opens one subscription on a subgraph.
   *
   * @param service - subgraph name, for errors and logs.
   * @param httpUrl - the subgraph's GraphQL URL (`http://…/graphql`); `ws://` is used on the same path.
   * @param scope - authorization scope key; subscriptions of different scopes never share a socket.
   * @param connectionParams - the `connection_init` payload (forwarded credentials).
   * @param request - document text, variables, operation name and `extensions` (e.g. `lastEventId` to resume) of the primary fetch.
   * @returns a function that ends the subscription (sends `complete` upstream); idempotent.
   */
  subscribe(
    service: string,
    httpUrl: string,
    scope: string,
    connectionParams: Record<string, unknown>,
    request: { query: string; variables: Record<string, unknown>; operationName?: string; extensions?: Record<string, unknown> },
    sink: UpstreamSink,
  ): () => void {
    if (this.closed) {
      queueMicrotask(() => sink.error(upstreamError(service, 'the gateway is shutting down')));
      return () => undefined;
    }
    const refusal = this.options.admit?.(service, httpUrl);
    if (refusal !== undefined) {
      queueMicrotask(() => sink.error(upstreamError(service, refusal)));
      return () => undefined;
    }
    try {
      this.options.hooks?.beforeFetch?.({ serviceName: service, operationType: 'subscription' });
    } catch (error) {
      queueMicrotask(() => sink.error(upstreamError(service, (error as Error).message)));
      return () => undefined;
    }
    const url = httpUrl.replace(/^http/, 'ws');
    const key = `${url}\n${scope}`;
    let client = this.clients.get(key);
    if (!client) {
      // graphql-ws clients ping but never time out on a missing pong: close the socket ourselves, so a
      // subgraph that vanished without a TCP close (a partition) ends its subscriptions with an error.
      let socket: WebSocket | undefined;
      let pongTimer: NodeJS.Timeout | undefined;
      const created = createClient({
        url,
        webSocketImpl: WebSocket,
        lazy: true,
        lazyCloseTimeout: 0,
        retryAttempts: 0,
        shouldRetry: () => false,
        keepAlive: this.options.keepAliveMs,
        connectionAckWaitTimeout: this.options.connectTimeoutMs,
        connectionParams,
        on: {
          connected: (s) => {
            socket = s as WebSocket;
            this.options.report?.(service, true);
          },
          ping: (received) => {
            if (received || this.options.keepAliveMs <= 0) return;
            clearTimeout(pongTimer);
            pongTimer = setTimeout(() => socket?.terminate(), this.options.keepAliveMs);
          },
          pong: (received) => {
            if (received) clearTimeout(pongTimer);
          },
          closed: () => clearTimeout(pongTimer),
        },
      });
      created.on('closed', () => {
        if (this.clients.get(key) === created) this.clients.delete(key);
      });
      this.clients.set(key, created);
      client = created;
    }
    let ended = false;
    const dispose = client.subscribe<Record<string, unknown>, Record<string, unknown>>(request, {
      next: (result) => {
        if (!ended) sink.next(result);
      },
      error: (error: unknown) => {
        if (ended) return;
        ended = true;
        const mapped = toUpstreamError(service, error);
        // GraphQL errors are the subgraph's answer; anything else is a transport failure its breaker counts.
        if (!Array.isArray(error) && !this.closed) this.options.report?.(service, false);
        // The detail (socket text, host, port) goes to the log only; the client's reason is generic.
        this.options.logger.warn(
          { subgraph: service, url, code: mapped.extensions.code, reason: mapped.extensions.reason, detail: error instanceof Error ? error.message : undefined },
          'upstream subscription failed',
        );
        sink.error(mapped);
      },
      complete: () => {
        if (ended) return;
        ended = true;
        sink.complete();
      },
    });
    return () => {
      if (ended) return;
      ended = true;
      dispose();
    };
  }

  /** Closes every client (sends `complete` for every running subscription and closes the sockets). */
  async close(): Promise<void> {
    this.closed = true;
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((c) => c.dispose()));
  }
}

/** @returns the `SUBSCRIPTION_UPSTREAM_ERROR` error for a subgraph stream that could not open or broke. */
export function upstreamError(service: string, reason: string): GraphQLError {
  return roamError('SUBSCRIPTION_UPSTREAM_ERROR', `Subscription stream from subgraph '${service}' failed: ${reason}`, { serviceName: service, reason });
}

function toUpstreamError(service: string, error: unknown): GraphQLError {
  if (Array.isArray(error)) {
    // The subgraph refused the operation with an `error` message (GraphQL errors).
    const first = (error[0] ?? { message: 'unknown error' }) as GraphQLFormattedError;
    return downstreamError(service, first.message, first.extensions);
  }
  const close = error as { code?: unknown; reason?: unknown; message?: unknown; type?: unknown };
  if (typeof close.code === 'number') return upstreamError(service, `the subgraph WebSocket closed with code ${close.code}${close.reason ? ` (${String(close.reason)})` : ''}`);
  // Socket errors name hosts and ports: clients get a generic reason (the pool logs the detail).
  return upstreamError(service, 'the subgraph could not be reached');
}
