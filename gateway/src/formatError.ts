import { CODE } from '@roam/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { setOwnKey } from './executor/setOwnKey';

const INTERNAL_EXTENSIONS = new Set(['stacktrace', 'exception']);

/** What a client sees instead of an unexpected failure's own message (whose details go to the log). */
export const INTERNAL_ERROR_MESSAGE = 'Internal server error.';

/**
 * Whether a formatted error is an unexpected request-level failure (Apollo Server's HTTP 500): code
 * `INTERNAL_SERVER_ERROR`, no `path` (not a field error) and not relayed from a subgraph
 * (`extensions.serviceName` / `service`). Deliberate errors (any other code) and subgraph errors are not.
 */
export function isUnexpectedError(formatted: GraphQLFormattedError): boolean {
  const extensions = formatted.extensions ?? {};
  return extensions.code === 'INTERNAL_SERVER_ERROR' && !formatted.path && extensions.serviceName === undefined && extensions.service === undefined;
}

/**
 * Formats one error for a client (the pipeline's, and the WebSocket server's): removes anything that could carry a stack trace or internals
 * (`extensions.stacktrace`, `extensions.exception`, also when a subgraph sent them) and keeps the rest;
 * an unexpected failure ({@link isUnexpectedError}) gets the generic {@link INTERNAL_ERROR_MESSAGE}
 * instead of its own message (a raw JS error must not reach the client), and its original error is
 * logged with its stack at `error` level when a logger is given.
 *
 * @param formatted - the error as the pipeline (or the WebSocket server) formatted it.
 * @param error - the original error, for the log.
 * @param logger - where unexpected errors are logged; none: not logged.
 * @returns the error as sent to the client.
 */
export function formatError(formatted: GraphQLFormattedError, error?: unknown, logger?: Logger): GraphQLFormattedError {
  if (isUnexpectedError(formatted)) {
    const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
    logger?.error({ err: original instanceof Error ? original : new Error(formatted.message) }, 'unexpected error while processing a GraphQL request');
    return { message: INTERNAL_ERROR_MESSAGE, ...(formatted.locations ? { locations: formatted.locations } : {}), extensions: { code: CODE.INTERNAL_SERVER_ERROR } };
  }
  if (!formatted.extensions) return formatted;
  const extensions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(formatted.extensions)) {
    if (!INTERNAL_EXTENSIONS.has(key)) setOwnKey(extensions, key, value);
  }
  return { ...formatted, extensions };
}

/**
 * {@link formatError} bound to a logger.
 *
 * @param logger - where unexpected errors are logged (with stack, `error` level).
 */
export function createFormatError(logger: Logger): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => formatError(formatted, error, logger);
}
