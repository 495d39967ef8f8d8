import Fastify, { type FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { LRUCache } from 'lru-cache';
import { execute, GraphQLError, parse, validate, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import pino, { type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { subscribePerEvent } from './subscribePerEvent';
import { CLAIMS_HEADER, SIGNATURE_HEADER, verifyRequest } from '@roam/subgraph-registry/signing';
import type { SubgraphSigning } from './subgraphConfig';
import { LAST_EVENT_ID_EXTENSION } from '@roam/redis';
import { attachResumeRequest } from './pubsub/resumeRequest';

/** What {@link createSubgraphServer} needs to serve one subgraph. */
export interface SubgraphServerOptions<TContext> {
  /** Subgraph name, used in logs and in `/health`. */
  readonly name: string;
  /** The subgraph's Federation 2 SDL (`schema.graphql`), parsed. */
  readonly typeDefs: DocumentNode;
  /** Resolvers by type, including `__resolveReference` for entities. */
  readonly resolvers: GraphQLResolverMap<TContext>;
  /**
   * Builds a fresh context per request (this is where per-request DataLoaders are created).
   * @param request - the HTTP request's headers (lower-case names), or the subscription WebSocket's ({@link SubgraphRequestInfo}); absent for the later events of a subscription.
   */
  readonly createContext: (request?: SubgraphRequestInfo) => TContext;
  /** Verification of the gateway's signature. @default what {@link useSubgraphSigning} set (the process's `SUBGRAPH_SIGNING_*`), else none */
  readonly signing?: SubgraphSigning;
  /** pino logger; a silent one when omitted. */
  readonly logger?: Logger;
}

/**
 * What a subgraph's `createContext` learns about an HTTP request, or about the WebSocket a subscription runs on: there,
 * `headers` are the upgrade request's headers overlaid with the string entries of the `connection_init` payload's
 * `headers` (lower-cased names; what the gateway propagates, README "Security"), and `claims` come only from the
 * upgrade's `roam-claims`, covered by its valid signature (never from the payload).
 */
export interface SubgraphRequestInfo {
  /** Request headers, lower-case names (e.g. `idempotency-key`, forwarded by the gateway for keyed mutations). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * The caller the gateway verified (`roam-claims`), only on a request whose gateway signature is valid
   * (README "Security"): `sub`, `iss`, `scope` (space-separated), `client_name`, `client_version`.
   */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Over WebSocket: the `connection_init` payload exactly as received (not covered by the signature: read trusted facts from `claims`). */
  readonly connectionParams?: Readonly<Record<string, unknown>>;
}

let processSigning: SubgraphSigning | undefined;

/** Sets the signature verification of every subgraph server built afterwards in this process (`runSubgraph` does, from `SUBGRAPH_SIGNING_*`). */
export function useSubgraphSigning(signing: SubgraphSigning | undefined): void {
  processSigning = signing;
}

/** A built, not yet listening subgraph server. */
export interface SubgraphServer {
  /** The Fastify app: `POST /graphql`, `GET /graphql?query=…`, `GET /health`. */
  readonly app: FastifyInstance;
  /** The executable subgraph schema. */
  readonly schema: GraphQLSchema;
  /** Number of GraphQL requests served so far (every POST or GET to `/graphql`). */
  requestCount(): number;
  /** graphql-ws subscriptions now running and started since start (also in `GET /health`). */
  subscriptionCounts(): SubscriptionCounts;
  /**
   * Starts listening.
   * @param port - TCP port, 0 for a free one.
   * @returns the URL of the GraphQL endpoint, e.g. `http://127.0.0.1:4001/graphql`.
   */
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting connections and waits for in-flight requests. */
  close(): Promise<void>;
}

/** Counts of graphql-ws subscriptions served by a subgraph. */
export interface SubscriptionCounts {
  /** Subscriptions running now. */
  readonly active: number;
  /** Subscriptions started since the process started. */
  readonly started: number;
}

interface GraphQLRequestBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

function badRequest(message: string): ExecutionResult {
  return { errors: [new GraphQLError(message, { extensions: { code: 'BAD_REQUEST' } })] };
}

/**
 * Builds a subgraph server: an `@apollo/subgraph` schema served over HTTP with Fastify, following
 * GraphQL over HTTP (POST with `application/json`; GET for queries). Parsed and validated documents are
 * cached by query text (LRU, 1000 entries), so repeated operations cost no parse and no validation.
 *
 * The same port serves graphql-ws (`graphql-transport-ws` subprotocol) on `ws://host:port/graphql`
 * for `Subscription` fields (and queries/mutations sent over the socket); each operation, and each
 * event of a subscription, gets a fresh context from `createContext` ({@link subscribePerEvent}). `GET /health` reports the running and started subscription counts,
 * which tests use to prove that a gateway shares one upstream subscription among many clients.
 *
 * Errors never carry a stack trace: only `message`, `locations`, `path` and `extensions` are sent.
 *
 * @returns a {@link SubgraphServer}; call `listen` to serve.
 */
export function createSubgraphServer<TContext>(options: SubgraphServerOptions<TContext>): SubgraphServer {
  const schema = buildSubgraphSchema([{ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }]);
  const logger = options.logger ?? pino({ level: 'silent' });
  const documents = new LRUCache<string, DocumentNode | readonly GraphQLError[]>({ max: 1000 });
  let requests = 0;

  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
  const signing = options.signing ?? processSigning;
  /** Requests whose signature verified: their `roam-claims` is trusted. */
  const signed = new WeakSet<object>();
  if (signing) {
    // the signature covers the exact body bytes: keep them
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      (request as unknown as { rawBody: string }).rawBody = body as string;
      try {
        done(null, body === '' ? {} : JSON.parse(body as string));
      } catch (error) {
        (error as { statusCode?: number }).statusCode = 400;
        done(error as Error, undefined);
      }
    });
    app.addHook('preHandler', async (request, reply) => {
      if (!request.url.startsWith('/graphql')) return;
      const verdict = verifyRequest(
        signing.secret,
        headerOf(request.headers[SIGNATURE_HEADER]),
        request.method,
        request.url,
        (request as unknown as { rawBody?: string }).rawBody ?? '',
        headerOf(request.headers[CLAIMS_HEADER]) ?? '',
        signing.maxAgeMs,
      );
      if (verdict === 'valid') {
        signed.add(request);
        return;
      }
      if (verdict === 'missing' && !signing.required) return;
      logger.warn({ verdict, method: request.method }, 'subgraph request refused: gateway signature not valid');
      return reply.code(401).send({ errors: [{ message: 'This subgraph only answers calls signed by the gateway.', extensions: { code: 'UNAUTHENTICATED' } }] });
    });
  }
  const requestInfo = (request: { headers: Record<string, string | string[] | undefined> } & object): SubgraphRequestInfo => {
    const headers = request.headers;
    if (!signed.has(request)) return { headers };
    try {
      const value = JSON.parse(Buffer.from(headerOf(headers[CLAIMS_HEADER]) ?? '', 'base64url').toString('utf8')) as unknown;
      return value && typeof value === 'object' ? { headers, claims: value as Record<string, unknown> } : { headers };
    } catch {
      return { headers };
    }
  };

  const socketRequestInfo = (request: IncomingMessage, params: Readonly<Record<string, unknown>> | undefined): SubgraphRequestInfo => {
    const headers: Record<string, string | string[] | undefined> = { ...request.headers };
    const sent = params?.headers;
    if (sent && typeof sent === 'object') {
      for (const [name, value] of Object.entries(sent as Record<string, unknown>)) {
        const lower = name.toLowerCase();
        // claims and the signature are read from the (signed) upgrade only
        if (typeof value === 'string' && lower !== CLAIMS_HEADER && lower !== SIGNATURE_HEADER) headers[lower] = value;
      }
    }
    return { ...requestInfo(request), headers, connectionParams: params ?? {} };
  };

  async function run(body: GraphQLRequestBody, allowMutation: boolean, request?: SubgraphRequestInfo): Promise<{ status: number; result: ExecutionResult }> {
    requests++;
    if (typeof body.query !== 'string') return { status: 400, result: badRequest('Expected "query" to be a string.') };
    if (body.variables != null && (typeof body.variables !== 'object' || Array.isArray(body.variables))) {
      return { status: 400, result: badRequest('Expected "variables" to be an object.') };
    }
    let document = documents.get(body.query);
    if (document === undefined) {
      try {
        const parsed = parse(body.query);
        const errors = validate(schema, parsed);
        document = errors.length > 0 ? errors : parsed;
      } catch (error) {
        document = [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
      }
      documents.set(body.query, document);
    }
    if (Array.isArray(document)) return { status: 400, result: { errors: document as GraphQLError[] } };
    const doc = document as DocumentNode;
    if (!allowMutation && doc.definitions.some((d) => d.kind === 'OperationDefinition' && d.operation !== 'query')) {
      return { status: 405, result: badRequest('Only queries can be sent with GET.') };
    }
    const result = await execute({
      schema,
      document: doc,
      variableValues: body.variables as Record<string, unknown> | undefined,
      operationName: typeof body.operationName === 'string' ? body.operationName : undefined,
      contextValue: options.createContext(request),
    });
    return { status: 200, result };
  }

  let activeSubscriptions = 0;
  let startedSubscriptions = 0;
  const wss = new WebSocketServer({ noServer: true });
  const wsServer = useServer(
    {
      schema,
      // a subscribe payload's `extensions.lastEventId` (resume) reaches the field's resolver through its context
      context: (ctx, _id, payload) =>
        attachResumeRequest(options.createContext(socketRequestInfo(ctx.extra.request, ctx.connectionParams)) as Record<string, unknown>, payload.extensions?.[LAST_EVENT_ID_EXTENSION]),
      subscribe: subscribePerEvent(options.createContext),
      onOperation: (_ctx, _id, _payload, args, result) => {
        const op = args.document.definitions.find((d) => d.kind === 'OperationDefinition');
        if (op?.kind !== 'OperationDefinition' || op.operation !== 'subscription' || !isAsyncIterator(result)) return;
        activeSubscriptions++;
        startedSubscriptions++;
        return counted(result, () => activeSubscriptions--);
      },
    },
    wss,
  );
  app.server.on('upgrade', (request, socket, head) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/graphql') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (signing) {
      // the signature covers the upgrade's `roam-claims` (the verified caller, README "Security"), as on HTTP
      const verdict = verifyRequest(signing.secret, headerOf(request.headers[SIGNATURE_HEADER]), 'GET', request.url ?? '', '', headerOf(request.headers[CLAIMS_HEADER]) ?? '', signing.maxAgeMs);
      if (verdict === 'valid') signed.add(request);
      else if (verdict !== 'missing' || signing.required) {
        logger.warn({ verdict }, 'subgraph WebSocket upgrade refused: gateway signature not valid');
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
        return;
      }
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });

  app.get('/health', async () => ({ status: 'ok', subgraph: options.name, subscriptions: { active: activeSubscriptions, started: startedSubscriptions } }));
  app.post('/graphql', async (request, reply) => {
    const body = (request.body ?? {}) as GraphQLRequestBody;
    const { status, result } = await run(typeof body === 'object' ? body : {}, true, requestInfo(request));
    return reply.code(status).send(result);
  });
  app.get('/graphql', async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    let variables: unknown;
    try {
      variables = q.variables ? JSON.parse(q.variables) : undefined;
    } catch {
      return reply.code(400).send(badRequest('Expected "variables" to be JSON.'));
    }
    const { status, result } = await run({ query: q.query, variables, operationName: q.operationName }, false, requestInfo(request));
    if (status === 405) reply.header('allow', 'POST');
    return reply.code(status).send(result);
  });
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) logger.error({ err: error }, 'subgraph request failed');
    void reply.code(status).send(badRequest(status === 500 ? 'Internal server error' : error.message));
  });

  return {
    app,
    schema,
    requestCount: () => requests,
    subscriptionCounts: () => ({ active: activeSubscriptions, started: startedSubscriptions }),
    async listen(port: number, host = '127.0.0.1') {
      await app.listen({ port, host });
      const address = app.server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      return `http://${host}:${actual}/graphql`;
    },
    async close() {
      await wsServer.dispose();
      await app.close();
    },
  };
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isAsyncIterator(value: unknown): value is AsyncIterableIterator<ExecutionResult> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** Wraps a subscription's result stream so `onEnd` runs exactly once when it ends, fails or is returned. */
function counted(source: AsyncIterableIterator<ExecutionResult>, onEnd: () => void): AsyncGenerator<ExecutionResult> {
  let ended = false;
  const end = (): void => {
    if (!ended) {
      ended = true;
      onEnd();
    }
  };
  return {
    async next() {
      try {
        const result = await source.next();
        if (result.done) end();
        return result;
      } catch (error) {
        end();
        throw error;
      }
    },
    async return() {
      end();
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(error: unknown) {
      end();
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
    async [Symbol.asyncDispose]() {
      end();
      await source.return?.();
    },
  } as AsyncGenerator<ExecutionResult>;
}
