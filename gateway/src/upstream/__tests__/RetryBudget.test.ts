import { RetryBudget } from '../RetryBudget';

describe('RetryBudget: retries add at most ratio × fetches plus a floor over a rolling window', () => {
  it('allows the floor, then 20% of the fetches sent, and forgets fetches older than the window', () => {
    let now = 1_000_000;
    const budget = new RetryBudget(0.2, 2, 10_000, () => now);
    // Floor: 2 retries with no traffic at all.
    expect([budget.tryRetry(), budget.tryRetry(), budget.tryRetry()]).toEqual([true, true, false]);
    for (let i = 0; i < 10; i++) budget.recordRequest();
    // 10 fetches → 2 more retries (2 + 0.2 × 10 = 4 in all).
    expect([budget.tryRetry(), budget.tryRetry(), budget.tryRetry()]).toEqual([true, true, false]);
    // A window later everything is forgotten: only the floor again.
    now += 10_001;
    expect([budget.tryRetry(), budget.tryRetry(), budget.tryRetry()]).toEqual([true, true, false]);
  });

  it('a ratio of 0 and a floor of 0 allow no retry at all', () => {
    const budget = new RetryBudget(0, 0, 10_000);
    for (let i = 0; i < 100; i++) budget.recordRequest();
    expect(budget.tryRetry()).toBe(false);
  });
});
