import type { ExecutionResult, FormattedExecutionResult } from 'graphql';
import { formatError } from '../formatError';

/**
 * @returns the `payload` of a graphql-transport-ws `next` message for `result`: errors serialised
 *   (GraphQL spec "Errors") with anything that could carry internals removed ({@link formatError}).
 */
export function formatResult(result: ExecutionResult): FormattedExecutionResult {
  return {
    ...(result.errors ? { errors: result.errors.map((e) => formatError(e.toJSON())) } : {}),
    data: result.data,
    ...(result.extensions ? { extensions: result.extensions } : {}),
  };
}
