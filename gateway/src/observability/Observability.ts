import { CODE } from '@roam/errors';
import type { Logger } from 'pino';
import type { GraphQLExchange } from '../http/GraphQLExchange';
import type { LimitsOutcome } from '../limits/limitsPlugin';
import type { PersistedQueryOutcome } from '../persistedQueries/persistedQueriesPlugin';
import type { OperationContext, PipelinePlugin } from '../pipeline/types';
import type { SubscriptionServerObserver, WebSocketOperationOutcome } from '../subscriptions/createSubscriptionServer';
import type { UpstreamHooks } from '../upstream/types';
import type { ConsoleStats } from '../devConsole/ConsoleStats';
import { accessLogLine, type AccessLogLine } from './accessLogLine';
import { GatewayMetrics } from './GatewayMetrics';
import { metricsUpstreamHooks } from './metricsUpstreamHooks';
import type { ObservabilitySettings } from './observabilityEnv';
import { OperationFactsTable } from './operationFacts';

/** Codes refused at the HTTP level by a limit (before or instead of the pipeline's limits concern). */
const HTTP_LIMIT_CODES: ReadonlySet<string> = new Set([CODE.BATCH_LIMIT_EXCEEDED, CODE.PAYLOAD_TOO_LARGE]);

/**
 * The observability concern: metrics ({@link GatewayMetrics}) and the access log, fed by thin hooks on the
 * pipeline (operation facts), the persisted-queries and limits plugins (outcomes, cost), the upstream layer
 * (subgraph fetches), and the two transport adapters (HTTP exchanges, WebSocket connections, operations and
 * deliveries). Nothing here changes a request; every hook is cheap and never throws on a request's data.
 */
export class Observability {
  /** Per-request operation facts, filled by {@link plugin} and the outcome hooks. */
  readonly facts = new OperationFactsTable();
  /** The metrics, or undefined with `METRICS=off`. */
  readonly metrics: GatewayMetrics | undefined;
  private readonly accessLogger: Logger | undefined;
  /** The developer console's traffic tables, when the console is on ({@link attachConsole}). */
  private consoleStats: ConsoleStats | undefined;

  /**
   * @param settings - metrics and access-log settings.
   * @param logger - the gateway logger; access-log lines go to its child `{ component: 'access' }` at `settings.accessLog`.
   * @param random - source of [0, 1) numbers for sampling. @default Math.random
   */
  constructor(
    private readonly settings: ObservabilitySettings,
    logger: Logger,
    private readonly random: () => number = Math.random,
  ) {
    this.metrics = settings.metricsEnabled ? new GatewayMetrics({ clientNames: settings.metricsClientNames, maxClientVersions: settings.metricsMaxClientVersions }) : undefined;
    if (settings.accessLog !== 'off') {
      // the access log has its own level: a child at that level, so LOG_LEVEL=warn does not silence ACCESS_LOG=info
      this.accessLogger = logger.child({ component: 'access' }, { level: settings.accessLog });
    }
  }

  /** Also feeds the developer console's traffic tables (requests, bytes, errors, limit refusals). */
  attachConsole(stats: ConsoleStats): void {
    this.consoleStats = stats;
  }

  /** The pipeline plugin recording operation type, name and document id; put it first. */
  plugin(): PipelinePlugin {
    return this.facts.plugin();
  }

  /** Upstream hooks recording subgraph fetches; undefined with metrics off. */
  upstreamHooks(): UpstreamHooks | undefined {
    return this.metrics ? metricsUpstreamHooks(this.metrics) : undefined;
  }

  /** The persisted-queries plugin's `onOutcome`. */
  readonly onPersistedQuery = (ctx: OperationContext, outcome: PersistedQueryOutcome, id: string): void => {
    this.facts.persistedQuery(ctx, outcome, id);
    if (!this.metrics) return;
    const { clientName, clientVersion } = this.metrics.clients.of(ctx.request.clientName, ctx.request.clientVersion);
    this.metrics.persistedQueries.inc({ outcome, client_name: clientName, client_version: clientVersion });
  };

  /** The limits plugin's observer. */
  readonly onLimits = (ctx: OperationContext, outcome: LimitsOutcome): void => {
    if (outcome.cost !== undefined) this.facts.cost(ctx, outcome.cost);
    if (outcome.refusedCode !== undefined) this.consoleStats?.refusal(outcome.refusedCode, ctx.request.clientName, ctx.request.clientVersion, ctx.operation?.name?.value ?? ctx.entry.operationName);
    if (!this.metrics) return;
    const { clientName } = this.metrics.clients.of(ctx.request.clientName, undefined);
    if (outcome.cost !== undefined) this.metrics.operationCost.observe({ client_name: clientName }, outcome.cost);
    if (outcome.refusedCode !== undefined) this.metrics.limitRefusals.inc({ code: outcome.refusedCode, client_name: clientName });
  };

