import { z } from 'zod';

/** Retries of one subgraph's query fetches (README "Resilience"). */
export interface RetryPolicy {
  /** Most retries of one fetch after its first attempt; 0 turns retries off. @default 2 */
  readonly maxRetries: number;
  /** Backoff cap of the first retry, in ms; the n-th retry waits a random time in [0, min(maxDelayMs, baseDelayMs·2ⁿ⁻¹)] ("full jitter"). @default 25 */
  readonly baseDelayMs: number;
  /** Largest backoff of one retry, in ms. @default 250 */
  readonly maxDelayMs: number;
  /** Retries allowed as a share of the fetches sent in the budget window (0.2 = at most 20% extra requests). @default 0.2 */
  readonly budgetRatio: number;
  /** Retries always allowed per budget window on top of the ratio (so a quiet subgraph can still be retried). @default 10 */
  readonly budgetMinRetries: number;
  /** Length of the rolling window of the retry budget, in ms. @default 10000 */
  readonly budgetWindowMs: number;
}

/** When a subgraph's circuit breaker opens and how it probes (README "Resilience"). */
export interface BreakerPolicy {
  /** Opens after this many failed attempts in a row; 0 turns this trigger off. @default 5 */
  readonly consecutiveFailures: number;
  /** Opens when more than this share (0 < r < 1) of the attempts in the rolling window failed… @default 0.5 */
  readonly failureRatio: number;
  /** …and the window saw at least this many attempts. @default 20 */
  readonly minimumRequests: number;
  /** Length of the rolling window of the failure ratio, in ms. @default 10000 */
  readonly windowMs: number;
  /** How long the circuit stays open before one probe fetch is let through (half-open), in ms. @default 5000 */
  readonly halfOpenAfterMs: number;
}

/**
 * How the gateway re-opens a subscription WebSocket to a subgraph that failed at the transport level (refused,
 * dropped, pong or `connection_ack` timeout) while subscriptions ran on it (README "Resilience"). Each attempt
 * waits a random time in [0, min(maxDelayMs, baseDelayMs·2ⁿ⁻¹)] (full jitter), is admitted by the subgraph's
 * breaker (while it is open no attempt is made: the pool waits for it to close) and reported to it.
 */
export interface ReconnectPolicy {
  /** Most WebSocket attempts after a failure before the subscriptions end with `SUBSCRIPTION_UPSTREAM_ERROR`; 0 = never reconnect. @default 10 */
  readonly maxAttempts: number;
  /** Backoff cap of the first attempt, in ms. @default 100 */
  readonly baseDelayMs: number;
  /** Largest backoff of one attempt, in ms. @default 5000 */
  readonly maxDelayMs: number;
  /** Longest time from the failure to a re-opened WebSocket (backoff and waits for an open breaker included), in ms. @default 60000 */
  readonly maxElapsedMs: number;
}

/** How the gateway treats one subgraph: deadlines, concurrency, retries, breaker. */
export interface SubgraphPolicy {
  /** Deadline of opening a TCP (and TLS) connection, in ms. @default min(3000, SUBGRAPH_TIMEOUT_MS) */
  readonly connectTimeoutMs: number;
  /** Deadline of one fetch, retries and backoff included, in ms: connect, headers, body. @default SUBGRAPH_TIMEOUT_MS (10000) */
  readonly timeoutMs: number;
  /** Most fetches in flight to this subgraph; past it a fetch fails at once with `SUBREQUEST_HTTP_ERROR` ("too many concurrent requests"). @default 1000 */
  readonly maxConcurrentRequests: number;
  readonly retry: RetryPolicy;
  readonly breaker: BreakerPolicy;
  /** Re-opening subscription WebSockets (see {@link ReconnectPolicy}). */
  readonly reconnect: ReconnectPolicy;
  /**
   * Most query fetches to this subgraph sent as one merged operation when they become ready in the same
   * event-loop turn (`mergeOperations.ts`; README "Fetch merging"); 1 turns merging off.
   * @default 16 (1 with `MERGE_SUBGRAPH_FETCHES=false`)
   */
  readonly maxMergedFetches: number;
}

/** Every subgraph policy in effect: the defaults and partial overrides by subgraph name. */
export interface SubgraphPolicies {
  readonly defaults: SubgraphPolicy;
  readonly bySubgraph: Readonly<Record<string, SubgraphPolicyOverride>>;
}

/** A partial {@link SubgraphPolicy} (nested objects partial too), as written in `SUBGRAPH_POLICIES`. */
export type SubgraphPolicyOverride = z.infer<typeof SUBGRAPH_POLICY_OVERRIDE_SCHEMA>;

const ms = (max: number) => z.number().int().min(0).max(max);

