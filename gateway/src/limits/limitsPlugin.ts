import { roamError } from '@roam/errors';
import { actualCost, type LimitsMode, type OperationCheck, type OperationLimiter } from '@roam/operation-limits';
import { getVariableValues, Kind, type FragmentDefinitionNode } from 'graphql';
import type { Logger } from 'pino';
import type { OperationContext, PipelinePlugin } from '../pipeline/types';
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
  /** The cost of what was actually returned (lists at their real length; README "Security"), for executed operations. */
  readonly actual?: number;
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

/** What the limits concern tells an observer (metrics) about one checked entry. */
export interface LimitsOutcome {
  /** The estimated cost, when the operation was measured. */
  readonly cost?: number;
  /** The code of the refusal (`enforce` mode), when a limit refused the entry. */
  readonly refusedCode?: string;
  /** The actual cost of the executed operation's response (told from `willSendResult` when `measureActual` is on or the client asked for `extensions.cost`). */
  readonly actualCost?: number;
}

/**
 * The operation limits as a pipeline concern, for every transport, with the client's limits (per
 * `apollographql-client-name`, or the client a WebSocket named in `connection_init`):
 * - `checkDocument`: the text's size in UTF-8 bytes (`MAX_DOCUMENT_BYTES_LIMIT`) and its token count
 *   (`MAX_TOKENS_LIMIT`, counted with a parser that stops past the limit), before anything parses it;
 * - `checkOperation`: cost, depth, aliases, root fields of the parsed, validated operation
 *   ({@link checkOperationLimits}) before it is planned or any subgraph is called;
 * - `willSendResult`: with `roam-include-cost: 1`, `extensions.cost` (`actual` next to `estimated` for an executed
 *   operation); the actual cost is also told to `observe` when `measureActual` (rate limits charge it).
 * In `measure` mode it only logs; in `off` mode it does nothing. Refusals are HTTP 400 with Apollo Router's codes.
 *
 * @param limiter - the shared limiter (the gateway gives it each supergraph snapshot's cost schema on load).
 * @param logger - where costs and rejections are logged.
 * @param observe - told each measured cost and each refusal (metrics); must not throw. @default none
 */
export function limitsPlugin(limiter: OperationLimiter, logger: Logger, observe?: (ctx: OperationContext, outcome: LimitsOutcome) => void, measureActual = false): PipelinePlugin {
  const checks = new WeakMap<OperationContext, OperationCheck>();
  return {
    name: 'limits',
    checkDocument(ctx) {
      const { entry, request } = ctx;
      if (entry.query === undefined) return undefined;
      const limits = limiter.limitsFor(request.clientName);
      if (limits.mode === 'off') return undefined;
      const violation = limiter.checkSource(entry.query, limits);
      if (!violation) return undefined;
      logger.info(
        { clientName: request.clientName, code: violation.code, measured: violation.measured, limit: violation.limit, mode: limits.mode },
        limits.mode === 'enforce' ? 'document rejected by limits' : 'document over limits (measure mode: not rejected)',
      );
      if (limits.mode === 'measure') {
        limiter.stats.measuredOverLimit++;
        return undefined;
      }
      limiter.stats.rejected++;
      observe?.(ctx, { refusedCode: violation.code });
      return roamError(violation.code, violation.message, { measured: violation.measured, limit: violation.limit }, { status: 400 });
    },
    checkOperation(ctx) {
      const { document, operation, entry, request } = ctx;
      if (!document || !operation) return undefined;
      const result = checkOperationLimits(limiter, logger, { document, operation, variables: entry.variables, documentKey: ctx.documentHash, clientName: request.clientName });
      if (result.check) checks.set(ctx, result.check);
      if (observe && (result.check || result.error)) observe(ctx, { cost: result.check?.estimate.cost, refusedCode: result.error?.extensions.code as string | undefined });
      return result.error;
    },
    willSendResult(ctx, result, _hints, executed) {
      const check = checks.get(ctx);
      const include = ctx.request.headers.get(INCLUDE_COST_HEADER) === '1';
      if (!check || !(include || measureActual)) return;
      const schema = limiter.schema();
      let actual: number | undefined;
      if (executed && schema && ctx.operation && ctx.document && result.body.data !== undefined) {
        const fragments = new Map<string, FragmentDefinitionNode>();
        for (const d of ctx.document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
        // @skip/@include read the coerced variables (defaults applied), as execution did
        const coerced = getVariableValues(ctx.snapshot.apiSchema, ctx.operation.variableDefinitions ?? [], ctx.entry.variables ?? {});
        try {
          actual = actualCost(schema, ctx.operation, fragments, result.body.data, { variables: coerced.coerced ?? {} });
        } catch (error) {
          logger.warn({ err: (error as Error).message }, 'actual cost not measured');
        }
        if (measureActual && actual !== undefined) observe?.(ctx, { actualCost: actual });
      }
      if (include) result.body.extensions = { ...result.body.extensions, cost: { ...costExtension(check), ...(actual !== undefined ? { actual } : {}) } };
    },
  };
}
