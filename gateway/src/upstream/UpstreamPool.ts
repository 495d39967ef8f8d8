import { createClient, type Client } from 'graphql-ws';
import { downstreamError, roamError } from '@roam/errors';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { CLAIMS_HEADER, SIGNATURE_HEADER, signRequest } from '@roam/subgraph-registry/signing';
import WebSocket from 'ws';
import { EVENT_ID_EXTENSION, LAST_EVENT_ID_EXTENSION } from '@roam/redis';
import type { ReconnectPolicy } from './SubgraphPolicy';
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
  /**
   * The stream was re-opened after a transport failure without a position to resume from (no event id seen yet, or
   * the stream's events carry none): events published while it was down may be missing. `error` is a
   * `SUBSCRIPTION_RESUME_GAP` error; not terminal (live events follow). @default ignored
   */
  gap?(error: GraphQLError): void;
  /** The stream was re-opened after a transport failure and asked to replay after its last event id: a burst of the missed events may follow. @default ignored */
  resumed?(): void;
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
  /** The secret to sign the WebSocket upgrade to `service` with (`roam-signature` over GET, path, timestamp; README "Security"). @default unsigned */
  readonly signingSecret?: (service: string) => string | undefined;
  /** How to re-open a WebSocket of `service` that failed at the transport level. @default never reconnect (`maxAttempts: 0`) */
  readonly reconnectPolicy?: (service: string) => ReconnectPolicy;
  /**
   * Calls `listener` once when `admit` would let `service` through again (its breaker closed), so a reconnect waiting
   * for an open breaker goes on at once. @returns a function that drops the listener. @default `admit` is polled at each backoff step
   */
  readonly onAdmitted?: (service: string, listener: () => void) => () => void;
  /**
   * Told each reconnect of a `service` subscription socket by outcome (metrics): `reconnected` (re-opened),
   * `failed` (one attempt failed), `gave_up` (attempts or time spent; its subscriptions end). Must not throw. @default none
   */
  readonly onReconnect?: (service: string, outcome: 'reconnected' | 'failed' | 'gave_up') => void;
}

/** One upstream subscription: what it asked for, where it is in its event stream, and the client it runs on. */
interface Upstream {
  readonly request: UpstreamRequest;
  readonly sink: UpstreamSink;
  /** The last `extensions.eventId` received (or the resume id it was opened with): a reconnect resumes after it. */
  lastEventId: string | undefined;
  /** The graphql-ws client it runs on now; undefined while its connection is re-opening. */
  client: Client | undefined;
  dispose: (() => void) | undefined;
  /** It was interrupted (or added during an outage) and has not been re-opened on an acknowledged socket yet. */
  interrupted: boolean;
  ended: boolean;
}

type UpstreamRequest = { query: string; variables: Record<string, unknown>; operationName?: string; extensions?: Record<string, unknown> };

/** One WebSocket (per subgraph URL and authorization scope) and the subscriptions multiplexed on it. */
interface Connection {
  readonly key: string;
  readonly service: string;
  readonly httpUrl: string;
  readonly url: string;
  readonly connectionParams: Record<string, unknown>;
  readonly upstreams: Set<Upstream>;
  /** The graphql-ws client in use; undefined while re-opening (backoff or waiting for the breaker). */
  client: Client | undefined;
  /** WebSocket attempts since the failure (0: healthy). */
  attempts: number;
  /** When the failure being recovered from happened (ms since epoch); undefined when healthy. */
  failedAt: number | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Ends the failure episode once a re-opened socket stayed up for `maxDelayMs` (a flapping subgraph keeps backing off). */
  stableTimer: NodeJS.Timeout | undefined;
  stopWaiting: (() => void) | undefined;
}

/** Close codes after which a subgraph WebSocket is re-opened (graphql-ws's own retryable set: going away, abnormal, restart, try later, timeouts, terminated). */
const TRANSPORT_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1001, 1005, 1006, 1012, 1013, 1014, 4408, 4499, 4504]);