  /** The HTTP adapter's report of each `/graphql` exchange. */
  readonly onHttpExchange = (exchange: GraphQLExchange): void => {
    // the developer console's sandbox page (GET /graphql from a browser, or its 401/303) is not a GraphQL exchange
    if (exchange.mediaType === 'text/html' || (exchange.status === 303 && exchange.request === undefined)) return;
    const facts = this.facts.peek(exchange.request);
    const metrics = this.metrics;
    if (metrics) {
      const { clientName, clientVersion } = metrics.clients.of(exchange.clientName, exchange.clientVersion);
      const operationType = exchange.batchSize > 0 ? 'batch' : (facts?.operationType ?? 'unknown');
      metrics.requests.inc({
        transport: 'http',
        operation_type: operationType,
        status: String(exchange.status),
        code: exchange.code ?? 'none',
        client_name: clientName,
        client_version: clientVersion,
      });
      metrics.requestDuration.observe({ transport: 'http', operation_type: operationType }, exchange.durationMs / 1000);
      if (exchange.method === 'POST') metrics.requestBytes.observe({ client_name: clientName }, exchange.requestBytes);
      if (exchange.status !== 304) {
        metrics.responseBytes.observe({ encoding: exchange.contentEncoding, client_name: clientName, client_version: clientVersion }, exchange.responseBytes);
        metrics.responses.inc({ encoding: exchange.contentEncoding, media_type: exchange.mediaType });
        if (exchange.contentEncoding !== 'identity' && exchange.responseBytes > 0)
          metrics.compressionRatio.observe({ encoding: exchange.contentEncoding }, exchange.uncompressedBytes / exchange.responseBytes);
      }
      if (exchange.code !== undefined && HTTP_LIMIT_CODES.has(exchange.code)) metrics.limitRefusals.inc({ code: exchange.code, client_name: clientName });
    }
    if (this.consoleStats) {
      const { clientName, clientVersion, code } = exchange;
      this.consoleStats.request({ clientName, clientVersion, code, bytesIn: exchange.requestBytes, bytesOut: exchange.responseBytes, facts });
      if (code !== undefined && HTTP_LIMIT_CODES.has(code)) this.consoleStats.refusal(code, clientName, clientVersion, facts?.operationNames.join(','));
    }
    this.log(exchange.code, () => accessLogLine(exchange, facts));
  };

  /** The WebSocket adapter's observer (connections, operations, deliveries, drops). */
  readonly websocket: SubscriptionServerObserver = {
    connected: (info) => this.metrics?.websocketConnectionsOpened.inc({ client_name: this.metrics.clients.of(info.sentClientName, undefined).clientName }),
    operation: (outcome: WebSocketOperationOutcome) => {
      const facts = this.facts.peek(outcome.request);
      const operationType = facts?.operationType ?? 'unknown';
      const metrics = this.metrics;
      if (metrics) {
        const { clientName, clientVersion } = metrics.clients.of(outcome.request.clientName, outcome.request.clientVersion);
        metrics.requests.inc({ transport: 'ws', operation_type: operationType, status: 'none', code: outcome.code ?? 'none', client_name: clientName, client_version: clientVersion });
        metrics.requestDuration.observe({ transport: 'ws', operation_type: operationType }, outcome.durationMs / 1000);
      }
      this.consoleStats?.request({ clientName: outcome.request.clientName, clientVersion: outcome.request.clientVersion, code: outcome.code, bytesIn: 0, bytesOut: 0, facts });
      this.log(outcome.code, () => ({
        transport: 'ws',
        clientName: outcome.request.clientName?.slice(0, 64),
        clientVersion: outcome.request.clientVersion?.slice(0, 64),
        operationType: facts?.operationType,
        operationName: facts?.operationNames.join(',') || undefined,
        documentId: facts?.documentIds.join(',') || undefined,
        code: outcome.code,
        durationMs: Math.round(outcome.durationMs * 100) / 100,
        cost: facts?.cost,
        cache: facts?.persistedQuery,
      }));
    },
    delivered: () => this.metrics?.subscriptionEventsDelivered.inc(),
    dropped: () => this.metrics?.subscriptionEventsDropped.inc(),
  };

  /**
   * Writes one access-log line: always for a response with an error code, else with probability
   * `ACCESS_LOG_SAMPLE_RATE`. The line is built only when it is written (`ACCESS_LOG=off` or sampled out: no work).
   */
  private log(code: string | undefined, line: () => AccessLogLine): void {
    const logger = this.accessLogger;
    if (!logger) return;
    if (code === undefined && !(this.random() < this.settings.accessLogSampleRate)) return;
    logger[this.settings.accessLog as 'info'](line(), 'request');
  }
}
