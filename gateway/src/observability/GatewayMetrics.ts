import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ClientLabels } from './clientLabels';

/** What the WebSocket gauges read when Prometheus scrapes. */
export interface SubscriptionGaugeSources {
  /** Open client WebSocket connections. */
  connections(): number;
  /** Running client subscriptions, and the shared upstream subscriptions serving them. */
  subscriptions(): { readonly subscribers: number; readonly upstreams: number };
}

/** Each subgraph's circuit breaker state (`closed`, `open`, `half-open`) by name, read when Prometheus scrapes. */
export type BreakerStateSource = () => Readonly<Record<string, string>>;

/** The breaker states `roam_subgraph_breaker_state` has a series for. */
const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;

/** Settings of {@link GatewayMetrics}. */
export interface GatewayMetricsOptions {
  /** Client names kept as label values (`METRICS_CLIENT_NAMES`). */
  readonly clientNames: readonly string[];
  /** Distinct versions kept per known client (`METRICS_MAX_CLIENT_VERSIONS`). */
  readonly maxClientVersions: number;
  /** Also collect prom-client's default process and Node.js metrics (CPU, memory, GC, event-loop lag). @default true */
  readonly defaultMetrics?: boolean;
}

const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BYTES_BUCKETS = [128, 512, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304];
const RATIO_BUCKETS = [1, 1.5, 2, 3, 5, 10, 20, 50];
const COST_BUCKETS = [1, 10, 50, 100, 500, 1000, 5000, 10_000, 100_000, 1_000_000];

