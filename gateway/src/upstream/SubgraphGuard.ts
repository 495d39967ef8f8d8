import { circuitBreaker, CircuitState, handleAll, type CircuitBreakerPolicy } from 'cockatiel';
import type { Logger } from 'pino';
import { Agent } from 'undici';
import { EitherBreaker } from './EitherBreaker';
import { FailureLog } from './FailureLog';
import { RetryBudget } from './RetryBudget';
import type { SubgraphPolicy } from './SubgraphPolicy';

/** Merged operations in a row a subgraph may refuse (answered alone) before merging to it is suspended. */
export const MERGE_REFUSALS_TO_SUSPEND = 3;
/** How long merging to a subgraph stays off after {@link MERGE_REFUSALS_TO_SUSPEND} refusals in a row, in ms. */
export const MERGE_SUSPEND_MS = 60_000;

/** A subgraph's circuit breaker state, as `/ready` shows it. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * The resilience state of one subgraph, shared by its clients across supergraph reloads: its policy, a
 * keep-alive undici pool with the policy's connect timeout, its circuit breaker (cockatiel's
 * `CircuitBreakerPolicy` over an {@link EitherBreaker}), its retry budget, its in-flight count and its
 * rate-limited failure log. Breaker transitions are logged once each (`warn` on open, `info` on half-open and close).
 */
export class SubgraphGuard {
  readonly agent: Agent;
  readonly breaker: CircuitBreakerPolicy;
  readonly budget: RetryBudget;
  readonly failures: FailureLog;
  /** Fetches in flight now. */
  inflight = 0;
  /** Retries sent so far (tests, metrics). */
  retries = 0;
  /** Fetches that went out as parts of merged operations so far (tests, metrics; README "Fetch merging"). */
  mergedFetches = 0;
  /** Merged operations sent so far (each carried several fetches). */
  mergedRequests = 0;
  /** Times merging was suspended for this subgraph so far (tests, metrics). */
  mergeSuspensions = 0;
  /** Merged operations in a row the subgraph refused while it answered their fetches alone. */
  private mergeRefusals = 0;
  /** `Date.now()` until which fetches to this subgraph are not merged (0: merging on). */
  private mergeOffUntil = 0;
  private readonly logger: Logger;
  private readonly listeners: { dispose(): void }[];
  private openedAt = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private prober: (() => Promise<unknown>) | undefined;
  /** Which client (subgraph URL) {@link SubgraphGuard.prober} probes. */
  private proberKey: string | undefined;
  private closed = false;

  /**
   * @param name - subgraph name.
   * @param policy - its resolved policy.
   * @param logger - the upstream layer's logger.
   */
  constructor(
    readonly name: string,
    readonly policy: SubgraphPolicy,
    logger: Logger,
  ) {
    this.agent = new Agent({ keepAliveTimeout: 30_000, connections: 128, pipelining: 1, connectTimeout: policy.connectTimeoutMs, headersTimeout: policy.timeoutMs, bodyTimeout: policy.timeoutMs });
    this.breaker = circuitBreaker(handleAll, { halfOpenAfter: policy.breaker.halfOpenAfterMs, breaker: new EitherBreaker(policy.breaker) });
    this.budget = new RetryBudget(policy.retry.budgetRatio, policy.retry.budgetMinRetries, policy.retry.budgetWindowMs);
    this.failures = new FailureLog(logger);
    this.logger = logger;
    this.listeners = [
      this.breaker.onBreak(() => {
        this.openedAt = Date.now();
        this.scheduleProbe();
      }),
      this.breaker.onBreak(() => logger.warn({ subgraph: name, breaker: 'open', halfOpenAfterMs: policy.breaker.halfOpenAfterMs }, `subgraph '${name}': circuit opened, fetches fail at once`)),
      this.breaker.onHalfOpen(() => logger.info({ subgraph: name, breaker: 'half-open' }, `subgraph '${name}': circuit half-open, probing`)),
      this.breaker.onReset(() => logger.info({ subgraph: name, breaker: 'closed' }, `subgraph '${name}': circuit closed`)),
    ];
  }

  /**
   * Whether query fetches to this subgraph may be merged now (README "Fetch merging"): the policy allows more than
   * one fetch per operation and merging is not suspended after refusals (see {@link SubgraphGuard.recordMerge}).
   */
  mergesAllowed(): boolean {
    return this.policy.maxMergedFetches > 1 && (this.mergeOffUntil === 0 || Date.now() >= this.mergeOffUntil);
  }

