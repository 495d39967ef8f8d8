import { createServer, type Server, type Socket } from 'node:net';
import Redis from 'ioredis';
import { freePort, startRedis, waitFor, type TestRedis } from '@roam/testkit';
import { sha256Hex } from '../../src/sha256Hex';
import { CachedPersistedQueryStore } from '../../src/store/CachedPersistedQueryStore';
import { RedisPersistedQueryStore } from '../../src/store/RedisPersistedQueryStore';
import { StoreUnavailableError } from '../../src/store/types';
import { describeStoreContract } from '../../src/__tests__/storeContract';

let redis: TestRedis;
let run = 0;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const newPrefix = () => `${redis.prefix}${++run}:`;

describeStoreContract('Redis', async () => {
  const keyPrefix = newPrefix();
  const store = new RedisPersistedQueryStore({ url: redis.url, keyPrefix, timeoutMs: 2000 });
  const peer = new RedisPersistedQueryStore({ url: redis.url, keyPrefix, timeoutMs: 2000 });
  await Promise.all([store.waitUntilReady(5000), peer.waitUntilReady(5000)]);
  return { store, peer, close: async () => void (await Promise.all([store.close(), peer.close()])) };
});

describeStoreContract('LRU over Redis (two replicas)', async () => {
  const keyPrefix = newPrefix();
  const a = new RedisPersistedQueryStore({ url: redis.url, keyPrefix, timeoutMs: 2000 });
  const b = new RedisPersistedQueryStore({ url: redis.url, keyPrefix, timeoutMs: 2000 });
  await Promise.all([a.waitUntilReady(5000), b.waitUntilReady(5000)]);
  const store = new CachedPersistedQueryStore(a);
  const peer = new CachedPersistedQueryStore(b);
  await Promise.all([store.start(), peer.start()]);
  return { store, peer, close: async () => void (await Promise.all([store.close(), peer.close()])) };
});

describe('RedisPersistedQueryStore', () => {
  const text = 'query A { me { id } }';
  const id = sha256Hex(text);

  it('writes every key under the configured prefix', async () => {
    const keyPrefix = newPrefix();
    const store = new RedisPersistedQueryStore({ url: redis.url, keyPrefix, timeoutMs: 2000 });
    await store.waitUntilReady(5000);
    await store.push([{ id, body: text }], { clientName: 'ios', clientVersion: '1' });
    await store.putAutomatic(sha256Hex('{ me { id } }'), '{ me { id } }', 60);
    const raw = new Redis(redis.url);
    const keys = await raw.keys(`${redis.prefix}${run}:*`);
    const all = await raw.keys('*');
    await raw.quit();
    expect(keys.length).toBeGreaterThanOrEqual(6);
    expect(all.filter((k) => k.startsWith(redis.prefix)).every((k) => k.startsWith(keyPrefix) || !k.startsWith(`${redis.prefix}${run}:`))).toBe(true);
    expect(keys.sort()).toEqual(
      [`${keyPrefix}apq:${sha256Hex('{ me { id } }')}`, `${keyPrefix}op:${id}`, `${keyPrefix}op:${id}:clients`, `${keyPrefix}ops`, `${keyPrefix}scope:["ios","1"]`, `${keyPrefix}scopes`].sort(),
    );
    await store.close();
  });

  it('fails within the deadline on a refused port', async () => {
    const port = await freePort();
    const store = new RedisPersistedQueryStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: newPrefix(), timeoutMs: 100 });
    await expect(store.lookup(id)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.putAutomatic(id, text, 0)).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.close();
  });

  it('fails within the deadline on a port that accepts but never answers', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const store = new RedisPersistedQueryStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: newPrefix(), timeoutMs: 100 });
    await waitFor(() => sockets.length > 0, 'the client to connect');
    await expect(store.lookup(id)).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  it('serves cached ids while Redis is down and recovers without a new store when it returns', async () => {
    const own = await startRedis(await freePort());
    const keyPrefix = newPrefix();
    const redisStore = new RedisPersistedQueryStore({ url: own.url, keyPrefix, timeoutMs: 100 });
    await redisStore.waitUntilReady(5000);
    const store = new CachedPersistedQueryStore(redisStore);
    await store.start();
    const other = 'query B { me { name } }';
    await store.push([
      { id, body: text },
      { id: sha256Hex(other), body: other },
    ]);
    expect((await store.lookup(id)).operation?.body).toBe(text);
    await own.stop();
    expect((await store.lookup(id)).operation?.body).toBe(text);
    await expect(store.lookup(sha256Hex(other))).rejects.toBeInstanceOf(StoreUnavailableError);
    const again = await startRedis(own.port);
    await waitFor(
      async () => {
        await store.push([{ id: sha256Hex(other), body: other }]);
        return (await store.lookup(sha256Hex(other))).operation?.body === other;
      },
      'the store to work again',
      10_000,
    );
    await store.close();
    await again.stop();
  });
});
