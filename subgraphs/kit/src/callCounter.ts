/**
 * Counts calls to a data source, per method name. Repositories bump it on every call so tests can
 * prove that DataLoader batching turns N lookups into one call.
 */
export class CallCounter {
  private readonly counts = new Map<string, number>();

  /** Records one call of `method`. */
  record(method: string): void {
    this.counts.set(method, (this.counts.get(method) ?? 0) + 1);
  }

  /** @returns the calls of `method` since the last {@link CallCounter.reset}, or of all methods when omitted. */
  get(method?: string): number {
    if (method !== undefined) return this.counts.get(method) ?? 0;
    let total = 0;
    for (const n of this.counts.values()) total += n;
    return total;
  }

  /** @returns a plain copy of every method's count. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  /** Sets every count back to zero. */
  reset(): void {
    this.counts.clear();
  }
}
