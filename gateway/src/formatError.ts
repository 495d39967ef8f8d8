import type { GraphQLFormattedError } from 'graphql';

const INTERNAL_EXTENSIONS = new Set(['stacktrace', 'exception']);

/**
 * Apollo Server `formatError` hook: removes anything that could carry a stack trace or internals
 * (`extensions.stacktrace`, `extensions.exception`, also when a subgraph sent them) and keeps the rest.
 *
 * @returns the error as sent to the client.
 */
export function formatError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (!formatted.extensions) return formatted;
  const extensions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(formatted.extensions)) {
    if (!INTERNAL_EXTENSIONS.has(key)) extensions[key] = value;
  }
  return { ...formatted, extensions };
}