/**
 * graphql-ws clients to subgraphs, one per (subgraph URL, authorization scope), each multiplexing every
 * upstream subscription of that scope over one WebSocket. Each pings every `keepAliveMs` and closes its
 * socket when the pong does not come within the next `keepAliveMs`. A client connects on its first subscription
 * and closes when its last one ends.
 *
 * Reconnect: when the WebSocket fails at the transport level (refused, dropped, closed with a going-away or
 * timeout code, no pong, no `connection_ack` in time; not GraphQL errors nor protocol refusals such as 4403), its
 * subscriptions stay with their owners and the pool re-opens the socket with exponential backoff and full jitter
 * ({@link ReconnectPolicy}, per subgraph). Each attempt is admitted by the subgraph's breaker (`admit`; while it is open
 * nothing is attempted and the pool waits for `onAdmitted`) and reported to it (`report`, once per socket). On the new
 * socket every subscription is sent again with `extensions.lastEventId` set to the last `extensions.eventId` it received,
 * so a subgraph with an event log replays exactly the events after it (none lost, none twice); a subscription
 * without an id is re-sent live and its sink gets {@link UpstreamSink.gap} once the socket is acknowledged. When the
 * attempts or the time run out (or the gateway shuts down) every subscription on it ends with `SUBSCRIPTION_UPSTREAM_ERROR`.
 * The attempt count and the clock restart only once a re-opened socket stayed up for `maxDelayMs`, so a subgraph that
 * accepts and drops at once still runs into the bound. graphql-ws's own retry is not used: it re-sends the original
 * payload, which cannot carry the moving `lastEventId`.
 */
export class UpstreamPool {
  private readonly connections = new Map<string, Connection>();
  private closed = false;

  constructor(private readonly options: UpstreamPoolOptions) {}

  /** Number of graphql-ws clients (WebSockets to subgraphs, open or opening; not those waiting to reconnect). */
  get size(): number {
    let n = 0;
    for (const c of this.connections.values()) if (c.client) n++;
    return n;
  }

