import { ConsecutiveBreaker, SamplingBreaker, type CircuitState, type IBreaker } from 'cockatiel';
import type { BreakerPolicy } from './SubgraphPolicy';

/**
 * A cockatiel breaker that opens when either of two does: `consecutiveFailures` failures in a row
 * (cockatiel's `ConsecutiveBreaker`), or more than `failureRatio` of the attempts in the last `windowMs`
 * with at least `minimumRequests` attempts there (cockatiel's `SamplingBreaker`).
 */
export class EitherBreaker implements IBreaker {
  private readonly consecutive: ConsecutiveBreaker | undefined;
  private readonly sampling: SamplingBreaker;

  /** @param policy - the subgraph's breaker policy. */
  constructor(policy: BreakerPolicy) {
    this.consecutive = policy.consecutiveFailures > 0 ? new ConsecutiveBreaker(policy.consecutiveFailures) : undefined;
    this.sampling = new SamplingBreaker({ threshold: policy.failureRatio, duration: policy.windowMs, minimumRps: policy.minimumRequests / (policy.windowMs / 1000) });
  }

  /** @inheritdoc */
  get state(): unknown {
    return { consecutive: this.consecutive?.state, sampling: this.sampling.state };
  }

  set state(value: unknown) {
    const v = value as { consecutive?: number; sampling?: unknown };
    if (this.consecutive && v.consecutive !== undefined) this.consecutive.state = v.consecutive;
    if (v.sampling !== undefined) this.sampling.state = v.sampling;
  }

  /** @inheritdoc */
  success(state: CircuitState): void {
    this.consecutive?.success();
    this.sampling.success(state);
  }

  /** @inheritdoc */
  failure(state: CircuitState): boolean {
    const byCount = this.consecutive?.failure() ?? false;
    const byRatio = this.sampling.failure(state);
    return byCount || byRatio;
  }
}
