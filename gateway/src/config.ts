import { resolve } from 'node:path';
import { parseRedisUrl } from '@roam/persisted-queries';
import { redactRedisUrl } from '@roam/redis';
import { BLANK_SETTING_MESSAGE, blankSettings } from '@roam/errors';
import { z } from 'zod';
import { LIMITS_ENV_SHAPE, limitsSettingsFromEnv, type LimitsSettings } from '@roam/operation-limits';
import { defaultSubgraphPolicy, SUBGRAPH_POLICIES_SCHEMA, type SubgraphPolicies } from './upstream/SubgraphPolicy';
import { CLIENT_VERSIONS_ENV_SHAPE, clientVersionSettingsFromEnv, type ClientVersionSettings } from './clientVersions/clientVersionsEnv';
import { CORS_ENV_SHAPE, type CorsOrigins } from './http/corsOptions';
import { SECURITY_ENV_SHAPE, securitySettingsFromEnv, type SecuritySettings } from './security/securityEnv';
import { DEV_CONSOLE_ENV_SHAPE, devConsoleSettingsFromEnv, type DevConsoleSettings } from './devConsole/devConsoleEnv';
import { OBSERVABILITY_ENV_SHAPE, observabilitySettingsFromEnv, type ObservabilitySettings } from './observability/observabilityEnv';
import { IDEMPOTENCY_ENV_SHAPE, idempotencySettingsFromEnv, type IdempotencySettings } from './idempotency/idempotencyEnv';
import { PUSH_ENV_SHAPE, pushSettingsFromEnv, type PushSettings } from './push/pushEnv';
import { RESPONSE_CACHE_ENV_SHAPE, responseCacheSettingsFromEnv, type ResponseCacheSettings } from './responseCache/responseCacheEnv';

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
  /**
   * Per-subgraph resilience policy (README "Resilience"): defaults from `SUBGRAPH_TIMEOUT_MS` and the built-in
   * values, overridden by `SUBGRAPH_POLICIES` (JSON object: subgraph name, or `"*"` for all, → partial policy,
   * e.g. `{"inventory":{"timeoutMs":800,"retry":{"maxRetries":0}}}`); @default {}
   */
  readonly subgraphPolicies: SubgraphPolicies;
  /** Most HTTP requests on `/graphql` in flight at once; more get 503 `GATEWAY_OVERLOADED` with `Retry-After`. 0 turns shedding off. `MAX_INFLIGHT_REQUESTS`; @default 0 */
  readonly maxInflightRequests: number;
  /** Largest request body accepted, in bytes; larger bodies get 413 `PAYLOAD_TOO_LARGE`. `MAX_BODY_BYTES`; @default 1048576 */
  readonly maxBodyBytes: number;
  /** pino log level. `LOG_LEVEL`; @default "info" */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** How long shutdown waits for in-flight requests, in ms. `SHUTDOWN_GRACE_MS`; @default 10000 */
  readonly shutdownGraceMs: number;
  /** Time a client has to send a whole HTTP request (headers and body), in ms; then 408 `REQUEST_TIMEOUT` and the connection is closed (Node's `server.requestTimeout`; slowloris). 0 turns it off. `REQUEST_TIMEOUT_MS`; @default 30000 */
  readonly requestTimeoutMs: number;
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
  /** Recent events each shared subscription keeps in memory so a resuming client (`extensions.lastEventId`) can join it without a new upstream subscription; 0 = always resume through the subgraph's event stream. `SUBSCRIPTION_RESUME_BUFFER`; @default 256 */
  readonly subscriptionResumeBuffer: number;
  /** How long a shared subscription with resumable events stays open after its last subscriber left, in ms, so clients that reconnect within it (a reconnect storm, a rolling restart) resume from memory instead of replaying through the subgraph. `SUBSCRIPTION_RESUME_LINGER_MS`; @default 0 */
  readonly subscriptionResumeLingerMs: number;
  /** Interval of `{}` heartbeat parts on a multipart HTTP subscription (Apollo's protocol; Apollo Router sends one every 5 s), in ms. `MULTIPART_HEARTBEAT_MS`; @default 5000 */
  readonly multipartHeartbeatMs: number;
  /** Who executes query plans: `apollo` (Apollo Gateway) or `roam` (Roam's executor, `executor/`). `EXECUTOR`; @default "roam" */
  readonly executor: 'apollo' | 'roam';
  /** With `EXECUTOR=roam`: identical in-flight queries share one execution, identical subgraph query fetches one HTTP call. `COALESCE_INFLIGHT`; @default true */
  readonly coalesceInflight: boolean;
  /** With `EXECUTOR=roam`: identical in-flight queries (same scope) share one execution. `COALESCE_REQUESTS`; @default the value of COALESCE_INFLIGHT */
  readonly coalesceRequests: boolean;
  /** With `EXECUTOR=roam`: identical in-flight subgraph query fetches share one HTTP call, across requests and users. `COALESCE_SUBGRAPH_FETCHES`; @default the value of COALESCE_INFLIGHT */
  readonly coalesceSubgraphFetches: boolean;
  /**
   * How far V8 lets the old generation grow past the data that survived the last full GC before it collects
   * again, in percent (V8's `--heap-growing-percent`: the next limit is live × (1 + this / 100)). `roam-gateway`
   * (`gateway/dist/bin.js`, so `npm start` and the `Dockerfile` too) sets it at start; embedders of `createGateway`
   * keep their process's own. 0 leaves V8's choice, which under a gateway's promotion rate was its maximum, 4× live,
   * on a 24 GB host (README "Memory"). `HEAP_GROWTH_PERCENT`; @default 100
   */
  readonly heapGrowthPercent: number;
  /** Most fields (object keys and list items) one response may hold; the executor stops building it past this with `RESPONSE_TOO_LARGE`. `MAX_RESPONSE_FIELDS`; @default 500000 */
  readonly maxResponseFields: number;
  /**
   * Operation limits (README "Operation limits"). Defaults from `MAX_COST` (@default 1000000),
   * `MAX_DEPTH` (@default 15), `MAX_ALIASES` (@default 30), `MAX_ROOT_FIELDS` (@default 20),
   * `MAX_TOKENS` (@default 5000), `MAX_DOCUMENT_BYTES` (bytes, @default 65536), `MAX_BATCH_SIZE`
   * (@default 20), `MAX_BODY_BYTES` (bytes) and `LIMITS_MODE` (`enforce` | `measure` | `off`, @default "enforce");
   * per-client overrides from `LIMITS_BY_CLIENT` (JSON object: client name → partial limits, e.g.
   * `{"ios":{"maxCost":5000,"mode":"measure"}}`, @default {}); the cost model's default list size from
   * `COST_DEFAULT_LIST_SIZE` (@default 10).
   */
  readonly limits: LimitsSettings;
  /** Responses smaller than this many bytes (encoded, before compression) are sent uncompressed. `RESPONSE_COMPRESSION_MIN_BYTES`; @default 1024 */
  readonly responseCompressionMinBytes: number;
  /**
   * Brotli quality (0-11) for responses. 5 compresses the 64 KiB benchmark response to 1544 bytes in about
   * 0.3 ms; 11 (zlib's default) saves 81 more bytes but takes about 16 ms (README, "Mobile clients").
   * `BROTLI_QUALITY`; @default 5
   */
  readonly brotliQuality: number;
  /** gzip level (1-9) for responses to clients without brotli. `GZIP_LEVEL`; @default 6 */
  readonly gzipLevel: number;
  /**
   * Cache hints by type (`"Product"`) or field (`"Query.topProducts"`), as Apollo Server's `@cacheControl`:
   * `maxAge` in seconds, `scope` `PUBLIC`/`PRIVATE`, `inheritMaxAge`. They win over `@cacheControl` in the
   * supergraph. `CACHE_HINTS` (a JSON object); @default {} (every query response is `private, no-cache`)
   */
  readonly cacheHints: Readonly<Record<string, CacheHintConfig>>;
  /** Origins allowed to call the gateway from a browser (CORS): `*`, a list of origins, or undefined (off, `OPTIONS` → 405). `CORS_ORIGINS`; @default undefined */
  readonly corsOrigins: CorsOrigins;
  /** App-version gating (README "App versions"): `MIN_CLIENT_VERSIONS`, `RECOMMENDED_CLIENT_VERSIONS`, `CLIENT_UPGRADE_URLS`. */
  readonly clientVersions: ClientVersionSettings;
  /** Metrics and access log (README "Observability"): `METRICS`, `METRICS_PORT`, `METRICS_CLIENT_NAMES`, `METRICS_MAX_CLIENT_VERSIONS`, `ACCESS_LOG`, `ACCESS_LOG_SAMPLE_RATE`. */
  readonly observability: ObservabilitySettings;
  /**
   * Authentication, authorization, header propagation, introspection (README "Security"): `AUTH_MODE`, `AUTH_JWKS_URL`,
   * `AUTH_JWKS`, `AUTH_ISSUER`, `AUTH_AUDIENCE`, `AUTH_ALGORITHMS`, `AUTH_CLOCK_SKEW_SECONDS`, `AUTH_JWKS_*`,
   * `AUTH_*_CLAIM`, `AUTH_CLIENT_NAMES`, `AUTHORIZATION_UNAUTHORIZED`, `SUBGRAPH_PROPAGATE_HEADERS`, `INTROSPECTION`, `NODE_ENV`.
   */
  readonly security: SecuritySettings;
  /** Idempotency keys of mutations (README "Idempotency keys"): `IDEMPOTENCY_TTL_SECONDS`, `IDEMPOTENCY_LEASE_MS`, `IDEMPOTENCY_TIMEOUT_MS`, `IDEMPOTENCY_WAIT_MS`, `IDEMPOTENCY_REDIS_PREFIX`; the store is Redis with `REDIS_URL`, else memory. */
  readonly idempotency: IdempotencySettings;
  /** The developer console and GraphiQL sandbox (`DEV_CONSOLE`, `DEV_CONSOLE_TOKEN`, `NODE_ENV`). */
  readonly devConsole: DevConsoleSettings;
  /** Response cache and delta updates (README "Response cache and delta updates"). */
  readonly responseCache: ResponseCacheSettings;
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
  /** Push bridge (README "Push bridge"): `PUSH`, `PUSH_KEY_PREFIX`, `PUSH_APNS_*`, `PUSH_FCM_*`, `PUSH_RATE_LIMIT_*`, `PUSH_MAX_RETRIES`, `PUSH_RETRY_BASE_MS`, `PUSH_MAX_RETRY_AFTER_MS`, `PUSH_INLINE_EVENT_MAX_BYTES`, `PUSH_SEND_TIMEOUT_MS`, `PUSH_LEASE_MS`. */
  readonly push: PushSettings;
}

