import type { SupergraphSdlHook } from '@apollo/gateway';
import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type QueryPlan } from '@apollo/query-planner';
import type { GatewayExecutionResult, GatewayExecutor, GatewayGraphQLRequestContext, GatewayInterface, GatewayLoadResult, GatewaySchemaLoadOrUpdateCallback, GatewayUnsubscriber } from '@apollo/server-gateway-interface';
import { execute as executeGraphQL, GraphQLError, getVariableValues, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { executePlan, type SubgraphCall } from './executePlan';
import { InflightCoalescer } from './InflightCoalescer';
import { introspectionDocument } from './introspectionDocument';
import { parseSubgraphReply, postSubgraph, type RawSubgraphReply } from './postSubgraphJson';
import { shapeResponse } from './shapeResponse';

/** Options of {@link RoamPlanGateway}. */
export interface RoamPlanGatewayOptions {
  /** Where the supergraph SDL comes from (the same hook Apollo Gateway takes, e.g. `supergraphFromFile`). */
  readonly supergraphSdl: SupergraphSdlHook;
  /** The pooled keep-alive undici dispatcher for subgraph calls. */
  readonly dispatcher: Dispatcher;
  readonly logger: Logger;
  /** Most query plans kept (one per distinct operation text + name). @default 1000 */
  readonly planCacheSize?: number;
  /**
   * Share identical in-flight work: a query whose text, operation name, variables and authorization
   * headers match one being executed gets that execution's result, and identical subgraph query fetches
   * share one HTTP call (each caller parses its own copy). Mutations are never coalesced. @default true
   */
  readonly coalesceInflight?: boolean;
}

/** A finished execution and the cache hints its subgraph replies carried (`Cache-Control`), applied per caller. */
interface Execution {
  readonly result: GatewayExecutionResult;
  readonly hints: readonly CacheHint[];
}

/** Apollo's cache hint: max age in seconds and scope. */
interface CacheHint {
  maxAge: number;
  scope?: 'PUBLIC' | 'PRIVATE';
}

/**
 * The hint a subgraph reply gives (Apollo Gateway's `RemoteGraphQLDataSource.respond`): `max-age` in
 * seconds (0 without one), `private`/`public` as the scope.
 */
function cacheHintOf(cacheControl: string | null): CacheHint {
  const hint: CacheHint = { maxAge: 0 };
  if (!cacheControl) return hint;
  for (const part of cacheControl.split(',')) {
    const [name, value] = part.trim().toLowerCase().split('=');
    if (name === 'max-age' && value && /^[0-9]+$/.test(value)) hint.maxAge = Number(value);
    else if (name === 'private') hint.scope = 'PRIVATE';
    else if (name === 'public') hint.scope = 'PUBLIC';
  }
  return hint;
}

/** One loaded supergraph: API schema, planner and subgraph URLs; replaced whole on reload. */
interface Loaded {
  readonly sdl: string;
  readonly apiSchema: Schema;
  readonly graphqlSchema: GraphQLSchema;
  readonly supergraphSchema: GraphQLSchema;
  readonly planner: QueryPlanner;
  readonly urls: Map<string, string>;
  readonly plans: Map<string, QueryPlan>;
}

/**
 * Roam's own query-plan executor, plugged into Apollo Server as its `gateway` (Apollo Server's
 * `GatewayInterface`: `load()` returns the executor, `onSchemaLoadOrUpdate` gives the API schema), so
 * parsing, validation, plugins and serialisation stay Apollo Server's. Planning is `@apollo/query-planner`
 * over `@apollo/federation-internals`' `Supergraph`; plans are cached per operation text + name; plans
 * run with {@link executePlan} over undici (pooled keep-alive, no OpenTelemetry) and the response is
 * shaped once ({@link shapeResponse}).
 */
export class RoamPlanGateway implements GatewayInterface {
  private loaded: Loaded | undefined;
  private readonly listeners = new Set<GatewaySchemaLoadOrUpdateCallback>();
  private cleanup: (() => Promise<void>) | undefined;
  /** Identical in-flight client queries. */
  readonly requests = new InflightCoalescer<Execution>();
  /** Identical in-flight subgraph query fetches. */
  readonly fetches = new InflightCoalescer<RawSubgraphReply>();

  constructor(private readonly options: RoamPlanGatewayOptions) {}

  /** @see GatewayInterface.onSchemaLoadOrUpdate */
  onSchemaLoadOrUpdate(callback: GatewaySchemaLoadOrUpdateCallback): GatewayUnsubscriber {
    this.listeners.add(callback);
    return () => this.listeners.delete(callback);
  }

  /** Loads the supergraph through the hook and returns the executor. @throws when the first supergraph is invalid. */
  async load(): Promise<GatewayLoadResult> {
    const result = await this.options.supergraphSdl({
      // Throws on an invalid supergraph, as Apollo Gateway's update does; the hook logs it and keeps the current one.
      update: (sdl: string) => this.apply(sdl),
      healthCheck: async () => undefined,
      getDataSource: () => {
        throw new Error('not supported by the Roam executor');
      },
    } as never);
    this.cleanup = result.cleanup;
    this.apply(result.supergraphSdl);
    return { executor: this.executor };
  }

  /** Stops watching the supergraph. */
  async stop(): Promise<void> {
    await this.cleanup?.();
  }

  private apply(sdl: string): void {
    const supergraph = Supergraph.build(sdl);
    const apiSchema = supergraph.apiSchema();
    const urls = new Map<string, string>();
    for (const sg of supergraph.subgraphs().values()) urls.set(sg.name, sg.url);
    const graphqlSchema = apiSchema.toGraphQLJSSchema();
    this.loaded = {
      sdl,
      apiSchema,
      graphqlSchema,
      supergraphSchema: supergraph.schema.toGraphQLJSSchema(),
      planner: new QueryPlanner(supergraph),
      urls,
      plans: new Map(),
    };
    for (const listener of this.listeners) listener({ apiSchema: graphqlSchema, coreSupergraphSdl: sdl });
  }

  private readonly executor: GatewayExecutor = (requestContext: GatewayGraphQLRequestContext) => {
    const coalesce = this.options.coalesceInflight ?? true;
    const apply = (e: Execution): GatewayExecutionResult => {
      const policy = requestContext.overallCachePolicy as { restrict?: (hint: CacheHint) => void } | undefined;
      if (policy?.restrict) for (const hint of e.hints) policy.restrict(hint);
      return e.result;
    };
    if (!coalesce || requestContext.operation.operation !== 'query') return this.execute(requestContext, false).then(apply);
    const headers = requestContext.request.http?.headers;
    const scope = headers ? `${headers.get('authorization') ?? ''}\u0000${headers.get('cookie') ?? ''}` : '';
    const key = `${requestContext.operationName ?? ''}\u0000${requestContext.source}\u0000${JSON.stringify(requestContext.request.variables ?? {})}\u0000${scope}`;
    return this.requests.run(key, () => this.execute(requestContext, true)).then(apply);
  };

  private async execute(requestContext: GatewayGraphQLRequestContext, coalesceFetches: boolean): Promise<Execution> {
    const loaded = this.loaded;
    if (!loaded) throw new Error('supergraph not loaded');
    const { document, operation, operationName, source } = requestContext;
    const coerced = getVariableValues(loaded.graphqlSchema, operation.variableDefinitions ?? [], requestContext.request.variables ?? {});
    if (coerced.errors) return { result: { errors: coerced.errors }, hints: [] };
    const variables = coerced.coerced;
    const key = `${operationName ?? ''}\u0000${source}`;
    let plan = loaded.plans.get(key);
    if (!plan) {
      plan = loaded.planner.buildQueryPlan(operationFromDocument(loaded.apiSchema, document, { operationName: operationName ?? undefined }));
      if (loaded.plans.size >= (this.options.planCacheSize ?? 1000)) loaded.plans.delete(loaded.plans.keys().next().value!);
      loaded.plans.set(key, plan);
    }
    const errors: GraphQLError[] = [];
    const hints: CacheHint[] = [];
    const call: SubgraphCall = async (serviceName, body) => {
      const url = loaded.urls.get(serviceName);
      if (!url) throw new GraphQLError(`Unknown subgraph '${serviceName}'`, { extensions: { code: 'SUBREQUEST_HTTP_ERROR', service: serviceName } });
      let reply;
      try {
        const text = JSON.stringify(body);
        const raw = coalesceFetches ? await this.fetches.run(`${url}\u0000${text}`, () => postSubgraph(this.options.dispatcher, url, text)) : await postSubgraph(this.options.dispatcher, url, text);
        reply = parseSubgraphReply(raw);
        hints.push(cacheHintOf(reply.headers.get('cache-control')));
      } catch (error) {
        throw new GraphQLError(`HTTP fetch failed from '${serviceName}': ${(error as Error).message}`, { extensions: { code: 'SUBREQUEST_HTTP_ERROR', service: serviceName, reason: (error as Error).message } });
      }
      if (reply.status < 200 || reply.status >= 300 || !reply.body || typeof reply.body !== 'object') {
        // A GraphQL-over-HTTP error reply with a JSON body still carries the subgraph's errors.
        if (reply.body && typeof reply.body === 'object' && Array.isArray((reply.body as { errors?: unknown }).errors)) return reply.body as never;
        throw new GraphQLError(`HTTP fetch failed from '${serviceName}': ${reply.status}`, { extensions: { code: 'SUBREQUEST_HTTP_ERROR', service: serviceName, reason: `HTTP ${reply.status}` } });
      }
      return reply.body as never;
    };
    if (plan.node?.kind === 'Subscription') {
      return { result: { errors: [new GraphQLError('Subscriptions are not served over HTTP POST/GET; use the WebSocket endpoint (graphql-ws).', { extensions: { code: 'BAD_REQUEST' } })] }, hints: [] };
    }
    const merged = await executePlan(plan.node, { supergraphSchema: loaded.supergraphSchema, variables, providedVariables: requestContext.request.variables ?? {}, call, errors });
    // `__schema`/`__type` at the root: the planner skips them; graphql-js answers them from the API schema
    // (as Apollo Gateway does) and shapeResponse puts them in the operation's field order.
    const introspection = source.includes('__schema') || source.includes('__type') ? introspectionDocument(document, operation) : undefined;
    if (introspection) {
      const result = await executeGraphQL({ schema: loaded.graphqlSchema, document: introspection, variableValues: requestContext.request.variables ?? {} });
      Object.assign(merged, result.data ?? {});
      if (result.errors) errors.push(...result.errors);
    }
    const data = shapeResponse(loaded.graphqlSchema, document, operation, variables, merged, errors);
    return { result: errors.length > 0 ? { data, errors } : { data }, hints };
  }
}
