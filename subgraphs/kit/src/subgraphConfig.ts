import { BLANK_SETTING_MESSAGE, blankSettings } from '@roam/errors';
import { parseRedisUrl, redactRedisUrl } from '@roam/redis';
import { z } from 'zod';
import type { DatasetName } from './dataset';

/** A subgraph process's settings, read once at start. */
export interface SubgraphConfig {
  /** TCP port of the subgraph's HTTP (and WebSocket) endpoint. `PORT`; default: the subgraph's `port` in subgraphs/registry/registry.json. */
  readonly port: number;
  /** Interface to listen on. `HOST`; @default "127.0.0.1" */
  readonly host: string;
  /** Seed data. `DATASET` or `--dataset`; @default "benchmark" */
  readonly dataset: DatasetName;
  /** pino level. `LOG_LEVEL`; @default "info" */
  readonly logLevel: string;
  /** Redis for pub/sub between replicas: `redis://…`, `rediss://…`, `redis+sentinel://…/master`, `redis+cluster://…`. `REDIS_URL`; @default undefined (in-memory pub/sub, one replica only) */
  readonly redisUrl: string | undefined;
  /** Root prefix of every Redis channel name (channels are `<prefix>events:<name>`). `REDIS_PREFIX`; @default "roam:" */
  readonly redisPrefix: string;
  /** Most events kept per event stream for resume. `EVENT_RETENTION_COUNT`; @default 10000 */
  readonly eventRetentionCount: number;
  /** Events older than this are dropped from the event streams, in ms. `EVENT_RETENTION_MS`; @default 3600000 (1 hour) */
  readonly eventRetentionMs: number;
  /** Verification of the gateway's signed calls (README "Security"); undefined when `SUBGRAPH_SIGNING_SECRET` is unset. */
  readonly signing: SubgraphSigning | undefined;
}

/** How a subgraph verifies the gateway's `roam-signature` (subgraphs/registry/signing.js). */
export interface SubgraphSigning {
  /** The secret shared with the gateway (its `SUBGRAPH_SIGNING_SECRETS` entry for this subgraph). `SUBGRAPH_SIGNING_SECRET` */
  readonly secret: string;
  /** Refuse (401) requests and WebSocket upgrades without a valid signature; otherwise only a wrong or stale one is refused. `SUBGRAPH_SIGNATURE_REQUIRED`; @default false */
  readonly required: boolean;
  /** Largest accepted age (or clock difference) of a signature, in ms. `SUBGRAPH_SIGNATURE_MAX_AGE_MS`; @default 60000 */
  readonly maxAgeMs: number;
}

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATASET: z.enum(['benchmark', 'large']).default('benchmark'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // the gateway's forms: redis://, rediss:// (TLS), redis+sentinel://…/master, redis+cluster://…
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
  REDIS_PREFIX: z.string().min(1).default('roam:'),
  SUBGRAPH_SIGNING_SECRET: z.string().min(16).optional(),
  SUBGRAPH_SIGNATURE_REQUIRED: z.enum(['true', 'false']).default('false'),
  SUBGRAPH_SIGNATURE_MAX_AGE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  EVENT_RETENTION_COUNT: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  EVENT_RETENTION_MS: z.coerce.number().int().min(1000).default(3_600_000),
});

/**
 * Reads a subgraph's configuration from environment variables and command-line flags
 * (`--dataset large` overrides `DATASET`, `--port N` overrides `PORT`).
 *
 * Empty values count as unset (an empty `PORT` is the default port, not 0); a value of only whitespace, and a
 * `--port`/`--dataset` flag without a value, are refused.
 *
 * @param defaultPort - the subgraph's documented port.
 * @returns a frozen {@link SubgraphConfig}.
 * @throws Error naming every invalid variable and what it accepts.
 */
export function readSubgraphConfig(defaultPort: number, env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv.slice(2)): SubgraphConfig {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    if (i >= 0) {
      // `--port` last (or followed by another flag) fell through to PORT or the default, silently
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new Error(`Invalid subgraph configuration:\n  --${name}: needs a value (--${name} ${name === 'port' ? '4004' : 'large'})`);
      return value;
    }
    const eq = argv.find((a) => a.startsWith(`--${name}=`));
    return eq?.slice(name.length + 3);
  };
  const raw = {
    PORT: flag('port') ?? (env.PORT || undefined) ?? String(defaultPort),
    HOST: env.HOST || undefined,
    DATASET: flag('dataset') ?? (env.DATASET || undefined),
    LOG_LEVEL: env.LOG_LEVEL || undefined,
    REDIS_URL: env.REDIS_URL || undefined,
    REDIS_PREFIX: env.REDIS_PREFIX || undefined,
    SUBGRAPH_SIGNING_SECRET: env.SUBGRAPH_SIGNING_SECRET || undefined,
    SUBGRAPH_SIGNATURE_REQUIRED: env.SUBGRAPH_SIGNATURE_REQUIRED || undefined,
    SUBGRAPH_SIGNATURE_MAX_AGE_MS: env.SUBGRAPH_SIGNATURE_MAX_AGE_MS || undefined,
    EVENT_RETENTION_COUNT: env.EVENT_RETENTION_COUNT || undefined,
    EVENT_RETENTION_MS: env.EVENT_RETENTION_MS || undefined,
  };
  // Only whitespace (`PORT= ` in an env file) is refused: zod's number coercion would read it as 0 (a random port).
  const { input, blank } = blankSettings(raw);
  const parsed = schema.safeParse(input);
  if (!parsed.success || blank.length > 0) {
    const given = (name: string): unknown => {
      const value = (raw as Record<string, unknown>)[name];
      if (name === 'SUBGRAPH_SIGNING_SECRET') return '(hidden)';
      return name === 'REDIS_URL' && typeof value === 'string' ? redactRedisUrl(value) : value; // never echo a password
    };
    const lines = blank.map((name) => `  ${name}: ${BLANK_SETTING_MESSAGE} (got ${JSON.stringify(given(name))})`);
    for (const i of parsed.error?.issues ?? []) if (!blank.includes(String(i.path[0]))) lines.push(`  ${i.path.join('.')}: ${i.message} (got ${JSON.stringify(given(String(i.path[0])))})`);
    throw new Error(`Invalid subgraph configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const signing = c.SUBGRAPH_SIGNING_SECRET
    ? Object.freeze({ secret: c.SUBGRAPH_SIGNING_SECRET, required: c.SUBGRAPH_SIGNATURE_REQUIRED === 'true', maxAgeMs: c.SUBGRAPH_SIGNATURE_MAX_AGE_MS })
    : undefined;
  return Object.freeze({
    port: c.PORT,
    host: c.HOST,
    dataset: c.DATASET,
    logLevel: c.LOG_LEVEL,
    redisUrl: c.REDIS_URL,
    redisPrefix: c.REDIS_PREFIX,
    eventRetentionCount: c.EVENT_RETENTION_COUNT,
    eventRetentionMs: c.EVENT_RETENTION_MS,
    signing,
  });
}
