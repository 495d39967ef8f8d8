import { randomUUID } from 'node:crypto';
import { RedisIdempotencyStore } from '@roam/gateway';
import { startRedis, startRedisClusterNode, type TestRedis, type TestRedisClusterNode } from '@roam/testkit';

const response = (text: string) => ({ status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: Buffer.from(text) });

describe.each(['standalone', 'cluster'] as const)('RedisIdempotencyStore on a real Redis (%s)', (topology) => {
  let redis: TestRedis | undefined;
  let cluster: TestRedisClusterNode | undefined;
  let stores: RedisIdempotencyStore[];

  beforeAll(async () => {
    let url: string;
    let prefix = `roamtest:${randomUUID().slice(0, 8)}:`;
    if (topology === 'cluster') {
      cluster = await startRedisClusterNode();
      url = cluster.url;
    } else {
      redis = await startRedis();
      url = redis.url;
      prefix = redis.prefix;
    }
    // two replicas: two connections to the same Redis
    stores = [0, 1].map(() => new RedisIdempotencyStore({ url, prefix, timeoutMs: 1000 }));
    await Promise.all(stores.map((s) => s.waitUntilReady(10_000)));
  });
  afterAll(async () => {
    await Promise.all((stores ?? []).map((s) => s.close()));
    await redis?.stop();
    await cluster?.stop();
  });

  it('of 40 concurrent claims over two connections exactly one takes the lease; the others see it in progress with its fingerprint', async () => {
    const id = randomUUID();
    const claims = await Promise.all(Array.from({ length: 40 }, (_, i) => stores[i % 2]!.claim(id, 'fp', 5000)));
    expect(claims.filter((c) => c.kind === 'acquired')).toHaveLength(1);
    const others = claims.filter((c) => c.kind !== 'acquired');
    expect(others).toHaveLength(39);
    for (const c of others) expect(c).toMatchObject({ kind: 'in-progress', fingerprint: 'fp' });
  });

  it('complete stores the bytes (binary-safe) and drops the lease in one step (both keys on one slot); a second complete keeps the first response', async () => {
    const id = randomUUID();
    const claim = await stores[0]!.claim(id, 'fp', 5000);
    if (claim.kind !== 'acquired') throw new Error('expected the lease');
    const binary = { status: 201, headers: { 'content-type': 'application/msgpack', 'content-encoding': 'br' }, body: Buffer.from([0, 255, 1, 254, 10, 13]) };
    await stores[0]!.complete(id, claim.token, 'fp', binary, 60_000);
    expect(await stores[1]!.claim(id, 'other', 5000)).toEqual({ kind: 'stored', fingerprint: 'fp', response: binary });
    await stores[1]!.complete(id, 'not-the-token', 'fp2', response('second'), 60_000);
    expect(await stores[1]!.claim(id, 'fp', 5000)).toEqual({ kind: 'stored', fingerprint: 'fp', response: binary });
  });

  it('renew and release act only with the lease token; a lapsed lease can be taken again', async () => {
    const id = randomUUID();
    const claim = await stores[0]!.claim(id, 'fp', 300);
    if (claim.kind !== 'acquired') throw new Error('expected the lease');
    expect(await stores[1]!.renew(id, 'wrong', 300)).toBe(false);
    expect(await stores[1]!.renew(id, claim.token, 300)).toBe(true);
    await stores[1]!.release(id, 'wrong');
    expect((await stores[1]!.claim(id, 'fp', 300)).kind).toBe('in-progress');
    await new Promise((r) => setTimeout(r, 400));
    const again = await stores[1]!.claim(id, 'fp', 300);
    expect(again.kind).toBe('acquired');
    expect(await stores[0]!.renew(id, claim.token, 300)).toBe(false);
    if (again.kind === 'acquired') await stores[1]!.release(id, again.token);
    expect((await stores[0]!.claim(id, 'fp', 300)).kind).toBe('acquired');
  });

  it('a stored response expires after its TTL', async () => {
    const id = randomUUID();
    const claim = await stores[0]!.claim(id, 'fp', 5000);
    if (claim.kind !== 'acquired') throw new Error('expected the lease');
    await stores[0]!.complete(id, claim.token, 'fp', response('r'), 200);
    expect((await stores[0]!.claim(id, 'fp', 5000)).kind).toBe('stored');
    await new Promise((r) => setTimeout(r, 300));
    expect((await stores[0]!.claim(id, 'fp', 5000)).kind).toBe('acquired');
  });
});
