import { resolve } from 'node:path';
import { parseRedisUrl } from '@roam/persisted-queries';
import { z } from 'zod';

/** Roam gateway settings, read once at start from the environment. The README lists each with its default. */
export interface GatewayConfig {
  /** HTTP and WebSocket port. `PORT`; @default 4000 */
  readonly port: number;
  /** Interface to listen on. `HOST`; @default "127.0.0.1" (use 0.0.0.0 in containers) */
  readonly host: string;
  /** Path of the supergraph SDL file; watched and reloaded on change. `SUPERGRAPH_PATH`; @default "./supergraph.graphql" (resolved against the working directory) */
  readonly supergraphPath: string;
  /** How often the supergraph file is checked for changes, in ms. `SUPERGRAPH_POLL_INTERVAL_MS`; @default 500 */
  readonly supergraphPollIntervalMs: number;
  /** Deadline of one subgraph fetch, in ms; past it the fetch fails with `SUBREQUEST_HTTP_ERROR`. `SUBGRAPH_TIMEOUT_MS`; @default 10000 */
  readonly subgraphTimeoutMs: number;
  /** Largest request body accepted, in bytes; larger bodies get 413 `PAYLOAD_TOO_LARGE`. `MAX_BODY_BYTES`; @default 1048576 */
  readonly maxBodyBytes: number;
  /** pino log level. `LOG_LEVEL`; @default "info" */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** How long shutdown waits for in-flight requests, in ms. `SHUTDOWN_GRACE_MS`; @default 10000 */
  readonly shutdownGraceMs: number;
  /** Persisted queries (README "Persisted queries"). */
  readonly persistedQueries: {
    /** `off` | `apq` (Apollo's automatic persisted queries) | `safelist` (only pushed operations run). `PERSISTED_QUERIES`; @default "apq" */
    readonly mode: 'off' | 'apq' | 'safelist';
    /** Redis shared by every replica: `redis://…`, `redis+sentinel://…/master`, `redis+cluster://…`. `REDIS_URL`; @default undefined (in-memory store, one process) */
    readonly redisUrl: string | undefined;
    /** Prefix of every Redis key and channel (must match `roam-pq --prefix`). `PERSISTED_QUERIES_KEY_PREFIX`; @default "roam:pq:" */
    readonly keyPrefix: string;
    /** Deadline of every Redis call on the request path, in ms. `PERSISTED_QUERIES_TIMEOUT_MS`; @default 100 */
    readonly timeoutMs: number;
    /** Ids kept in the in-process LRU in front of Redis. `PERSISTED_QUERIES_CACHE_SIZE`; @default 10000 */
    readonly cacheSize: number;
    /** How long an APQ registration lives, in seconds; 0 = forever. `APQ_TTL_SECONDS`; @default 86400 */
    readonly apqTtlSeconds: number;
  };
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  PORT: int(0, 65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  SUPERGRAPH_PATH: z.string().min(1).default('supergraph.graphql'),
  SUPERGRAPH_POLL_INTERVAL_MS: int(50, 60_000).default(500),
  SUBGRAPH_TIMEOUT_MS: int(1, 300_000).default(10_000),
  MAX_BODY_BYTES: int(1024, 100 * 1024 * 1024).default(1024 * 1024),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_GRACE_MS: int(0, 600_000).default(10_000),
  PERSISTED_QUERIES: z.enum(['off', 'apq', 'safelist']).default('apq'),
  REDIS_URL: z
    .string()
    .optional()
    .superRefine((url, ctx) => {
      if (url === undefined) return;
      try {
        parseRedisUrl(url);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  PERSISTED_QUERIES_KEY_PREFIX: z.string().min(1).default('roam:pq:'),
  PERSISTED_QUERIES_TIMEOUT_MS: int(1, 60_000).default(100),
  PERSISTED_QUERIES_CACHE_SIZE: int(1, 10_000_000).default(10_000),
  APQ_TTL_SECONDS: int(0, 365 * 86_400).default(86_400),
});

/** Names of every environment variable the gateway reads. */
export const CONFIG_VARIABLES = Object.keys(schema.shape) as readonly (keyof typeof schema.shape)[];

/** Thrown by {@link readConfig}; its message lists every bad variable, what it got and what it accepts. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and validates the gateway configuration. This is the only module that reads `process.env`.
 * Empty strings count as unset.
 *
 * @param env - the environment, `process.env` by default.
 * @returns a frozen {@link GatewayConfig}.
 * @throws ConfigError naming every invalid variable at once.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const input: Record<string, string | undefined> = {};
  for (const name of CONFIG_VARIABLES) input[name] = env[name] === '' ? undefined : env[name];
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return `  ${name}=${JSON.stringify(input[name])}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid Roam gateway configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  return Object.freeze({
    port: c.PORT,
    host: c.HOST,
    supergraphPath: resolve(c.SUPERGRAPH_PATH),
    supergraphPollIntervalMs: c.SUPERGRAPH_POLL_INTERVAL_MS,
    subgraphTimeoutMs: c.SUBGRAPH_TIMEOUT_MS,
    maxBodyBytes: c.MAX_BODY_BYTES,
    logLevel: c.LOG_LEVEL,
    shutdownGraceMs: c.SHUTDOWN_GRACE_MS,
    persistedQueries: Object.freeze({
      mode: c.PERSISTED_QUERIES,
      redisUrl: c.REDIS_URL,
      keyPrefix: c.PERSISTED_QUERIES_KEY_PREFIX,
      timeoutMs: c.PERSISTED_QUERIES_TIMEOUT_MS,
      cacheSize: c.PERSISTED_QUERIES_CACHE_SIZE,
      apqTtlSeconds: c.APQ_TTL_SECONDS,
    }),
  });
}
