import { defaultTextMapGetter, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { PipelinePlugin } from '../pipeline/types';
import type { UpstreamHooks } from '../upstream/types';

/** Settings of {@link Tracing}. */
export interface TracingOptions {
  /** OTLP/HTTP traces endpoint (JSON encoding), e.g. `http://collector:4318/v1/traces`. */
  readonly otlpUrl: string;
  /** `service.name` of the spans. */
  readonly serviceName: string;
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
 * `result`), the operation's name, type and document id as attributes; each subgraph fetch as a CLIENT child
 * span (`subgraph <name>`, from the upstream layer's `afterFetch` hook, timed by its `durationMs`).
 *
 * The provider, context manager and propagator are this gateway's own (nothing is registered globally), so
 * several gateways in one process keep their traces apart. `close()` flushes what is buffered.
 */
export class Tracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly contexts = new AsyncLocalStorageContextManager();
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(options: TracingOptions) {
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName }),
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

  /** Upstream hooks recording each subgraph fetch as a CLIENT child span of the active request span. */
  upstreamHooks(): UpstreamHooks {
    return {
      afterFetch: (info, outcome) => {
        const parent = this.contexts.active();
        if (!trace.getSpan(parent)) return;
        const end = Date.now();
        const span = this.tracer.startSpan(
          `subgraph ${info.serviceName}`,
          {
            kind: SpanKind.CLIENT,
            startTime: end - outcome.durationMs,
            attributes: { 'roam.subgraph': info.serviceName, 'graphql.operation.type': info.operationType, 'roam.coalesced': outcome.coalesced },
          },
          parent,
        );
        if (outcome.error) span.setStatus({ code: SpanStatusCode.ERROR, message: String(outcome.error.extensions.code ?? outcome.error.message) });
        span.end(end);
      },
    };
  }

  /** Flushes buffered spans and stops the exporter. */
  async close(): Promise<void> {
    await this.provider.shutdown();
    this.contexts.disable();
  }
}