  /**
   * Records how a merged operation fared. `'answered'`: it came back with data (the refusal count starts over).
   * `'refused'`: it came back without data while at least one of its fetches, sent again alone, was answered with
   * data — the subgraph refuses merged operations (an alias, cost or operation-safelist limit of its own), so each
   * merge costs a second round of requests. After {@link MERGE_REFUSALS_TO_SUSPEND} refusals in a row, merging to
   * this subgraph stops for {@link MERGE_SUSPEND_MS} (logged as a warning); the next refusal after that suspends it
   * again at once.
   *
   * @param outcome - `'answered'` or `'refused'`.
   */
  recordMerge(outcome: 'answered' | 'refused'): void {
    if (outcome === 'answered') {
      this.mergeRefusals = 0;
      return;
    }
    if (++this.mergeRefusals < MERGE_REFUSALS_TO_SUSPEND) return;
    this.mergeOffUntil = Date.now() + MERGE_SUSPEND_MS;
    this.mergeSuspensions++;
    this.logger.warn(
      { subgraph: this.name, mergeRefusals: this.mergeRefusals, suspendedForMs: MERGE_SUSPEND_MS },
      `subgraph '${this.name}': refused ${this.mergeRefusals} merged operations in a row whose fetches it answered alone; fetch merging to it is off for ${MERGE_SUSPEND_MS / 1000} s (set its maxMergedFetches lower, or to 1 to turn merging off)`,
    );
  }

  /** The breaker's state now. */
  get state(): BreakerState {
    switch (this.breaker.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.HalfOpen:
        return 'half-open';
      default:
        return 'open';
    }
  }

  /**
   * Whether fetches and new subscription streams to this subgraph are refused now: the circuit is not closed.
   * Half-open probes are sent by the guard itself in the background (see {@link SubgraphGuard.setProber}), so no
   * client request ever waits on a probe to a subgraph that may still hang.
   */
  refuses(): boolean {
    return this.state !== 'closed';
  }

  /**
   * Sets how to probe the subgraph while its circuit is open: a cheap request (the subgraph client sends
   * `{ __typename }` through its normal attempt path, so signing and headers apply) that resolves when the
   * subgraph answered a GraphQL response and rejects otherwise. `halfOpenAfterMs` after the circuit opens, the guard
   * runs the probe through the breaker (half-open): success closes the circuit, failure opens it again and schedules
   * the next probe. Without a prober (a subgraph never fetched over HTTP) nothing is probed in the background and the
   * circuit stays open until the prober is set.
   *
   * @param probe - the probe; the latest one set wins (the subgraph's URL may change on a supergraph reload).
   * @param key - which client it belongs to (its URL); setting the same key again changes nothing.
   */
  setProber(probe: () => Promise<unknown>, key: string): void {
    if (key === this.proberKey) return;
    this.prober = probe;
    this.proberKey = key;
    if (this.state === 'open' && !this.probeTimer) this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.closed) return;
    clearTimeout(this.probeTimer);
    // At least 5 ms: cockatiel compares its own clock, a timer firing on the very millisecond may find it still open.
    const waitMs = Math.max(5, this.openedAt + this.policy.breaker.halfOpenAfterMs - Date.now());
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      const probe = this.prober;
      if (this.closed || !probe) return;
      // cockatiel moves to half-open on this execute (halfOpenAfter has passed) and lets exactly this call through.
      // A failed probe opens the circuit again (onBreak schedules the next); one refused as too early is rescheduled here.
      void this.breaker
        .execute(() => probe())
        .catch(() => {
          if (this.state === 'open') this.scheduleProbe();
        });
    }, waitMs);
    this.probeTimer.unref();
  }

  /**
   * Counts the outcome of something that did not go through {@link SubgraphGuard.breaker}'s `execute`
   * (a subscription WebSocket opening or failing) in the breaker, as an attempt would. While the circuit is open
   * nothing is counted; in half-open a success closes it and a failure opens it again.
   *
   * @param ok - whether it succeeded.
   */
  record(ok: boolean): void {
    void this.breaker.execute(() => (ok ? undefined : Promise.reject(new Error('subscription upstream failed')))).catch(() => undefined);
  }

  /** Closes the HTTP pool and drops the breaker listeners. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.probeTimer);
    for (const l of this.listeners) l.dispose();
    await this.agent.close();
  }
}
