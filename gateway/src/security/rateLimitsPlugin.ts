import { roamError, type RoamError } from '@roam/errors';
import { createRedisConnections, redisKeyspace, type RedisConnections } from '@roam/redis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { OperationContext, PipelinePlugin } from '../pipeline/types';

/** Rate limits (README "Security"): budgets per window; 0 turns a budget off. */
export interface RateLimitSettings {
  /** Window length, in seconds. `RATE_LIMIT_WINDOW_SECONDS`; @default 60 */
  readonly windowSeconds: number;
  /** Operations (HTTP requests, batch entries, WebSocket subscribes) per verified user (`sub`) per window. `RATE_LIMIT_USER_REQUESTS`; @default 0 (off) */
  readonly userRequests: number;
  /** Operations per client name (anonymous callers without a name share `anonymous`) per window. `RATE_LIMIT_CLIENT_REQUESTS`; @default 0 (off) */
  readonly clientRequests: number;
  /** Estimated cost points per verified user per window (needs `LIMITS_MODE` other than `off`). `RATE_LIMIT_USER_COST`; @default 0 (off) */
  readonly userCost: number;
  /** Estimated cost points per client name per window. `RATE_LIMIT_CLIENT_COST`; @default 0 (off) */
  readonly clientCost: number;
  /** Operations per client IP address per window, for callers without a verified user only. `RATE_LIMIT_IP_REQUESTS`; @default 0 (off) */
  readonly ipRequests?: number;
  /** Redis shared by every replica (`REDIS_URL`); undefined: counters in this process's memory. */
  readonly redisUrl: string | undefined;
  /** Prefix of the counters' keys (`<prefix>rate:…`). `RATE_LIMIT_KEY_PREFIX`; @default "roam:" */
  readonly keyPrefix: string;
  /** Deadline of one Redis call, in ms; past it (or with Redis down) this replica counts in memory. `RATE_LIMIT_REDIS_TIMEOUT_MS`; @default 100 */
  readonly redisTimeoutMs: number;
}

/** The five budgets, named as in `extensions.limit`. */
type Budget = 'user-requests' | 'ip-requests' | 'client-requests' | 'user-cost' | 'client-cost';

/** A running rate limiter: its two pipeline plugins, the cost feed and the Redis connection to close. */
export interface RateLimits {
  /** Spends request points in `resolveDocument`: install it before the persisted-query stage. */
  readonly requests: PipelinePlugin;
  /** Spends cost points in `checkOperation`: install it after the operation limits. */
  readonly cost: PipelinePlugin;
  /** Tells the limiter an operation's estimated cost (fed by the limits plugin's observer). */
  costMeasured(ctx: OperationContext, cost: number): void;
  /** Tells the limiter an executed operation's actual cost: what it returned beyond the estimate is charged too. */
  actualCostMeasured(ctx: OperationContext, actual: number): void;
  /** Whether a cost budget is on (the actual cost is then measured). */
  readonly chargesCost: boolean;
  /** Whether any budget is on. */
  readonly enabled: boolean;
  close(): Promise<void>;
}

/**
 * Rate limits per user and per client (issue 18 item 7) with `rate-limiter-flexible`: fixed windows of
 * `windowSeconds`, counted in Redis (`RateLimiterRedis`, keys `<prefix>rate:<budget>:<id>`) when `REDIS_URL` is
 * set so every replica shares them, in memory otherwise (`npm start`).
 *
 * - Each operation (an HTTP request, each batch entry, each WebSocket `subscribe`) spends one request point
 *   of its user (the verified `sub`; anonymous callers have no user budget) and of its client (the trusted
 *   client name, `anonymous` when none), in `resolveDocument`, before anything is looked up or parsed. A caller
 *   without a verified user spends one point of its IP address instead (`ip-requests`; `RequestInfo.clientAddress`).
 * - After the operation limits measured its estimated cost, that many cost points are spent (`checkOperation`);
 *   once it ran, what its response actually cost beyond the estimate (a list longer than its `@listSize`
 *   assumption, at its real length) is spent too, counting against the next operations.
 * - Over a budget: 429 `REQUEST_RATE_LIMITED`, `Retry-After` (seconds until the window frees a point), and
 *   `extensions.limit` naming the budget.
 * - Redis unreachable or slower than `redisTimeoutMs`: each replica keeps counting in its own memory with the
 *   same budgets (rate-limiter-flexible's insurance limiter), so limits stay on (per replica) and no request
 *   fails because of Redis; shared counting resumes when Redis is back.
 */
