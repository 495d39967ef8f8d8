import { freePort, startRedis, waitFor, type TestRedis } from '@roam/testkit';
import { createRedisConnections } from '../../src/createRedisConnections';
import { RedisChannels } from '../../src/RedisChannels';
import { redisKeyspace } from '../../src/redisKeyspace';
import type { RedisLogger } from '../../src/RedisLogger';
import { RedisUnavailableError } from '../../src/RedisUnavailableError';

/** A RedisLogger that keeps every line it gets. */
function collectingLogger(): RedisLogger & { lines: { level: string; fields: Record<string, unknown>; message: string }[] } {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

describe('createRedisConnections against a real redis-server', () => {
  it('logs one line per state change while the server is stopped and restarted, and calls fail at once meanwhile', async () => {
    let redis: TestRedis = await startRedis(await freePort());
    const logger = collectingLogger();
    const connections = createRedisConnections(redis.url, { commandTimeoutMs: 200, logger, name: 'test' });
    try {
      await connections.waitUntilReady(5000);
      expect(await connections.call('ping', (c) => c.ping())).toBe('PONG');
      expect(connections.monitor.state).toBe('ready');
      expect(connections.endpoint).toBe(`127.0.0.1:${redis.port}`);

      await redis.stop();
      await waitFor(() => connections.monitor.state === 'down', 'the monitor to see the loss');
      const started = Date.now();
      const error = (await connections.call('ping', (c) => c.ping()).catch((e: unknown) => e)) as RedisUnavailableError;
      expect(error).toBeInstanceOf(RedisUnavailableError);
      expect(Date.now() - started).toBeLessThan(150); // not parked in an offline queue
      expect(['not-ready', 'lost']).toContain(error.reason);
      // several reconnect attempts (100, 200, 300… ms apart) fail while it stays down: still one line
      await new Promise((r) => setTimeout(r, 1500));

      redis = await startRedis(redis.port);
      await waitFor(() => connections.monitor.state === 'ready', 'the reconnect', 10_000);
      expect(await connections.call('ping', (c) => c.ping())).toBe('PONG');

      expect(logger.lines.map((l) => [l.level, l.message])).toEqual([
        ['info', 'redis ready'],
        ['warn', 'redis connection lost; retrying in the background'],
        ['info', 'redis reconnected'],
      ]);
      expect(logger.lines[1]!.fields).toMatchObject({ redis: 'test', endpoint: `127.0.0.1:${redis.port}`, reason: 'lost' });
      expect(logger.lines[2]!.fields.downMs).toBeGreaterThanOrEqual(1500);
      expect(JSON.stringify(logger.lines)).not.toMatch(/\n\s+at /); // no stack trace anywhere
    } finally {
      await connections.close();
      await redis.stop();
    }
  });

  it('on a refused port logs one "unreachable" line, and waitUntilReady with failFast names the refusal at once', async () => {
    const port = await freePort(); // nothing listens here
    const logger = collectingLogger();
    const connections = createRedisConnections(`redis://:secret@127.0.0.1:${port}`, { logger });
    try {
      const started = Date.now();
      const error = (await connections.waitUntilReady(5000, { failFast: true }).catch((e: unknown) => e)) as RedisUnavailableError;
      expect(Date.now() - started).toBeLessThan(1000);
      expect(error).toBeInstanceOf(RedisUnavailableError);
      expect(error.reason).toBe('refused');
      expect(error.message).toBe(`connection refused at 127.0.0.1:${port}`);
      await expect(connections.waitUntilReady(300)).rejects.toThrow(`Redis at 127.0.0.1:${port} was not ready within 300 ms (connection refused at 127.0.0.1:${port})`);
      await new Promise((r) => setTimeout(r, 1000));
      expect(logger.lines.map((l) => [l.level, l.message, l.fields.reason])).toEqual([['warn', 'redis unreachable; retrying in the background', 'refused']]);
      expect(JSON.stringify(logger.lines)).not.toContain('secret');
    } finally {
      await connections.close();
    }
  });
});

describe('RedisChannels against a real redis-server', () => {
  it('publishes JSON under the keyspace, shares one subscription per channel, resubscribes after a restart and tells onReconnect', async () => {
    let redis: TestRedis = await startRedis(await freePort());
    const pub = createRedisConnections(redis.url, { commandTimeoutMs: 1000 });
    const sub = createRedisConnections(redis.url, { commandTimeoutMs: 1000 });
    const keys = redisKeyspace(redis.prefix).namespace('events');
    const publisher = new RedisChannels(pub, keys);
    const subscriber = new RedisChannels(sub, keys);
    const foreign = new RedisChannels(pub, redisKeyspace(`${redis.prefix}other:`).namespace('events'));
    try {
      await pub.waitUntilReady(5000);
      const got: unknown[] = [];
      const also: unknown[] = [];
      const malformed: string[] = [];
      let reconnects = 0;
      subscriber.onReconnect(() => void reconnects++);
      const stop = await subscriber.subscribe(
        'chan',
        (p) => got.push(p),
        (raw) => malformed.push(raw),
      );
      const stopAlso = await subscriber.subscribe('chan', (p) => also.push(p));
      await foreign.publish('chan', { from: 'foreign' });
      expect(await publisher.publish('chan', { n: 1 })).toBe(1); // one subscriber connection for two handlers
      await pub.command.publish(keys.key('chan'), 'not json');
      await waitFor(() => got.length === 1 && malformed.length === 1, 'the first message and the malformed one');
      expect(got).toEqual([{ n: 1 }]);
      expect(also).toEqual([{ n: 1 }]);
      expect(malformed).toEqual(['not json']);
      await stopAlso();

      await redis.stop();
      await expect(publisher.publish('chan', { n: 2 })).rejects.toBeInstanceOf(RedisUnavailableError);
      redis = await startRedis(redis.port);
      await waitFor(() => reconnects === 1, 'the subscriber to reconnect', 10_000);
      await waitFor(
        async () => {
          await publisher.publish('chan', { n: 3 }).catch(() => undefined);
          return got.length >= 2;
        },
        'delivery after the restart (resubscribed)',
        10_000,
      );
      expect(got[1]).toEqual({ n: 3 });
      expect(also).toEqual([{ n: 1 }]);

      await stop();
      const before = got.length;
      expect(await publisher.publish('chan', { n: 4 })).toBe(0); // the last handler left: unsubscribed
      await new Promise((r) => setTimeout(r, 100));
      expect(got.length).toBe(before);
    } finally {
      await Promise.all([pub.close(), sub.close()]);
      await redis.stop();
    }
  });
});
