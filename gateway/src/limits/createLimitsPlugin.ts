import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { LimitsMode, OperationCheck, OperationLimiter } from '@roam/operation-limits';
import { checkOperationLimits } from './checkOperationLimits';

/** Request header that asks for `extensions.cost` in the response (value `1`). */
export const INCLUDE_COST_HEADER = 'roam-include-cost';

/** The `extensions.cost` object of a response (sent when the request has `roam-include-cost: 1`). */
export interface CostExtension {
  /** Estimated cost of the operation. */
  readonly estimated: number;
  /** The cost limit that applied. */
  readonly max: number;
  /** `enforce` or `measure` (in `off` mode nothing is measured and no cost is sent). */
  readonly mode: LimitsMode;
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
 * Apollo Server plugin enforcing cost, depth, aliases and root fields ({@link checkOperationLimits}, which the
 * WebSocket front door shares). It runs in `didResolveOperation`, after Apollo Server parsed and validated the document (so an invalid
 * document gets the standard `GRAPHQL_VALIDATION_FAILED` and never reaches an analyzer) and before
 * the gateway plans or calls any subgraph. It reads the client name from `apollographql-client-name`,
 * coerces the request's variables, logs the cost (debug; rejections at info), and in `enforce` mode
 * throws the first exceeded limit (HTTP 400); in `off` mode it does nothing. With `roam-include-cost: 1` the
 * response gets `extensions.cost`.
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
          if (!ctx.operation) return;
          const clientName = ctx.request.http?.headers.get('apollographql-client-name');
          const result = checkOperationLimits(limiter, logger, { document: ctx.document, operation: ctx.operation, variables: ctx.request.variables, documentKey: ctx.queryHash, clientName });
          check = result.check;
          // Apollo Server turns extensions.http into the response status and removes it
          if (result.error) throw new GraphQLError(result.error.message, { extensions: { ...result.error.extensions, http: { status: 400 } } });
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
