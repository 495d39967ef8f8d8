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

  /** @returns the Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  /** The `Content-Type` of {@link scrape}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
