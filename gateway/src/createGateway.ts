import cors from '@fastify/cors';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type * as ApolloOracleModule from './executor/ApolloOracle';
import type * as TracingModule from './observability/Tracing';
import { cacheControlPlugin } from './cacheControl';
import { clientVersionAckPayload, clientVersionConnectionCheck, clientVersionsPlugin } from './clientVersions/clientVersionsPlugin';
import type { GatewayConfig } from './config';
import { RoamExecutor } from './executor/RoamExecutor';
import { ConsoleStats } from './devConsole/ConsoleStats';
import { registerDevConsole } from './devConsole/registerDevConsole';
import { corsOptions } from './http/corsOptions';
import { handleClientError } from './http/handleClientError';
import { createIdempotency } from './idempotency/createIdempotency';
import type { Idempotency } from './idempotency/Idempotency';
import { handleFrameworkError, registerErrorHandlers } from './http/registerErrorHandlers';
import { registerGraphQLRoute } from './http/registerGraphQLRoute';
import { shedLoad } from './http/shedLoad';
import { largestBodyLimit, limitsPlugin, OperationLimiter } from './limits';
import { Observability } from './observability/Observability';
import { composeUpstreamHooks } from './observability/composeUpstreamHooks';
import { registerMetricsEndpoint } from './observability/registerMetricsEndpoint';
import { persistedQueriesPlugin } from './persistedQueries/persistedQueriesPlugin';
import { createPersistedQueryStore } from './persistedQueries/createPersistedQueryStore';
import { OperationPipeline, type OperationExecutor } from './pipeline/OperationPipeline';
import type { PipelinePlugin } from './pipeline/types';
import { createSubscriptionServer, type SubscriptionServer } from './subscriptions/createSubscriptionServer';
import { frontDoorHooksPlugin } from './subscriptions/frontDoorHooksPlugin';
import { SubscriptionRouter } from './subscriptions/SubscriptionRouter';
import type { Authenticate, CheckOperation, ResolveOperation } from './subscriptions/types';
import { SupergraphSnapshot } from './supergraph/SupergraphSnapshot';
import { watchSupergraphFile, type SupergraphWatch } from './supergraph/watchSupergraphFile';
import { transportRulesPlugin } from './transportRules';
import { Authenticator } from './security/Authenticator';
import { authorizationPlugin, requirementsOf } from './security/authorizationPlugin';
import { introspectionPlugin } from './security/introspectionPlugin';
import { sharingScope } from './security/sharingScope';
import { createRateLimits } from './security/rateLimitsPlugin';
import { subgraphHeaders } from './security/subgraphHeaders';
import { clientAddressResolver } from './security/clientAddress';
import { createPushBridge, type GatewayPushBridge } from './push/createPushBridge';
import type { PushOutcome } from './push/PushDispatcher';
import { Upstreams } from './upstream/Upstreams';
import { createResponseCaching, registerCacheAdminRoute } from './responseCache';

/** Hooks that replace the gateway's own WebSocket front door (tests, embedders with their own rules). */
export interface GatewayHooks {
  /**
   * WebSocket front door: payload → document text, in place of the persisted-query and document-limits stages.
   * @default the pipeline's own stages, as for HTTP
   */
  readonly resolveSubscriptionOperation?: ResolveOperation;
  /** WebSocket front door: checks a subscription, in place of the operation-limits stage. @default the pipeline's limits */
  readonly checkSubscriptionOperation?: CheckOperation;
  /** Accepts or refuses a WebSocket `connection_init`. @default accept */
  readonly authenticateConnection?: Authenticate;
  /** Told each push's final outcome when `PUSH=on` (tests, bench); must not throw. @default none */
  readonly onPushOutcome?: (outcome: PushOutcome) => void;
}

