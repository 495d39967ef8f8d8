import { resolve } from 'node:path';
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
  /** Time a WebSocket client has to send `connection_init`, in ms; then close 4408. `SUBSCRIPTION_CONNECTION_INIT_TIMEOUT_MS`; @default 3000 */
  readonly subscriptionConnectionInitTimeoutMs: number;
  /** Interval of WebSocket pings to clients (and graphql-ws pings to subgraphs), in ms; a client that does not answer within the next interval is disconnected. 0 turns pings off. `SUBSCRIPTION_KEEPALIVE_MS`; @default 12000 */
  readonly subscriptionKeepAliveMs: number;
  /** Most running subscriptions on one WebSocket connection; more get `TOO_MANY_SUBSCRIPTIONS`. `SUBSCRIPTION_MAX_PER_CONNECTION`; @default 100 */
  readonly subscriptionMaxPerConnection: number;
  /** Most open WebSocket connections of one client (one `authorization` value, or one client name when anonymous); more are closed with 1013. `SUBSCRIPTION_MAX_CONNECTIONS_PER_CLIENT`; @default 1000 */
  readonly subscriptionMaxConnectionsPerClient: number;
  /** Most events queued for one subscriber (or waiting for enrichment on one shared upstream); more end the subscription with `SUBSCRIPTION_OVERFLOW`. `SUBSCRIPTION_MAX_QUEUED_EVENTS`; @default 100 */
  readonly subscriptionMaxQueuedEvents: number;
  /** Most bytes waiting in one WebSocket's send buffer (a client reading too slowly); the next event past it ends that subscription with `SUBSCRIPTION_OVERFLOW`. `SUBSCRIPTION_MAX_BUFFERED_BYTES`; @default 1048576 */
  readonly subscriptionMaxBufferedBytes: number;
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
  SUBSCRIPTION_CONNECTION_INIT_TIMEOUT_MS: int(100, 600_000).default(3_000),
  SUBSCRIPTION_KEEPALIVE_MS: int(0, 600_000).default(12_000),
  SUBSCRIPTION_MAX_PER_CONNECTION: int(1, 100_000).default(100),
  SUBSCRIPTION_MAX_CONNECTIONS_PER_CLIENT: int(1, 10_000_000).default(1_000),
  SUBSCRIPTION_MAX_QUEUED_EVENTS: int(1, 1_000_000).default(100),
  SUBSCRIPTION_MAX_BUFFERED_BYTES: int(1024, 1024 * 1024 * 1024).default(1024 * 1024),
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
    subscriptionConnectionInitTimeoutMs: c.SUBSCRIPTION_CONNECTION_INIT_TIMEOUT_MS,
    subscriptionKeepAliveMs: c.SUBSCRIPTION_KEEPALIVE_MS,
    subscriptionMaxPerConnection: c.SUBSCRIPTION_MAX_PER_CONNECTION,
    subscriptionMaxConnectionsPerClient: c.SUBSCRIPTION_MAX_CONNECTIONS_PER_CLIENT,
    subscriptionMaxQueuedEvents: c.SUBSCRIPTION_MAX_QUEUED_EVENTS,
    subscriptionMaxBufferedBytes: c.SUBSCRIPTION_MAX_BUFFERED_BYTES,
  });
}