/** zod schema of one entry of `SUBGRAPH_POLICIES` (unknown keys are errors, so typos are reported). */
export const SUBGRAPH_POLICY_OVERRIDE_SCHEMA = z.strictObject({
  connectTimeoutMs: ms(300_000).min(1).optional(),
  timeoutMs: ms(300_000).min(1).optional(),
  maxConcurrentRequests: z.number().int().min(1).max(1_000_000).optional(),
  maxMergedFetches: z.number().int().min(1).max(256).optional(),
  retry: z
    .strictObject({
      maxRetries: z.number().int().min(0).max(10).optional(),
      baseDelayMs: ms(60_000).optional(),
      maxDelayMs: ms(60_000).optional(),
      budgetRatio: z.number().min(0).max(1).optional(),
      budgetMinRetries: z.number().int().min(0).max(1_000_000).optional(),
      budgetWindowMs: ms(3_600_000).min(100).optional(),
    })
    .optional(),
  breaker: z
    .strictObject({
      consecutiveFailures: z.number().int().min(0).max(1_000_000).optional(),
      failureRatio: z.number().gt(0).lt(1).optional(),
      minimumRequests: z.number().int().min(1).max(1_000_000).optional(),
      windowMs: ms(3_600_000).min(1000).optional(),
      halfOpenAfterMs: ms(3_600_000).min(1).optional(),
    })
    .optional(),
  reconnect: z
    .strictObject({
      maxAttempts: z.number().int().min(0).max(1000).optional(),
      baseDelayMs: ms(60_000).optional(),
      maxDelayMs: ms(300_000).optional(),
      maxElapsedMs: ms(86_400_000).optional(),
    })
    .optional(),
});

/**
 * zod schema of `SUBGRAPH_POLICIES`: a JSON object from subgraph name to a partial policy; the key `"*"`
 * changes the defaults of every subgraph. Example: `{"*":{"retry":{"maxRetries":1}},"inventory":{"timeoutMs":800}}`.
 */
export const SUBGRAPH_POLICIES_SCHEMA = z.record(z.string().min(1), SUBGRAPH_POLICY_OVERRIDE_SCHEMA);

/**
 * @param timeoutMs - `SUBGRAPH_TIMEOUT_MS`, the default total deadline.
 * @param mergeFetches - `MERGE_SUBGRAPH_FETCHES`: whether same-turn query fetches to one subgraph are merged by default. @default true
 * @returns the built-in policy (each field's `@default` in {@link SubgraphPolicy}).
 */
export function defaultSubgraphPolicy(timeoutMs: number, mergeFetches = true): SubgraphPolicy {
  return {
    connectTimeoutMs: Math.min(3000, timeoutMs),
    timeoutMs,
    maxConcurrentRequests: 1000,
    maxMergedFetches: mergeFetches ? 16 : 1,
    retry: { maxRetries: 2, baseDelayMs: 25, maxDelayMs: 250, budgetRatio: 0.2, budgetMinRetries: 10, budgetWindowMs: 10_000 },
    breaker: { consecutiveFailures: 5, failureRatio: 0.5, minimumRequests: 20, windowMs: 10_000, halfOpenAfterMs: 5000 },
    reconnect: { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 5000, maxElapsedMs: 60_000 },
  };
}

/** @returns `base` with `override`'s fields (nested objects merged field by field). */
export function mergeSubgraphPolicy(base: SubgraphPolicy, override: SubgraphPolicyOverride | undefined): SubgraphPolicy {
  if (!override) return base;
  return {
    connectTimeoutMs: override.connectTimeoutMs ?? base.connectTimeoutMs,
    timeoutMs: override.timeoutMs ?? base.timeoutMs,
    maxConcurrentRequests: override.maxConcurrentRequests ?? base.maxConcurrentRequests,
    maxMergedFetches: override.maxMergedFetches ?? base.maxMergedFetches,
    retry: { ...base.retry, ...stripUndefined(override.retry) },
    breaker: { ...base.breaker, ...stripUndefined(override.breaker) },
    reconnect: { ...base.reconnect, ...stripUndefined(override.reconnect) },
  };
}

/**
 * @param policies - the configured policies.
 * @param name - a subgraph name.
 * @returns the policy of that subgraph: defaults, then the `"*"` entry, then the subgraph's own entry.
 */
export function policyFor(policies: SubgraphPolicies, name: string): SubgraphPolicy {
  return mergeSubgraphPolicy(mergeSubgraphPolicy(policies.defaults, policies.bySubgraph['*']), policies.bySubgraph[name]);
}

function stripUndefined<T extends object>(value: T | undefined): Partial<T> {
  return value ? (Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>) : {};
}
