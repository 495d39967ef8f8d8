import { createServer, type Socket } from 'node:net';
import pino from 'pino';
import { startRedisClusterNode, waitFor, type TestRedisClusterNode } from '@roam/testkit';
import { readSubgraphConfig } from '../../src/subgraphConfig';
import { RedisPubSub } from '../../src/pubsub/RedisPubSub';

/** A pino logger writing into an array of parsed lines. */
function capturingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

describe("subgraph REDIS_URL: the gateway's forms", () => {
  it('accepts standalone, TLS, Sentinel and Cluster URLs and refuses others without echoing the password', () => {
    for (const url of ['redis://127.0.0.1:6379', 'rediss://:pw@cache.internal', 'redis+sentinel://s1:26379,s2/mymaster', 'rediss+cluster://n1:7000,n2:7001']) {
      expect(readSubgraphConfig(4003, { REDIS_URL: url }, []).redisUrl).toBe(url);
    }
    expect(() => readSubgraphConfig(4003, { REDIS_URL: 'http://x' }, [])).toThrow(/REDIS_URL: .*redis:\/\/host:port/);
    expect(() => readSubgraphConfig(4003, { REDIS_URL: 'redis://:secret@a,b' }, [])).toThrow(/redis\+cluster/);
    expect(() => readSubgraphConfig(4003, { REDIS_URL: 'redis://:secret@a,b' }, [])).not.toThrow(/secret/);
  });
});

describe('RedisPubSub through the shared Redis layer', () => {
  let cluster: TestRedisClusterNode | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('delivers between replicas over a Redis Cluster URL (redis+cluster://)', async () => {
    cluster = await startRedisClusterNode();
    const logger = pino({ level: 'silent' });
    const url = cluster.url;
    const a = new RedisPubSub(url, 'roamtest:cluster:', logger);
    const b = new RedisPubSub(url, 'roamtest:cluster:', logger);
    try {
      const got: unknown[] = [];
      await b.subscribe('REVIEW_ADDED', (p) => got.push(p));
      await waitFor(
        async () => {
          await a.publish('REVIEW_ADDED', { id: '7' });
          return got.length > 0;
        },
        'an event across the cluster',
        10_000,
      );
      expect(got[0]).toEqual({ id: '7' });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a publish to a Redis that accepts but never answers returns within its deadline and logs one line; no unhandled rejection', async () => {
    const sockets: Socket[] = [];
    const server = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { logger, lines } = capturingLogger();
    const pubsub = new RedisPubSub(`redis://127.0.0.1:${(server.address() as { port: number }).port}`, 'roamtest:hung:', logger, { timeoutMs: 200 });
    try {
      await waitFor(() => sockets.length > 0, 'the connection');
      const started = Date.now();
      await pubsub.publish('REVIEW_ADDED', { id: '1' });
      expect(Date.now() - started).toBeLessThan(1000);
      expect(lines.filter((l) => l.msg === 'redis publish failed; event lost')).toEqual([expect.objectContaining({ channel: 'REVIEW_ADDED', level: 50 })]);
      expect(JSON.stringify(lines)).not.toContain('"stack"');
    } finally {
      await pubsub.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
