import { roamError, type RoamError } from '@roam/errors';
import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import { CostEstimationError, type LimitViolation, type OperationCheck, type OperationLimiter } from '@roam/operation-limits';

/** What {@link checkOperationLimits} checks: one parsed, validated operation of a request. */
export interface OperationLimitsInput {
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  /** The request's raw variables (coerced by the estimator, defaults included). */
  readonly variables: Readonly<Record<string, unknown>> | undefined;
  /** A stable key of the document text (its SHA-256), for the cost cache; undefined for no caching. */
  readonly documentKey: string | undefined;
  /** The client name (`apollographql-client-name`, or a WebSocket's `connection_init`); undefined when none was sent. */
  readonly clientName: string | undefined;
}

/** What {@link checkOperationLimits} found. */
export interface OperationLimitsResult {
  /** The measurements (absent when the mode is `off`, no supergraph is loaded yet, or the estimate failed). */
  readonly check: OperationCheck | undefined;
  /** The error refusing the operation (`enforce` mode), without any HTTP status: the caller's transport adds it. */
  readonly error: RoamError | undefined;
}

/** The minimal logger this needs (pino's). */
export interface LimitsLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * The GraphQL error of an exceeded limit: the code, the measured value and the limit. A cost error also
 * carries Apollo Router's `cost.estimated` and `cost.max`.
 */
export function violationError(violation: LimitViolation): RoamError {
  const extra = violation.code === 'COST_ESTIMATED_TOO_EXPENSIVE' ? { 'cost.estimated': violation.measured, 'cost.max': violation.limit } : {};
  return roamError(violation.code, violation.message, { measured: violation.measured, limit: violation.limit, ...extra }, { status: 400 });
}

/**
 * The operation limits of a parsed, validated operation (cost, depth, aliases, root fields), shared by the
 * HTTP path (the Apollo Server plugin) and the WebSocket path (the subscription front door), so both refuse
 * with the same codes and extensions. It uses the client's limits:
 * - `off`: checks nothing;
 * - otherwise measures with {@link OperationLimiter.checkOperation}, logs the cost at debug, and for an
 *   operation over a limit logs at info and, in `enforce` mode only, returns the first exceeded limit's error.
 * A document too large to estimate (more than 20000 selections) is `COST_ESTIMATED_TOO_EXPENSIVE` in
 * `enforce` mode, and so is a list field with `@listSize(requireOneSlicingArgument: true)` not given exactly
 * one slicing argument (`GRAPHQL_VALIDATION_FAILED`, as Apollo Router's demand control); variables that do
 * not coerce are `BAD_USER_INPUT`, other estimation failures
 * `OPERATION_RESOLUTION_FAILURE` (in any mode but `off`).
 *
 * @returns the check and the refusal, if any; never throws for a bad operation (only for a bug).
 */
export function checkOperationLimits(limiter: OperationLimiter, logger: LimitsLogger, input: OperationLimitsInput): OperationLimitsResult {
  const limits = limiter.limitsFor(input.clientName);
  if (limits.mode === 'off' || !limiter.schema()) return { check: undefined, error: undefined };
  const operationName = input.operation.name?.value;
  const clientName = input.clientName;
  let check: OperationCheck;
  try {
    check = limiter.checkOperation(input);
  } catch (error) {
    if (!(error instanceof CostEstimationError)) throw error;
    if (error.reason === 'TOO_MANY_NODES') {
      logger.info({ operationName, clientName, reason: error.message }, 'operation too large to estimate');
      const refusal = limits.mode === 'enforce' ? roamError('COST_ESTIMATED_TOO_EXPENSIVE', error.message, { limit: limits.maxCost }, { status: 400 }) : undefined;
      return { check: undefined, error: refusal };
    }
    if (error.reason === 'SLICING_ARGUMENT_REQUIRED') {
      logger.info({ operationName, clientName, reason: error.message }, 'list field without exactly one slicing argument');
      const refusal = limits.mode === 'enforce' ? roamError('GRAPHQL_VALIDATION_FAILED', error.message, {}, { status: 400 }) : undefined;
      return { check: undefined, error: refusal };
    }
    return { check: undefined, error: roamError(error.reason === 'INVALID_VARIABLES' ? 'BAD_USER_INPUT' : 'OPERATION_RESOLUTION_FAILURE', error.message, {}, { status: 400 }) };
  }
  const { estimate, shape, violations } = check;
  const fields = { operationName, clientName, cost: estimate.cost, depth: shape.depth, aliases: shape.aliases, rootFields: shape.rootFields, cached: check.cached };
  if (violations.length === 0) {
    logger.debug(fields, 'operation cost');
    return { check, error: undefined };
  }
  const first = violations[0]!;
  if (limits.mode === 'measure') {
    logger.info({ ...fields, violations: violations.map((v) => v.code) }, 'operation over limits (measure mode: not rejected)');
    return { check, error: undefined };
  }
  logger.info({ ...fields, code: first.code, measured: first.measured, limit: first.limit }, 'operation rejected by limits');
  return { check, error: violationError(first) };
}
