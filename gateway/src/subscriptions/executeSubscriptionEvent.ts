import { buildOperationContext, executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { FetchNode, QueryPlan } from '@apollo/query-planner';
import { GraphQLError, type DocumentNode, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { SubscriptionPlan, SupergraphPlanner } from './SupergraphPlanner';

/** Service name under which an event's data enters the plan; never a real subgraph name (those are GraphQL names). */
const EVENT_SERVICE = '__roam:event';

/** One result the owning subgraph sent for the primary subscription fetch. */
export interface UpstreamEvent {
  readonly data?: Record<string, unknown> | null;
  readonly errors?: readonly GraphQLFormattedError[];
}

/** What {@link executeSubscriptionEvent} needs about the client operation. */
export interface EventOperation {
  readonly document: DocumentNode;
  readonly operationName: string | undefined;
  /** Coerced variables of the client operation. */
  readonly variables: Record<string, unknown>;
  readonly plan: SubscriptionPlan;
}

/**
 * Runs the rest of a subscription plan for one event and shapes the client's result (Apollo Router's
 * federated subscriptions: the primary fetch's event stands in for the primary fetch's response).
 *
 * The event is fed into Apollo Gateway's `executeQueryPlan` as the response of a stand-in fetch node
 * ahead of `rest`, so entity fetches, `@requires` inputs, merging and result shaping are exactly those
 * of HTTP queries. A failing entity fetch adds an error (`SUBREQUEST_HTTP_ERROR` or
 * `DOWNSTREAM_SERVICE_ERROR`) and nulls the fields it owns; the event is still delivered.
 * Errors the owning subgraph put in the event are passed on with `extensions.serviceName`.
 *
 * @returns the result to send as the payload of a `next` message; errors are `GraphQLError`s.
 */
export async function executeSubscriptionEvent(planner: SupergraphPlanner, operation: EventOperation, event: UpstreamEvent): Promise<ExecutionResult> {
  const primary = operation.plan.primary;
  const upstreamErrors = (event.errors ?? []).map(
    (e) => new GraphQLError(e.message, { path: e.path, extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', ...e.extensions, serviceName: primary.serviceName } }),
  );
  if (event.data == null) return { data: null, errors: upstreamErrors.length > 0 ? upstreamErrors : [new GraphQLError('The subgraph sent an event without data.', { extensions: { code: 'DOWNSTREAM_SERVICE_ERROR', serviceName: primary.serviceName } })] };
  const stand: FetchNode = { ...primary, serviceName: EVENT_SERVICE };
  const queryPlan: QueryPlan = { kind: 'QueryPlan', node: operation.plan.rest ? { kind: 'Sequence', nodes: [stand, operation.plan.rest] } : stand };
  const eventSource = { process: async () => ({ data: event.data }) } as unknown as GraphQLDataSource;
  const serviceMap: ServiceMap = { ...planner.serviceMap, [EVENT_SERVICE]: eventSource };
  const operationContext = buildOperationContext({ schema: planner.apiSchema, operationDocument: operation.document, operationName: operation.operationName });
  const requestContext = {
    request: { query: '', variables: operation.variables, operationName: operation.operationName },
    context: {},
    metrics: {},
    cache: undefined,
    logger: undefined,
    overallCachePolicy: undefined,
  } as unknown as Parameters<typeof executeQueryPlan>[2];
  const result = await executeQueryPlan(queryPlan, serviceMap, requestContext, operationContext, planner.supergraphSchema, planner.apiSchemaInternal);
  const errors = [...upstreamErrors, ...(result.errors ?? []).map(toGraphQLError)];
  return errors.length > 0 ? { data: result.data ?? null, errors } : { data: result.data ?? null };
}

function toGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const e = error as { message?: string; extensions?: Record<string, unknown>; path?: readonly (string | number)[] };
  return new GraphQLError(e.message ?? String(error), { path: e.path, extensions: e.extensions });
}
