/**
 * Shares one in-flight promise among identical concurrent calls: while a call for `key` is pending,
 * later calls for the same key get the same promise; once it settles the key is forgotten, so nothing is
 * cached beyond the call's lifetime. The same technique as Apollo Router's subgraph query deduplication
 * and Hive Gateway's in-flight request deduplication. Callers must treat the shared value as read-only.
 */
export class InflightCoalescer<T> {
  private readonly pending = new Map<string, Promise<T>>();
  /** Calls that joined one already in flight (for tests and metrics). */
  joined = 0;

  /**
   * @param key - identifies identical calls (include everything that can change the answer).
   * @param run - starts the call when none is in flight for `key`; a rejection reaches every joined caller.
   */
  run(key: string, run: () => Promise<T>): Promise<T> {
    const existing = this.pending.get(key);
    if (existing) {
      this.joined++;
      return existing;
    }
    const promise = run().finally(() => this.pending.delete(key));
    this.pending.set(key, promise);
    return promise;
  }

  /** Number of distinct calls in flight. */
  get size(): number {
    return this.pending.size;
  }
}
