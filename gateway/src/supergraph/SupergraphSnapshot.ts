import { createHash } from 'node:crypto';
import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { prettyFormatQueryPlan, QueryPlanner, type FetchNode, type PlanNode, type QueryPlan } from '@apollo/query-planner';
import { roamError } from '@roam/errors';
import { schemaFromSupergraph } from '@roam/operation-limits';
import { ROAM_SUPERGRAPH_FEATURES } from '@roam/persisted-queries';
import { getOperationAST, GraphQLError, Kind, parse, specifiedRules, validate, visit, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { PlanRewriter } from '../executor/rewritePlan';
import { labelDefers } from '../executor/deferDocument';

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
  /** Identity of the plan across reloads (formatted plan + primary URL): equal keys let a running subscription stay. */
  readonly planKey: string;
}

/** The message of `GRAPHQL_PARSE_FAILED` for a document nested too deeply for graphql-js's recursive parser (a stack overflow). */
const TOO_DEEP_TO_PARSE = 'The document nests values or selections too deeply to parse.';
/** The message of `GRAPHQL_VALIDATION_FAILED` for a document nested too deeply for graphql-js's validation rules. */
const TOO_DEEP_TO_VALIDATE = 'The document nests selections too deeply to validate.';

/** A parsed and validated document, or why it is not one (`GRAPHQL_PARSE_FAILED` / `GRAPHQL_VALIDATION_FAILED`). */
export type CheckedDocument = { readonly document: DocumentNode } | { readonly errors: readonly GraphQLError[] };

/** Sizes of a snapshot's caches. */
export interface SnapshotCacheSizes {
  /** Parsed, validated documents kept (by SHA-256 of the text). @default 1000 */
  readonly documents?: number;
  /** Query plans kept (by document hash and operation name). @default 1000 */
  readonly plans?: number;
}

/** @returns the SHA-256 (hex) of a document text: the key of every per-document cache (and Apollo's APQ hash). */
export function documentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Everything derived from one supergraph, built once per load and swapped whole (issue 10 item 3): the API
 * schema (federation-internals and graphql-js), the supergraph schema, the query planner and its plan
 * cache, the parse-and-validate cache, the cost model's schema (with `@cost`/`@listSize`) and the subgraph
 * map. Requests hold the snapshot they started with, so a reload never changes a request mid-way.
 */
export class SupergraphSnapshot {
  /** The core supergraph SDL it was built from. */
  readonly sdl: string;
  /** Load number: 1 for the first supergraph, +1 per hot reload. */
  readonly version: number;
  /** API schema (federation-internals), as the planner needs it. */
  readonly apiSchemaInternal: Schema;
  /** API schema (graphql-js): validation, variable coercion, introspection, response shaping. */
  readonly apiSchema: GraphQLSchema;
  /**
   * The API schema with the `@defer` directive defined: what documents are validated against (incremental
   * delivery). Introspection answers from `apiSchema`, without `@defer`, as Apollo Gateway does (Apollo iOS
   * and Kotlin codegen define `@defer` themselves).
   */
  readonly validationSchema: GraphQLSchema;
  /** Supergraph schema (graphql-js): type conditions of `@requires` inputs and rewrites. */
  readonly supergraphSchema: GraphQLSchema;
  /** The cost model's schema: the SDL's own AST, so `@cost`/`@listSize` survive. */
  readonly costSchema: GraphQLSchema;
  /** Subgraph name → GraphQL URL. */
  readonly subgraphs: ReadonlyMap<string, string>;
  private readonly planner: QueryPlanner;
  private readonly documents: LRUCache<string, CheckedDocument>;
  private readonly plans: LRUCache<string, QueryPlan>;
  /** Fixes of known planner faults (issue 19), when this supergraph has what they apply to. */
  private readonly rewriter: PlanRewriter | undefined;

  /**
   * @param sdl - core supergraph SDL (`supergraph.graphql`).
   * @param version - load number.
   * @throws Error when the SDL is not a valid supergraph (the caller keeps the previous snapshot).
   */
  constructor(sdl: string, version: number, sizes: SnapshotCacheSizes = {}) {
    // Apollo Gateway's features plus @authenticated/@requiresScopes, which Roam enforces (security/authorizationPlugin.ts)
    const supergraph = Supergraph.build(sdl, { supportedFeatures: ROAM_SUPERGRAPH_FEATURES as Set<string> });
    this.sdl = sdl;
    this.version = version;
    this.apiSchemaInternal = supergraph.apiSchema();
    this.apiSchema = this.apiSchemaInternal.toGraphQLJSSchema();
    this.validationSchema = this.apiSchemaInternal.toGraphQLJSSchema({ includeDefer: true });
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.costSchema = schemaFromSupergraph(sdl);
    // @defer: the planner splits deferred fragments into `Defer` nodes (issue 16; Apollo Router's `defer_support`).
    this.planner = new QueryPlanner(supergraph, { incrementalDelivery: { enableDefer: true } });
    this.rewriter = PlanRewriter.forSupergraph(sdl);
    const subgraphs = new Map<string, string>();
    for (const sg of supergraph.subgraphs()) subgraphs.set(sg.name, sg.url ?? '');
    this.subgraphs = subgraphs;
    this.documents = new LRUCache({ max: sizes.documents ?? 1000 });
    this.plans = new LRUCache({ max: sizes.plans ?? 1000 });
  }

