import type { GraphQLDataSource } from '@apollo/gateway';
import { Supergraph, operationFromDocument, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, prettyFormatQueryPlan, type FetchNode, type PlanNode, type QueryPlan } from '@apollo/query-planner';
import type { Fetcher } from '@apollo/utils.fetcher';
import { GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';
import { SubgraphDataSource } from '../supergraph/SubgraphDataSource';

/** A subscription operation planned against one supergraph. */
export interface SubscriptionPlan {
  /** The whole plan (`node.kind === 'Subscription'`). */
  readonly queryPlan: QueryPlan;
  /** The fetch opened as a graphql-ws subscription on the owning subgraph. */
  readonly primary: FetchNode;
  /** What runs for every event (entity fetches to other subgraphs), if anything. */
  readonly rest: PlanNode | undefined;
  /** HTTP URL of the subgraph that owns the root field. */
  readonly primaryUrl: string;
  /**
   * Identity of the plan across supergraph reloads: the formatted plan plus the primary subgraph URL.
   * Equal keys mean a running subscription can stay on the new supergraph.
   */
  readonly planKey: string;
}

/**
 * One loaded supergraph as the subscription path needs it: the API schema (to validate client
 * documents), the supergraph schema and query planner of `@apollo/query-planner`, and one HTTP data
 * source per subgraph for the entity fetches of the rest of a plan. Built from the core supergraph SDL
 * that Apollo Gateway hands to `onSchemaLoadOrUpdate`, so it always matches what HTTP serves.
 */
export class SupergraphPlanner {
  /** API schema (graphql-js) for validating client documents. */
  readonly apiSchema: GraphQLSchema;
  /** API schema (federation-internals) as `executeQueryPlan` expects it. */
  readonly apiSchemaInternal: Schema;
  /** Supergraph schema (graphql-js) as `executeQueryPlan` expects it. */
  readonly supergraphSchema: GraphQLSchema;
  /** Subgraph name → HTTP data source (entity fetches). */
  readonly serviceMap: Record<string, GraphQLDataSource>;
  private readonly planner: QueryPlanner;
  private readonly urls = new Map<string, string>();
  private readonly documents = new LRUCache<string, { document: DocumentNode } | { errors: readonly GraphQLError[] }>({ max: 1000 });
  private readonly plans = new LRUCache<string, SubscriptionPlan>({ max: 1000 });

  /**
   * @param supergraphSdl - core supergraph SDL (`supergraph.graphql`).
   * @param fetcher - HTTP fetcher for entity fetches (pooled, with deadlines).
   * @throws Error when the SDL is not a valid supergraph.
   */
  constructor(supergraphSdl: string, fetcher: Fetcher) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.apiSchemaInternal = supergraph.apiSchema();
    this.apiSchema = this.apiSchemaInternal.toGraphQLJSSchema();
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(supergraph);
    this.serviceMap = Object.create(null) as Record<string, GraphQLDataSource>;
    for (const subgraph of supergraph.subgraphs()) {
      const url = subgraph.url ?? '';
      this.urls.set(subgraph.name, url);
      this.serviceMap[subgraph.name] = new SubgraphDataSource(subgraph.name, url, fetcher);
    }
  }

  /**
   * Parses and validates document text against the API schema, cached by text (LRU, 1000 entries), so
   * thousands of clients sending the same subscription cost one parse and one validation.
   * @returns the document, or `GRAPHQL_PARSE_FAILED` / `GRAPHQL_VALIDATION_FAILED` errors.
   */
  parseAndValidate(query: string): { document: DocumentNode } | { errors: readonly GraphQLError[] } {
    let entry = this.documents.get(query);
    if (!entry) {
      try {
        const document = parse(query);
        const errors = validate(this.apiSchema, document);
        entry = errors.length > 0 ? { errors: errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })) } : { document };
      } catch (error) {
        entry = { errors: [new GraphQLError((error as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })] };
      }
      this.documents.set(query, entry);
    }
    return entry;
  }

  /**
   * Plans a validated subscription document; plans are cached per document and operation name (LRU,
   * 1000 entries; a reload builds a new planner, so a new cache).
   * @returns the plan split into primary fetch and rest.
   * @throws GraphQLError `GRAPHQL_VALIDATION_FAILED` when the planner rejects the operation.
   */
  planSubscription(document: DocumentNode, operationName: string | undefined): SubscriptionPlan {
    const key = document.loc ? `${operationName ?? ''}\n${document.loc.source.body}` : undefined;
    const cached = key === undefined ? undefined : this.plans.get(key);
    if (cached) return cached;
    const plan = this.buildPlan(document, operationName);
    if (key !== undefined) this.plans.set(key, plan);
    return plan;
  }

  private buildPlan(document: DocumentNode, operationName: string | undefined): SubscriptionPlan {
    let queryPlan: QueryPlan;
    try {
      const operation = operationFromDocument(this.apiSchemaInternal, document, { operationName, validate: false });
      queryPlan = this.planner.buildQueryPlan(operation);
    } catch (error) {
      throw new GraphQLError(`The subscription cannot be planned: ${(error as Error).message}`, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    }
    const node = queryPlan.node;
    if (node?.kind !== 'Subscription') {
      throw new GraphQLError('The subscription cannot be planned: the planner did not produce a subscription plan.', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    }
    const primaryUrl = this.urls.get(node.primary.serviceName) ?? '';
    return { queryPlan, primary: node.primary, rest: node.rest, primaryUrl, planKey: `${primaryUrl}\n${prettyFormatQueryPlan(queryPlan)}` };
  }
}
