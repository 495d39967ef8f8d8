import { createHash } from 'node:crypto';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, type ServerOptions } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { CLOSE_CODES, isRoamError, roamError } from '@roam/errors';
import { GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { formatError } from '../formatError';
import type { OperationPipeline, PreparedOperation } from '../pipeline/OperationPipeline';
import type { RequestInfo } from '../pipeline/types';
import type { AuthOutcome } from '../security/Authenticator';
import { formatResult } from './formatResult';
import { resumeRequest } from './resume';
import { connectionHeader, connectionInfo } from './connectionInfo';
import { upstreamScope } from '../security/upstreamScope';
import { patchingWriter } from '../responseCache/subscriptionPatches';
import type { EventPayload } from './EventPayload';
import type { EventStream } from './EventStream';
import type { SubscriptionRouter } from './SubscriptionRouter';
import type { Authenticate, ConnectionInfo, SubscribeRequest } from './types';

/** Close codes Roam uses beyond graphql-transport-ws's own (from the shared catalogue, `CLOSE_CODES`). */
export const ROAM_CLOSE_CODES = {
  /** RFC 6455 "Going Away": the gateway is shutting down; reconnect (to another replica). */
  GOING_AWAY: CLOSE_CODES.GOING_AWAY.code,
  /** RFC 6455 "Try Again Later": this client name already holds `SUBSCRIPTION_MAX_CONNECTIONS_PER_CLIENT` connections. */
  TRY_AGAIN_LATER: CLOSE_CODES.TOO_MANY_CONNECTIONS.code,
} as const;

/** The end of a graphql-transport-ws `next` message after its payload. */
const NEXT_SUFFIX = Buffer.from('}');
/** `ws` send options for a message given as bytes: a text frame (graphql-transport-ws messages are JSON text). */
const TEXT_FRAME = { binary: false } as const;

/** graphql-transport-ws message types only a server may send. */
const SERVER_MESSAGE_TYPES = new Set(['connection_ack', 'next', 'error']);

/** Settings of {@link createSubscriptionServer}. */
export interface SubscriptionServerOptions {
  readonly router: SubscriptionRouter;
  /**
   * The operation pipeline every `subscribe` payload goes through (the same stages as HTTP: persisted queries,
   * document and operation limits, validation, APQ registration); queries and mutations then execute through it.
   */
  readonly pipeline: OperationPipeline;
  /**
   * Authentication (README "Security"): verifies the `authorization` of `connection_init` (payload, `payload.headers`
   * or upgrade header). A refusal closes with 4403; an accepted connection's client name and version then come
   * from the principal only, and it is closed with 4419 `TOKEN_EXPIRED` when its token expires. @default none
   */
  readonly authenticateToken?: (authorization: string | undefined) => Promise<AuthOutcome>;
  /** Accepts or refuses `connection_init`. @default accept every well-formed payload */
  readonly authenticate?: Authenticate;
  /** HTTP path of the endpoint. @default "/graphql" */
  readonly path?: string;
  /** Time allowed between the upgrade and `connection_init`, in ms; past it the socket closes with 4408. */
  readonly connectionInitTimeoutMs: number;
  /** Interval of WebSocket ping frames, in ms; a socket with no pong within the next interval is terminated. 0 = off. */
  readonly keepAliveMs: number;
  /** Most running subscriptions on one connection; one more gets `TOO_MANY_SUBSCRIPTIONS`. */
  readonly maxSubscriptionsPerConnection: number;
  /** Most open connections of one client (one credential, or one client name when anonymous); one more is closed with 1013. */
  readonly maxConnectionsPerClient: number;
  /** Largest WebSocket message accepted, in bytes; larger closes the socket with 1009. */
  readonly maxMessageBytes: number;
  /** Most bytes waiting in one socket's send buffer; an event past it ends that subscription with `SUBSCRIPTION_OVERFLOW`. */
  readonly maxBufferedBytes: number;
  /**
   * Checks a well-formed `connection_init` before `authenticate` (app-version gating): a close code and reason
   * refuse it (the socket is closed with them), undefined accepts. @default accept
   */
  readonly checkConnection?: (info: ConnectionInfo) => { readonly code: number; readonly reason: string } | undefined;
  /** The `connection_ack` payload of an accepted connection (e.g. a recommended-version warning); undefined sends none. @default none */
  readonly ackPayload?: (info: ConnectionInfo) => Record<string, unknown> | undefined;
  /** Told about connections, operations, deliveries and drops (metrics, access log); must not throw. @default none */
  readonly observer?: SubscriptionServerObserver;
  /**
   * Runs each `subscribe`'s front door (resolution, checks, planning, start or refusal) inside it: tracing's span.
   * `payload` is the `subscribe` message's payload as sent. @default none
   */
  readonly aroundSubscribe?: <T>(payload: unknown, request: RequestInfo, run: () => Promise<T>) => Promise<T>;
  /** Runs the execution of a query or mutation sent over WebSocket inside it (tracing's span), given its request facts. @default none */
  readonly aroundExecute?: <T>(request: RequestInfo, run: () => Promise<T>) => Promise<T>;
  /** Told when an acknowledged connection opens (`open` true) and when it closes (the push bridge's presence); must not throw. @default none */
  readonly onConnection?: (info: ConnectionInfo, open: boolean) => void;
  /**
   * `SUBGRAPH_PROPAGATE_HEADERS` (lower-case names): read from the `connection_init` payload (or `payload.headers`, or
   * the upgrade request) and propagated to subgraphs like HTTP headers, on fetches and in the upstream subscription's
   * `connection_init` (README "Security"). @default none
   */
  readonly propagateHeaders?: readonly string[];
  /** Tells a connection's client IP address from its upgrade request (`RequestInfo.clientAddress`; the anonymous per-IP rate limit). @default none */
  readonly clientAddress?: (request: IncomingMessage) => string | undefined;
  readonly logger: Logger;
}

/** How one graphql-ws `subscribe` ended at the front door. */
export interface WebSocketOperationOutcome {
  /** The request facts the pipeline saw for it. */
  readonly request: RequestInfo;
  /** The refusal's code, undefined when the operation started (a subscription running, a query executing). */
  readonly code: string | undefined;
  /** Time from the `subscribe` message to the start or refusal, in ms. */
  readonly durationMs: number;
}

/** What the subscription server reports (metrics, access log). */
export interface SubscriptionServerObserver {
  /** A connection was acknowledged (`connection_ack`). */
  connected(info: ConnectionInfo): void;
  /** A `subscribe` passed the front door or was refused. */
  operation(outcome: WebSocketOperationOutcome): void;
  /** A subscription event was written to a client socket. */
  delivered(): void;
  /** A subscription event was not delivered: the socket's send buffer was over `maxBufferedBytes`. */
  dropped(): void;
}

/** A running graphql-ws endpoint. */
export interface SubscriptionServer {
  /** Serves WebSocket upgrades of `server` on the configured path (same port as HTTP). */
  attach(server: HttpServer): void;
  /** Open WebSocket connections. */
  connectionCount(): number;
  /**
   * Drains: refuses new upgrades (503), closes every socket with 1001 and waits for them to close,
   * at most `graceMs`; sockets still open then are terminated.
   */
  drain(graceMs: number): Promise<void>;
}

interface ConnectionState {
  info?: ConnectionInfo;
  /** Key of the connections-per-client count. */
  client?: string;
  counted: boolean;
  activeSubscriptions: number;
  /** Closes the socket when its token expires. */
  expiry?: NodeJS.Timeout;
}

type OperationContext = { kind: 'subscription'; stream: EventStream } | { kind: 'execute'; prepared: PreparedOperation } | { kind: 'refused'; errors: readonly GraphQLError[] };

/**
 * The client-facing subscription endpoint: graphql-transport-ws through the `graphql-ws` library
 * (`graphql-ws/use/ws` on a `ws` server attached to the Fastify server's `upgrade` event).
 *
 * The library enforces the protocol (graphql-ws `PROTOCOL.md`): 4408 when `connection_init` does not come
 * in time, 4429 for a second one, 4401 for `subscribe` before `connection_ack`, 4400 for a malformed
 * message, 4406 when the socket was opened without the `graphql-transport-ws` subprotocol, 4409 for an id
 * still in use (also while this server's subscribe hook or a query is still running), one terminal
 * message per operation, nothing after the client's `complete`. On top of it Roam
 * - refuses an upgrade that offers only other subprotocols (HTTP 400) and any upgrade while draining (503);
 * - reads identity and credentials from `connection_init` and acks only once `authenticate` accepts (else 4403);
 * - limits connections per client name (close 1013) and subscriptions per connection (`TOO_MANY_SUBSCRIPTIONS`);
 * - resolves every operation through the same front door as HTTP (`resolveOperation`, `checkOperation`),
 *   then validates it against the current supergraph's API schema;
 * - plans subscriptions with the {@link SubscriptionRouter} (shared upstreams, enrichment) and runs
 *   queries and mutations through Apollo Server;
 * - pings every `keepAliveMs` and terminates sockets that do not answer, releasing their upstreams.
 */
export function createSubscriptionServer(options: SubscriptionServerOptions): SubscriptionServer {
  const path = options.path ?? '/graphql';
  const logger = options.logger;
  const states = new WeakMap<WebSocket, ConnectionState>();
  const connectionsPerClient = new Map<string, number>();
  let draining = false;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes });

  const stateOf = (extra: unknown): ConnectionState => {
    const socket = (extra as { socket: WebSocket }).socket;
    let state = states.get(socket);
    if (!state) states.set(socket, (state = { counted: false, activeSubscriptions: 0 }));
    return state;
  };

  const serverOptions: ServerOptions<Record<string, unknown>, { socket: WebSocket; request: IncomingMessage }> & { isProd: boolean } = {
    isProd: true,
    connectionInitWaitTimeout: options.connectionInitTimeoutMs,
    // graphql-ws requires `payload.query` to be a string; a hash-only (persisted) subscribe may omit it.
    jsonMessageReviver(key, value) {
      // Server-to-client types sent by a client break the protocol: 4400 (graphql-ws itself would throw, log a stack
      // and close with 4500). A throw here makes the library treat the message as invalid. Found by test/e2e/fuzz.test.ts.
      if (key === '' && value && typeof value === 'object' && SERVER_MESSAGE_TYPES.has(value.type)) throw new Error('client sent a server message type');
      if (key === '' && value && typeof value === 'object' && value.type === 'subscribe' && value.payload && typeof value.payload === 'object' && value.payload.query === undefined) {
        value.payload.query = '';
      }
      return value;
    },
    onConnect: async (ctx) => {
      let info = connectionInfo(ctx.connectionParams ?? {}, ctx.extra.request);
      if (!info) return false;
      if (options.authenticateToken) {
        const outcome = await options.authenticateToken(info.authorization);
        if ('error' in outcome) {
          logger.debug({ code: outcome.error.code, reason: outcome.error.extensions.reason }, 'subscription connection refused by authentication');
          return false;
        }
        const p = outcome.principal;
        info = { ...info, clientName: p?.clientName ?? 'anonymous', sentClientName: p?.clientName, clientVersion: p?.clientVersion, ...(p ? { principal: p } : {}) };
      }
      const refusal = options.checkConnection?.(info);
      if (refusal) {
        logger.debug({ clientName: info.clientName, clientVersion: info.clientVersion, reason: refusal.reason }, 'subscription connection refused by the connection check');
        ctx.extra.socket.close(refusal.code, refusal.reason);
        return false;
      }
      if (options.authenticate && !(await options.authenticate(info))) return false;
      // the socket may have closed while the hook ran; counting it now would never be undone
      if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return false;
      const client = clientKey(info);
      const held = connectionsPerClient.get(client) ?? 0;
      if (held >= options.maxConnectionsPerClient) {
        logger.warn({ clientName: info.clientName, held }, 'subscription connection refused: too many connections for this client');
        ctx.extra.socket.close(CLOSE_CODES.TOO_MANY_CONNECTIONS.code, `${CLOSE_CODES.TOO_MANY_CONNECTIONS.reason}: at most ${options.maxConnectionsPerClient} per client`);
        return false;
      }
      connectionsPerClient.set(client, held + 1);
      const state = stateOf(ctx.extra);
      state.info = info;
      state.client = client;
      state.counted = true;
      const expiresAtMs = info.principal?.expiresAtMs;
      if (expiresAtMs !== undefined) {
        const socket = ctx.extra.socket;
        // setTimeout holds at most 2^31-1 ms; a longer-lived token is checked again then
        const arm = (): void => {
          const left = expiresAtMs - Date.now();
          state.expiry = setTimeout(left > 2 ** 31 - 1 ? arm : () => socket.close(CLOSE_CODES.TOKEN_EXPIRED.code, CLOSE_CODES.TOKEN_EXPIRED.reason), Math.max(0, Math.min(left, 2 ** 31 - 1)));
          state.expiry.unref();
        };
        arm();
      }
      options.observer?.connected(info);
      options.onConnection?.(info, true);
      return options.ackPayload?.(info) ?? true;
    },
    onClose: (ctx) => {
      const state = states.get(ctx.extra.socket);
      if (state?.expiry) clearTimeout(state.expiry);
      if (!state?.counted || state.client === undefined) return;
      state.counted = false;
      if (state.info) options.onConnection?.(state.info, false);
      const held = (connectionsPerClient.get(state.client) ?? 1) - 1;
      if (held <= 0) connectionsPerClient.delete(state.client);
      else connectionsPerClient.set(state.client, held);
    },
    onSubscribe: async (ctx, id, payload) => {
      const state = stateOf(ctx.extra);
      const info = state.info as ConnectionInfo;
      const request = requestInfoOf(info, options.propagateHeaders ?? [], options.clientAddress);
      const started = performance.now();
      let outcome: ExecutionArgs | readonly GraphQLError[];
      try {
        // opt-in patch events (`extensions.patches: "json-patch"`, README "Response cache and delta updates")
        const prepare = () => prepareOperation(payload as SubscribeRequest, request, state, patchingWriter(payload, directWriter(ctx.extra.socket, id)));
        outcome = await (options.aroundSubscribe ? options.aroundSubscribe(payload, request, prepare) : prepare());
      } catch (error) {
        if (isRoamError(error)) outcome = [error];
        else {
          logger.error({ err: (error as Error).message }, 'subscription subscribe hook failed');
          outcome = [roamError('INTERNAL_SERVER_ERROR', 'Internal server error')];
        }
      }
      if (options.observer) {
        options.observer.operation({ request, code: refusalCode(outcome), durationMs: performance.now() - started });
      }
      return outcome;
    },
    subscribe: (args: ExecutionArgs) => (args.contextValue as OperationContext & { kind: 'subscription' }).stream,
    execute: async (args: ExecutionArgs) => {
      const context = args.contextValue as OperationContext & { kind: 'execute' | 'refused' };
      if (context.kind === 'refused') return { errors: [...context.errors] };
      try {
        const run = () => options.pipeline.execute(context.prepared);
        const result = await (options.aroundExecute ? options.aroundExecute(context.prepared.ctx.request, run) : run());
        const { data, errors, extensions } = result.body;
        return {
          data: (data ?? null) as ExecutionResult['data'],
          ...(errors ? { errors: errors.map((e) => new GraphQLError(e.message, { path: e.path, extensions: e.extensions })) } : {}),
          ...(extensions ? { extensions } : {}),
        };
      } catch (error) {
        logger.error({ err: (error as Error).message }, 'operation over WebSocket failed');
        return { errors: [roamError('INTERNAL_SERVER_ERROR', 'Internal server error')] };
      }
    },
    onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? formatResult(result as ExecutionResult) : undefined),
    onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e.toJSON())),
  };

  // Events bypass graphql-ws's per-subscriber loop: the payload is serialised and UTF-8 encoded once per event
  // (EventPayload) and only the envelope is per subscriber; subscribers with the same id get the very same
  // Buffer, so a fan-out costs each socket one `ws` frame header and one write. Safe because the stream is
  // registered with the library in the same microtask run as its creation, and a client `complete` ends it
  // synchronously (no later `next`).
  function directWriter(socket: WebSocket, id: string): (payload: EventPayload) => boolean {
    const prefix = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":`, 'utf8');
    return (payload) => {
      if (socket.readyState !== socket.OPEN) return true;
      if (socket.bufferedAmount > options.maxBufferedBytes) {
        options.observer?.dropped();
        return false;
      }
      socket.send(payload.wrapped(prefix, NEXT_SUFFIX), TEXT_FRAME);
      options.observer?.delivered();
      return true;
    };
  }

  async function prepareOperation(
    payload: SubscribeRequest,
    request: RequestInfo,
    state: ConnectionState,
    write: (payload: EventPayload) => boolean,
  ): Promise<ExecutionArgs | readonly GraphQLError[]> {
    // graphql-ws needs `query` to be a string: a hash-only payload has "" (or omitted it, see the reviver)
    const entry = payload.query.trim() === '' ? { ...payload, query: undefined } : payload;
    const prepared = await options.pipeline.prepare(entry, request);
    if ('refused' in prepared) {
      // A query or mutation refused by an operation check answers with a result (`next` + `complete`), as
      // over HTTP; everything else refused is one `error` message.
      const refusedOp = prepared.ctx?.operation;
      if (!refusedOp || refusedOp.operation === 'subscription') return [...prepared.refused];
      return { schema: prepared.ctx!.snapshot.apiSchema, document: prepared.ctx!.document!, contextValue: { kind: 'refused', errors: prepared.refused } satisfies OperationContext };
    }
    const { ctx, op } = prepared;
    const base = { schema: ctx.snapshot.apiSchema, document: op.document, operationName: op.operationName, variableValues: op.coercedVariables };
    if (op.operation.operation !== 'subscription') return { ...base, contextValue: { kind: 'execute', prepared } satisfies OperationContext };
    if (state.activeSubscriptions >= options.maxSubscriptionsPerConnection) {
      return [
        roamError('TOO_MANY_SUBSCRIPTIONS', `A connection may run at most ${options.maxSubscriptionsPerConnection} subscriptions; complete one first.`, {
          limit: options.maxSubscriptionsPerConnection,
        }),
      ];
    }
    const resume = resumeRequest(payload);
    if (resume.error) {
      options.router.resumeRefused('invalid');
      return [resume.error];
    }
    const plan = ctx.snapshot.planSubscription(op.document, op.operationName, op.documentHash);
    state.activeSubscriptions++;
    const stream = options.router.subscribe({ op, plan }, upstreamScope(request, options.propagateHeaders ?? []), () => state.activeSubscriptions--, write, resume.lastEventId);
    return { ...base, contextValue: { kind: 'subscription', stream } satisfies OperationContext };
  }

  useServer(serverOptions, wss, options.keepAliveMs > 0 ? options.keepAliveMs : Infinity);

  return {
    attach(server) {
      server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
        const requestPath = (request.url ?? '').split('?')[0];
        if (requestPath !== path) return refuse(socket, 404, 'Not Found');
        if (draining) return refuse(socket, 503, 'Service Unavailable');
        const offered = request.headers['sec-websocket-protocol'];
        if (
          offered !== undefined &&
          !offered
            .split(',')
            .map((p) => p.trim())
            .includes(GRAPHQL_TRANSPORT_WS_PROTOCOL)
        ) {
          return refuse(socket, 400, 'Bad Request', `Unsupported WebSocket subprotocol "${offered}"; use ${GRAPHQL_TRANSPORT_WS_PROTOCOL}.`);
        }
        wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
      });
    },
    connectionCount: () => wss.clients.size,
    async drain(graceMs) {
      draining = true;
      const sockets = [...wss.clients];
      if (sockets.length > 0) logger.info({ connections: sockets.length }, 'closing subscription connections (1001)');
      const closed = Promise.all(sockets.map((ws) => new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve())))));
      for (const ws of sockets) ws.close(CLOSE_CODES.GOING_AWAY.code, CLOSE_CODES.GOING_AWAY.reason);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/** The request a `subscribe` payload stands for: a POST over `ws` with the connection's identity as the HTTP headers that carry it. */
