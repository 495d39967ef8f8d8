import pino from 'pino';
import { startRedis, waitFor, type TestRedis } from '@roam/testkit';
import { RedisPubSub } from '../../src/pubsub/RedisPubSub';
import { eventIterator } from '../../src/pubsub/eventIterator';

describe('RedisPubSub with a real redis-server', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('delivers a payload published by one instance to a subscriber of another, under the key prefix only', async () => {
    const logger = pino({ level: 'silent' });
    const a = new RedisPubSub(redis.url, redis.prefix, logger);
    const b = new RedisPubSub(redis.url, redis.prefix, logger);
    const foreign = new RedisPubSub(redis.url, `${redis.prefix}other:`, logger);
    const got: unknown[] = [];
    const unsubscribe = await b.subscribe('chan', (p) => got.push(p));
    await foreign.publish('chan', { from: 'foreign' });
    await a.publish('chan', { n: 1 });
    await waitFor(() => got.length === 1, 'one payload');
    expect(got).toEqual([{ n: 1 }]);
    await unsubscribe();
    await a.publish('chan', { n: 2 });
    await a.publish('chan', { n: 3 }); // after unsubscribe: not delivered
    const iterator = eventIterator<{ n: number }>(b, 'chan', (p) => p.n % 2 === 0);
    let result: IteratorResult<{ n: number }> | undefined;
    void iterator.next().then((r) => (result = r));
    // publish until the iterator's SUBSCRIBE is in place (another connection: no ordering guarantee)
    await waitFor(async () => {
      await a.publish('chan', { n: 5 }); // filtered out
      await a.publish('chan', { n: 6 });
      return result;
    }, 'the iterator to receive an even payload');
    expect(result).toEqual({ value: { n: 6 }, done: false });
    await iterator.return?.();
    expect(got).toEqual([{ n: 1 }]);
    await Promise.all([a.close(), b.close(), foreign.close()]);
  });
});
