import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * The zod shape of the idempotency settings (README "Idempotency keys"), spread into the gateway's `config.ts`
 * schema. The store is Redis when `REDIS_URL` is set (shared by replicas), memory otherwise (one process).
 */
export const IDEMPOTENCY_ENV_SHAPE = {
  /** How long a stored response is replayed, in seconds (the key expires then). */
  IDEMPOTENCY_TTL_SECONDS: int(1, 30 * 86_400).default(86_400),
  /** Lease of one execution, in ms; renewed every third of it while it runs. After a gateway crash the key is free again at most this long after. */
  IDEMPOTENCY_LEASE_MS: int(100, 600_000).default(10_000),
  /** Deadline of every idempotency Redis call, in ms; past it a keyed mutation gets 503 `IDEMPOTENCY_STORE_UNAVAILABLE`. */
  IDEMPOTENCY_TIMEOUT_MS: int(1, 60_000).default(250),
  /** How long a duplicate of a running keyed mutation waits for the first one's response before 409, in ms; 0 = 409 at once. */
  IDEMPOTENCY_WAIT_MS: int(0, 60_000).default(1000),
  /** Root prefix of the idempotency keys in Redis (keys are `<prefix>idem:{<id>}:lease|response`). */
  IDEMPOTENCY_REDIS_PREFIX: z.string().min(1).default('roam:'),
};

/** Idempotency settings (README "Idempotency keys"). */
export interface IdempotencySettings {
  /** `IDEMPOTENCY_TTL_SECONDS`; @default 86400 */
  readonly ttlSeconds: number;
  /** `IDEMPOTENCY_LEASE_MS`; @default 10000 */
  readonly leaseMs: number;
  /** `IDEMPOTENCY_TIMEOUT_MS`; @default 250 */
  readonly timeoutMs: number;
  /** `IDEMPOTENCY_REDIS_PREFIX`; @default "roam:" */
  readonly redisPrefix: string;
  /** `IDEMPOTENCY_WAIT_MS`; @default 1000 */
  readonly waitMs: number;
}

/** @returns the settings from the parsed variables of {@link IDEMPOTENCY_ENV_SHAPE}. */
export function idempotencySettingsFromEnv(env: z.output<z.ZodObject<typeof IDEMPOTENCY_ENV_SHAPE>>): IdempotencySettings {
  return Object.freeze({
    ttlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
    leaseMs: env.IDEMPOTENCY_LEASE_MS,
    timeoutMs: env.IDEMPOTENCY_TIMEOUT_MS,
    redisPrefix: env.IDEMPOTENCY_REDIS_PREFIX,
    waitMs: env.IDEMPOTENCY_WAIT_MS,
  });
}
