import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, HeaderMap, type BaseContext } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { cacheControlPlugin } from './cacheControl';
import type { GatewayConfig } from './config';
import { RoamPlanGateway } from './executor/RoamPlanGateway';
import { createFormatError } from './formatError';
import { createOperationResolutionPlugin } from './operationResolution';
import { registerErrorHandlers } from './http/registerErrorHandlers';
import { registerGraphQLRoute } from './http/registerGraphQLRoute';
import { createLimitsPlugin, createLimitsStep, largestBodyLimit, OperationLimiter } from './limits';
import { createPersistedQueryStep } from './persistedQueries/createPersistedQueryStep';
import { createPersistedQueryStore } from './persistedQueries/createPersistedQueryStore';
import { createSubgraphFetcher, SubgraphDataSource } from './supergraph/SubgraphDataSource';
import { supergraphFromFile } from './supergraph/supergraphFromFile';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { createSubscriptionFrontDoor } from './subscriptions/createSubscriptionFrontDoor';
import { createSubscriptionServer, type SubscriptionServer } from './subscriptions/createSubscriptionServer';
import { SubscriptionRouter } from './subscriptions/SubscriptionRouter';
import { refuseHttpSubscriptions } from './subscriptions/refuseHttpSubscriptions';
import type { Authenticate, CheckOperation, ConnectionInfo, ResolveOperation } from './subscriptions/types';
import { handleClientError } from './http/handleClientError';

/** Hooks that replace the gateway's own WebSocket front door (tests, embedders with their own rules). */
export interface GatewayHooks {
  /**
   * WebSocket front door: payload → document text.
   * @default the HTTP path's persisted-query and document-limits steps ({@link createSubscriptionFrontDoor})
   */
  readonly resolveSubscriptionOperation?: ResolveOperation;
  /** WebSocket front door: operation limits. @default the HTTP path's limiter ({@link createSubscriptionFrontDoor}) */
  readonly checkSubscriptionOperation?: CheckOperation;
  /** Accepts or refuses a WebSocket `connection_init`. @default accept */
  readonly authenticateConnection?: Authenticate;
}

/** A built Roam gateway; nothing listens until {@link RoamGateway.listen}. */
export interface RoamGateway {
  /** The Fastify app (`/graphql`, `/health`, `/ready`); tests may call `app.inject`. */
  readonly app: FastifyInstance;
  /** @returns whether a supergraph is loaded and requests can be served. */
  isReady(): boolean;
  /** The operation limits' state (schema with cost directives, settings, counters). */
  readonly limiter: OperationLimiter;
  /** Number of supergraph loads so far (1 after start, +1 per hot reload). */
  supergraphVersion(): number;
  /** The federated subscription engine (shared upstreams, counts). */
  readonly subscriptions: SubscriptionRouter;
  /**
   * Loads the supergraph, starts Apollo Server and listens on `config.port`/`config.host`.
   * @returns the GraphQL endpoint URL, e.g. `http://127.0.0.1:4000/graphql`.
   * @throws when the supergraph file cannot be read or is invalid, or the port is taken.
   */
  listen(): Promise<string>;
  /**
   * Drains: refuses new WebSocket upgrades, closes every WebSocket with 1001, stops accepting requests,
   * waits up to `shutdownGraceMs` for in-flight ones, closes subgraph connections. Calling it again
   * returns the same promise.
   */
  close(): Promise<void>;
}

/**
 * Builds the Roam gateway: Fastify in front, Apollo Server 5's request pipeline, and Apollo Gateway
 * planning and executing operations against the supergraph in `config.supergraphPath` (hot-reloaded).
 *
 * @param config - validated settings ({@link readConfig}).
 * Subscriptions are served on the same port and path over graphql-ws (`subscriptions/`).
 *
 * @param logger - pino logger; request-level logs are `debug`.
 * @param hooks - front-door hooks for the WebSocket path.
 */
