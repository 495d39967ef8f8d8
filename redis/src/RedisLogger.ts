/**
 * The logger `@roam/redis` writes to: the subset of pino's API it uses (a pino `Logger` fits as is).
 * Each call gets structured fields first, then a one-line message; never an error object, so no
 * stack trace is ever printed for a connection problem.
 */
export interface RedisLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  /** Lines another user already logged at a higher level (optional; dropped when absent). */
  debug?(fields: Record<string, unknown>, message: string): void;
}

/** A {@link RedisLogger} that drops everything (the default). */
export const SILENT_REDIS_LOGGER: RedisLogger = Object.freeze({ info: () => undefined, warn: () => undefined, error: () => undefined });
