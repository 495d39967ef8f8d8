import pino from 'pino';
import { request } from 'undici';
import { createGateway, readConfig, RedisRegistrationStore, type PushOutcome, type RoamGateway } from '@roam/gateway';
import { RedisPersistedQueryStore, sha256Hex } from '@roam/persisted-queries';
import { makeTestTls, openAcked, postGraphQL, startFakeApns, startFakeFcm, startRedis, waitFor, type FakeApns, type FakeFcm, type RawSocket, type TestRedis } from '@roam/testkit';
import { startInProcessGateway, startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { subgraphSubscriptions } from '../support/subgraphHealth';
import { writeSupergraph } from '../support/stack';

/** The event id the durable event log gives each event (`<stream>@<Redis stream id>`), carried into the push payload for resume. */
const EVENT_ID = /^reviews:REVIEW_ADDED@\d+-\d+$/;

// Issue 17 item 4 (push bridge) and its bad-input cases from item 5, against a fake APNs (HTTP/2 over TLS with a
// CA made here by openssl) and a fake FCM (HTTP, OAuth JWT-bearer token endpoint), a real Redis, real subgraphs.
const SUB = 'subscription ReviewAdded($upc: String) { reviewAdded(upc: $upc) { id body } }';
const REVOCABLE = 'subscription Revocable($upc: String) { reviewAdded(upc: $upc) { id } }';
const QUERY = 'query Top { topProducts(first: 1) { upc } }';
const apnsToken = (c: string): string => c.repeat(64);
const fcmToken = (c: string): string => `${c.repeat(20)}:APA91b${c.repeat(130)}`;

describe('push bridge: registrations over HTTP, events as APNs/FCM background pushes', () => {
  let redis: TestRedis;
  let subgraphs: InProcessSubgraphs;
  let apns: FakeApns;
  let fcm: FakeFcm;
  let pq: RedisPersistedQueryStore;
  let gateway: RoamGateway;
  let base: string;
  let url: string;
  let env: Record<string, string>;
  const outcomes: PushOutcome[] = [];
  const sockets: RawSocket[] = [];

  const call = async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await request(`${base}${path}`, {
      method,
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
  };
  const register = (body: Record<string, unknown>) => call('POST', '/push/registrations', { documentId: sha256Hex(SUB), ...body });
  /** Adds a review of `upc` at the reviews subgraph itself (its event reaches the gateway's upstream subscription). */
  const addReview = async (upc: string, text: string): Promise<string> => {
    const res = await postGraphQL(subgraphs.urls.reviews!, { query: `mutation { addReview(input: { authorId: "1", productUpc: "${upc}", body: "${text}" }) { id } }` });
    return res.body.data.addReview.id as string;
  };
  /** Waits until the reviews subgraph serves `n` subscriptions (the bridge's upstreams connect asynchronously). */
  const upstreams = (n: number) => waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.reviews!)).active >= n, `${n} upstream subscriptions`);
  const apnsFor = (token: string) => apns.received.filter((r) => r.token === token);
  const fcmFor = (token: string) => fcm.received.filter((r) => r.token === token);

  beforeAll(async () => {
    redis = await startRedis();
    subgraphs = await startInProcessSubgraphs();
    const tls = makeTestTls();
    [apns, fcm] = await Promise.all([startFakeApns(tls), startFakeFcm()]);
    pq = new RedisPersistedQueryStore({ url: redis.url, keyPrefix: `${redis.prefix}pq:`, timeoutMs: 2000 });
    await pq.waitUntilReady(5000);
    await pq.push([SUB, REVOCABLE, QUERY].map((body) => ({ id: sha256Hex(body), body })));
    env = {
      PORT: '0',
      HOST: '127.0.0.1',
      SUPERGRAPH_PATH: writeSupergraph(subgraphs.definitions()),
      LOG_LEVEL: 'silent',
      SHUTDOWN_GRACE_MS: '2000',
      REDIS_URL: redis.url,
      PERSISTED_QUERIES: 'safelist',
      PERSISTED_QUERIES_KEY_PREFIX: `${redis.prefix}pq:`,
      PERSISTED_QUERIES_TIMEOUT_MS: '2000',
      PUSH: 'on',
      PUSH_KEY_PREFIX: `${redis.prefix}push:`,
      PUSH_APNS_URL: apns.url,
      PUSH_APNS_KEY: apns.keyPem,
      PUSH_APNS_KEY_ID: apns.keyId,
      PUSH_APNS_TEAM_ID: apns.teamId,
      PUSH_APNS_TOPIC: apns.topic,
      PUSH_APNS_CA: apns.caPem,
      PUSH_FCM_URL: fcm.url,
      PUSH_FCM_SERVICE_ACCOUNT: fcm.serviceAccount,
      PUSH_RETRY_BASE_MS: '50',
      // long enough that a replica stalled by a loaded CI machine still renews in time (renewal every third of it)
      PUSH_LEASE_MS: '3000',
    };
    gateway = createGateway(readConfig(env), pino({ level: 'silent' }), { onPushOutcome: (o) => outcomes.push(o) });
    url = await gateway.listen();
    base = url.replace(/\/graphql$/, '');
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.ws.close();
  });
  afterAll(async () => {
    await gateway?.close();
    await pq?.close();
    await Promise.all([apns?.close(), fcm?.close(), subgraphs?.close()]);
    await redis?.stop();
  });

  it('pushes an event to the devices without a live socket or that said they are backgrounded, never to a connected one nor to another subscription', async () => {
    const connected = await register({ platform: 'apns', token: apnsToken('a'), variables: { upc: '1' } });
    const away = await register({ platform: 'apns', token: apnsToken('b'), variables: { upc: '1' } });
    const backgrounded = await register({ platform: 'apns', token: apnsToken('c'), variables: { upc: '1' } });
    const otherProduct = await register({ platform: 'fcm', token: fcmToken('d'), variables: { upc: '2' } });
    expect([connected.status, away.status, backgrounded.status, otherProduct.status]).toEqual([201, 201, 201, 201]);
    expect(connected.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      platform: 'apns',
      documentId: sha256Hex(SUB),
      variables: { upc: '1' },
      state: 'foreground',
      createdAt: expect.any(Number),
    });
    // registering again is idempotent: same id, 200
    const again = await register({ platform: 'apns', token: apnsToken('a'), variables: { upc: '1' } });
    expect(again).toEqual({ status: 200, body: connected.body });
    // the app of `connected` and `backgrounded` holds a socket naming its registration; `backgrounded` then says it went to the background
    sockets.push(await openAcked(url, { pushRegistrationId: connected.body.id }), await openAcked(url, { pushRegistrationIds: [backgrounded.body.id] }));
    expect((await call('POST', `/push/registrations/${backgrounded.body.id}/state`, { state: 'background' })).body.state).toBe('background');
    await upstreams(2);

    const reviewId = await addReview('1', 'pushed');
    await waitFor(() => apnsFor(apnsToken('b')).length === 1 && apnsFor(apnsToken('c')).length === 1, 'pushes to the away and backgrounded devices');
    const push = apnsFor(apnsToken('b'))[0]!;
    expect(push.headers).toMatchObject({ ':method': 'POST', ':path': `/3/device/${apnsToken('b')}`, 'apns-push-type': 'background', 'apns-priority': '5', 'apns-topic': apns.topic });
    expect(push.headers['apns-collapse-id']).toMatch(/^roam:[0-9a-f]{32}$/);
    expect(Buffer.byteLength(push.headers['apns-collapse-id']!)).toBeLessThanOrEqual(64);
    expect(push.body).toEqual({
      aps: { 'content-available': 1 },
      roam: { v: 1, registrationId: away.body.id, documentId: sha256Hex(SUB), eventId: expect.stringMatching(EVENT_ID), data: { reviewAdded: { id: reviewId, body: 'pushed' } } },
    });
    expect(apnsFor(apnsToken('c'))[0]!.headers['apns-collapse-id']).toBe(push.headers['apns-collapse-id']);

    // an event of product 2 goes to the FCM device of product 2 only
    const otherId = await addReview('2', 'other product');
    await waitFor(() => fcmFor(fcmToken('d')).length === 1, 'the FCM push for product 2');
    const fcmPush = fcmFor(fcmToken('d'))[0]!;
    expect(fcmPush.headers.authorization).toMatch(/^Bearer ya29\.fake-/);
    expect(fcmPush.body.message).toMatchObject({ token: fcmToken('d'), android: { priority: 'NORMAL', collapse_key: expect.stringMatching(/^roam:/) } });
    expect(JSON.parse(fcmPush.body.message.data.roam)).toEqual({
      v: 1,
      registrationId: otherProduct.body.id,
      documentId: sha256Hex(SUB),
      eventId: expect.stringMatching(EVENT_ID),
      data: { reviewAdded: { id: otherId, body: 'other product' } },
    });
    expect(apnsFor(apnsToken('a'))).toEqual([]);
    expect(apns.received.filter((r) => JSON.stringify(r.body).includes('other product'))).toEqual([]);
    expect(fcm.received.filter((r) => JSON.stringify(r.body).includes('"pushed"'))).toEqual([]);

    // once its socket closes, the connected device gets the next event too
    sockets.shift()!.ws.close();
    await waitFor(async () => (await gateway.push!.store.liveAmong([connected.body.id])).size === 0, 'presence cleared');
    await addReview('1', 'after close');
    await waitFor(() => apnsFor(apnsToken('a')).length === 1, 'a push to the device whose socket closed');
    expect(apnsFor(apnsToken('a'))[0]!.body.roam.data.reviewAdded.body).toBe('after close');
    expect(fcm.tokenRequests).toBe(1); // the OAuth access token is reused
  });

  it('removes the token when APNs answers 410 Unregistered or FCM 404 UNREGISTERED', async () => {
    const gone = await register({ platform: 'apns', token: apnsToken('e'), variables: { upc: '3' } });
    const goneFcm = await register({ platform: 'fcm', token: fcmToken('f'), variables: { upc: '3' } });
    const kept = await register({ platform: 'apns', token: apnsToken('9'), variables: { upc: '3' } });
    apns.script(apnsToken('e'), { status: 410, reason: 'Unregistered' });
    fcm.script(fcmToken('f'), { status: 404, reason: 'UNREGISTERED' });
    await upstreams(3);
    await addReview('3', 'first');
    await waitFor(() => outcomes.filter((o) => o.kind === 'unregistered').length === 2, 'both unregistered outcomes');
    for (const id of [gone.body.id, goneFcm.body.id])
      expect(await call('GET', `/push/registrations/${id}`)).toMatchObject({ status: 404, body: { errors: [{ extensions: { code: 'PUSH_REGISTRATION_NOT_FOUND' } }] } });
    expect((await call('GET', `/push/registrations/${kept.body.id}`)).status).toBe(200);
    await addReview('3', 'second');
    await waitFor(() => apnsFor(apnsToken('9')).length === 2, 'the second push to the kept device');
    expect(apnsFor(apnsToken('e'))).toHaveLength(1);
    expect(fcmFor(fcmToken('f'))).toHaveLength(1);
    const metrics = await (await request(`${base}/metrics`)).body.text();
    expect(metrics).toMatch(/^roam_push_notifications_total\{platform="apns",outcome="unregistered"\} 1$/m);
    expect(metrics).toMatch(/^roam_push_notifications_total\{platform="fcm",outcome="unregistered"\} 1$/m);
  });

  it('retries 429 after its Retry-After, and 500/503 with backoff, then sends once', async () => {
    await register({ platform: 'apns', token: apnsToken('7'), variables: { upc: '4' } });
    await register({ platform: 'fcm', token: fcmToken('8'), variables: { upc: '4' } });
    apns.script(apnsToken('7'), { status: 429, reason: 'TooManyRequests', retryAfterSeconds: 1 });
    fcm.script(fcmToken('8'), { status: 500, reason: 'INTERNAL' }, { status: 503, reason: 'UNAVAILABLE' });
    await upstreams(4);
    await addReview('4', 'retried');
    await waitFor(() => apnsFor(apnsToken('7')).length === 2 && fcmFor(fcmToken('8')).length === 3, 'the retried pushes');
    const [first, second] = apnsFor(apnsToken('7'));
    expect([first!.status, second!.status]).toEqual([429, 200]);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950); // Retry-After: 1 was honoured
    expect(fcmFor(fcmToken('8')).map((r) => r.status)).toEqual([500, 503, 200]);
    await waitFor(() => outcomes.filter((o) => o.message.data && JSON.stringify(o.message.data).includes('retried') && o.kind === 'sent').length === 2, 'two sent outcomes');
    expect(
      outcomes
        .filter((o) => JSON.stringify(o.message.data).includes('retried'))
        .map((o) => [o.registration.platform, o.attempts])
        .sort(),
    ).toEqual([
      ['apns', 2],
      ['fcm', 3],
    ]);
  });

  it('APNs 403 ExpiredProviderToken: a new provider token and a retry', async () => {
    await register({ platform: 'apns', token: apnsToken('5'), variables: { upc: '8' } });
    apns.script(apnsToken('5'), { status: 403, reason: 'ExpiredProviderToken' });
    await upstreams(5);
    await addReview('8', 'expired jwt');
    await waitFor(() => apnsFor(apnsToken('5')).length === 2, 'the retried push');
    expect(apnsFor(apnsToken('5')).map((r) => r.status)).toEqual([403, 200]);
  });

  it('records the id of the last event pushed (for resume) and limits pushes per device', async () => {
    const reg = await register({ platform: 'fcm', token: fcmToken('r'), variables: { upc: '9' } });
    const registration = (await gateway.push!.store.get(reg.body.id))!;
    const message = (n: number) => ({ token: registration.token, collapseId: 'roam:test', data: { v: 1, n } });
    // events from the durable stream carry `extensions.eventId`; the dispatcher records it on a sent push
    expect((await gateway.push!.dispatcher.deliver(registration, message(0), '1717000000000-0')).kind).toBe('sent');
    expect((await call('GET', `/push/registrations/${reg.body.id}`)).body.lastEventId).toBe('1717000000000-0');
    // PUSH_RATE_LIMIT_PER_DEVICE (30 per 60 s): the 31st push to this device is not sent
    const kinds = [];
    for (let n = 1; n < 31; n++) kinds.push((await gateway.push!.dispatcher.deliver(registration, message(n), undefined)).kind);
    expect(kinds.slice(0, 29).every((k) => k === 'sent')).toBe(true);
    expect(kinds[29]).toBe('rate-limited');
    expect(fcmFor(fcmToken('r'))).toHaveLength(30);
  });

  it('refuses bad registrations with clear codes and keeps serving', async () => {
    const code = (res: { body: any }) => res.body.errors[0].extensions.code;
    const wrongShape = await register({ platform: 'apns', token: 'not-hex', variables: { upc: '1' } });
    expect(wrongShape.status).toBe(400);
    expect(code(wrongShape)).toBe('PUSH_TOKEN_INVALID');
    expect(wrongShape.body.errors[0].message).not.toContain('not-hex');
    expect(code(await register({ platform: 'fcm', token: 'x', variables: {} }))).toBe('PUSH_TOKEN_INVALID');
    const missing = await call('POST', '/push/registrations', { platform: 'apns', token: apnsToken('1') });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].extensions).toMatchObject({ code: 'PUSH_REGISTRATION_INVALID', issues: [{ path: 'documentId' }] });
    expect(code(await register({ platform: 'webpush', token: apnsToken('1') }))).toBe('PUSH_REGISTRATION_INVALID');
    expect(code(await register({ platform: 'apns', token: apnsToken('1'), extra: 1 }))).toBe('PUSH_REGISTRATION_INVALID');
    const unknown = await register({ platform: 'apns', token: apnsToken('1'), documentId: sha256Hex('subscription { nope }') });
    expect([unknown.status, code(unknown)]).toEqual([404, 'PERSISTED_QUERY_NOT_IN_LIST']);
    const query = await register({ platform: 'apns', token: apnsToken('1'), documentId: sha256Hex(QUERY) });
    expect([query.status, code(query)]).toEqual([400, 'PUSH_NOT_A_SUBSCRIPTION']);
    const badVariables = await register({ platform: 'apns', token: apnsToken('1'), variables: { upc: 5 } });
    expect([badVariables.status, code(badVariables)]).toEqual([400, 'BAD_USER_INPUT']);
    const notJson = await call('POST', '/push/registrations', '{"platform":');
    expect([notJson.status, code(notJson)]).toEqual([400, 'BAD_REQUEST']);
    expect(code(await call('GET', '/push/registrations/../../etc'))).toBe('NOT_FOUND');
    expect(code(await call('GET', `/push/registrations/${'0'.repeat(32)}`))).toBe('PUSH_REGISTRATION_NOT_FOUND');
    expect(code(await call('DELETE', `/push/registrations/${'0'.repeat(32)}`))).toBe('PUSH_REGISTRATION_NOT_FOUND');
    const okReg = await register({ platform: 'apns', token: apnsToken('1'), variables: { upc: '5' } });
    expect(code(await call('POST', `/push/registrations/${okReg.body.id}/state`, { state: 'asleep' }))).toBe('PUSH_REGISTRATION_INVALID');
    expect((await call('DELETE', `/push/registrations/${okReg.body.id}`)).status).toBe(204);
    expect((await call('GET', `/push/registrations/${okReg.body.id}`)).status).toBe(404);
    expect((await request(`${base}/health`)).statusCode).toBe(200);
  });

  it('a revoked persisted subscription: its registrations are removed and new ones refused', async () => {
    const revocable = await call('POST', '/push/registrations', { platform: 'apns', token: apnsToken('6'), documentId: sha256Hex(REVOCABLE), variables: { upc: '6' } });
    expect(revocable.status).toBe(201);
    await upstreams(7);
    expect(await pq.revoke(sha256Hex(REVOCABLE))).toBe(true);
    await waitFor(async () => (await call('GET', `/push/registrations/${revocable.body.id}`)).status === 404, 'the registration removed after the revocation');
    const again = await call('POST', '/push/registrations', { platform: 'apns', token: apnsToken('6'), documentId: sha256Hex(REVOCABLE), variables: { upc: '6' } });
    expect([again.status, again.body.errors[0].extensions.code]).toEqual([404, 'PERSISTED_QUERY_NOT_IN_LIST']);
    await addReview('6', 'after revoke');
    await addReview('1', 'still flowing');
    await waitFor(() => apnsFor(apnsToken('b')).some((r) => r.body.roam.data?.reviewAdded.body === 'still flowing'), 'other subscriptions keep pushing');
    expect(apnsFor(apnsToken('6'))).toEqual([]);
  });

  it('two replicas on one Redis: one runs each subscription, so an event is pushed once; the other takes over when it stops and resumes after the last event pushed', async () => {
    const second = createGateway(readConfig(env), pino({ level: 'silent' }));
    const secondBase = (await second.listen()).replace(/\/graphql$/, '');
    let third: RoamGateway | undefined;
    try {
      const res = await request(`${secondBase}/push/registrations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ platform: 'apns', token: apnsToken('d'), documentId: sha256Hex(SUB), variables: { upc: '1' } }),
      });
      expect(res.statusCode).toBe(201);
      await res.body.text();
      const gapped = await register({ platform: 'apns', token: apnsToken('f'), variables: { upc: '7' } });
      expect(gapped.status).toBe(201);
      await new Promise((resolve) => setTimeout(resolve, 2100)); // two lease checks of the second replica
      expect(second.push!.bridge.subscriptionCount).toBe(0); // the first replica holds every lease
      expect(gateway.push!.bridge.subscriptionCount).toBeGreaterThanOrEqual(4);
      await addReview('1', 'once');
      await waitFor(
        () => apnsFor(apnsToken('d')).length === 1 && apnsFor(apnsToken('b')).some((r) => r.body.roam.data.reviewAdded.body === 'once'),
        'the push registered on the second replica, sent by the first',
      );
      await addReview('7', 'first');
      await waitFor(() => apnsFor(apnsToken('f')).length === 1, 'the first event of upc 7');
      const bodiesTo = (token: string): string[] => apnsFor(token).map((r) => r.body.roam.data.reviewAdded.body as string);

      // the first replica stops; events published before the second one has taken over are pushed by it after all
      await gateway.close(); // gives its leases up
      for (const text of ['handover 0', 'handover 1']) await addReview('1', text);
      await waitFor(() => second.push!.bridge.subscriptionCount >= 4, 'the second replica takes the subscriptions over');
      await addReview('1', 'after takeover');
      await waitFor(() => apnsFor(apnsToken('d')).length >= 4, 'the handover events and the live one pushed');
      await waitFor(() => second.push!.dispatcher.pending === 0, 'pushes settled');

      // no replica runs the subscription at all (the second stops too): the events meanwhile wait in the stream
      await second.close();
      for (const text of ['nobody 0', 'nobody 1', 'nobody 2']) await addReview('1', text);
      // upc 7's resume point is made older than the subgraph's event log keeps: the new replica logs the gap and goes live
      const planter = new RedisRegistrationStore({ url: redis.url, keyPrefix: `${redis.prefix}push:`, timeoutMs: 2000 });
      await planter.waitUntilReady(5000);
      const subscriptionKey = (await planter.get(gapped.body.id))!.subscriptionKey;
      expect(await planter.cursor(subscriptionKey)).toMatch(EVENT_ID);
      expect(await planter.lease(subscriptionKey, 'test', 5000)).toBe(true);
      expect(await planter.setCursor(subscriptionKey, 'test', 'reviews:REVIEW_ADDED@1-0')).toBe(true);
      await planter.releaseLease(subscriptionKey, 'test');
      await planter.close();
      const warnings: { msg: string; code?: string; subscription?: string }[] = [];
      third = createGateway(readConfig(env), pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) }));
      const thirdBase = (await third.listen()).replace(/\/graphql$/, '');
      await waitFor(() => third!.push!.bridge.subscriptionCount >= 4, 'a new replica takes the subscriptions over');
      await waitFor(() => warnings.some((w) => w.subscription === subscriptionKey && w.code !== undefined), 'the resume gap logged');
      expect(warnings.find((w) => w.subscription === subscriptionKey)).toMatchObject({
        code: 'SUBSCRIPTION_RESUME_GAP',
        msg: expect.stringContaining('going live'),
      });
      await addReview('1', 'live again');
      await waitFor(async () => {
        if (apnsFor(apnsToken('f')).length < 2) await addReview('7', 'live after gap');
        await new Promise((resolve) => setTimeout(resolve, 200));
        return apnsFor(apnsToken('f')).length >= 2;
      }, 'upc 7 live after the gap');
      await waitFor(() => apnsFor(apnsToken('d')).length >= 8, 'the missed events and the live one pushed');
      await waitFor(() => third!.push!.dispatcher.pending === 0, 'pushes settled');
      await new Promise((resolve) => setTimeout(resolve, 300)); // a duplicate would arrive now

      const expected = ['once', 'handover 0', 'handover 1', 'after takeover', 'nobody 0', 'nobody 1', 'nobody 2', 'live again'];
      expect(bodiesTo(apnsToken('d'))).toEqual(expected); // each event once, in order
      expect(bodiesTo(apnsToken('b')).filter((body) => expected.includes(body))).toEqual(expected);
      // nothing replayed from before the gap ('first' once), then live events (the loop may have added more than one)
      const toF = bodiesTo(apnsToken('f'));
      expect(toF[0]).toBe('first');
      expect(toF.slice(1).every((body) => body === 'live after gap')).toBe(true);
      const ids = apnsFor(apnsToken('d')).map((r) => r.body.roam.eventId as string);
      expect(ids.every((id) => EVENT_ID.test(id))).toBe(true);
      // the resume point goes with the subscription's last registration (a new one starts live)
      expect(await third.push!.store.cursor(subscriptionKey)).toMatch(EVENT_ID);
      expect((await request(`${thirdBase}/push/registrations/${gapped.body.id}`, { method: 'DELETE' })).statusCode).toBe(204);
      expect(await third.push!.store.cursor(subscriptionKey)).toBeUndefined();
    } finally {
      await second.close();
      await third?.close();
    }
  });
});

describe('push bridge under `npm start` settings: registrations in memory, APQ, APNs only', () => {
  let subgraphs: InProcessSubgraphs;
  let apns: FakeApns;
  let gateway: RoamGateway;
  let url: string;
  const post = async (body: unknown): Promise<{ status: number; body: any }> => {
    const res = await request(url.replace(/\/graphql$/, '/push/registrations'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.statusCode, body: await res.body.json() };
  };

  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
    apns = await startFakeApns(makeTestTls());
    ({ gateway, url } = await startInProcessGateway(subgraphs, {
      SHUTDOWN_GRACE_MS: '2000',
      PERSISTED_QUERIES: 'apq',
      PUSH: 'on',
      PUSH_APNS_URL: apns.url,
      PUSH_APNS_KEY: apns.keyPem.replace(/\n/g, '\\n'), // as written in an env file
      PUSH_APNS_KEY_ID: apns.keyId,
      PUSH_APNS_TEAM_ID: apns.teamId,
      PUSH_APNS_TOPIC: apns.topic,
      PUSH_APNS_CA: apns.caPem,
    }));
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all([apns?.close(), subgraphs?.close()]);
  });

  it('an APQ-registered subscription can be bridged; an unknown hash is 404 PERSISTED_QUERY_NOT_FOUND; FCM is not configured', async () => {
    const unknown = await post({ platform: 'apns', token: apnsToken('a'), documentId: sha256Hex(SUB), variables: { upc: '1' } });
    expect([unknown.status, unknown.body.errors[0].extensions.code]).toEqual([404, 'PERSISTED_QUERY_NOT_FOUND']);
    // the app registers the text through APQ on its socket first (hash + text), as it would before going to the background
    const socket = await openAcked(url);
    socket.send({ id: 'apq', type: 'subscribe', payload: { query: SUB, variables: { upc: '1' }, extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(SUB) } } } });
    await waitFor(() => subgraphSubscriptions(subgraphs.urls.reviews!).then((s) => s.active === 1), 'the APQ subscription upstream');
    socket.send({ id: 'apq', type: 'complete' });
    socket.ws.close();
    const fcmRefused = await post({ platform: 'fcm', token: fcmToken('b'), documentId: sha256Hex(SUB), variables: { upc: '1' } });
    expect([fcmRefused.status, fcmRefused.body.errors[0].extensions]).toEqual([400, { code: 'PUSH_PLATFORM_NOT_CONFIGURED', platform: 'fcm' }]);
    const registered = await post({ platform: 'apns', token: apnsToken('a'), documentId: `sha256:${sha256Hex(SUB)}`, variables: { upc: '1' }, state: 'background' });
    expect(registered.status).toBe(201);
    expect(gateway.push!.store.constructor.name).toBe('MemoryRegistrationStore');
    await waitFor(() => subgraphSubscriptions(subgraphs.urls.reviews!).then((s) => s.active === 1 && s.started >= 2), 'the bridge upstream');
    const id = (await postGraphQL(subgraphs.urls.reviews!, { query: 'mutation { addReview(input: { authorId: "1", productUpc: "1", body: "in memory" }) { id } }' })).body.data.addReview.id;
    await waitFor(() => apns.received.length === 1, 'the push');
    expect(apns.received[0]!.body.roam).toEqual({
      v: 1,
      registrationId: registered.body.id,
      documentId: `sha256:${sha256Hex(SUB)}`,
      eventId: expect.stringMatching(EVENT_ID),
      data: { reviewAdded: { id, body: 'in memory' } },
    });
  });
});
