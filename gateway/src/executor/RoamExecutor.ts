import { downstreamError, roamError } from '@roam/errors';
import { execute as executeGraphQL, GraphQLError, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { QueryPlan } from '@apollo/query-planner';
import type { Logger } from 'pino';
import type { SubscriptionPlan, SupergraphSnapshot } from '../supergraph/SupergraphSnapshot';
import { InflightCoalescer } from '../upstream/InflightCoalescer';
import type { CacheHint, SubgraphRequest, SubgraphResponse, UpstreamEvent } from '../upstream';
import type { Upstreams } from '../upstream/Upstreams';
import type { RequestInfo } from '../pipeline/types';
import { collectEntityTags } from './collectEntityTags';
import { deepMerge, executePlan, type SubgraphCall } from './executePlan';
import { executeIncremental, type IncrementalExecution } from './executeIncremental';
import { introspectionDocument } from './introspectionDocument';
import { requestSharingKey } from './sharingKeys';
import { assertEmptyPlanAllowed } from './rewritePlan';
import { shapeResponse } from './shapeResponse';

/** One operation ready to run: parsed, validated, selected, its variables coerced. */
export interface ExecutableOperation {
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  readonly operationName: string | undefined;
  /** SHA-256 of the document text (plan cache key). */
  readonly documentHash: string;
  /** The variables as the client sent them (forwarded to subgraphs, as Apollo Gateway does). */
  readonly variables: Readonly<Record<string, unknown>>;
  /** The variables coerced against the API schema (defaults applied), for `@skip`/`@include` and conditions. */
  readonly coercedVariables: Record<string, unknown>;
  /** The document to plan when it differs from `document` (authorization removed fields; README "Security"). @default document */
  readonly planned?: { readonly document: DocumentNode; readonly documentHash: string };
  /** The idempotency key of a keyed mutation, scoped to the caller (64 hex): the n-th mutation fetch (from 0) carries `Idempotency-Key: <key>:<n>` to its subgraph. */
  readonly idempotencyKey?: string;
}

/** What one execution produced: the GraphQL result and the cache hints of the subgraph replies it used. */
export interface Execution {
  readonly data: Record<string, unknown> | null;
  readonly errors: readonly GraphQLError[];
  /** Hints of the subgraph replies that sent `Cache-Control` (they restrict the response's policy). */
  readonly hints: readonly CacheHint[];
  /** The entities the data holds (`Type:key`, or `Type` for one without its key), when `collectEntityTags` is on ({@link collectEntityTags}). */
  readonly entities?: readonly string[];
  /** When the execution started (ms since the epoch; callers sharing it through coalescing may have arrived later). */
  readonly startedAt?: number;
}

/** Settings of {@link RoamExecutor}. */
export interface RoamExecutorOptions {
  readonly upstreams: Upstreams;
  readonly logger: Logger;
  /**
   * Share identical in-flight work: the default of {@link coalesceRequests} and {@link coalesceFetches}.
   * Mutations are never shared. @default true
   */
  readonly coalesceInflight?: boolean;
  /**
   * Whole-request sharing: a query whose document, operation name, variables and sharing scope match one being
   * executed gets that execution's result ({@link requestSharingKey}). @default coalesceInflight
   */
  readonly coalesceRequests?: boolean;
  /**
   * Subgraph-fetch sharing: a subgraph query fetch identical to one in flight (same subgraph, same body) shares
   * its HTTP call (`fetchSharingKey` in sharingKeys.ts), also between requests of different users. @default coalesceInflight
   */
  readonly coalesceFetches?: boolean;
  /** Most fields a response may hold ({@link shapeResponse}); past it the operation fails with `RESPONSE_TOO_LARGE`. @default Infinity */
  readonly maxResponseFields?: number;
  /** Headers a client request adds to its subgraph fetches (README "Security": propagation allowlist, verified claims). @default none */
  readonly subgraphHeaders?: (request: RequestInfo) => Readonly<Record<string, string>>;
  /** Told about each query plan a query or mutation runs, and how long getting it took in ms (cached plans too); tracing's plan span. Must not throw. @default none */
  readonly onPlan?: (plan: QueryPlan, durationMs: number) => void;
  /** Name the entities of each query and mutation result ({@link Execution.entities}) for the response cache. @default false */
  readonly collectEntityTags?: boolean;
}

/**
 * Roam's one executor (issue 10 item 4): runs the query plans of queries and mutations, and the rest of a
 * subscription's plan for every event, through {@link executePlan} over the upstream layer, then shapes the
 * response once ({@link shapeResponse}). Root introspection fields (`__schema`, `__type`) are answered by
 * graphql-js from the API schema, as Apollo Gateway does.
 */
export class RoamExecutor {
  /** Identical in-flight client queries. */
  readonly requests = new InflightCoalescer<Execution>();

  constructor(private readonly options: RoamExecutorOptions) {}

  /**
   * Executes a query or mutation.
   *
   * @param snapshot - the supergraph the request started with.
   * @param op - the operation.
   * @param scopeKey - everything besides the operation that can change the answer (credentials, cookies):
   *   requests share an execution only with the same key.
   * @returns data, errors (subgraph failures as `SUBREQUEST_*` / relayed subgraph errors with paths) and hints.
   * @throws RoamError `RESPONSE_TOO_LARGE` past `maxResponseFields`, `QUERY_PLANNING_FAILED` when the plan is empty but the operation asks for data; Error for a bug (the pipeline turns it into 500 `INTERNAL_SERVER_ERROR`).
   */
  execute(snapshot: SupergraphSnapshot, op: ExecutableOperation, scopeKey: string, request?: RequestInfo): Promise<Execution> {
    const headers = request && this.options.subgraphHeaders ? this.options.subgraphHeaders(request) : undefined;
    const isQuery = op.operation.operation === 'query';
    const shareFetches = isQuery && (this.options.coalesceFetches ?? this.options.coalesceInflight ?? true);
    if (!isQuery || !(this.options.coalesceRequests ?? this.options.coalesceInflight ?? true)) return this.run(snapshot, op, shareFetches, headers);
    const key = requestSharingKey(snapshot.version, op.operationName, op.documentHash, op.variables, scopeKey);
    return this.requests.run(key, () => this.run(snapshot, op, shareFetches, headers));
  }

  /**
   * Runs the rest of a subscription's plan for one event of its primary fetch (Apollo Router's federated
   * subscriptions: the event stands in for the primary fetch's response), then shapes the client's result.
   * A failing entity fetch nulls the fields it owns and adds an error; the event is still delivered. Errors
   * the owning subgraph put in the event are relayed with `serviceName`.
   *
   * @returns the result to send as a `next` payload.
   */
  async executeEvent(snapshot: SupergraphSnapshot, op: ExecutableOperation, plan: SubscriptionPlan, event: UpstreamEvent): Promise<Execution> {
    const primary = plan.primary.serviceName;
    const errors: GraphQLError[] = (event.errors ?? []).map((e) => relayed(primary, e));
    if (event.data == null) {
      return { data: null, errors: errors.length > 0 ? errors : [roamError('DOWNSTREAM_SERVICE_ERROR', 'The subgraph sent an event without data.', { serviceName: primary })], hints: [] };
    }
    const hints: CacheHint[] = [];
    const merged = Object.create(null) as Record<string, unknown>;
    deepMerge(merged, event.data);
    await executePlan(
      plan.rest,
      { supergraphSchema: snapshot.supergraphSchema, variables: op.coercedVariables, providedVariables: op.coercedVariables, call: this.caller(snapshot, 'subscription', false, hints), errors },
      merged,
    );
    const data = shapeResponse(snapshot.apiSchema, op.document, op.operation, op.coercedVariables, merged, errors, this.options.maxResponseFields);
    return { data, errors, hints };
  }

  /**
   * Executes a query or mutation with `@defer` incrementally (issue 16): see {@link executeIncremental}.
   * Never shared with identical in-flight requests. The pipeline does not use it for an operation the authorization
   * stage filtered (`op.planned`): that one runs whole through {@link execute}.
   *
   * @returns the initial payload once the primary blocks are done, and the deferred payloads as they finish.
   * @throws RoamError `RESPONSE_TOO_LARGE` past `maxResponseFields`; Error for a bug.
   */
  executeIncremental(snapshot: SupergraphSnapshot, op: ExecutableOperation, request?: RequestInfo): Promise<IncrementalExecution> {
    const headers = request && this.options.subgraphHeaders ? this.options.subgraphHeaders(request) : undefined;
    const plan = snapshot.plan(op.document, op.operationName, op.documentHash);
    const hints: CacheHint[] = [];
    const operationType = op.operation.operation === 'mutation' ? 'mutation' : 'query';
    return executeIncremental({
      snapshot,
      op,
      plan,
      call: this.caller(snapshot, operationType, false, hints, undefined, headers),
      hints,
      maxResponseFields: this.options.maxResponseFields ?? Number.POSITIVE_INFINITY,
      logger: this.options.logger,
    });
  }

  private caller(
    snapshot: SupergraphSnapshot,
    operationType: 'query' | 'mutation' | 'subscription',
    coalesce: boolean,
    hints: CacheHint[],
    idempotencyKey?: string,
    headers?: Readonly<Record<string, string>>,
  ): SubgraphCall {
    // Mutation root fetches run one after another (a plan's Sequence), so their numbering is the same on every retry.
    let mutationFetches = 0;
    // shared merged replies this execution's fetches joined, decoded once for all of them
    const decodedReplies = new Map<object, (SubgraphResponse | undefined)[]>();
    return async (serviceName: string, request: SubgraphRequest) => {
      const url = snapshot.subgraphs.get(serviceName);
      if (url === undefined) throw roamError('SUBREQUEST_HTTP_ERROR', `HTTP fetch failed from '${serviceName}': unknown subgraph`, { serviceName, reason: 'unknown subgraph' });
      const derivedKey = idempotencyKey !== undefined && /^\s*mutation\b/.test(request.query) ? `${idempotencyKey}:${mutationFetches++}` : undefined;
      const response = await this.options.upstreams.client(serviceName, url).fetch(request, {
        operationType,
        coalesce,
        decodedReplies,
        ...(derivedKey !== undefined ? { idempotencyKey: derivedKey } : {}),
        ...(headers && Object.keys(headers).length > 0 ? { headers } : {}),
      });
      if (response.cacheHint) hints.push(response.cacheHint);
      return response;
    };
  }

  private async run(snapshot: SupergraphSnapshot, op: ExecutableOperation, coalesceFetches: boolean, headers?: Readonly<Record<string, string>>): Promise<Execution> {
    const planStarted = performance.now();
    const plan = snapshot.plan(op.planned?.document ?? op.document, op.operationName, op.planned?.documentHash ?? op.documentHash);
    this.options.onPlan?.(plan, performance.now() - planStarted);
    if (plan.node?.kind === 'Subscription') {
      // The pipeline refuses subscriptions over HTTP before this; kept as a guard for embedders.
      return { data: null, errors: [roamError('SUBSCRIPTION_REQUIRES_WEBSOCKET', 'Subscriptions are served over WebSocket (graphql-transport-ws).')], hints: [] };
    }
    // An empty plan for an operation that asks for data: the planner could not plan it (issue 19).
    if (!plan.node) assertEmptyPlanAllowed(op.document, op.operation, op.coercedVariables);
    const startedAt = Date.now();
    const errors: GraphQLError[] = [];
    const hints: CacheHint[] = [];
    const operationType = op.operation.operation === 'mutation' ? 'mutation' : 'query';
    const merged = await executePlan(plan.node, {
      supergraphSchema: snapshot.supergraphSchema,
      variables: op.coercedVariables,
      providedVariables: op.variables,
      call: this.caller(snapshot, operationType, coalesceFetches, hints, op.idempotencyKey, headers),
      errors,
    });
    // `__schema`/`__type` at the root: the planner skips them; graphql-js answers them from the API schema
    // (as Apollo Gateway does) and shapeResponse puts them in the operation's field order.
    const introspection = introspectionDocument(op.document, op.operation);
    if (introspection) {
      const result = await executeGraphQL({ schema: snapshot.apiSchema, document: introspection, variableValues: op.variables });
      Object.assign(merged, result.data ?? {});
      if (result.errors) errors.push(...result.errors);
    }
    const data = shapeResponse(snapshot.apiSchema, op.document, op.operation, op.coercedVariables, merged, errors, this.options.maxResponseFields);
    if (!this.options.collectEntityTags) return { data, errors, hints };
    return { data, errors, hints, startedAt, entities: collectEntityTags(snapshot.apiSchema, snapshot.supergraphSchema, op.document, op.operation, merged) };
  }
}

function relayed(serviceName: string, e: { message?: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }): GraphQLError {
  return downstreamError(serviceName, e.message ?? 'Subgraph error', e.extensions, e.path);
}