export function createRateLimits(settings: RateLimitSettings, logger: Logger): RateLimits {
  const budgets: Record<Budget, number> = {
    'user-requests': settings.userRequests,
    'ip-requests': settings.ipRequests ?? 0,
    'client-requests': settings.clientRequests,
    'user-cost': settings.userCost,
    'client-cost': settings.clientCost,
  };
  const enabled = Object.values(budgets).some((points) => points > 0);
  let redis: RedisConnections | undefined;
  const limiters = new Map<Budget, RateLimiterAbstract>();
  if (enabled) {
    if (settings.redisUrl) redis = createRedisConnections(settings.redisUrl, { commandTimeoutMs: settings.redisTimeoutMs, name: 'rate limits', logger });
    const keyspace = redisKeyspace(settings.keyPrefix).namespace('rate');
    for (const [budget, points] of Object.entries(budgets) as [Budget, number][]) {
      if (points <= 0) continue;
      const memory = new RateLimiterMemory({ points, duration: settings.windowSeconds, keyPrefix: budget });
      limiters.set(
        budget,
        redis
          ? new RateLimiterRedis({
              storeClient: redis.command,
              points,
              duration: settings.windowSeconds,
              keyPrefix: keyspace.key(budget),
              rejectIfRedisNotReady: true,
              insuranceLimiter: memory,
            })
          : memory,
      );
    }
  }

  const spend = async (budget: Budget, id: string | undefined, points: number): Promise<RoamError | undefined> => {
    const limiter = limiters.get(budget);
    if (!limiter || id === undefined || points <= 0) return undefined;
    try {
      await limiter.consume(id, points);
      return undefined;
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) {
        // neither Redis nor the insurance limiter answered: let the request through, loudly
        logger.warn({ err: (error as Error).message, budget }, 'rate limiter failed; request allowed');
        return undefined;
      }
      const retryAfter = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      return roamError(
        'REQUEST_RATE_LIMITED',
        `Too many ${budget.endsWith('cost') ? 'cost points' : 'requests'}: retry in ${retryAfter} s.`,
        { limit: budget, retryAfterSeconds: retryAfter },
        { headers: { 'retry-after': String(retryAfter) } },
      );
    }
  };
  const userOf = (ctx: OperationContext): string | undefined => (ctx.request.principal ? `${ctx.request.principal.issuer ?? ''}|${ctx.request.principal.subject}` : undefined);
  const clientOf = (ctx: OperationContext): string => ctx.request.clientName ?? 'anonymous';
  /** Anonymous callers (no verified user) are counted by IP address; a verified user never is. */
  const addressOf = (ctx: OperationContext): string | undefined => (ctx.request.principal ? undefined : ctx.request.clientAddress);
  const costs = new WeakMap<OperationContext, number>();

  return {
    requests: {
      name: 'rate-limits-requests',
      async resolveDocument(ctx) {
        return (await spend('user-requests', userOf(ctx), 1)) ?? (await spend('ip-requests', addressOf(ctx), 1)) ?? (await spend('client-requests', clientOf(ctx), 1));
      },
    },
    cost: {
      name: 'rate-limits-cost',
      async checkOperation(ctx) {
        const cost = Math.ceil(costs.get(ctx) ?? 0);
        return (await spend('user-cost', userOf(ctx), cost)) ?? (await spend('client-cost', clientOf(ctx), cost));
      },
    },
    enabled,
    costMeasured: (ctx, cost) => costs.set(ctx, cost),
    chargesCost: limiters.has('user-cost') || limiters.has('client-cost'),
    actualCostMeasured: (ctx, actual) => {
      // a list longer than its @listSize assumption is charged at its real length (issue 18 item 8)
      const extra = Math.ceil(actual - (costs.get(ctx) ?? 0));
      if (extra <= 0) return;
      void spend('user-cost', userOf(ctx), extra).then(() => spend('client-cost', clientOf(ctx), extra));
    },
    close: async () => redis?.close(),
  };
}
