import type { PlanNode, QueryPlan } from '@apollo/query-planner';
import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import type { PipelinePlugin, RequestInfo } from '../pipeline/types';
import type { FetchInfo, UpstreamHooks } from '../upstream/types';

/** Settings of {@link Tracing}. */
export interface TracingOptions {
  /** OTLP/HTTP traces endpoint (JSON encoding), e.g. `http://collector:4318/v1/traces`. */
  readonly otlpUrl: string;
  /** `service.name` of the spans. */
  readonly serviceName: string;
  /**
   * Share (0–1) of the traces the gateway starts that are recorded and exported (OpenTelemetry's
   * `ParentBasedSampler` over a `TraceIdRatioBasedSampler`): a client's `traceparent` sampled flag decides for its
   * own trace. Unrecorded traces still propagate `traceparent` (flags `00`) to subgraphs. @default 1
   */
  readonly sampleRatio?: number;
}

/** What the HTTP adapter's wrapper needs about the request it traces. */
export interface TracedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * OpenTelemetry traces (OTLP over HTTP, JSON), off unless `TRACING_OTLP_URL` is set. One SERVER span per
 * `/graphql` request, continuing the client's W3C `traceparent` (Trace Context, W3C Recommendation) when sent;
 * the pipeline's stages as span events (`document resolved`, `operation selected`, `checks passed`,
 * `result`), the operation's name, type and document id as attributes. Children of the request span: an
 * INTERNAL `query plan` span (the executor's `onPlan`: fetch count and subgraphs) and a CLIENT span per subgraph
 * fetch (`subgraph <name>`, started by the upstream layer's `fetchHeaders` hook, which also returns the
 * `traceparent` the subgraph receives, ended by `afterFetch`). One SERVER span `graphql-ws subscribe` per
 * WebSocket `subscribe` (its front door: resolution, checks, planning, start or refusal), continuing a
 * `traceparent` sent in the payload's `extensions` (graphql-ws has no headers per message); a query or mutation
 * sent over WebSocket adds an INTERNAL `graphql-ws execute` child holding its plan and fetch spans.
 *
 * The provider, context manager and propagator are this gateway's own (nothing is registered globally), so
 * several gateways in one process keep their traces apart. `close()` flushes what is buffered.
 */
export class Tracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly contexts = new AsyncLocalStorageContextManager();
  private readonly propagator = new W3CTraceContextPropagator();
  /** The context of each WebSocket `subscribe` span, for the execution of a query or mutation it started. */
  private readonly wsParents = new WeakMap<RequestInfo, Context>();
  /** Fetch spans between `fetchHeaders` and `afterFetch`, keyed by the fetch's info object. */
  private readonly fetchSpans = new WeakMap<FetchInfo, Span>();

  constructor(options: TracingOptions) {
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio ?? 1) }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: options.otlpUrl }), { scheduledDelayMillis: 1000 })],
    });
    this.tracer = this.provider.getTracer('roam-gateway');
    this.contexts.enable();
  }

  /** The span of the request running in the current async context, if any. */
  private activeSpan(): Span | undefined {
    return trace.getSpan(this.contexts.active());
  }

  /**
   * Runs one request's handler inside its SERVER span.
   *
   * @param request - method, URL and headers (`traceparent`, `tracestate` are read).
   * @param run - the handler.
   * @param statusOf - the response status once the handler returned.
   * @returns what `run` returns; the span ends when it settles (status ERROR for 5xx or a throw).
   */
  async around<T>(request: TracedRequest, run: () => Promise<T>, statusOf: () => number): Promise<T> {
    const parent: Context = this.propagator.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
    const path = request.url.split('?')[0] ?? request.url;
    const span = this.tracer.startSpan(`${request.method} ${path}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'url.path': path, 'http.route': path } }, parent);
    try {
      const result = await this.contexts.with(trace.setSpan(parent, span), run);
      const status = statusOf();
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      return result;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  }

  /** The pipeline plugin adding stage events and operation attributes to the active request span. */
  plugin(): PipelinePlugin {
    return {
      name: 'tracing',
      checkDocument: () => {
        this.activeSpan()?.addEvent('document resolved');
        return undefined;
      },
      checkOperation: (ctx) => {
        const span = this.activeSpan();
        if (!span) return undefined;
        span.addEvent('operation selected');
        if (ctx.operation) span.setAttribute('graphql.operation.type', ctx.operation.operation);
        const name = ctx.operation?.name?.value ?? ctx.entry.operationName;
        if (name) span.setAttribute('graphql.operation.name', name);
        if (ctx.documentHash) span.setAttribute('roam.document.id', ctx.documentHash);
        if (ctx.request.clientName) span.setAttribute('roam.client.name', ctx.request.clientName.slice(0, 64));
        if (ctx.request.clientVersion) span.setAttribute('roam.client.version', ctx.request.clientVersion.slice(0, 64));
        return undefined;
      },
      didPassChecks: () => {
        this.activeSpan()?.addEvent('checks passed');
      },
      willSendResult: (_ctx, result, _hints, executed) => {
        const code = result.body.errors?.[0]?.extensions?.code;
        this.activeSpan()?.addEvent('result', { executed, ...(typeof code === 'string' ? { 'roam.error.code': code } : {}) });
      },
    };
  }

  /**
   * Upstream hooks recording each subgraph fetch as a CLIENT child span of the active request span, and
   * propagating it: `fetchHeaders` starts the span and returns its W3C `traceparent` (and `tracestate` when the
   * client sent one) for the subgraph request; `afterFetch` ends it with `roam.coalesced`, `roam.retries` and
   * status ERROR carrying the `SUBREQUEST_*` code. Fetches outside a traced request get no span and no header.
   */
  upstreamHooks(): UpstreamHooks {
    return {
      fetchHeaders: (info) => {
        const parent = this.contexts.active();
        if (!trace.getSpan(parent)) return undefined;
        const span = this.tracer.startSpan(
          `subgraph ${info.serviceName}`,
          { kind: SpanKind.CLIENT, attributes: { 'roam.subgraph': info.serviceName, 'graphql.operation.type': info.operationType } },
          parent,
        );
        this.fetchSpans.set(info, span);
        const carrier: Record<string, string> = {};
        this.propagator.inject(trace.setSpan(parent, span), carrier, defaultTextMapSetter);
        return carrier;
      },
      afterFetch: (info, outcome) => {
        let span = this.fetchSpans.get(info);
        const end = Date.now();
        if (span) this.fetchSpans.delete(info);
        else {
          // a fetch that did not ask for headers (none today): timed from its duration
          const parent = this.contexts.active();
          if (!trace.getSpan(parent)) return;
          span = this.tracer.startSpan(
            `subgraph ${info.serviceName}`,
            { kind: SpanKind.CLIENT, startTime: end - outcome.durationMs, attributes: { 'roam.subgraph': info.serviceName, 'graphql.operation.type': info.operationType } },
            parent,
          );
        }
        span.setAttribute('roam.coalesced', outcome.coalesced);
        if (outcome.retries) span.setAttribute('roam.retries', outcome.retries);
        if (outcome.error) span.setStatus({ code: SpanStatusCode.ERROR, message: String(outcome.error.extensions.code ?? outcome.error.message) });
        span.end(end);
      },
    };
  }

  /**
   * The executor's `onPlan`: an INTERNAL `query plan` child span of the active request span, timed by
   * `durationMs` (near 0 for a cached plan), with `roam.plan.fetches` (fetch nodes) and `roam.plan.subgraphs`.
   */
  readonly onPlan = (plan: QueryPlan, durationMs: number): void => {
    const parent = this.contexts.active();
    if (!trace.getSpan(parent)) return;
    const end = Date.now();
    const fetches: string[] = [];
    if (plan.node?.kind !== 'Subscription') collectFetches(plan.node, fetches);
    this.tracer
      .startSpan(
        'query plan',
        { kind: SpanKind.INTERNAL, startTime: end - durationMs, attributes: { 'roam.plan.fetches': fetches.length, 'roam.plan.subgraphs': [...new Set(fetches)].sort() } },
        parent,
      )
      .end(end);
  };

  /**
   * Runs one WebSocket `subscribe`'s front door inside a SERVER span `graphql-ws subscribe`, continuing the
   * `traceparent`/`tracestate` of the payload's `extensions` when sent. The pipeline plugin's events and
   * attributes land on it; a refusal (the front door returns errors) sets status ERROR and `roam.error.code`.
   *
   * @param payload - the `subscribe` message's payload as sent.
   * @param request - the request facts (client name and version).
   * @param run - the front door.
   * @returns what `run` returns.
   */
  async aroundSubscribe<T>(payload: unknown, request: RequestInfo, run: () => Promise<T>): Promise<T> {
    const extensions = (payload as { extensions?: unknown } | undefined)?.extensions;
    const carrier = extensions !== null && typeof extensions === 'object' ? (extensions as Record<string, unknown>) : {};
    const headers: Record<string, string> = {};
    for (const name of ['traceparent', 'tracestate']) if (typeof carrier[name] === 'string') headers[name] = carrier[name];
    const parent = this.propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    const span = this.tracer.startSpan('graphql-ws subscribe', { kind: SpanKind.SERVER, attributes: { 'roam.transport': 'ws' } }, parent);
    if (request.clientName) span.setAttribute('roam.client.name', request.clientName.slice(0, 64));
    const context = trace.setSpan(parent, span);
    this.wsParents.set(request, context);
    try {
      const result = await this.contexts.with(context, run);
      if (Array.isArray(result)) {
        const code = (result[0] as { extensions?: { code?: unknown } } | undefined)?.extensions?.code;
        span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : 'refused' });
        if (typeof code === 'string') span.setAttribute('roam.error.code', code);
      }
      return result;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  }

  /**
   * Runs the execution of a query or mutation sent over WebSocket inside an INTERNAL span `graphql-ws execute`,
   * child of its `subscribe` span (graphql-ws executes after the front door returned): its plan and subgraph fetch
   * spans become the execute span's children.
   *
   * @param request - the request facts {@link aroundSubscribe} saw.
   * @param run - the execution.
   * @returns what `run` returns; a throw sets status ERROR.
   */
  async aroundExecute<T>(request: RequestInfo, run: () => Promise<T>): Promise<T> {
    const parent = this.wsParents.get(request) ?? ROOT_CONTEXT;
    const span = this.tracer.startSpan('graphql-ws execute', { kind: SpanKind.INTERNAL, attributes: { 'roam.transport': 'ws' } }, parent);
    try {
      return await this.contexts.with(trace.setSpan(parent, span), run);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  }

  /** Flushes buffered spans and stops the exporter. */
  async close(): Promise<void> {
    await this.provider.shutdown();
    this.contexts.disable();
  }
}

/** Appends the subgraph name of every fetch node under `node` (sequence, parallel, flatten, condition, defer). */
function collectFetches(node: PlanNode | undefined, into: string[]): void {
  if (!node) return;
  switch (node.kind) {
    case 'Fetch':
      into.push(node.serviceName);
      return;
    case 'Sequence':
    case 'Parallel':
      for (const n of node.nodes) collectFetches(n, into);
      return;
    case 'Flatten':
      collectFetches(node.node, into);
      return;
    case 'Defer':
      collectFetches(node.primary.node, into);
      for (const d of node.deferred) collectFetches(d.node, into);
      return;
    case 'Condition':
      collectFetches(node.ifClause, into);
      collectFetches(node.elseClause, into);
      return;
    default:
      return;
  }
}