/** A built Roam gateway; nothing listens until {@link RoamGateway.listen}. */
export interface RoamGateway {
  /** The Fastify app (`/graphql`, `/health`, `/ready`); tests may call `app.inject`. */
  readonly app: FastifyInstance;
  /** @returns whether a supergraph is loaded and requests can be served. */
  isReady(): boolean;
  /** The operation limits' state (cost schema, settings, counters). */
  readonly limiter: OperationLimiter;
  /** Number of supergraph loads so far (1 after start, +1 per hot reload). */
  supergraphVersion(): number;
  /** The federated subscription engine (shared upstreams, counts). */
  readonly subscriptions: SubscriptionRouter;
  /** The upstream layer (subgraph clients, coalescing counters). */
  readonly upstreams: Upstreams;
  /** Metrics (`observability.metrics`, undefined with `METRICS=off`) and the access log. */
  readonly observability: Observability;
  /** Idempotency keys of mutations (store, counts). */
  readonly idempotency: Idempotency;
  /** The push bridge (registrations, dispatcher counts); undefined unless `PUSH=on`. */
  readonly push: GatewayPushBridge | undefined;
  /** @returns the separate metrics listener's URL (`METRICS_PORT`), once listening; undefined when `/metrics` is on the main port or off. */
  metricsUrl(): string | undefined;
  /**
   * Loads the supergraph and listens on `config.port`/`config.host`.
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
 * Loads the Apollo Gateway oracle module on demand: only `EXECUTOR=apollo` uses it, and `@apollo/gateway` with
 * its dependencies (make-fetch-happen, cacache, OpenTelemetry metrics, `@apollo/composition`) is about 800
 * modules and 50 MB of RSS that the default executor never touches (issue 19, memory; `npm run bench:memory`).
 * @returns the `executor/ApolloOracle` module.
 */
function loadApolloOracle(): typeof ApolloOracleModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./executor/ApolloOracle') as typeof ApolloOracleModule;
}

/**
 * Loads the OpenTelemetry tracing module on demand: only a set `TRACING_OTLP_URL` uses it (the OTLP exporter
 * and trace SDK are about 400 modules and 20 MB of RSS).
 * @returns the `observability/Tracing` module.
 */
function loadTracing(): typeof TracingModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./observability/Tracing') as typeof TracingModule;
}

/**
 * Builds the Roam gateway: Fastify (HTTP) and graphql-ws (WebSocket) as thin transport adapters around one
 * {@link OperationPipeline}, one {@link SupergraphSnapshot} per supergraph load (hot-reloaded from
 * `config.supergraphPath`), one executor ({@link RoamExecutor}; `EXECUTOR=apollo` swaps in Apollo Gateway's as a
 * test oracle) and one upstream layer ({@link Upstreams}) through which every subgraph call leaves.
 *
 * @param config - validated settings ({@link readConfig}).
 * @param logger - pino logger; request-level logs are `debug`.
 * @param hooks - front-door hooks for the WebSocket path.
 */
