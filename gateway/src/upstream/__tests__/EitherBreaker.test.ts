import { circuitBreaker, CircuitState, handleAll } from 'cockatiel';
import { EitherBreaker } from '../EitherBreaker';

const ok = () => Promise.resolve('ok');
const fail = () => Promise.reject(new Error('down'));

/** Runs `calls` through a real cockatiel breaker; failures are swallowed. @returns the state after each call. */
async function states(breaker: ReturnType<typeof circuitBreaker>, calls: (() => Promise<string>)[]): Promise<CircuitState[]> {
  const out: CircuitState[] = [];
  for (const call of calls) {
    await breaker.execute(call).catch(() => undefined);
    out.push(breaker.state);
  }
  return out;
}

describe('EitherBreaker: opens on consecutive failures or on a failure ratio', () => {
  it('consecutive: opens at the n-th failure in a row; a success in between resets the count', async () => {
    const breaker = circuitBreaker(handleAll, {
      halfOpenAfter: 60_000,
      breaker: new EitherBreaker({ consecutiveFailures: 3, failureRatio: 0.99, minimumRequests: 1000, windowMs: 10_000, halfOpenAfterMs: 60_000 }),
    });
    const { Closed, Open } = CircuitState;
    expect(await states(breaker, [fail, fail, ok, fail, fail])).toEqual([Closed, Closed, Closed, Closed, Closed]);
    expect(await states(breaker, [fail])).toEqual([Open]);
  });

  it('ratio: with consecutive off, opens once more than failureRatio of at least minimumRequests attempts failed', async () => {
    const breaker = circuitBreaker(handleAll, {
      halfOpenAfter: 60_000,
      breaker: new EitherBreaker({ consecutiveFailures: 0, failureRatio: 0.5, minimumRequests: 6, windowMs: 10_000, halfOpenAfterMs: 60_000 }),
    });
    const { Closed, Open } = CircuitState;
    // 5 attempts are below minimumRequests however many failed; the 6th attempt (4 of 6 failed) opens it.
    expect(await states(breaker, [fail, ok, fail, ok, fail])).toEqual([Closed, Closed, Closed, Closed, Closed]);
    expect(await states(breaker, [fail])).toEqual([Open]);
  });

  it('half-open: after halfOpenAfter one probe goes through; its success closes the circuit', async () => {
    const breaker = circuitBreaker(handleAll, {
      halfOpenAfter: 50,
      breaker: new EitherBreaker({ consecutiveFailures: 1, failureRatio: 0.5, minimumRequests: 100, windowMs: 10_000, halfOpenAfterMs: 50 }),
    });
    await breaker.execute(fail).catch(() => undefined);
    expect(breaker.state).toBe(CircuitState.Open);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await breaker.execute(ok)).toBe('ok');
    expect(breaker.state).toBe(CircuitState.Closed);
  });
});