export function createGateway(config: GatewayConfig, logger: Logger, hooks: GatewayHooks = {}): RoamGateway {
  const { fetcher, agent } = createSubgraphFetcher(config.subgraphTimeoutMs);
  let ready = false;
  let version = 0;
  const supergraphSdl = supergraphFromFile(config.supergraphPath, config.supergraphPollIntervalMs, logger);
  const gateway =
    config.executor === 'roam'
      ? new RoamPlanGateway({ supergraphSdl, dispatcher: agent, coalesceInflight: config.coalesceInflight, logger: logger.child({ component: 'roam-executor' }) })
      : new ApolloGateway({
          supergraphSdl,
          buildService: ({ name, url }) => new SubgraphDataSource(name, url ?? '', fetcher),
          logger: logger.child({ component: 'apollo-gateway' }),
        });
  const limiter = new OperationLimiter({ settings: config.limits });
  const limitsLogger = logger.child({ component: 'limits' });
  let apiSchema: GraphQLSchema | undefined;
  const subscriptions = new SubscriptionRouter({
    fetcher,
    upstreamConnectTimeoutMs: config.subgraphTimeoutMs,
    upstreamKeepAliveMs: config.subscriptionKeepAliveMs,
    maxQueuedEvents: config.subscriptionMaxQueuedEvents,
    logger: logger.child({ component: 'subscriptions' }),
  });
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema, coreSupergraphSdl }) => {
    apiSchema = schema;
    try {
      limiter.setSupergraph(coreSupergraphSdl);
    } catch (error) {
      logger.error({ err: (error as Error).message }, 'cost model could not read the supergraph; keeping the previous one');
    }
    try {
      subscriptions.updateSupergraph(coreSupergraphSdl);
    } catch (error) {
      logger.error({ err: (error as Error).message }, 'subscription planner could not load the supergraph');
    }
    ready = true;
    version++;
  });
  const apollo = new ApolloServer<BaseContext>({
    gateway,
    logger: logger.child({ component: 'apollo-server' }),
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: true,
    persistedQueries: false, // Roam's own step handles APQ and the safelist (persistedQueries/)
    formatError: createFormatError(logger.child({ component: 'apollo-server' })),
    // Roam's cache-control plugin replaces Apollo's: in gateway mode Apollo's only sees subgraph headers.
    plugins: [createOperationResolutionPlugin(), ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled(), cacheControlPlugin(config.cacheHints), createLimitsPlugin(limiter, limitsLogger)],
  });
  const app: FastifyInstance = Fastify({
    // Roam logs through its own pino logger; Fastify's per-request logs stay off.
    logger: false,
    bodyLimit: largestBodyLimit(config.limits),
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    requestTimeout: config.requestTimeoutMs,
    // Node checks request deadlines every connectionsCheckingInterval ms (30000 by default), so a slow body
    // would be held up to twice REQUEST_TIMEOUT_MS: check every second at most. Node 20 ignores
    // requestTimeout while headersTimeout (60000 by default) is larger, so that is capped to it.
    http: config.requestTimeoutMs > 0 ? { connectionsCheckingInterval: Math.min(1000, config.requestTimeoutMs), headersTimeout: Math.min(60_000, config.requestTimeoutMs) } : {},
    clientErrorHandler: handleClientError,
  });
  registerErrorHandlers(app, logger);
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) =>
    ready
      ? { status: 'ready', supergraphVersion: version, subscriptions: { connections: wsServer.connectionCount(), ...subscriptions.stats() } }
      : reply.code(503).send({ status: 'loading' }),
  );
  const persisted = createPersistedQueryStore(config.persistedQueries, logger);
  // Persisted queries first: they fill in the query text that the limits step measures (bytes, tokens).
  // The same two step instances serve HTTP and WebSocket (one store, one LRU, one limiter).
  const persistedQueryStep = createPersistedQueryStep({ mode: config.persistedQueries.mode, store: persisted.store, schema: () => apiSchema, apqTtlSeconds: config.persistedQueries.apqTtlSeconds, logger });
  const limitsStep = createLimitsStep(limiter, limitsLogger);
  const frontDoor = createSubscriptionFrontDoor({ steps: [persistedQueryStep, limitsStep], limiter, logger: limitsLogger });
  registerGraphQLRoute(app, {
    apollo,
    isReady: () => ready,
    steps: [persistedQueryStep, refuseHttpSubscriptions, limitsStep],
    logger,
    maxBodyBytes: largestBodyLimit(config.limits),
    compression: { minBytes: config.responseCompressionMinBytes, brotliQuality: config.brotliQuality, gzipLevel: config.gzipLevel },
    limitsFor: (clientName) => limiter.limitsFor(clientName),
  });
  const wsServer: SubscriptionServer = createSubscriptionServer({
    router: subscriptions,
    execute: async (request, connection) => {
      // the connection's identity as HTTP headers: the limits plugin applies that client's limits
      const http = { method: 'POST' as const, headers: identityHeaders(connection), search: '', body: {} };
      const response = await apollo.executeOperation({ query: request.query, variables: request.variables, operationName: request.operationName, http });
      if (response.body.kind !== 'single') return { errors: [new GraphQLError('Incremental delivery is not supported over WebSocket.', { extensions: { code: 'BAD_REQUEST' } })] };
      const result = response.body.singleResult;
      return {
        data: (result.data ?? null) as ExecutionResult['data'],
        ...(result.errors ? { errors: result.errors.map((e) => new GraphQLError(e.message, { path: e.path, extensions: e.extensions })) } : {}),
      };
    },
    resolveOperation: hooks.resolveSubscriptionOperation ?? frontDoor.resolveOperation,
    checkOperation: hooks.checkSubscriptionOperation ?? frontDoor.checkOperation,
    authenticate: hooks.authenticateConnection,
    connectionInitTimeoutMs: config.subscriptionConnectionInitTimeoutMs,
    keepAliveMs: config.subscriptionKeepAliveMs,
    maxSubscriptionsPerConnection: config.subscriptionMaxPerConnection,
    maxConnectionsPerClient: config.subscriptionMaxConnectionsPerClient,
    maxMessageBytes: config.maxBodyBytes,
    maxBufferedBytes: config.subscriptionMaxBufferedBytes,
    logger: logger.child({ component: 'subscriptions' }),
  });
  wsServer.attach(app.server);

  let started = false;
  let closing: Promise<void> | undefined;
  return {
    app,
    limiter,
    isReady: () => ready,
    supergraphVersion: () => version,
    subscriptions,
    async listen() {
      await persisted.start();
      await apollo.start();
      started = true;
      await app.listen({ port: config.port, host: config.host });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      return `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/graphql`;
    },
    close() {
      closing ??= (async () => {
        await wsServer.drain(Math.min(config.shutdownGraceMs, 5_000));
        await subscriptions.close();
        const grace = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref());
        await Promise.race([app.close(), grace]);
        if (started) await apollo.stop();
        await agent.close();
        await persisted.store.close();
      })();
      return closing;
    },
  };
}

/** @returns the identity a WebSocket connection sent, as the HTTP headers that carry it over HTTP. */
function identityHeaders(connection: ConnectionInfo): HeaderMap {
  const headers = new HeaderMap();
  if (connection.sentClientName !== undefined) headers.set('apollographql-client-name', connection.sentClientName);
  if (connection.clientVersion !== undefined) headers.set('apollographql-client-version', connection.clientVersion);
  if (connection.authorization !== undefined) headers.set('authorization', connection.authorization);
  return headers;
}