  /** Number of subgraph WebSockets waiting to be re-opened (backoff or an open breaker). */
  get reconnecting(): number {
    let n = 0;
    for (const c of this.connections.values()) if (!c.client) n++;
    return n;
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
  subscribe(service: string, httpUrl: string, scope: string, connectionParams: Record<string, unknown>, request: UpstreamRequest, sink: UpstreamSink): () => void {
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
    // everything sent in connection_init is part of the key: two payloads never share a socket, whatever `scope` says
    const key = `${url}\n${scope}\n${JSON.stringify(connectionParams)}`;
    let conn = this.connections.get(key);
    if (!conn) {
      conn = {
        key,
        service,
        httpUrl,
        url,
        connectionParams,
        upstreams: new Set(),
        client: undefined,
        attempts: 0,
        failedAt: undefined,
        timer: undefined,
        stableTimer: undefined,
        stopWaiting: undefined,
      };
      this.connections.set(key, conn);
      conn.client = this.createClient(conn);
    }
    const resumeId = request.extensions?.[LAST_EVENT_ID_EXTENSION];
    const upstream: Upstream = {
      request,
      sink,
      lastEventId: typeof resumeId === 'string' ? resumeId : undefined,
      client: undefined,
      dispose: undefined,
      interrupted: !conn.client,
      ended: false,
    };
    conn.upstreams.add(upstream);
    if (conn.client) this.start(conn, upstream, conn.client);
    const owner = conn;
    return () => {
      if (upstream.ended) return;
      upstream.ended = true;
      upstream.dispose?.();
      this.forget(owner, upstream);
    };
  }

  private createClient(conn: Connection): Client {
    // graphql-ws clients ping but never time out on a missing pong: close the socket ourselves, so a
    // subgraph that vanished without a TCP close (a partition) counts as a transport failure.
    let socket: WebSocket | undefined;
    let pongTimer: NodeJS.Timeout | undefined;
    const secret = this.options.signingSecret?.(conn.service);
    const claims = claimsOf(conn.connectionParams);
    const client: Client = createClient({
      url: conn.url,
      webSocketImpl: secret === undefined && claims === undefined ? WebSocket : signedWebSocket(secret, claims),
      lazy: true,
      lazyCloseTimeout: 0,
      retryAttempts: 0,
      shouldRetry: () => false,
      keepAlive: this.options.keepAliveMs,
      connectionAckWaitTimeout: this.options.connectTimeoutMs,
      connectionParams: conn.connectionParams,
      on: {
        connected: (s) => {
          socket = s as WebSocket;
          if (conn.client !== client) return;
          this.options.report?.(conn.service, true);
          if (conn.failedAt !== undefined) {
            this.options.onReconnect?.(conn.service, 'reconnected');
            this.options.logger.info({ subgraph: conn.service, url: conn.url, attempts: conn.attempts, downMs: Date.now() - conn.failedAt }, 'upstream subscription socket re-opened');
            clearTimeout(conn.stableTimer);
            conn.stableTimer = setTimeout(() => {
              conn.attempts = 0;
              conn.failedAt = undefined;
            }, this.reconnectPolicy(conn.service).maxDelayMs);
            conn.stableTimer.unref();
          }
          for (const u of conn.upstreams) {
            if (!u.interrupted || u.client !== client) continue;
            u.interrupted = false;
            if (u.lastEventId === undefined) {
              u.sink.gap?.(
                roamError(
                  'SUBSCRIPTION_RESUME_GAP',
                  `The stream from subgraph '${conn.service}' was interrupted and re-opened without a position to resume from; events published meanwhile may be missing. Refetch the data; this subscription goes on.`,
                  { serviceName: conn.service, reason: 'upstream reconnected' },
                ),
              );
            }
          }
        },
        ping: (received) => {
          if (received || this.options.keepAliveMs <= 0) return;
          clearTimeout(pongTimer);
          pongTimer = setTimeout(() => socket?.terminate(), this.options.keepAliveMs);
        },
        pong: (received) => {
          if (received) clearTimeout(pongTimer);
        },
        closed: (event) => {
          clearTimeout(pongTimer);
          // A close the subscriptions may not see as an error (graphql-ws itself re-subscribes after a 1000 close, with the
          // original payload): handle it here, once for the socket, before graphql-ws does.
          if (conn.client !== client || this.closed || this.reconnectPolicy(conn.service).maxAttempts <= 0 || !isTransportFailure(event)) return;
          if ([...conn.upstreams].some((u) => u.client === client)) this.broken(conn, client, event);
        },
      },
    });
    return client;
  }

  /** Sends `upstream`'s subscribe on `client`, resuming after its last event id when it has one. */
  private start(conn: Connection, upstream: Upstream, client: Client): void {
    upstream.client = client;
    if (upstream.interrupted && upstream.lastEventId !== undefined) upstream.sink.resumed?.();
    const request = upstream.lastEventId === undefined ? upstream.request : { ...upstream.request, extensions: { ...upstream.request.extensions, [LAST_EVENT_ID_EXTENSION]: upstream.lastEventId } };
    upstream.dispose = client.subscribe<Record<string, unknown>, Record<string, unknown>>(request, {
      next: (result) => {
        if (upstream.ended || upstream.client !== client) return;
        const id = result.extensions?.[EVENT_ID_EXTENSION];
        if (typeof id === 'string') upstream.lastEventId = id;
        upstream.sink.next(result);
      },
      error: (error: unknown) => {
        if (upstream.ended || upstream.client !== client) return;
        if (isTransportFailure(error) && !this.closed && this.reconnectPolicy(conn.service).maxAttempts > 0) {
          upstream.client = undefined;
          upstream.dispose = undefined;
          upstream.interrupted = true;
          this.broken(conn, client, error);
          return;
        }
        upstream.ended = true;
        const mapped = toUpstreamError(conn.service, error);
        // GraphQL errors are the subgraph's answer; anything else is a transport failure its breaker counts.
        if (!Array.isArray(error) && conn.client === client) {
          // The socket is gone: the next subscription of this scope opens a fresh connection.
          conn.client = undefined;
          if (this.connections.get(conn.key) === conn) this.connections.delete(conn.key);
          if (!this.closed) this.options.report?.(conn.service, false);
        }
        // The detail (socket text, host, port) goes to the log only; the client's reason is generic.
        this.options.logger.warn({ subgraph: conn.service, url: conn.url, code: mapped.extensions.code, reason: mapped.extensions.reason, detail: detailOf(error) }, 'upstream subscription failed');
        this.forget(conn, upstream);
        upstream.sink.error(mapped);
      },
      complete: () => {
        if (upstream.ended || upstream.client !== client) return;
        upstream.ended = true;
        this.forget(conn, upstream);
        upstream.sink.complete();
      },
    });
  }

  /** The socket of `client` failed at the transport level: counts it once, drops the client and schedules a reconnect. */
  private broken(conn: Connection, client: Client, error: unknown): void {
    if (conn.client !== client) return;
    conn.client = undefined;
    clearTimeout(conn.stableTimer);
    // Detach every subscription of the dead client first: disposing it must not reach them as a `complete`.
    for (const u of conn.upstreams) {
      if (u.client !== client) continue;
      u.client = undefined;
      u.dispose = undefined;
      u.interrupted = true;
    }
    disposeQuietly(client);
    this.options.report?.(conn.service, false);
    if (conn.failedAt === undefined) {
      conn.failedAt = Date.now();
      this.options.logger.warn({ subgraph: conn.service, url: conn.url, detail: detailOf(error), subscriptions: conn.upstreams.size }, 'upstream subscription socket failed; reconnecting');
    } else {
      this.options.onReconnect?.(conn.service, 'failed');
      this.options.logger.debug({ subgraph: conn.service, url: conn.url, detail: detailOf(error), attempts: conn.attempts }, 'upstream subscription reconnect failed');
    }
    this.schedule(conn);
  }

  private reconnectPolicy(service: string): ReconnectPolicy {
    return this.options.reconnectPolicy?.(service) ?? NO_RECONNECT;
  }

  /** Waits the next backoff (full jitter), or gives up when the attempts or the time are spent. */
  private schedule(conn: Connection): void {
    const policy = this.reconnectPolicy(conn.service);
    const elapsed = Date.now() - (conn.failedAt ?? Date.now());
    if (conn.attempts >= policy.maxAttempts || elapsed >= policy.maxElapsedMs) {
      this.giveUp(conn, `the subgraph could not be reached (${conn.attempts} reconnect attempts)`);
      return;
    }
    const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** conn.attempts);
    const delay = Math.min(Math.random() * cap, policy.maxElapsedMs - elapsed);
    conn.timer = setTimeout(() => this.attempt(conn), delay);
  }

