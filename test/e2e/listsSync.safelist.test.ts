import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryStore, SyncEngine, SyncRequestError, syncManifest, type FetchLike } from '@roam/sync-client';
import { postGraphQL, startRedis, type TestRedis } from '@roam/testkit';
import { roamPq } from '../support/roamPq';
import { ROOT } from '../support/stack';
import { startListsStack, type ListsStack } from '../support/listsStack';

// The sync engine against a gateway in PERSISTED_QUERIES=safelist mode: its committed manifest
// (clients/sync/persisted-operations.json) pushed with `roam-pq push` into a real redis-server, then two devices
// sync by persisted id only.

let redis: TestRedis;
let stack: ListsStack;
let pqEnv: Record<string, string>;
beforeAll(async () => {
  redis = await startRedis();
  const redisEnv = { REDIS_URL: redis.url, PERSISTED_QUERIES_KEY_PREFIX: redis.prefix };
  stack = await startListsStack({}, { ...redisEnv, PERSISTED_QUERIES: 'safelist' });
  pqEnv = { ...redisEnv, SUPERGRAPH_PATH: stack.supergraph };
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await redis?.stop();
});

/** A transport that records every request body, to show that no operation text went out. */
function recorded(): { bodies: Record<string, unknown>[]; fetch: FetchLike } {
  const bodies: Record<string, unknown>[] = [];
  return {
    bodies,
    fetch: (url, init) => {
      bodies.push(JSON.parse(init.body) as Record<string, unknown>);
      return fetch(url, init);
    },
  };
}

it("the committed manifest is the engine's operations", () => {
  expect(JSON.parse(readFileSync(join(ROOT, 'clients/sync/persisted-operations.json'), 'utf8'))).toEqual(syncManifest());
});

it('before the push the safelist refuses the engine; after `roam-pq push` two devices sync by id only', async () => {
  const early = new SyncEngine({ url: stack.gateway.url, store: new MemoryStore(), persistedQueries: 'hash', attempts: 1 });
  early.createList('Too early');
  const refused = await early.sync().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(refused).toBeInstanceOf(SyncRequestError);
  expect((refused as SyncRequestError).code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
  expect((refused as SyncRequestError).retryable).toBe(false);

  const push = await roamPq(['push', join(ROOT, 'clients/sync/persisted-operations.json')], pqEnv);
  expect(push.stderr).toBe('');
  expect(push.code).toBe(0);

  const wireA = recorded();
  const wireB = recorded();
  const a = new SyncEngine({ url: stack.gateway.url, store: new MemoryStore(), fetch: wireA.fetch, persistedQueries: 'hash' });
  const b = new SyncEngine({ url: stack.gateway.url, store: new MemoryStore(), fetch: wireB.fetch, persistedQueries: 'hash' });
  const id = a.createList('Safelisted');
  a.addItem(id, '1', 2);
  await a.sync();
  await b.sync();
  expect(b.list(id)).toEqual(a.list(id));
  b.setTitle(id, 'Safelisted, renamed');
  b.incrementQuantity(id, '1', 3);
  a.setChecked(id, '1', true);
  await b.sync();
  await a.sync();
  await b.sync();
  expect(a.list(id)).toMatchObject({ title: 'Safelisted, renamed', items: [{ upc: '1', quantity: 5, checked: true }] });
  expect(b.list(id)).toEqual(a.list(id));
  expect(a.pending()).toEqual([]);
  expect(b.pending()).toEqual([]);
  const ids = new Set(syncManifest().operations.map((o) => o.id));
  for (const body of [...wireA.bodies, ...wireB.bodies]) {
    expect(body.query).toBeUndefined();
    expect(ids.has((body.extensions as { persistedQuery: { sha256Hash: string } }).persistedQuery.sha256Hash)).toBe(true);
  }
  expect(wireA.bodies.length + wireB.bodies.length).toBeGreaterThanOrEqual(8);

  // The safelist is still on: an operation outside the manifest is refused.
  const other = await postGraphQL(stack.gateway.url, { query: `{ shoppingList(id: "${id}") { title } }` });
  expect(other.body.errors[0].extensions.code).toBe('QUERY_NOT_IN_SAFELIST');
}, 120_000);
