import Redis from 'ioredis';
import { sha256Hex } from '@roam/persisted-queries';
import { startRedis, type TestRedis } from '@roam/testkit';
import { roamPq, writeCodegenManifest } from '../support/roamPq';
import { ROOT } from '../support/stack';

// Issue 3 item 2 / issue 4 item 7: roam-pq verify and push refuse operations over the gateway's limits.
// Costs by the cost model (README "Operation limits") over the committed supergraph.graphql:
// me is one User object = 1; topProducts(first: 3) { reviews } = 3 * (1 + 20 reviews, @listSize(assumedSize: 20)) = 63.
const CHEAP = 'query Cheap { me { id } }';
const DEAR = 'query Dear { topProducts(first: 3) { upc reviews { id } } }';

describe('roam-pq push with the operation limits (real Redis)', () => {
  let redis: TestRedis;
  let client: Redis;
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { lazyConnect: true });
    await client.connect();
    env = { REDIS_URL: redis.url, PERSISTED_QUERIES_KEY_PREFIX: redis.prefix, SUPERGRAPH_PATH: `${ROOT}/supergraph.graphql`, MAX_COST: '', LIMITS_BY_CLIENT: '', LIMITS_MODE: '' };
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it('refuses a manifest with one operation over MAX_COST: exit 1, the operation listed with its cost, nothing written to Redis', async () => {
    const manifest = writeCodegenManifest([CHEAP, DEAR]);
    const push = await roamPq(['push', manifest], { ...env, MAX_COST: '10' });
    expect(push.code).toBe(1);
    expect(push.stderr).toContain('1 of 2 operations is invalid; nothing was written:');
    expect(push.stderr).toContain(`${sha256Hex(DEAR)}: operation Dear: The operation's estimated cost is 63, over the limit of 10. [COST_ESTIMATED_TOO_EXPENSIVE]`);
    expect(push.stderr).toContain(`${sha256Hex(CHEAP)} (Cheap): cost 1 (limit 10)`);
    expect(push.stderr).toContain(`${sha256Hex(DEAR)} (Dear): cost 63 (limit 10)`);
    expect(await client.keys(`${redis.prefix}*`)).toEqual([]);

    const json = await roamPq(['push', manifest, '--json'], { ...env, MAX_COST: '10' });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, operations: 2, invalid: 1, problems: [{ id: sha256Hex(DEAR), code: 'COST_ESTIMATED_TOO_EXPENSIVE', measured: 63, limit: 10 }] });
    expect(await client.keys(`${redis.prefix}*`)).toEqual([]);
    expect(JSON.parse((await roamPq(['list', '--json'], env)).stdout)).toMatchObject({ ok: true, count: 0 });
  });

  it('pushes the same manifest under the default limits, or for a client allowed more, showing each cost', async () => {
    const manifest = writeCodegenManifest([CHEAP, DEAR]);
    const scoped = await roamPq(['push', manifest, '--client-name', 'ios', '--json'], { ...env, MAX_COST: '10', LIMITS_BY_CLIENT: '{"ios":{"maxCost":100}}' });
    expect(scoped.code).toBe(0);
    const report = JSON.parse(scoped.stdout);
    expect(report).toMatchObject({ ok: true, operations: 2, added: 2 });
    // A successful push writes under the same prefix the refused ones were checked against.
    expect((await client.keys(`${redis.prefix}*`)).length).toBeGreaterThan(0);
    expect(report.measurements.map((m: { id: string; name: string; values: { cost: number; maxCost: number } }) => [m.id, m.name, m.values.cost, m.values.maxCost])).toEqual([
      [sha256Hex(CHEAP), 'Cheap', 1, 100],
      [sha256Hex(DEAR), 'Dear', 63, 100],
    ]);
    const push = await roamPq(['push', manifest], env);
    expect(push.code).toBe(0);
    expect(push.stdout).toContain(`${sha256Hex(DEAR)} (Dear): cost 63 (limit 1000000)`);
    expect(JSON.parse((await roamPq(['list', '--json'], env)).stdout)).toMatchObject({ ok: true, count: 2 });
  });
});