  /** One reconnect attempt: waits for the breaker when it refuses, otherwise opens a new socket and re-sends every subscription. */
  private attempt(conn: Connection): void {
    conn.timer = undefined;
    if (this.closed || this.connections.get(conn.key) !== conn) return;
    const policy = this.reconnectPolicy(conn.service);
    const remaining = policy.maxElapsedMs - (Date.now() - (conn.failedAt ?? Date.now()));
    if (remaining <= 0) {
      this.giveUp(conn, `the subgraph could not be reached (${conn.attempts} reconnect attempts)`);
      return;
    }
    if (this.options.admit?.(conn.service, conn.httpUrl) !== undefined) {
      // Open breaker: no WebSocket while it is open; go on when its background probe closes it (or give up at the deadline).
      const resume = (): void => {
        conn.stopWaiting?.();
        conn.stopWaiting = undefined;
        clearTimeout(conn.timer);
        conn.timer = undefined;
        this.attempt(conn);
      };
      if (this.options.onAdmitted) {
        const stop = this.options.onAdmitted(conn.service, resume);
        conn.stopWaiting = stop;
        conn.timer = setTimeout(resume, remaining);
      } else {
        conn.timer = setTimeout(resume, Math.min(remaining, Math.max(1, policy.maxDelayMs)));
      }
      return;
    }
    conn.attempts++;
    const client = this.createClient(conn);
    conn.client = client;
    for (const u of conn.upstreams) if (!u.ended && !u.client) this.start(conn, u, client);
  }

