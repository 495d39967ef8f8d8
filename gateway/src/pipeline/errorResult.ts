import { isRoamError } from '@roam/errors';
import type { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { NO_STORE } from '../cacheControl/cacheControlHeader';
import { formatErrors } from './formatErrors';
import type { OperationResult } from './types';

/**
 * The result of an entry refused before execution: `{"errors":[…]}` (no `data`, GraphQL over HTTP), the
 * error's HTTP status and headers, `Cache-Control: no-store` unless the error sets its own.
 *
 * @param errors - the refusal's errors (at least one); the first one's status and headers apply (400 for a non-catalogue error).
 * @param logger - where an unexpected failure is logged.
 */
export function errorResult(errors: readonly GraphQLError[], logger?: Logger): OperationResult {
  const first = errors[0]!;
  const headers = new Map<string, string>([['cache-control', NO_STORE]]);
  if (isRoamError(first)) for (const [name, value] of Object.entries(first.headers)) headers.set(name, value);
  return { status: isRoamError(first) ? first.status : 400, headers, body: { errors: formatErrors(errors, logger) } };
}
