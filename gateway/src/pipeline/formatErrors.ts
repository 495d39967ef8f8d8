import type { ErrorCode } from '@roam/errors';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { formatError } from '../formatError';

const INTERNAL: ErrorCode = 'INTERNAL_SERVER_ERROR';

/**
 * Formats errors for the wire as Apollo Server does (`normalizeAndFormatErrors`): the GraphQL spec's
 * `{message, locations, path, extensions}` with `extensions.code` defaulting to `INTERNAL_SERVER_ERROR`, then
 * Roam's {@link formatError} (no stack traces; unexpected failures get a generic message and are logged).
 *
 * @param errors - errors of one result.
 * @param logger - where unexpected failures are logged.
 * @returns the formatted errors, same order.
 */
export function formatErrors(errors: readonly GraphQLError[], logger: Logger | undefined): GraphQLFormattedError[] {
  return errors.map((error) => {
    const json = error.toJSON();
    return formatError({ ...json, extensions: { ...error.extensions, code: error.extensions.code ?? INTERNAL } }, error, logger);
  });
}