  private giveUp(conn: Connection, reason: string): void {
    this.options.onReconnect?.(conn.service, 'gave_up');
    this.options.logger.warn(
      { subgraph: conn.service, url: conn.url, attempts: conn.attempts, subscriptions: conn.upstreams.size },
      'upstream subscription socket not re-opened; ending its subscriptions',
    );
    this.drop(conn, upstreamError(conn.service, reason));
  }

  /** Ends every subscription still on `conn` with `error` and forgets it. */
  private drop(conn: Connection, error: GraphQLError): void {
    const upstreams = [...conn.upstreams].filter((u) => !u.ended);
    for (const u of upstreams) {
      u.ended = true;
      u.dispose?.();
    }
    conn.upstreams.clear();
    this.release(conn);
    for (const u of upstreams) u.sink.error(error);
  }

  private forget(conn: Connection, upstream: Upstream): void {
    conn.upstreams.delete(upstream);
    if (conn.upstreams.size === 0) this.release(conn);
  }

  private release(conn: Connection): void {
    clearTimeout(conn.stableTimer);
    clearTimeout(conn.timer);
    conn.timer = undefined;
    conn.stopWaiting?.();
    conn.stopWaiting = undefined;
    if (this.connections.get(conn.key) === conn) this.connections.delete(conn.key);
    const client = conn.client;
    conn.client = undefined;
    if (client) disposeQuietly(client);
  }

  /** Closes every client (sends `complete` for every running subscription and closes the sockets); subscriptions waiting to reconnect end with `SUBSCRIPTION_UPSTREAM_ERROR`. */
  async close(): Promise<void> {
    this.closed = true;
    const conns = [...this.connections.values()];
    const clients = conns.map((c) => c.client).filter((c): c is Client => c !== undefined);
    for (const conn of conns) {
      if (!conn.client) this.drop(conn, upstreamError(conn.service, 'the gateway is shutting down'));
      else {
        clearTimeout(conn.timer);
        conn.stopWaiting?.();
      }
    }
    this.connections.clear();
    await Promise.all(clients.map((c) => c.dispose()));
  }
}

const NO_RECONNECT: ReconnectPolicy = { maxAttempts: 0, baseDelayMs: 0, maxDelayMs: 0, maxElapsedMs: 0 };

/** @returns whether a graphql-ws client error is a transport failure worth a reconnect (not GraphQL errors, not a protocol refusal). */
function isTransportFailure(error: unknown): boolean {
  if (Array.isArray(error)) return false;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code !== 'number' || TRANSPORT_CLOSE_CODES.has(code);
}

/** Disposes a graphql-ws client now (no further retry of its own) without letting a rejected pending connect escape. */
function disposeQuietly(client: Client): void {
  void Promise.resolve(client.dispose()).catch(() => undefined);
}

function detailOf(error: unknown): string | undefined {
  if (error instanceof Error) return error.message;
  const close = error as { code?: unknown; reason?: unknown } | null;
  return typeof close?.code === 'number' ? `close ${close.code}${close.reason ? ` ${String(close.reason)}` : ''}` : undefined;
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

/** The `roam-claims` value of a `connection_init` payload built by `upstreamScope` (`{ headers: { 'roam-claims' } }`), when there is one. */
function claimsOf(connectionParams: Record<string, unknown>): string | undefined {
  const headers = connectionParams.headers as Record<string, unknown> | undefined;
  const claims = headers?.[CLAIMS_HEADER];
  return typeof claims === 'string' ? claims : undefined;
}

/**
 * A `ws` WebSocket class whose upgrade request carries the verified claims (`roam-claims`, when there are any) and,
 * with a secret, the gateway's signature over GET, path, timestamp and those claims: the same scheme as HTTP
 * fetches (`@roam/subgraph-registry/signing`), verified by the subgraph kit, which trusts the claims only then.
 */
function signedWebSocket(secret: string | undefined, claims: string | undefined): unknown {
  return class SignedWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      const url = new URL(String(address));
      const headers: Record<string, string> = {};
      if (claims !== undefined) headers[CLAIMS_HEADER] = claims;
      if (secret !== undefined) headers[SIGNATURE_HEADER] = signRequest(secret, 'GET', `${url.pathname}${url.search}`, '', claims ?? '');
      super(address, protocols, { headers });
    }
  };
}
