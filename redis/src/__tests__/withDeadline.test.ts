import { describeRedisFailure, RedisUnavailableError } from '../RedisUnavailableError';
import { withDeadline } from '../withDeadline';

describe('withDeadline', () => {
  it('returns what the call resolves to within the deadline', async () => {
    await expect(withDeadline(Promise.resolve(42), 50, 'get')).resolves.toBe(42);
  });

  it('rejects with RedisUnavailableError (timeout) when the call does not answer in time', async () => {
    const started = Date.now();
    const error = await withDeadline(new Promise(() => undefined), 50, 'lookup').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as RedisUnavailableError).reason).toBe('timeout');
    expect((error as RedisUnavailableError).message).toBe('Redis did not answer lookup within 50 ms');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('turns any other failure into a classified RedisUnavailableError carrying the cause', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 1 });
    const error = (await withDeadline(Promise.reject(refused), 50, 'push').catch((e: unknown) => e)) as RedisUnavailableError;
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect(error.reason).toBe('refused');
    expect(error.message).toBe('Redis push failed: connection refused at 127.0.0.1:1');
    expect(error.cause).toBe(refused);
    const reply = (await withDeadline(Promise.reject(new Error('WRONGTYPE Operation against a key\nsecond line')), 50).catch((e: unknown) => e)) as RedisUnavailableError;
    expect(reply.reason).toBe('failed');
    expect(reply.message).toBe('Redis call failed: WRONGTYPE Operation against a key');
  });

  it('rethrows errors accepted by passThrough unchanged', async () => {
    class Conflict extends Error {}
    const conflict = new Conflict('different text');
    await expect(withDeadline(Promise.reject(conflict), 50, 'push', (e) => e instanceof Conflict)).rejects.toBe(conflict);
  });

  it('leaves no unhandled rejection when the call fails after the deadline', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let fail!: (e: Error) => void;
      const late = new Promise<never>((_, reject) => (fail = reject));
      await expect(withDeadline(late, 20)).rejects.toBeInstanceOf(RedisUnavailableError);
      fail(new Error('too late'));
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('describeRedisFailure', () => {
  it('names the cause in one line, reading ioredis cluster errors through lastNodeError', () => {
    expect(describeRedisFailure(Object.assign(new Error('x'), { code: 'ENOTFOUND', hostname: 'cache.internal' }))).toEqual({ reason: 'unreachable', detail: 'host cache.internal not found' });
    expect(
      describeRedisFailure(Object.assign(new Error('Failed to refresh slots cache.'), { lastNodeError: Object.assign(new Error('r'), { code: 'ECONNREFUSED', address: '10.0.0.1', port: 7000 }) })),
    ).toEqual({ reason: 'refused', detail: 'connection refused at 10.0.0.1:7000' });
    expect(describeRedisFailure(new Error('Connection is closed.'))).toEqual({ reason: 'lost', detail: 'Connection is closed.' });
  });
});
