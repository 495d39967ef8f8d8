import { startRedis, waitFor, type TestRedis } from '@roam/testkit';
import { createRedisConnections, type RedisConnections } from '../../src/createRedisConnections';
import { RedisChannels } from '../../src/RedisChannels';
import { RedisEventLog, type LoggedEvent } from '../../src/RedisEventLog';
import { redisKeyspace } from '../../src/redisKeyspace';
import { compareStreamPositions, formatEventId, parseEventId } from '../../src/streamEventId';

// The durable event log of issue 17 (Redis Streams through the shared layer) against a real redis-server.
describe('RedisEventLog against a real redis-server', () => {
  let redis: TestRedis;
  let connections: RedisConnections;
  let channels: RedisChannels;
  const logs: RedisEventLog[] = [];
  const logOf = (maxCount: number, maxAgeMs = 3_600_000, pollMs = 1000): RedisEventLog => {
    const log = new RedisEventLog(connections, redisKeyspace(redis.prefix).namespace('stream'), channels, { retention: { maxCount, maxAgeMs }, pollMs, pageSize: 20 });
    logs.push(log);
    return log;
  };

  beforeAll(async () => {
    redis = await startRedis();
    connections = createRedisConnections(redis.url, { commandTimeoutMs: 2000 });
    channels = new RedisChannels(connections, redisKeyspace(redis.prefix).namespace('events'));
    await connections.waitUntilReady(5000);
  });
  afterAll(async () => {
    for (const log of logs) log.close();
    channels?.close();
    await connections?.close();
    await redis?.stop();
  });

  it('a listener resuming after an id gets every later entry once, in order, across the replay → live handover while appends go on', async () => {
    const log = logOf(10_000);
    const positions: string[] = [];
    for (let n = 0; n < 50; n++) positions.push(await log.append('handover', { n }));
    // increasing ids
    expect(positions.every((p, i) => i === 0 || compareStreamPositions(p, positions[i - 1]!) > 0)).toBe(true);
    let appending = true;
    const more = (async () => {
      for (let n = 50; appending || n < 120; n++) positions.push(await log.append('handover', { n }));
    })();
    const got: number[] = [];
    // pages of 20: the replay takes several round trips while the writer keeps appending
    const stop = await log.listen('handover', (e: LoggedEvent) => void got.push((e.payload as { n: number }).n), positions[9]);
    appending = false;
    await more;
    await waitFor(() => got.length >= positions.length - 10, `all entries after the 10th (have ${got.length})`);
    await new Promise((r) => setTimeout(r, 100));
    stop();
    expect(got).toEqual(Array.from({ length: positions.length - 10 }, (_, i) => i + 10));
  });

  it('a live listener gets only entries appended after it started, through the notification (and the poll)', async () => {
    const log = logOf(100, 3_600_000, 200);
    await log.append('live', { n: 0 });
    const got: unknown[] = [];
    const stop = await log.listen('live', (e) => void got.push(e.payload));
    await log.append('live', { n: 1 });
    await log.append('live', { n: 2 });
    await waitFor(() => got.length === 2, 'two live entries');
    stop();
    await log.append('live', { n: 3 });
    await new Promise((r) => setTimeout(r, 400));
    expect(got).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('keeps at most maxCount entries, and says ok, gap or future for a resume position', async () => {
    const log = logOf(5);
    const positions: string[] = [];
    for (let n = 0; n < 12; n++) positions.push(await log.append('retained', { n }));
    expect(await connections.command.xlen(log.streamKey('retained'))).toBe(5);
    expect(log.streamKey('retained')).toBe(`${redis.prefix}stream:{retained}`);
    expect(await log.check('retained', positions[11]!)).toBe('ok'); // the newest
    expect(await log.check('retained', positions[7]!)).toBe('ok'); // the oldest retained
    expect(await log.check('retained', positions[6]!)).toBe('gap'); // trimmed
    expect(await log.check('retained', '0-0')).toBe('gap');
    const [ms] = positions[11]!.split('-');
    expect(await log.check('retained', `${Number(ms) + 60_000}-0`)).toBe('future');
    expect(await log.check('never-written', positions[0]!)).toBe('gap');
    expect((await log.read('retained', positions[7]!)).map((e) => e.payload)).toEqual([{ n: 8 }, { n: 9 }, { n: 10 }, { n: 11 }]);
  });

  it('trims by age: an entry older than maxAgeMs counts as gone at the next check, even with no append since', async () => {
    const log = logOf(1000, 1000);
    const first = await log.append('aged', { n: 0 });
    const second = await log.append('aged', { n: 1 });
    expect(await log.check('aged', first)).toBe('ok');
    await new Promise((r) => setTimeout(r, 1200));
    expect(await log.check('aged', first)).toBe('gap');
    expect(await log.check('aged', second)).toBe('ok'); // the newest id: nothing after it was lost
  });
});

describe('event ids', () => {
  it('format as <stream>@<ms>-<seq> and parse back; anything else is undefined', () => {
    const id = formatEventId('reviews:REVIEW_ADDED', '1764590000000-3');
    expect(id).toBe('reviews:REVIEW_ADDED@1764590000000-3');
    expect(parseEventId(id)).toEqual({ stream: 'reviews:REVIEW_ADDED', position: '1764590000000-3' });
    for (const bad of ['', 'x', '@1-0', 'a@1', 'a@1-', 'a@-1', 'a@1-0x', 42, null, {}, `a@1-0${' '.repeat(300)}`, `${'a'.repeat(300)}@1-0`]) expect(parseEventId(bad)).toBeUndefined();
  });

  it('positions compare numerically by time, then sequence', () => {
    expect(compareStreamPositions('9-0', '10-0')).toBeLessThan(0);
    expect(compareStreamPositions('10-2', '10-10')).toBeLessThan(0);
    expect(compareStreamPositions('10-2', '10-2')).toBe(0);
    expect(compareStreamPositions('18446744073709551615-0', '1-0')).toBeGreaterThan(0);
  });
});