function requestInfoOf(info: ConnectionInfo, propagate: readonly string[], addressOf?: (request: IncomingMessage) => string | undefined): RequestInfo {
  const clientAddress = addressOf?.(info.request);
  const headers = new Map<string, string>();
  // the allowlisted headers (SUBGRAPH_PROPAGATE_HEADERS) as the connection sent them: they reach subgraphs and scope sharing (README "Security")
  for (const name of propagate) {
    const value = connectionHeader(info, name);
    if (value !== undefined) headers.set(name, value);
  }
  if (info.sentClientName !== undefined) headers.set('apollographql-client-name', info.sentClientName);
  if (info.clientVersion !== undefined) headers.set('apollographql-client-version', info.clientVersion);
  if (info.authorization !== undefined) headers.set('authorization', info.authorization);
  return {
    transport: 'ws',
    method: 'POST',
    headers,
    clientName: info.sentClientName,
    clientVersion: info.clientVersion,
    inBatch: false,
    transportContext: info,
    ...(info.principal ? { principal: info.principal } : {}),
    ...(clientAddress !== undefined ? { clientAddress } : {}),
  };
}

/** @returns the code of the first error refusing a `subscribe` (errors, or a refused query's context), undefined when it started. */
function refusalCode(outcome: ExecutionArgs | readonly GraphQLError[]): string | undefined {
  const context = Array.isArray(outcome) ? undefined : ((outcome as ExecutionArgs).contextValue as OperationContext | undefined);
  const errors = Array.isArray(outcome) ? (outcome as readonly GraphQLError[]) : context?.kind === 'refused' ? context.errors : [];
  const code = errors[0]?.extensions.code;
  return typeof code === 'string' ? code : undefined;
}

/** Who a connection counts against: its credential (hashed) when it has one, else its client name. */
function clientKey(info: ConnectionInfo): string {
  if (info.principal) return `sub:${info.principal.subject}`;
  return info.authorization ? `auth:${createHash('sha256').update(info.authorization).digest('hex')}` : `name:${info.clientName}`;
}

function refuse(socket: Duplex, status: number, text: string, body = ''): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

export { CloseCode };