/** One configured cache hint (Apollo Server `@cacheControl` arguments). */
export interface CacheHintConfig {
  /** Seconds a response holding this type/field may be reused. */
  readonly maxAge?: number;
  readonly scope?: 'PUBLIC' | 'PRIVATE';
  /** Take the parent field's maxAge (only meaningful on composite types and their fields). */
  readonly inheritMaxAge?: boolean;
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  PORT: int(0, 65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  SUPERGRAPH_PATH: z.string().min(1).default('supergraph.graphql'),
  SUPERGRAPH_POLL_INTERVAL_MS: int(50, 60_000).default(500),
  SUBGRAPH_TIMEOUT_MS: int(1, 300_000).default(10_000),
  SUBGRAPH_POLICIES: z
    .string()
    .default('{}')
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected a JSON object like {"inventory":{"timeoutMs":800}}' });
        return z.NEVER;
      }
    })
    .pipe(SUBGRAPH_POLICIES_SCHEMA),
  MAX_INFLIGHT_REQUESTS: int(0, 10_000_000).default(0),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_GRACE_MS: int(0, 600_000).default(10_000),
  REQUEST_TIMEOUT_MS: int(0, 600_000).default(30_000),
  RESPONSE_COMPRESSION_MIN_BYTES: int(0, 100 * 1024 * 1024).default(1024),
  BROTLI_QUALITY: int(0, 11).default(5),
  GZIP_LEVEL: int(1, 9).default(6),
  CACHE_HINTS: z
    .string()
    .default('{}')
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected a JSON object like {"Product":{"maxAge":60,"scope":"PUBLIC"}}' });
        return z.NEVER;
      }
    })
    .pipe(
      z.record(
        z.string().regex(/^[_A-Za-z][_0-9A-Za-z]*(\.[_A-Za-z][_0-9A-Za-z]*)?$/, 'keys are "Type" or "Type.field"'),
        z.strictObject({ maxAge: z.number().int().min(0).optional(), scope: z.enum(['PUBLIC', 'PRIVATE']).optional(), inheritMaxAge: z.boolean().optional() }),
      ),
    ),
  // MAX_COST, MAX_DEPTH, …, MAX_BODY_BYTES, LIMITS_MODE, LIMITS_BY_CLIENT, COST_DEFAULT_LIST_SIZE: shared with roam-pq.
  ...LIMITS_ENV_SHAPE,
  EXECUTOR: z.enum(['apollo', 'roam']).default('roam'),
  COALESCE_INFLIGHT: z.enum(['true', 'false']).default('true'),
  COALESCE_REQUESTS: z.enum(['true', 'false']).optional(),
  COALESCE_SUBGRAPH_FETCHES: z.enum(['true', 'false']).optional(),
  MERGE_SUBGRAPH_FETCHES: z.enum(['true', 'false']).default('true'),
  MAX_RESPONSE_FIELDS: int(1, 1_000_000_000).default(500_000),
  // one message for every out-of-range value (min/max and the refinement each reported -5)
  HEAP_GROWTH_PERCENT: z.coerce
    .number()
    .int()
    .refine((p) => p === 0 || (p >= 10 && p <= 1000), 'expected 0 (V8 decides) or a whole number of percent from 10 to 1000')
    .default(100),
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
  SUBSCRIPTION_CONNECTION_INIT_TIMEOUT_MS: int(100, 600_000).default(3_000),
  SUBSCRIPTION_KEEPALIVE_MS: int(0, 600_000).default(12_000),
  SUBSCRIPTION_MAX_PER_CONNECTION: int(1, 100_000).default(100),
  SUBSCRIPTION_MAX_CONNECTIONS_PER_CLIENT: int(1, 10_000_000).default(1_000),
  SUBSCRIPTION_MAX_QUEUED_EVENTS: int(1, 1_000_000).default(100),
  SUBSCRIPTION_MAX_BUFFERED_BYTES: int(1024, 1024 * 1024 * 1024).default(1024 * 1024),
  SUBSCRIPTION_RESUME_BUFFER: int(0, 100_000).default(256),
  SUBSCRIPTION_RESUME_LINGER_MS: int(0, 600_000).default(0),
  MULTIPART_HEARTBEAT_MS: int(10, 600_000).default(5_000),
  ...OBSERVABILITY_ENV_SHAPE,
  ...CORS_ENV_SHAPE,
  ...CLIENT_VERSIONS_ENV_SHAPE,
  ...SECURITY_ENV_SHAPE,
  ...IDEMPOTENCY_ENV_SHAPE,
  ...DEV_CONSOLE_ENV_SHAPE,
  ...PUSH_ENV_SHAPE,
  ...RESPONSE_CACHE_ENV_SHAPE,
});

