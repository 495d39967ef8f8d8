import type { Logger } from 'pino';
import { Idempotency, type IdempotencyOptions } from './Idempotency';
import type { IdempotencySettings } from './idempotencyEnv';
import { MemoryIdempotencyStore } from './MemoryIdempotencyStore';
import { RedisIdempotencyStore } from './RedisIdempotencyStore';

/** The gateway's idempotency layer plus its start-up step. */
export interface GatewayIdempotency {
  readonly idempotency: Idempotency;
  /** Waits (at most `readyTimeoutMs`) for Redis; never throws: an outage at start is logged, keyed mutations get 503 until Redis is back. */
  start(readyTimeoutMs?: number): Promise<void>;
}

/**
 * Builds the idempotency layer: Redis (`REDIS_URL`, shared by replicas) or, without it, memory (one process, `npm start`).
 * @param settings - `config.idempotency`.
 * @param redisUrl - `REDIS_URL`, if set.
 * @param logger - gets the Redis connection state lines and store failures.
 * @param subjectOf - the verified subject of a request (README "Security": `request.principal`), joining the client name in a key's scope.
 * @param onOutcome - told each outcome (metrics: `roam_idempotency_requests_total`).
 * @throws Error when `redisUrl` is malformed (config validation catches that first).
 */
export function createIdempotency(
  settings: IdempotencySettings,
  redisUrl: string | undefined,
  logger: Logger,
  subjectOf?: IdempotencyOptions['subjectOf'],
  onOutcome?: IdempotencyOptions['onOutcome'],
): GatewayIdempotency {
  const options = {
    ttlMs: settings.ttlSeconds * 1000,
    leaseMs: settings.leaseMs,
    waitMs: settings.waitMs,
    logger: logger.child({ component: 'idempotency' }),
    ...(subjectOf ? { subjectOf } : {}),
    ...(onOutcome ? { onOutcome } : {}),
  };
  if (!redisUrl) return { idempotency: new Idempotency({ ...options, store: new MemoryIdempotencyStore() }), start: async () => undefined };
  const store = new RedisIdempotencyStore({ url: redisUrl, prefix: settings.redisPrefix, timeoutMs: settings.timeoutMs, logger });
  return {
    idempotency: new Idempotency({ ...options, store }),
    async start(readyTimeoutMs = 2000) {
      try {
        await store.waitUntilReady(readyTimeoutMs);
      } catch (error) {
        // The Redis layer has already logged the outage once for the endpoint (warn); this user's consequence is documented.
        logger.debug({ detail: (error as Error).message }, 'idempotency store: Redis not ready at start; keyed mutations get 503 until it is');
      }
    },
  };
}
