/**
 * A retry budget (Finagle's `RetryBudget`, Envoy's `retry_budget`): over a rolling window, retries may add at
 * most `ratio` × the fetches sent, plus `minRetries`, so retries cannot multiply an outage. The window is kept
 * as 10 buckets of `windowMs / 10`.
 */
export class RetryBudget {
  private readonly bucketMs: number;
  private readonly requests = new Array<number>(10).fill(0);
  private readonly retries = new Array<number>(10).fill(0);
  private bucket = 0;
  private bucketStartedAt = 0;

  /**
   * @param ratio - retries allowed per fetch sent (0.2 = 20% extra).
   * @param minRetries - retries always allowed per window.
   * @param windowMs - window length, in ms.
   * @param now - clock in ms (tests).
   */
  constructor(
    private readonly ratio: number,
    private readonly minRetries: number,
    windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.bucketMs = Math.max(1, Math.floor(windowMs / 10));
  }

  /** Counts one fetch (a first attempt). */
  recordRequest(): void {
    this.advance();
    this.requests[this.bucket]!++;
  }

  /** @returns whether one more retry fits in the budget; when it does, it is counted. */
  tryRetry(): boolean {
    this.advance();
    const requests = sum(this.requests);
    const retries = sum(this.retries);
    if (retries >= this.minRetries + Math.floor(this.ratio * requests)) return false;
    this.retries[this.bucket]!++;
    return true;
  }

  private advance(): void {
    const now = this.now();
    let steps = Math.floor((now - this.bucketStartedAt) / this.bucketMs);
    if (steps <= 0) return;
    this.bucketStartedAt += steps * this.bucketMs;
    if (steps > 10) steps = 10;
    for (let i = 0; i < steps; i++) {
      this.bucket = (this.bucket + 1) % 10;
      this.requests[this.bucket] = 0;
      this.retries[this.bucket] = 0;
    }
  }
}

function sum(values: number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