/** Names of every environment variable the gateway reads. */
export const CONFIG_VARIABLES = Object.keys(schema.shape) as readonly (keyof typeof schema.shape)[];

/** Thrown by {@link readConfig}; its message lists every bad variable, what it got and what it accepts. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Variables whose value is a secret (tokens, keys, service accounts): an error names them but never shows the value. */
const SECRET_VARIABLE = /_TOKEN$|_SECRETS?$|_PASSWORD$|^PUSH_APNS_KEY$|_SERVICE_ACCOUNT$/;

/** A variable's value as an error message may show it: never a secret (`DEV_CONSOLE_TOKEN`, `RESPONSE_CACHE_ADMIN_TOKEN`, …), never Redis credentials. */
function shownValue(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return value;
  if (name === 'REDIS_URL') return redactRedisUrl(value);
  if (SECRET_VARIABLE.test(name)) return `<${value.length} characters, not shown>`;
  return value;
}

/**
 * Reads and validates the gateway configuration. This is the only module that reads `process.env`.
 * Empty strings count as unset; a value of only whitespace is refused (never read as 0).
 *
 * @param env - the environment, `process.env` by default.
 * @returns a frozen {@link GatewayConfig}.
 * @throws ConfigError naming every invalid variable at once.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  // A value of only whitespace is refused (zod's number coercion would read it as 0: PORT 0 = a random port).
  const { input, blank } = blankSettings(Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, env[name]])));
  const parsed = schema.safeParse(input);
  if (!parsed.success || blank.length > 0) {
    const lines = blank.map((name) => `  ${name}=${JSON.stringify(shownValue(name, env[name]))}: ${BLANK_SETTING_MESSAGE}`);
    for (const issue of parsed.error?.issues ?? []) {
      const name = String(issue.path[0]);
      if (blank.includes(name)) continue;
      const where = issue.path.length > 1 ? `${issue.path.slice(1).join('.')}: ` : '';
      lines.push(`  ${name}=${JSON.stringify(shownValue(name, input[name]))}: ${where}${issue.message}`);
    }
    throw new ConfigError(`Invalid Roam gateway configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  if (c.METRICS_PORT !== undefined && c.METRICS_PORT !== 0 && c.METRICS_PORT === c.PORT) {
    // both listeners on one port: the start failed later with EADDRINUSE naming only PORT
    throw new ConfigError(`Invalid Roam gateway configuration:\n  METRICS_PORT="${c.METRICS_PORT}": the same port as PORT; unset it to serve /metrics on PORT`);
  }
  let security: SecuritySettings;
  let push: PushSettings;
  try {
    security = securitySettingsFromEnv(c, c.REDIS_URL);
    push = pushSettingsFromEnv(c);
  } catch (error) {
    throw new ConfigError(`Invalid Roam gateway configuration:\n  ${(error as Error).message}`);
  }
  return Object.freeze({
    security,
    port: c.PORT,
    host: c.HOST,
    supergraphPath: resolve(c.SUPERGRAPH_PATH),
    supergraphPollIntervalMs: c.SUPERGRAPH_POLL_INTERVAL_MS,
    subgraphTimeoutMs: c.SUBGRAPH_TIMEOUT_MS,
    subgraphPolicies: Object.freeze({ defaults: defaultSubgraphPolicy(c.SUBGRAPH_TIMEOUT_MS, c.MERGE_SUBGRAPH_FETCHES === 'true'), bySubgraph: Object.freeze(c.SUBGRAPH_POLICIES) }),
    maxInflightRequests: c.MAX_INFLIGHT_REQUESTS,
    maxBodyBytes: c.MAX_BODY_BYTES,
    logLevel: c.LOG_LEVEL,
    shutdownGraceMs: c.SHUTDOWN_GRACE_MS,
    requestTimeoutMs: c.REQUEST_TIMEOUT_MS,
    responseCompressionMinBytes: c.RESPONSE_COMPRESSION_MIN_BYTES,
    brotliQuality: c.BROTLI_QUALITY,
    gzipLevel: c.GZIP_LEVEL,
    cacheHints: Object.freeze(c.CACHE_HINTS),
    limits: limitsSettingsFromEnv(c),
    executor: c.EXECUTOR,
    coalesceInflight: c.COALESCE_INFLIGHT === 'true',
    coalesceRequests: (c.COALESCE_REQUESTS ?? c.COALESCE_INFLIGHT) === 'true',
    coalesceSubgraphFetches: (c.COALESCE_SUBGRAPH_FETCHES ?? c.COALESCE_INFLIGHT) === 'true',
    maxResponseFields: c.MAX_RESPONSE_FIELDS,
    heapGrowthPercent: c.HEAP_GROWTH_PERCENT,
    persistedQueries: Object.freeze({
      mode: c.PERSISTED_QUERIES,
      redisUrl: c.REDIS_URL,
      keyPrefix: c.PERSISTED_QUERIES_KEY_PREFIX,
      timeoutMs: c.PERSISTED_QUERIES_TIMEOUT_MS,
      cacheSize: c.PERSISTED_QUERIES_CACHE_SIZE,
      apqTtlSeconds: c.APQ_TTL_SECONDS,
    }),
    subscriptionConnectionInitTimeoutMs: c.SUBSCRIPTION_CONNECTION_INIT_TIMEOUT_MS,
    subscriptionKeepAliveMs: c.SUBSCRIPTION_KEEPALIVE_MS,
    subscriptionMaxPerConnection: c.SUBSCRIPTION_MAX_PER_CONNECTION,
    subscriptionMaxConnectionsPerClient: c.SUBSCRIPTION_MAX_CONNECTIONS_PER_CLIENT,
    subscriptionMaxQueuedEvents: c.SUBSCRIPTION_MAX_QUEUED_EVENTS,
    subscriptionMaxBufferedBytes: c.SUBSCRIPTION_MAX_BUFFERED_BYTES,
    subscriptionResumeBuffer: c.SUBSCRIPTION_RESUME_BUFFER,
    subscriptionResumeLingerMs: c.SUBSCRIPTION_RESUME_LINGER_MS,
    multipartHeartbeatMs: c.MULTIPART_HEARTBEAT_MS,
    observability: observabilitySettingsFromEnv(c),
    devConsole: devConsoleSettingsFromEnv(c),
    clientVersions: clientVersionSettingsFromEnv(c),
    idempotency: idempotencySettingsFromEnv(c),
    push,
    responseCache: responseCacheSettingsFromEnv(c),
    corsOrigins: c.CORS_ORIGINS === undefined || (Array.isArray(c.CORS_ORIGINS) && c.CORS_ORIGINS.length === 0) ? undefined : c.CORS_ORIGINS === '*' ? '*' : Object.freeze([...c.CORS_ORIGINS]),
  });
}
