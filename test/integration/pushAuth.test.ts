import pino from 'pino';
import { request } from 'undici';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { RedisPersistedQueryStore, sha256Hex } from '@roam/persisted-queries';
import { startFakeFcm, startRedis, type FakeFcm, type TestRedis } from '@roam/testkit';
import { startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { mintToken, signingKey, type SigningKey } from '../support/jwks';
import { writeSupergraph } from '../support/stack';

// README "Security" → "Push registrations": with AUTH_MODE on, push registrations belong to their verified caller,
// and per-token / per-subject caps bound them (PUSH_REGISTRATION_LIMIT). Real Redis store, real subgraphs, fake FCM.
const SUB = 'subscription ReviewAdded($upc: String) { reviewAdded(upc: $upc) { id body } }';
const fcmToken = (c: string): string => `${c.repeat(20)}:APA91b${c.repeat(130)}`;

describe('push registrations with authentication: owned by their subject, capped per token and per subject', () => {
  let redis: TestRedis;
  let subgraphs: InProcessSubgraphs;
  let fcm: FakeFcm;
  let pq: RedisPersistedQueryStore;
  let optional: RoamGateway;
  let required: RoamGateway;
  let base: string;
  let requiredBase: string;
  let key: SigningKey;
  let alice: string;
  let bob: string;
  let carol: string;

  const call = async (at: string, method: 'GET' | 'POST' | 'DELETE', path: string, token?: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await request(`${at}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
  };
  const register = (token: string | undefined, deviceToken: string, upc = '1', at = base) =>
    call(at, 'POST', '/push/registrations', token, { platform: 'fcm', token: deviceToken, documentId: sha256Hex(SUB), variables: { upc } });

  beforeAll(async () => {
    redis = await startRedis();
    key = await signingKey('k1');
    [subgraphs, fcm] = await Promise.all([startInProcessSubgraphs(), startFakeFcm()]);
    pq = new RedisPersistedQueryStore({ url: redis.url, keyPrefix: `${redis.prefix}pq:`, timeoutMs: 2000 });
    await pq.waitUntilReady(5000);
    await pq.push([{ id: sha256Hex(SUB), body: SUB }]);
    const env = (mode: string, prefix: string) =>
      readConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        SUPERGRAPH_PATH: writeSupergraph(subgraphs.definitions()),
        LOG_LEVEL: 'silent',
        REDIS_URL: redis.url,
        PERSISTED_QUERIES: 'safelist',
        PERSISTED_QUERIES_KEY_PREFIX: `${redis.prefix}pq:`,
        PUSH: 'on',
        PUSH_KEY_PREFIX: `${redis.prefix}${prefix}:`,
        PUSH_FCM_URL: fcm.url,
        PUSH_FCM_SERVICE_ACCOUNT: fcm.serviceAccount,
        PUSH_MAX_REGISTRATIONS_PER_TOKEN: '2',
        PUSH_MAX_REGISTRATIONS_PER_SUBJECT: '3',
        AUTH_MODE: mode,
        AUTH_JWKS: JSON.stringify({ keys: [key.publicJwk] }),
      });
    optional = createGateway(env('optional', 'push-optional'), pino({ level: 'silent' }));
    required = createGateway(env('required', 'push-required'), pino({ level: 'silent' }));
    base = (await optional.listen()).replace(/\/graphql$/, '');
    requiredBase = (await required.listen()).replace(/\/graphql$/, '');
    [alice, bob, carol] = await Promise.all([mintToken(key, 'alice'), mintToken(key, 'bob'), mintToken(key, 'carol')]);
  });
  afterAll(async () => {
    await Promise.all([optional?.close(), required?.close()]);
    await pq?.close();
    await Promise.all([fcm?.close(), subgraphs?.close()]);
    await redis?.stop();
  });

  it('AUTH_MODE=required: no or a bad token is 401 on every route; a verified caller registers', async () => {
    const missing = await register(undefined, fcmToken('r'), '1', requiredBase);
    expect(missing.status).toBe(401);
    expect(missing.body.errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'MISSING' });
    const forged = await register(`${alice.slice(0, -4)}AAAA`, fcmToken('r'), '1', requiredBase);
    expect(forged.status).toBe(401);
    const made = await register(alice, fcmToken('r'), '1', requiredBase);
    expect(made.status).toBe(201);
    expect(made.body.subject).toBe('alice');
    for (const [method, path, body] of [
      ['GET', `/push/registrations/${made.body.id}`],
      ['POST', `/push/registrations/${made.body.id}/state`, { state: 'background' }],
      ['DELETE', `/push/registrations/${made.body.id}`],
    ] as const) {
      const res = await call(requiredBase, method, path, undefined, body);
      expect(res.status).toBe(401);
    }
    expect((await call(requiredBase, 'GET', `/push/registrations/${made.body.id}`, alice)).status).toBe(200);
  });

  it("a registration is read, changed and deleted by its subject only; others (and anonymous callers) get 404; another user's registration of the same token is separate", async () => {
    const mine = await register(alice, fcmToken('a'));
    expect(mine.status).toBe(201);
    expect(mine.body.subject).toBe('alice');
    const id = mine.body.id as string;
    for (const token of [bob, undefined]) {
      expect((await call(base, 'GET', `/push/registrations/${id}`, token)).status).toBe(404);
      const state = await call(base, 'POST', `/push/registrations/${id}/state`, token, { state: 'background' });
      expect(state.status).toBe(404);
      expect(state.body.errors[0].extensions.code).toBe('PUSH_REGISTRATION_NOT_FOUND');
      expect((await call(base, 'DELETE', `/push/registrations/${id}`, token)).status).toBe(404);
    }
    // still there, unchanged
    const read = await call(base, 'GET', `/push/registrations/${id}`, alice);
    expect(read).toEqual({ status: 200, body: mine.body });
    // bob registering the same device token and subscription gets his own registration, not alice's
    const his = await register(bob, fcmToken('a'));
    expect(his.status).toBe(201);
    expect(his.body.id).not.toBe(id);
    expect(his.body.subject).toBe('bob');
    expect((await call(base, 'POST', `/push/registrations/${id}/state`, alice, { state: 'background' })).body.state).toBe('background');
    expect((await call(base, 'DELETE', `/push/registrations/${his.body.id}`, bob)).status).toBe(204);
    expect((await call(base, 'DELETE', `/push/registrations/${id}`, alice)).status).toBe(204);
    expect((await call(base, 'GET', `/push/registrations/${id}`, alice)).status).toBe(404);

    // AUTH_MODE=optional: an anonymous registration has no owner (as with authentication off)
    const anon = await register(undefined, fcmToken('n'));
    expect(anon.status).toBe(201);
    expect(anon.body.subject).toBeUndefined();
    expect((await call(base, 'GET', `/push/registrations/${anon.body.id}`, carol)).status).toBe(200);
    expect((await call(base, 'DELETE', `/push/registrations/${anon.body.id}`)).status).toBe(204);
  });

  it('caps registrations per device token and per subject with 409 PUSH_REGISTRATION_LIMIT; registering again is not counted; a deletion frees a place', async () => {
    const shared = fcmToken('t');
    expect((await register(alice, shared, '1')).status).toBe(201);
    expect((await register(bob, shared, '1')).status).toBe(201);
    const third = await register(carol, shared, '1');
    expect(third.status).toBe(409);
    expect(third.body.errors[0].extensions).toEqual({ code: 'PUSH_REGISTRATION_LIMIT', limit: 'token', max: 2 });
    // the same registration again: 200, not refused
    expect((await register(alice, shared, '1')).status).toBe(200);

    // alice holds 1; two more reach her cap of 3
    expect((await register(alice, fcmToken('u'), '1')).status).toBe(201);
    const last = await register(alice, fcmToken('v'), '2');
    expect(last.status).toBe(201);
    const over = await register(alice, fcmToken('w'), '1');
    expect(over.status).toBe(409);
    expect(over.body.errors[0].extensions).toEqual({ code: 'PUSH_REGISTRATION_LIMIT', limit: 'subject', max: 3 });
    // bob is not affected by alice's cap
    expect((await register(bob, fcmToken('w'), '1')).status).toBe(201);
    expect((await call(base, 'DELETE', `/push/registrations/${last.body.id}`, alice)).status).toBe(204);
    expect((await register(alice, fcmToken('w'), '1')).status).toBe(201);
  });
});
