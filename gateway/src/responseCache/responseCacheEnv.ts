import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * The zod shape of the response-cache and delta settings (README "Response cache and delta updates"), spread
 * into the gateway's `config.ts` schema:
 * `RESPONSE_CACHE` (`on` | `off`, off), `RESPONSE_CACHE_MAX_ENTRIES` (in-memory store, 10000),
 * `RESPONSE_CACHE_MAX_ENTRY_BYTES` (largest response stored, 1048576), `RESPONSE_CACHE_MEMORY_MAX_BYTES`
 * (in-memory store: bytes of responses, and again of delta bases, 268435456), `RESPONSE_CACHE_KEY_PREFIX`
 * (Redis keys and the invalidation channel, `roam:cache:`), `RESPONSE_CACHE_TIMEOUT_MS` (Redis deadline, 100),
 * `RESPONSE_CACHE_ADMIN_TOKEN` (bearer token of the invalidation endpoint; unset = no endpoint),
 * `RESPONSE_CACHE_WARM_TOP` (public responses refreshed before they expire, by hits; 0 = off),
 * `DELTA_UPDATES` (`on` | `off`, on), `DELTA_MAX_VERSIONS` (base versions kept per operation, 4),
 * `DELTA_MAX_AGE_SECONDS` (how long a base version is kept, 600).
 */
export const RESPONSE_CACHE_ENV_SHAPE = {
  RESPONSE_CACHE: z.enum(['on', 'off']).default('off'),
  RESPONSE_CACHE_MAX_ENTRIES: int(1, 10_000_000).default(10_000),
  RESPONSE_CACHE_MAX_ENTRY_BYTES: int(1, 512 * 1024 * 1024).default(1024 * 1024),
  RESPONSE_CACHE_MEMORY_MAX_BYTES: int(1024 * 1024, 64 * 1024 * 1024 * 1024).default(256 * 1024 * 1024),
  RESPONSE_CACHE_KEY_PREFIX: z.string().min(1).default('roam:cache:'),
  RESPONSE_CACHE_TIMEOUT_MS: int(1, 60_000).default(100),
  RESPONSE_CACHE_ADMIN_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  RESPONSE_CACHE_WARM_TOP: int(0, 10_000).default(0),
  DELTA_UPDATES: z.enum(['on', 'off']).default('on'),
  DELTA_MAX_VERSIONS: int(1, 100).default(4),
  DELTA_MAX_AGE_SECONDS: int(1, 7 * 86_400).default(600),
};

/** The parsed values of {@link RESPONSE_CACHE_ENV_SHAPE}. */
export type ResponseCacheEnv = z.output<z.ZodObject<typeof RESPONSE_CACHE_ENV_SHAPE>>;

/** Response cache and delta settings. */
export interface ResponseCacheSettings {
  /** Whether query responses with a positive `max-age` are cached. `RESPONSE_CACHE`; @default false */
  readonly enabled: boolean;
  /** Most responses the in-memory store keeps (LRU), when there is no `REDIS_URL`. `RESPONSE_CACHE_MAX_ENTRIES`; @default 10000 */
  readonly maxEntries: number;
  /** Largest response (JSON bytes) stored; larger ones are served but not cached. `RESPONSE_CACHE_MAX_ENTRY_BYTES`; @default 1048576 */
  readonly maxEntryBytes: number;
  /** In-memory store: most bytes of responses kept, and again of delta base versions. `RESPONSE_CACHE_MEMORY_MAX_BYTES`; @default 268435456 */
  readonly memoryMaxBytes: number;
  /** Prefix of every Redis key and of the invalidation channel (`<prefix>invalidate`). `RESPONSE_CACHE_KEY_PREFIX`; @default "roam:cache:" */
  readonly keyPrefix: string;
  /** Deadline of each Redis call of the cache, in ms; past it the call counts as failed (a read is a miss). `RESPONSE_CACHE_TIMEOUT_MS`; @default 100 */
  readonly timeoutMs: number;
  /** Bearer token of `POST /admin/cache/invalidate`; undefined = no endpoint (404). `RESPONSE_CACHE_ADMIN_TOKEN`; @default undefined */
  readonly adminToken: string | undefined;
  /** How many of the most-hit public responses are refreshed before they expire (0 = no warming). `RESPONSE_CACHE_WARM_TOP`; @default 0 */
  readonly warmTop: number;
  /** Whether `A-IM: json-patch` requests get 226 patches. `DELTA_UPDATES`; @default true */
  readonly deltas: boolean;
  /** Base versions kept per operation, variables and scope. `DELTA_MAX_VERSIONS`; @default 4 */
  readonly deltaMaxVersions: number;
  /** How long a base version is kept, in seconds. `DELTA_MAX_AGE_SECONDS`; @default 600 */
  readonly deltaMaxAgeSeconds: number;
}

/**
 * @param env - the parsed values of {@link RESPONSE_CACHE_ENV_SHAPE}.
 * @returns the frozen settings.
 */
export function responseCacheSettingsFromEnv(env: ResponseCacheEnv): ResponseCacheSettings {
  return Object.freeze({
    enabled: env.RESPONSE_CACHE === 'on',
    maxEntries: env.RESPONSE_CACHE_MAX_ENTRIES,
    maxEntryBytes: env.RESPONSE_CACHE_MAX_ENTRY_BYTES,
    memoryMaxBytes: env.RESPONSE_CACHE_MEMORY_MAX_BYTES,
    keyPrefix: env.RESPONSE_CACHE_KEY_PREFIX,
    timeoutMs: env.RESPONSE_CACHE_TIMEOUT_MS,
    adminToken: env.RESPONSE_CACHE_ADMIN_TOKEN,
    warmTop: env.RESPONSE_CACHE_WARM_TOP,
    deltas: env.DELTA_UPDATES === 'on',
    deltaMaxVersions: env.DELTA_MAX_VERSIONS,
    deltaMaxAgeSeconds: env.DELTA_MAX_AGE_SECONDS,
  });
}