  /**
   * Parses and validates a document against the API schema (graphql-js `specifiedRules`), once per distinct
   * text: the result (document or errors) is cached by the text's SHA-256 for every transport.
   *
   * @param text - the document text.
   * @param hash - its SHA-256 hex ({@link documentHash}).
   * @returns the document, or `GRAPHQL_PARSE_FAILED` (with locations) / `GRAPHQL_VALIDATION_FAILED` errors, HTTP 400;
   *   a document nested too deeply for graphql-js's recursive parser or validation (a stack overflow) gets the same
   *   codes with a message saying so, never the `RangeError`'s.
   */
  checkDocument(text: string, hash: string): CheckedDocument {
    let checked = this.documents.get(hash);
    if (!checked) {
      let document: DocumentNode | undefined;
      try {
        document = parse(text);
      } catch (error) {
        // graphql-js parses recursively: values or selections nested a few thousand levels deep (a few
        // thousand tokens, under MAX_TOKENS) overflow the stack. That is the client's document, not a bug.
        const e = error instanceof GraphQLError ? error : new GraphQLError(error instanceof RangeError ? TOO_DEEP_TO_PARSE : String((error as Error).message));
        checked = { errors: [roamError('GRAPHQL_PARSE_FAILED', e.message, {}, { source: e.source, positions: e.positions })] };
      }
      if (document) {
        let errors: readonly GraphQLError[];
        try {
          errors = validate(this.validationSchema, document, specifiedRules);
        } catch (error) {
          if (!(error instanceof RangeError)) throw error;
          errors = [new GraphQLError(TOO_DEEP_TO_VALIDATE)];
        }
        checked = errors.length > 0 ? { errors: errors.map((e) => roamError('GRAPHQL_VALIDATION_FAILED', e.message, {}, { nodes: e.nodes })) } : { document };
      }
      this.documents.set(hash, checked!);
    }
    return checked!;
  }

  /**
   * The query plan of an operation, built by `@apollo/query-planner` once per document and operation name.
   * Every `@defer` without a label is planned with a generated one ({@link labelDefers}), so each `Deferred`
   * node of the plan names the fragment it delivers. The plan is then rewritten where the planner is known to
   * be wrong ({@link PlanRewriter}).
   *
   * @param document - a validated document.
   * @param operationName - the selected operation's name, if any.
   * @param hash - the document's SHA-256, for the cache key; `undefined` plans without caching.
   * @throws Error when the planner cannot plan it (a bug or an unsupported construct).
   */
  plan(document: DocumentNode, operationName: string | undefined, hash: string | undefined): QueryPlan {
    const key = hash === undefined ? undefined : `${operationName ?? ''}\u0000${hash}`;
    let plan = key === undefined ? undefined : this.plans.get(key);
    if (!plan) {
      const planned = withoutIntrospection(labelDefers(document));
      if (planned) {
        const operation = operationFromDocument(this.apiSchemaInternal, planned, { operationName, validate: false });
        plan = this.planner.buildQueryPlan(operation);
        const definition = this.rewriter && getOperationAST(planned, operationName);
        if (definition) plan = this.rewriter!.rewrite(plan, planned, definition);
      } else {
        plan = { kind: 'QueryPlan', node: undefined };
      }
      if (key !== undefined) this.plans.set(key, plan);
    }
    return plan;
  }

  /**
   * Plans a validated subscription and splits the plan into the primary fetch and the rest.
   * @throws RoamError `GRAPHQL_VALIDATION_FAILED` when the planner cannot plan it as a subscription.
   */
  planSubscription(document: DocumentNode, operationName: string | undefined, hash: string | undefined): SubscriptionPlan {
    let queryPlan: QueryPlan;
    try {
      queryPlan = this.plan(document, operationName, hash);
    } catch (error) {
      throw roamError('GRAPHQL_VALIDATION_FAILED', `The subscription cannot be planned: ${(error as Error).message}`);
    }
    const node = queryPlan.node;
    if (node?.kind !== 'Subscription') throw roamError('GRAPHQL_VALIDATION_FAILED', 'The subscription cannot be planned: the planner did not produce a subscription plan.');
    const primaryUrl = this.subgraphs.get(node.primary.serviceName) ?? '';
    return { queryPlan, primary: node.primary, rest: node.rest, primaryUrl, planKey: `${primaryUrl}\n${prettyFormatQueryPlan(queryPlan)}` };
  }
}

/**
 * The document the planner sees: root `__schema`/`__type` fields removed (the executor answers them from the
 * API schema with graphql-js, as Apollo Gateway does; federation-internals does not know every introspection
 * field of graphql 16, e.g. `__Type.isOneOf`).
 *
 * @returns the same document when it has no such root field, `undefined` when nothing but them (and `__typename`) is left.
 */
function withoutIntrospection(document: DocumentNode): DocumentNode | undefined {
  let found = false;
  let plannable = false;
  const stripped = visit(document, {
    OperationDefinition: {
      leave(node: OperationDefinitionNode) {
        const selections = node.selectionSet.selections.filter((s) => !(s.kind === Kind.FIELD && (s.name.value === '__schema' || s.name.value === '__type')));
        if (selections.length !== node.selectionSet.selections.length) found = true;
        if (selections.some((s) => s.kind !== Kind.FIELD || s.name.value !== '__typename')) plannable = true;
        return selections.length === node.selectionSet.selections.length ? undefined : { ...node, selectionSet: { ...node.selectionSet, selections } };
      },
    },
  });
  if (!found) return document;
  return plannable ? stripped : undefined;
}