/**
 * Every Roam metric in one prom-client {@link Registry} (Prometheus text format; names follow the Prometheus
 * naming conventions: `roam_` prefix, base units seconds and bytes, `_total` counters). The README's
 * "Metrics" table lists each with its type and labels. Client labels are bounded by {@link ClientLabels}.
 * Each gateway has its own registry, so several gateways in one process (tests) do not share counts.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly clients: ClientLabels;
  /** Requests: one per HTTP request (a batch counts once, `operation_type="batch"`) and one per graphql-ws `subscribe`. */
  readonly requests: Counter<'transport' | 'operation_type' | 'status' | 'code' | 'client_name' | 'client_version'>;
  readonly requestDuration: Histogram<'transport' | 'operation_type'>;
  readonly requestBytes: Histogram<'client_name'>;
  readonly responseBytes: Histogram<'encoding' | 'client_name' | 'client_version'>;
  readonly compressionRatio: Histogram<'encoding'>;
  readonly responses: Counter<'encoding' | 'media_type'>;
  readonly persistedQueries: Counter<'outcome' | 'client_name' | 'client_version'>;
  readonly limitRefusals: Counter<'code' | 'client_name'>;
  readonly operationCost: Histogram<'client_name'>;
  readonly subgraphFetchDuration: Histogram<'subgraph' | 'outcome'>;
  readonly subgraphFetchErrors: Counter<'subgraph' | 'code'>;
  readonly websocketConnectionsOpened: Counter<'client_name'>;
  readonly subscriptionEventsDelivered: Counter;
  readonly subscriptionEventsDropped: Counter;
  /** Idempotency-key outcomes of keyed mutations and refused keys (README "Idempotency keys"). */
  readonly idempotency: Counter<'outcome' | 'client_name'>;
  /** Response-cache lookups of cacheable queries by `x-roam-cache` state (`hit`, `miss`, `bypass`). */
  readonly responseCache: Counter<'state' | 'client_name'>;
  /** Response-cache invalidations by source (`mutation`, `subgraph`, `admin`). */
  readonly cacheInvalidations: Counter<'source'>;
  /** Delta-update requests (`A-IM: json-patch`) by answer (`patch` 226, `not_modified` 304, `full` 200). */
  readonly deltaResponses: Counter<'outcome' | 'client_name'>;
  /** Bytes of JSON a 226 patch saved over the full response (uncompressed). */
  readonly deltaBytesSaved: Counter<'client_name'>;
  /** Subscription resumes (`extensions.lastEventId`) by outcome (`memory`, `subgraph`, `gap`, `invalid`, `unsupported`). */
  readonly subscriptionResumes: Counter<'outcome'>;
  /** Upstream (gateway → subgraph) subscription WebSocket reconnects by subgraph and outcome (`reconnected`, `failed`, `gave_up`). */
  readonly upstreamReconnects: Counter<'subgraph' | 'outcome'>;
  /** Multipart HTTP responses by kind (`defer`, `subscription`). */
  readonly multipartResponses: Counter<'kind' | 'client_name'>;
  private sources: SubscriptionGaugeSources | undefined;
  private breakers: BreakerStateSource | undefined;

  constructor(options: GatewayMetricsOptions) {
    this.clients = new ClientLabels(options.clientNames, options.maxClientVersions);
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'roam_requests_total',
      help: 'GraphQL requests by transport, operation type, HTTP status and first error code (none when no error).',
      labelNames: ['transport', 'operation_type', 'status', 'code', 'client_name', 'client_version'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'roam_request_duration_seconds',
      help: "Time from a request's arrival to its response (HTTP) or to its subscription start or refusal (WebSocket), in seconds.",
      labelNames: ['transport', 'operation_type'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.requestBytes = new Histogram({
      name: 'roam_http_request_bytes',
      help: 'HTTP request body size on the wire (before decompression), in bytes.',
      labelNames: ['client_name'],
      buckets: BYTES_BUCKETS,
      registers,
    });
    this.responseBytes = new Histogram({
      name: 'roam_http_response_bytes',
      help: 'HTTP response body size on the wire (after compression), in bytes.',
      labelNames: ['encoding', 'client_name', 'client_version'],
      buckets: BYTES_BUCKETS,
      registers,
    });
    this.compressionRatio = new Histogram({
      name: 'roam_http_response_compression_ratio',
      help: 'Uncompressed over compressed size of compressed HTTP responses.',
      labelNames: ['encoding'],
      buckets: RATIO_BUCKETS,
      registers,
    });
    this.responses = new Counter({ name: 'roam_http_responses_total', help: 'HTTP responses by Content-Encoding and media type.', labelNames: ['encoding', 'media_type'], registers });
    this.persistedQueries = new Counter({
      name: 'roam_persisted_queries_total',
      help: 'Persisted-query outcomes: hit (id resolved), miss (APQ id unknown), registered (APQ text stored), refused (safelist refusal, hash mismatch, not supported).',
      labelNames: ['outcome', 'client_name', 'client_version'],
      registers,
    });
    this.limitRefusals = new Counter({ name: 'roam_limits_refusals_total', help: 'Operations refused by a limit, by error code.', labelNames: ['code', 'client_name'], registers });
    this.operationCost = new Histogram({ name: 'roam_operation_cost', help: 'Estimated cost of checked operations (cost units).', labelNames: ['client_name'], buckets: COST_BUCKETS, registers });
    this.subgraphFetchDuration = new Histogram({
      name: 'roam_subgraph_fetch_duration_seconds',
      help: 'Subgraph HTTP fetches by subgraph and outcome (success, error, coalesced), in seconds.',
      labelNames: ['subgraph', 'outcome'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.subgraphFetchErrors = new Counter({
      name: 'roam_subgraph_fetch_errors_total',
      help: 'Subgraph fetches that failed at the transport level, by subgraph and error code.',
      labelNames: ['subgraph', 'code'],
      registers,
    });
    this.websocketConnectionsOpened = new Counter({
      name: 'roam_websocket_connections_opened_total',
      help: 'WebSocket connections acknowledged (connection_ack); its rate against the open count shows reconnects.',
      labelNames: ['client_name'],
      registers,
    });
    this.subscriptionEventsDelivered = new Counter({ name: 'roam_subscription_events_delivered_total', help: 'Subscription events written to client sockets.', registers });
    this.subscriptionEventsDropped = new Counter({
      name: 'roam_subscription_events_dropped_total',
      help: 'Subscription events not delivered because the client read too slowly (the subscription ends with SUBSCRIPTION_OVERFLOW).',
      registers,
    });
    this.idempotency = new Counter({
      name: 'roam_idempotency_requests_total',
      help: 'Idempotency-key outcomes: executed, replayed, waited_replayed (waited IDEMPOTENCY_WAIT_MS, then replayed), in_progress (409), mismatch (422), invalid (400), store_unavailable (503).',
      labelNames: ['outcome', 'client_name'],
      registers,
    });
    this.responseCache = new Counter({
      name: 'roam_response_cache_requests_total',
      help: 'Response-cache lookups of queries by x-roam-cache state: hit, miss (executed), bypass (the store failed).',
      labelNames: ['state', 'client_name'],
      registers,
    });
    this.cacheInvalidations = new Counter({
      name: 'roam_response_cache_invalidations_total',
      help: 'Response-cache invalidations by source: mutation (a mutation result), subgraph (published on the invalidation channel), admin (POST /admin/cache/invalidate).',
      labelNames: ['source'],
      registers,
    });
    this.deltaResponses = new Counter({
      name: 'roam_delta_responses_total',
      help: 'Single queries sent with A-IM: json-patch, by answer: patch (226 IM Used), not_modified (304), full (200, no usable base or no smaller patch).',
      labelNames: ['outcome', 'client_name'],
      registers,
    });
    this.deltaBytesSaved = new Counter({
      name: 'roam_delta_saved_bytes_total',
      help: 'JSON bytes a 226 patch saved against the full response (before compression), in bytes.',
      labelNames: ['client_name'],
      registers,
    });
    this.subscriptionResumes = new Counter({
      name: 'roam_subscription_resumes_total',
      help: "Subscription resumes (extensions.lastEventId) by outcome: memory (a shared subscription's recent events), subgraph (replay asked of the owning subgraph), gap, invalid, unsupported (refusals).",
      labelNames: ['outcome'],
      registers,
    });
    this.upstreamReconnects = new Counter({
      name: 'roam_upstream_reconnects_total',
      help: 'Subscription WebSocket reconnects to subgraphs by outcome: reconnected (re-opened), failed (one attempt failed), gave_up (attempts or time spent; its subscriptions ended).',
      labelNames: ['subgraph', 'outcome'],
      registers,
    });
    this.multipartResponses = new Counter({
      name: 'roam_multipart_responses_total',
      help: 'multipart/mixed HTTP responses started, by kind: defer (@defer incremental delivery), subscription (multipart HTTP subscription).',
      labelNames: ['kind', 'client_name'],
      registers,
    });
    const sources = () => this.sources;
    new Gauge({
      name: 'roam_websocket_connections',
      help: 'Open client WebSocket connections.',
      registers,
      collect() {
        this.set(sources()?.connections() ?? 0);
      },
    });
    new Gauge({
      name: 'roam_subscriptions_active',
      help: 'Running client subscriptions.',
      registers,
      collect() {
        this.set(sources()?.subscriptions().subscribers ?? 0);
      },
    });
    new Gauge({
      name: 'roam_subscription_upstreams',
      help: 'Shared upstream subscriptions serving the client subscriptions.',
      registers,
      collect() {
        this.set(sources()?.subscriptions().upstreams ?? 0);
      },
    });
    const breakers = () => this.breakers?.() ?? {};
    new Gauge({
      name: 'roam_subgraph_breaker_state',
      help: "Circuit breaker state per subgraph: 1 for the breaker's current state, 0 for the others (subgraphs fetched at least once).",
      labelNames: ['subgraph', 'state'],
      registers,
      collect() {
        this.reset();
        for (const [subgraph, current] of Object.entries(breakers())) for (const state of BREAKER_STATES) this.set({ subgraph, state }, current === state ? 1 : 0);
      },
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  /** Connects the WebSocket gauges to what they read (the subscription server and router, built after the metrics). */
  observeSubscriptions(sources: SubscriptionGaugeSources): void {
    this.sources = sources;
  }

  /** Connects `roam_subgraph_breaker_state` to the upstream layer's breakers (built after the metrics). */
  observeBreakers(source: BreakerStateSource): void {
    this.breakers = source;
  }

  /** @returns the bounded `client_name` label value of a client name as sent (see {@link ClientLabels}). */
  clientName(name: string | undefined): string {
    return this.clients.of(name, undefined).clientName;
  }

  /** @returns the Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  /** The `Content-Type` of {@link scrape}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
