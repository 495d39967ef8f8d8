import { CODE } from '@roam/errors';
import { buildASTSchema, parse, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { countTokens } from './countTokens';
import { estimateCost, type CostEstimate } from './estimateCost';
import { findViolations, type LimitViolation } from './findViolations';
import { measureOperations, type OperationShape } from './measureOperation';
import { limitsForClient, type LimitsSettings, type OperationLimits } from './OperationLimits';

/** What {@link OperationLimiter.checkOperation} found. */
export interface OperationCheck {
  readonly limits: OperationLimits;
  readonly estimate: CostEstimate;
  readonly shape: OperationShape;
  /** Exceeded limits (empty when all pass); in `measure` mode they are reported, not enforced. */
  readonly violations: readonly LimitViolation[];
  /** Whether the estimate came from the per-document cache. */
  readonly cached: boolean;
}

/** Counters since start, for logs and tests. */
export interface LimiterStats {
  /** Operations checked. */
  checked: number;
  /** Operations rejected (mode `enforce`). */
  rejected: number;
  /** Operations over a limit but let through (mode `measure`). */
  measuredOverLimit: number;
  /** Cost estimates served from the cache. */
  costCacheHits: number;
}

/** Options of {@link OperationLimiter}. */
export interface OperationLimiterOptions {
  readonly settings: LimitsSettings;
  /** Entries of the per-document cost cache (documents whose cost does not depend on variables). @default 1000 */
  readonly costCacheSize?: number;
}

interface CachedAnalysis {
  readonly shape: OperationShape;
  readonly estimate: CostEstimate | undefined;
}

/**
 * The state behind the operation limits: the schema carrying the cost directives (rebuilt from the core
 * supergraph SDL on every load or hot reload), the limit settings, a cost cache and counters. The
 * Apollo Server plugin and the pipeline step are thin wrappers around it.
 */
export class OperationLimiter {
  readonly settings: LimitsSettings;
  readonly stats: LimiterStats = { checked: 0, rejected: 0, measuredOverLimit: 0, costCacheHits: 0 };
  private current: GraphQLSchema | undefined;
  private version = 0;
  private readonly analyses: LRUCache<string, CachedAnalysis>;
  private readonly tokenCounts = new LRUCache<string, number>({ max: 1000 });

  constructor(options: OperationLimiterOptions) {
    this.settings = options.settings;
    this.analyses = new LRUCache({ max: options.costCacheSize ?? 1000 });
  }

  /**
   * Installs a new supergraph (call from `gateway.onSchemaLoadOrUpdate` with `coreSupergraphSdl`).
   * The schema is built from the SDL itself so that `@cost`/`@listSize` survive (Apollo Gateway's API
   * schema drops them); cached costs of the previous supergraph are discarded.
   *
   * @throws GraphQLError when the SDL does not parse (the caller keeps the previous one).
   */
  setSupergraph(coreSupergraphSdl: string): void {
    this.useSchema(schemaFromSupergraph(coreSupergraphSdl));
  }

  /**
   * Installs a cost schema already built by the caller (the gateway's supergraph snapshot builds it once per
   * load with {@link schemaFromSupergraph}); cached costs of the previous one are discarded.
   *
   * @param schema - a schema whose AST nodes keep `@cost`/`@listSize`.
   */
  useSchema(schema: GraphQLSchema): void {
    if (schema === this.current) return;
    this.current = schema;
    this.version++;
    this.analyses.clear();
  }

  /** @returns the schema the estimator reads, or undefined before the first supergraph. */
  schema(): GraphQLSchema | undefined {
    return this.current;
  }

  /** @returns the limits of a client (by `apollographql-client-name`); callers skip every check when its `mode` is `off`. */
  limitsFor(clientName: string | undefined): OperationLimits {
    return limitsForClient(this.settings, clientName);
  }

  /**
   * Checks the document text before parsing: its UTF-8 size and its token count (parsing stops past
   * the token limit). A document with a syntax error passes: the normal parse reports it.
   *
   * @returns the first exceeded limit, or undefined.
   */
  checkSource(query: string, limits: OperationLimits): LimitViolation | undefined {
    const documentBytes = Buffer.byteLength(query, 'utf8');
    const bytes = findViolations({ documentBytes }, limits)[0];
    if (bytes) return bytes;
    let tokens = this.tokenCounts.get(query);
    if (tokens === undefined) {
      const counted = countTokens(query, limits.maxTokens);
      if (counted.kind === 'exceeded') {
        return { code: CODE.MAX_TOKENS_LIMIT, message: `The document has more than ${limits.maxTokens} tokens, the limit.`, measured: counted.tokens, limit: limits.maxTokens };
      }
      if (counted.kind === 'syntax-error') return undefined;
      tokens = counted.tokens;
      this.tokenCounts.set(query, tokens);
    }
    return findViolations({ tokens }, limits)[0];
  }

  /**
   * Measures a parsed, validated operation and compares it with the limits. The cost of a document whose
   * cost does not depend on variables is cached by `documentKey` (e.g. the document's SHA-256) until the
   * next supergraph.
   *
   * @param input.document - the validated document; `operation` one of its operations.
   * @param input.variables - the request's raw variables (coerced here, defaults included).
   * @param input.documentKey - a stable key of the document text, or undefined for no caching.
   * @throws CostEstimationError when the variables do not coerce (the caller answers `BAD_USER_INPUT`)
   * @throws Error when no supergraph has been loaded.
   */
  checkOperation(input: {
    document: DocumentNode;
    operation: OperationDefinitionNode;
    variables: Readonly<Record<string, unknown>> | undefined;
    documentKey: string | undefined;
    clientName: string | undefined;
  }): OperationCheck {
    const schema = this.current;
    if (!schema) throw new Error('OperationLimiter: no supergraph loaded');
    const limits = this.limitsFor(input.clientName);
    const key = input.documentKey === undefined ? undefined : `${this.version}\u0000${input.documentKey}\u0000${input.operation.name?.value ?? ''}`;
    const cached = key === undefined ? undefined : this.analyses.get(key);
    const shape = cached?.shape ?? measureOperations(schema, input.document).get(input.operation) ?? { depth: 0, aliases: 0, rootFields: 0 };
    let estimate = cached?.estimate;
    const fromCache = estimate !== undefined;
    if (estimate) this.stats.costCacheHits++;
    else {
      estimate = estimateCost(schema, input.document, { variables: input.variables, operationName: input.operation.name?.value, defaultListSize: this.settings.defaultListSize });
      if (key !== undefined) this.analyses.set(key, { shape, estimate: estimate.dependsOnVariables ? undefined : estimate });
    }
    this.stats.checked++;
    const violations = findViolations({ ...shape, cost: estimate.cost }, limits);
    if (violations.length > 0) {
      if (limits.mode === 'enforce') this.stats.rejected++;
      else if (limits.mode === 'measure') this.stats.measuredOverLimit++;
    }
    return { limits, estimate, shape, violations, cached: fromCache };
  }
}

/**
 * Builds the schema the cost model reads from a supergraph (or any SDL): a plain graphql-js schema whose
 * AST nodes keep every directive, `@cost` and `@listSize` included.
 *
 * @throws GraphQLError when the SDL does not parse.
 */
export function schemaFromSupergraph(sdl: string): GraphQLSchema {
  return buildASTSchema(parse(sdl), { assumeValidSDL: true });
}
