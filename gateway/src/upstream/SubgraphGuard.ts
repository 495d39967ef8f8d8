import { circuitBreaker, CircuitState, handleAll, type CircuitBreakerPolicy } from 'cockatiel';
import type { Logger } from 'pino';
import { Agent } from 'undici';
import { EitherBreaker } from './EitherBreaker';
import { FailureLog } from './FailureLog';
import { RetryBudget } from './RetryBudget';
import type { SubgraphPolicy } from './SubgraphPolicy';

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
  private readonly listeners: { dispose(): void }[];
  private openedAt = 0;

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
    this.listeners = [
      this.breaker.onBreak(() => (this.openedAt = Date.now())),
      this.breaker.onBreak(() => logger.warn({ subgraph: name, breaker: 'open', halfOpenAfterMs: policy.breaker.halfOpenAfterMs }, `subgraph '${name}': circuit opened, fetches fail at once`)),
      this.breaker.onHalfOpen(() => logger.info({ subgraph: name, breaker: 'half-open' }, `subgraph '${name}': circuit half-open, probing`)),
      this.breaker.onReset(() => logger.info({ subgraph: name, breaker: 'closed' }, `subgraph '${name}': circuit closed`)),
    ];
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
   * Whether a new subscription stream to this subgraph is refused now: the circuit is open and
   * `halfOpenAfterMs` has not passed since it opened (after that a stream may open and act as the probe, so
   * a subgraph that only serves subscriptions does not stay refused until an HTTP fetch probes it).
   */
  refusesStreams(): boolean {
    return this.state === 'open' && Date.now() - this.openedAt < this.policy.breaker.halfOpenAfterMs;
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
    for (const l of this.listeners) l.dispose();
    await this.agent.close();
  }
}