export function createGateway(config: GatewayConfig, logger: Logger, hooks: GatewayHooks = {}): RoamGateway {
  let snapshot: SupergraphSnapshot | undefined;
  let watch: SupergraphWatch | undefined;
  const observability = new Observability(config.observability, logger);
  const { tracingOtlpUrl, tracingServiceName, tracingSampleRatio } = config.observability;
  const tracing = tracingOtlpUrl ? new (loadTracing().Tracing)({ otlpUrl: tracingOtlpUrl, serviceName: tracingServiceName, sampleRatio: tracingSampleRatio }) : undefined;
  const upstreamHooks = tracing ? composeUpstreamHooks(observability.upstreamHooks(), tracing.upstreamHooks()) : observability.upstreamHooks();
  const upstreams = new Upstreams({
    timeoutMs: config.subgraphTimeoutMs,
    policies: config.subgraphPolicies,
    keepAliveMs: config.subscriptionKeepAliveMs,
    hooks: upstreamHooks,
    signingSecrets: config.security.signingSecrets,
    maxResponseBytes: config.security.maxSubgraphResponseBytes,
    ...(observability.metrics ? { onReconnect: (subgraph: string, outcome: string) => observability.metrics?.upstreamReconnects.inc({ subgraph, outcome }) } : {}),
    logger: logger.child({ component: 'upstream' }),
  });
  const roamExecutor = new RoamExecutor({
    upstreams,
    coalesceRequests: config.coalesceRequests,
    coalesceFetches: config.coalesceSubgraphFetches,
    maxResponseFields: config.maxResponseFields,
    subgraphHeaders: (request) => subgraphHeaders(request, config.security.propagateHeaders),
    onPlan: tracing?.onPlan,
    collectEntityTags: config.responseCache.enabled,
    logger: logger.child({ component: 'roam-executor' }),
  });
  const oracle = config.executor === 'apollo' ? new (loadApolloOracle().ApolloOracle)(logger.child({ component: 'apollo-gateway' })) : undefined;
  // response cache (issue 14): around Roam's executor only (it names the entities invalidation needs)
  const observed = observability.metrics;
  const caching = createResponseCaching(
    config.responseCache,
    config.persistedQueries.redisUrl,
    logger,
    observed
      ? {
          cache: {
            lookup: (state, clientName) => observed.responseCache.inc({ state: state.toLowerCase(), client_name: observed.clientName(clientName) }),
            invalidation: (source) => observed.cacheInvalidations.inc({ source }),
          },
          onDelta: (outcome, savedBytes, clientName) => {
            const client_name = observed.clientName(clientName);
            observed.deltaResponses.inc({ outcome, client_name });
            if (savedBytes > 0) observed.deltaBytesSaved.inc({ client_name }, savedBytes);
          },
        }
      : {},
  );
  const executor: OperationExecutor = oracle ?? (caching.cache ? caching.cache.wrap(roamExecutor) : roamExecutor);
  const limiter = new OperationLimiter({ settings: config.limits });
  const limitsLogger = logger.child({ component: 'limits' });
  const subscriptions = new SubscriptionRouter({
    pool: upstreams.ws,
    executor: roamExecutor,
    maxQueuedEvents: config.subscriptionMaxQueuedEvents,
    resumeBuffer: config.subscriptionResumeBuffer,
    resumeLingerMs: config.subscriptionResumeLingerMs,
    ...(observability.metrics ? { onResume: (outcome: string) => observability.metrics?.subscriptionResumes.inc({ outcome }) } : {}),
    logger: logger.child({ component: 'subscriptions' }),
  });

  /** Builds and swaps in the snapshot of a new supergraph. @throws when the SDL is not a valid supergraph. */
  const install = (sdl: string): void => {
    const next = new SupergraphSnapshot(sdl, (snapshot?.version ?? 0) + 1);
    limiter.useSchema(next.costSchema);
    subscriptions.updateSupergraph(next);
    snapshot = next;
    const rules = requirementsOf(next);
    if (!authenticator.enabled && (rules.fields.size > 0 || rules.types.size > 0)) {
      logger.info({ fields: rules.fields.size, types: rules.types.size }, 'the supergraph has @authenticated/@requiresScopes but AUTH_MODE=off: they are not enforced');
    }
    // A SUBGRAPH_POLICIES key that names no subgraph (a typo: "inventroy") would change nothing, silently.
    // It cannot stop the start (the next supergraph may add that subgraph), so every load says so.
    const unknown = Object.keys(config.subgraphPolicies.bySubgraph).filter((name) => name !== '*' && !next.subgraphs.has(name));
    if (unknown.length > 0) {
      logger.warn(
        { unknown, subgraphs: [...next.subgraphs.keys()] },
        `SUBGRAPH_POLICIES names ${unknown.map((n) => JSON.stringify(n)).join(', ')}, not a subgraph of this supergraph: that policy applies to nothing`,
      );
    }
  };

  const persisted = createPersistedQueryStore(config.persistedQueries, logger);
  // The concerns on the pipeline, in the order their hooks run within each stage.
  const transportRules = transportRulesPlugin();
  const persistedQueries = persistedQueriesPlugin({
    mode: config.persistedQueries.mode,
    store: persisted.store,
    apqTtlSeconds: config.persistedQueries.apqTtlSeconds,
    logger,
    onOutcome: observability.onPersistedQuery,
  });
  const rateLimits = createRateLimits(config.security.rateLimits, logger.child({ component: 'rate-limits' }));
  const limits = limitsPlugin(
    limiter,
    limitsLogger,
    rateLimits.enabled
      ? (ctx, outcome) => {
          if (outcome.cost !== undefined) rateLimits.costMeasured(ctx, outcome.cost);
          if (outcome.actualCost !== undefined) rateLimits.actualCostMeasured(ctx, outcome.actualCost);
          else observability.onLimits(ctx, outcome);
        }
      : observability.onLimits,
    rateLimits.chargesCost,
  );
  const cacheControl = cacheControlPlugin(config.cacheHints);
  // operation facts (metrics, access log) first: its checkOperation records the operation before any check refuses
  const facts = observability.plugin();
  const traced: PipelinePlugin[] = tracing ? [tracing.plugin()] : [];
  // app-version gating refuses in resolveDocument, before any persisted-query lookup
  const clientVersions = clientVersionsPlugin(config.clientVersions);
  // Security (README "Security"): authentication at the transports, then introspection and authorization after the limits
  const authenticator = new Authenticator(config.security.auth, logger.child({ component: 'auth' }));
  const security: PipelinePlugin[] = [
    ...(rateLimits.enabled ? [rateLimits.cost] : []),
    ...(config.security.introspection ? [] : [introspectionPlugin()]),
    ...(authenticator.enabled ? [authorizationPlugin(config.security.unauthorized)] : []),
  ];
  // request points are spent before anything is looked up (persisted queries) or parsed
  const rateRequests: PipelinePlugin[] = rateLimits.enabled ? [rateLimits.requests] : [];
  const scope = (request: Parameters<typeof sharingScope>[0]) => sharingScope(request, config.security.propagateHeaders);
  const plugins: PipelinePlugin[] = [
    facts,
    ...traced,
    clientVersions,
    ...rateRequests,
    transportRules,
    persistedQueries,
    limits,
    ...security,
    cacheControl,
    ...(caching.cache && !oracle ? [caching.cache.plugin()] : []),
  ];
  // idempotency keys are scoped by client name and the verified subject (README "Security")
  const metrics = observed;
  const idem = createIdempotency(
    config.idempotency,
    config.persistedQueries.redisUrl,
    logger,
    (request) => (request.principal ? `${request.principal.issuer ?? ''}|${request.principal.subject}` : undefined),
    metrics ? (outcome, clientName) => metrics.idempotency.inc({ outcome, client_name: metrics.clientName(clientName) }) : undefined,
  );
  const aroundExecute = idem.idempotency.aroundExecute.bind(idem.idempotency);
  const pipeline = new OperationPipeline({ snapshot: () => snapshot, plugins, executor, logger, aroundExecute, sharingScope: scope });
  if (caching.cache && !oracle && config.responseCache.warmTop > 0) caching.cache.startWarming((entry, request) => pipeline.run(entry, request), config.responseCache.warmTop);
  // Embedders' WebSocket hooks replace the persisted-query (and, for subscriptions, the limits) stages there.
  const wsPipeline =
    hooks.resolveSubscriptionOperation || hooks.checkSubscriptionOperation
      ? new OperationPipeline({
          snapshot: () => snapshot,
          plugins: [
            facts,
            clientVersions,
            ...rateRequests,
            transportRules,
            frontDoorHooksPlugin({ resolve: hooks.resolveSubscriptionOperation, check: hooks.checkSubscriptionOperation }),
            ...(hooks.resolveSubscriptionOperation ? [] : [persistedQueries]),
            ...(hooks.checkSubscriptionOperation ? [] : [limits]),
            ...security,
            cacheControl,
          ],
          executor,
          logger,
          aroundExecute,
          sharingScope: scope,
        })
      : pipeline;

  const push = config.push.enabled
    ? createPushBridge({
        settings: config.push,
        redisUrl: config.persistedQueries.redisUrl,
        pipeline,
        router: subscriptions,
        revocations: persisted.store,
        ...(hooks.onPushOutcome ? { onOutcome: hooks.onPushOutcome } : {}),
        ...(observability.metrics ? { metrics: observability.metrics.registry } : {}),
        logger,
      })
    : undefined;

  // the caller's IP address for the anonymous per-IP rate limit (README "Security")
  const clientAddress = clientAddressResolver(config.security.trustedProxies);
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
    frameworkErrors: handleFrameworkError, // bad percent-encoding, over-long path parameters: GraphQL-shaped too
  });
  registerErrorHandlers(app, logger);
  // CORS (off unless CORS_ORIGINS is set): preflights are answered in its onRequest hook, before the 405 route
  if (config.corsOrigins) void app.register(cors, corsOptions(config.corsOrigins));
  if (config.maxInflightRequests > 0) shedLoad(app, { maxInflightRequests: config.maxInflightRequests });
  app.get('/health', async () => ({ status: 'ok' }));
  // ready = able to serve: a supergraph is loaded and, in safelist mode, the persisted-query store has been
  // reachable since start (before that no persisted id resolves: every request would get 503 PERSISTED_QUERY_STORE_UNAVAILABLE)
  const needsStore = config.persistedQueries.mode === 'safelist';
  app.get('/ready', async (_request, reply) => {
    if (!snapshot) return reply.code(503).send({ status: 'loading' });
    if (needsStore && !persisted.hasConnected()) return reply.code(503).send({ status: 'waiting for the persisted query store' });
    return { status: 'ready', supergraphVersion: snapshot.version, subscriptions: { connections: wsServer.connectionCount(), ...subscriptions.stats() }, subgraphs: upstreams.breakerStates() };
  });
  registerGraphQLRoute(app, {
    pipeline,
    isReady: () => snapshot !== undefined,
    maxBodyBytes: largestBodyLimit(config.limits),
    compression: { minBytes: config.responseCompressionMinBytes, brotliQuality: config.brotliQuality, gzipLevel: config.gzipLevel },
    multipart: {
      router: subscriptions,
      heartbeatMs: config.multipartHeartbeatMs,
      maxBufferedBytes: config.subscriptionMaxBufferedBytes,
      maxPerClient: config.subscriptionMaxConnectionsPerClient,
      observer: {
        ...observability.websocket,
        multipart: (kind: string, clientName: string | undefined) => observability.metrics?.multipartResponses.inc({ kind, client_name: observability.metrics.clientName(clientName) }),
      },
      compression: { minBytes: config.responseCompressionMinBytes, brotliQuality: config.brotliQuality, gzipLevel: config.gzipLevel },
      propagateHeaders: config.security.propagateHeaders,
      logger: logger.child({ component: 'multipart' }),
    },
    limitsFor: (clientName) => limiter.limitsFor(clientName),
    ...(authenticator.enabled ? { authenticate: (authorization: string | undefined) => authenticator.authenticate(authorization) } : {}),
    clientAddress,
    onExchange: observability.metrics || config.observability.accessLog !== 'off' || config.devConsole.enabled ? observability.onHttpExchange : undefined,
    aroundHandler: tracing ? (request, run, statusOf) => tracing.around({ method: request.method, url: request.url, headers: request.headers }, run, statusOf) : undefined,
    idempotency: idem.idempotency,
    deltas: caching.deltas,
    knownText: caching.cache && !oracle ? (body) => caching.cache!.knownText(body) : undefined,
  });
  if (caching.cache && config.responseCache.adminToken) registerCacheAdminRoute(app, caching.cache, config.responseCache.adminToken);
  if (config.devConsole.enabled) {
    // developer console and GraphiQL sandbox (off by default with NODE_ENV=production)
    const stats = new ConsoleStats();
    observability.attachConsole(stats);
    registerDevConsole(
      app,
      config.devConsole,
      { supergraph: () => snapshot, breakerStates: () => upstreams.breakerStates(), metrics: observability.metrics, store: persisted.store, persistedQueriesMode: config.persistedQueries.mode, stats },
      logger.child({ component: 'console' }),
    );
  }
  push?.registerRoutes(app, authenticator.enabled ? (authorization) => authenticator.authenticate(authorization) : undefined);
  const metricsEndpoint = observability.metrics ? registerMetricsEndpoint(app, observability.metrics, config.host, config.observability.metricsPort) : undefined;
  const wsServer: SubscriptionServer = createSubscriptionServer({
    router: subscriptions,
    pipeline: wsPipeline,
    authenticate: hooks.authenticateConnection,
    ...(authenticator.enabled ? { authenticateToken: (authorization: string | undefined) => authenticator.authenticate(authorization) } : {}),
    checkConnection: clientVersionConnectionCheck(config.clientVersions),
    ackPayload: clientVersionAckPayload(config.clientVersions),
    connectionInitTimeoutMs: config.subscriptionConnectionInitTimeoutMs,
    keepAliveMs: config.subscriptionKeepAliveMs,
    maxSubscriptionsPerConnection: config.subscriptionMaxPerConnection,
    maxConnectionsPerClient: config.subscriptionMaxConnectionsPerClient,
    maxMessageBytes: config.maxBodyBytes,
    maxBufferedBytes: config.subscriptionMaxBufferedBytes,
    observer: observability.websocket,
    aroundSubscribe: tracing ? (payload, request, run) => tracing.aroundSubscribe(payload, request, run) : undefined,
    aroundExecute: tracing ? (request, run) => tracing.aroundExecute(request, run) : undefined,
    ...(push ? { onConnection: push.connection } : {}),
    propagateHeaders: config.security.propagateHeaders,
    clientAddress,
    logger: logger.child({ component: 'subscriptions' }),
  });
  wsServer.attach(app.server);
  observability.metrics?.observeSubscriptions({ connections: () => wsServer.connectionCount(), subscriptions: () => subscriptions.stats() });
  observability.metrics?.observeBreakers(() => upstreams.breakerStates());

  let closing: Promise<void> | undefined;
  return {
    app,
    limiter,
    isReady: () => snapshot !== undefined,
    supergraphVersion: () => snapshot?.version ?? 0,
    subscriptions,
    upstreams,
    observability,
    idempotency: idem.idempotency,
    push,
    metricsUrl: () => metricsEndpoint?.url(),
    async listen() {
      watch = watchSupergraphFile(config.supergraphPath, config.supergraphPollIntervalMs, logger, install);
      install(watch.initialSdl);
      await Promise.all([persisted.start(), idem.start()]);
      await caching.start();
      await push?.start();
      await app.listen({ port: config.port, host: config.host });
      await metricsEndpoint?.listen();
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      logger.info(
        {
          persistedQueries: config.persistedQueries.mode,
          store: config.persistedQueries.redisUrl ? 'redis' : 'memory',
          idempotencyStore: idem.idempotency.store.kind,
          limits: config.limits.defaults.mode,
          executor: config.executor,
          auth: config.security.auth.mode,
          introspection: config.security.introspection ? 'on' : 'off',
        },
        'gateway settings in effect',
      );
      if (config.devConsole.enabled) {
        const base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
        const query = config.devConsole.generatedToken ? `?token=${config.devConsole.token}` : '?token=<DEV_CONSOLE_TOKEN>';
        logger.info({ console: `${base}/console${query}`, sandbox: `${base}/graphql${query}` }, 'developer console and GraphiQL sandbox on (DEV_CONSOLE=off to turn them off)');
      }
      return `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}/graphql`;
    },
    close() {
      closing ??= (async () => {
        watch?.stop();
        await wsServer.drain(Math.min(config.shutdownGraceMs, 5_000));
        await push?.close();
        await subscriptions.close();
        const grace = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownGraceMs).unref());
        await Promise.race([app.close(), grace]);
        await metricsEndpoint?.close();
        await oracle?.stop();
        await upstreams.close();
        await tracing?.close();
        await persisted.store.close();
        await idem.idempotency.store.close();
        await caching.close();
        await rateLimits.close();
      })();
      return closing;
    },
  };
}
