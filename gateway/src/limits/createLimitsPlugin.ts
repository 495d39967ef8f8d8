import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { CostEstimationError, type LimitViolation, type OperationCheck, type OperationLimiter } from '@roam/operation-limits';

/** Request header that asks for `extensions.cost` in the response (value `1`). */
export const INCLUDE_COST_HEADER = 'roam-include-cost';

/** The `extensions.cost` object of a response (sent when the request has `roam-include-cost: 1`). */
export interface CostExtension {
  /** Estimated cost of the operation. */
  readonly estimated: number;
  /** The cost limit that applied. */
  readonly max: number;
  readonly mode: 'enforce' | 'measure';
  readonly depth: number;
  readonly aliases: number;
  readonly rootFields: number;
  /** Each root field's share of `estimated`. */
  readonly fields: readonly { readonly path: string; readonly cost: number }[];
}

function costExtension(check: OperationCheck): CostExtension {
  return {
    estimated: check.estimate.cost,
    max: check.limits.maxCost,
    mode: check.limits.mode,
    depth: check.shape.depth,
    aliases: check.shape.aliases,
    rootFields: check.shape.rootFields,
    fields: check.estimate.breakdown.fields,
  };
}

/**
 * The GraphQL error of an exceeded limit: HTTP 400 (via `extensions.http`, which Apollo Server turns
 * into the status and removes), the code, the measured value and the limit. A cost error also carries
 * Apollo Router's `cost.estimated` and `cost.max`.
 */
export function violationError(violation: LimitViolation): GraphQLError {
  const extra = violation.code === 'COST_ESTIMATED_TOO_EXPENSIVE' ? { 'cost.estimated': violation.measured, 'cost.max': violation.limit } : {};
  return new GraphQLError(violation.message, {
    extensions: { code: violation.code, measured: violation.measured, limit: violation.limit, ...extra, http: { status: 400 } },
  });
}

/**
 * Apollo Server plugin enforcing cost, depth, aliases and root fields. It runs in
 * `didResolveOperation`, after Apollo Server parsed and validated the document (so an invalid
 * document gets the standard `GRAPHQL_VALIDATION_FAILED` and never reaches an analyzer) and before
 * the gateway plans or calls any subgraph. It reads the client name from `apollographql-client-name`,
 * coerces the request's variables, logs the cost (debug; rejections at info), and in `enforce` mode
 * throws the first exceeded limit (HTTP 400). With `roam-include-cost: 1` the response gets `extensions.cost`.
 *
 * @param limiter - the shared limiter (its supergraph is set by the gateway's schema listener).
 * @param logger - where costs and rejections are logged.
 */
export function createLimitsPlugin(limiter: OperationLimiter, logger: Logger): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      let check: OperationCheck | undefined;
      return {
        async didResolveOperation(ctx) {
          if (!ctx.operation || !limiter.schema()) return;
          const clientName = ctx.request.http?.headers.get('apollographql-client-name');
          const operationName = ctx.operationName ?? undefined;
          try {
            check = limiter.checkOperation({ document: ctx.document, operation: ctx.operation, variables: ctx.request.variables, documentKey: ctx.queryHash, clientName });
          } catch (error) {
            if (!(error instanceof CostEstimationError)) throw error;
            if (error.reason === 'TOO_MANY_NODES') {
              const limits = limiter.limitsFor(clientName);
              logger.info({ operationName, clientName, reason: error.message }, 'operation too large to estimate');
              if (limits.mode === 'enforce') {
                throw new GraphQLError(error.message, { extensions: { code: 'COST_ESTIMATED_TOO_EXPENSIVE', limit: limits.maxCost, http: { status: 400 } } });
              }
              return;
            }
            throw new GraphQLError(error.message, { extensions: { code: error.reason === 'INVALID_VARIABLES' ? 'BAD_USER_INPUT' : 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } });
          }
          const { estimate, shape, violations, limits } = check;
          const fields = { operationName, clientName, cost: estimate.cost, depth: shape.depth, aliases: shape.aliases, rootFields: shape.rootFields, cached: check.cached };
          if (violations.length === 0) {
            logger.debug(fields, 'operation cost');
            return;
          }
          const first = violations[0]!;
          if (limits.mode === 'measure') {
            logger.info({ ...fields, violations: violations.map((v) => v.code) }, 'operation over limits (measure mode: not rejected)');
            return;
          }
          logger.info({ ...fields, code: first.code, measured: first.measured, limit: first.limit }, 'operation rejected by limits');
          throw violationError(first);
        },
        async willSendResponse(ctx) {
          if (!check || ctx.request.http?.headers.get(INCLUDE_COST_HEADER) !== '1') return;
          if (ctx.response.body.kind !== 'single') return;
          const result = ctx.response.body.singleResult;
          result.extensions = { ...result.extensions, cost: costExtension(check) };
        },
      };
    },
  };
}
