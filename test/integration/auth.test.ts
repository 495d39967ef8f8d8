import pino from 'pino';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { freePort, openRaw, postGraphQL } from '@roam/testkit';
import { startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { mintToken, signingKey, startJwksServer, unsecuredToken, type JwksServer, type SigningKey } from '../support/jwks';
import { writeSupergraph } from '../support/stack';

// Issue 18 items 1-3: JWT authentication (JWKS from a local identity-provider stand-in, rotation, refusals),
// field authorization from the supergraph's @authenticated / @requiresScopes, trusted client identity.
const ISSUER = 'https://idp.test';
const AUDIENCE = 'roam-api';

describe('authentication and authorization', () => {
  let subgraphs: InProcessSubgraphs;
  let jwks: JwksServer;
  let key1: SigningKey;
  let key2: SigningKey;
  let optional: RoamGateway;
  let required: RoamGateway;
  let optionalUrl: string;
  let requiredUrl: string;
  let reject: RoamGateway;
  let rejectUrl: string;
  let noIdp: RoamGateway;
  let noIdpUrl: string;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    [key1, key2] = await Promise.all([signingKey('k1'), signingKey('k2')]);
    jwks = await startJwksServer([key1]);
    subgraphs = await startInProcessSubgraphs();
    const base = {
      PORT: '0',
      HOST: '127.0.0.1',
      SUPERGRAPH_PATH: writeSupergraph(subgraphs.definitions()),
      LOG_LEVEL: 'silent',
      AUTH_JWKS_URL: jwks.url,
      AUTH_ISSUER: ISSUER,
      AUTH_AUDIENCE: AUDIENCE,
      AUTH_JWKS_COOLDOWN_MS: '400',
      LIMITS_BY_CLIENT: JSON.stringify({ ios: { maxDepth: 2 } }),
    };
    optional = createGateway(readConfig({ ...base, AUTH_MODE: 'optional' }), pino({ level: 'silent' }));
    required = createGateway(readConfig({ ...base, AUTH_MODE: 'required' }), pino({ level: 'silent' }));
    optionalUrl = await optional.listen();
    requiredUrl = await required.listen();
    reject = createGateway(readConfig({ ...base, AUTH_MODE: 'optional', AUTHORIZATION_UNAUTHORIZED: 'reject' }), pino({ level: 'silent' }));
    rejectUrl = await reject.listen();
    // an identity provider that is down: nothing listens on this port
    noIdp = createGateway(readConfig({ ...base, AUTH_MODE: 'required', AUTH_JWKS_URL: `http://127.0.0.1:${await freePort()}/jwks.json` }), pino({ level: 'silent' }));
    noIdpUrl = await noIdp.listen();
  });
  afterAll(async () => {
    await optional?.close();
    await required?.close();
    await reject?.close();
    await noIdp?.close();
    await subgraphs?.close();
    await jwks?.close();
  });

  it('required mode: no token, an expired one, a wrong audience or issuer, alg none, a foreign signature → 401 UNAUTHENTICATED, no subgraph call', async () => {
    const before = subgraphs.servers.accounts.requestCount();
    const query = { query: '{ me { name } }' };
    const missing = await postGraphQL(requiredUrl, query);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect(missing.body).toEqual({ errors: [{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED', reason: 'MISSING' } }] });

    const expired = await postGraphQL(requiredUrl, query, bearer(await mintToken(key1, 'u1', { issuer: ISSUER, audience: AUDIENCE, expiresInSeconds: -120 })));
    expect([expired.status, expired.body.errors[0].extensions]).toEqual([401, { code: 'UNAUTHENTICATED', reason: 'EXPIRED' }]);

    const foreign = await signingKey('k1'); // same kid, another key: the signature does not verify
    const refused = [
      await mintToken(key1, 'u1', { issuer: ISSUER, audience: 'someone-else' }),
      await mintToken(key1, 'u1', { issuer: 'https://evil.test', audience: AUDIENCE }),
      unsecuredToken('u1', { iss: ISSUER, aud: AUDIENCE }),
      await mintToken(foreign, 'u1', { issuer: ISSUER, audience: AUDIENCE }),
      'not.a.jwt',
    ];
    for (const token of refused) {
      const res = await postGraphQL(requiredUrl, query, bearer(token));
      expect([res.status, res.body.errors[0].extensions]).toEqual([401, { code: 'UNAUTHENTICATED', reason: 'INVALID' }]);
      expect(res.text).not.toMatch(/signature|audience|issuer|alg/i);
    }
    const notBearer = await postGraphQL(requiredUrl, query, { authorization: 'Basic dTpw' });
    expect(notBearer.status).toBe(401);
    expect(subgraphs.servers.accounts.requestCount()).toBe(before);

    const ok = await postGraphQL(requiredUrl, query, bearer(await mintToken(key1, 'u1', { issuer: ISSUER, audience: AUDIENCE })));
    expect(ok.status).toBe(200);
    expect(ok.body.data.me.name).toEqual(expect.any(String));
  });

  it('key rotation: a token with a new kid makes one JWKS refetch; unknown kids refetch at most once per cooldown', async () => {
    const fetchesBefore = jwks.fetches();
    jwks.publish([key1, key2]);
    await new Promise((r) => setTimeout(r, 450)); // past AUTH_JWKS_COOLDOWN_MS of the last fetch
    const rotated = await postGraphQL(requiredUrl, { query: '{ me { id } }' }, bearer(await mintToken(key2, 'u2', { issuer: ISSUER, audience: AUDIENCE })));
    expect(rotated.status).toBe(200);
    expect(jwks.fetches()).toBe(fetchesBefore + 1);
    // a burst of tokens naming kids nobody published: refused, and the JWKS is not hammered
    const strangers = await Promise.all(Array.from({ length: 5 }, (_, i) => signingKey(`unknown-${i}`)));
    const burst = await Promise.all(strangers.map(async (k) => postGraphQL(requiredUrl, { query: '{ me { id } }' }, bearer(await mintToken(k, 'x', { issuer: ISSUER, audience: AUDIENCE })))));
    expect(burst.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    expect(jwks.fetches()).toBeLessThanOrEqual(fetchesBefore + 2);
  });

  it('@authenticated: an anonymous caller gets the field null with UNAUTHORIZED_FIELD_OR_TYPE, the rest executed; a verified one gets it', async () => {
    const query = { query: '{ me { name email } user(id: "2") { username } }' };
    const anonymous = await postGraphQL(optionalUrl, query);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.data.me).toEqual({ name: expect.any(String), email: null });
    expect(anonymous.body.data.user.username).toEqual(expect.any(String));
    expect(anonymous.body.errors).toEqual([{ message: 'Unauthorized field or type', path: ['me', 'email'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }]);

    const list = await postGraphQL(optionalUrl, { query: '{ users { id email } }' });
    expect(list.body.errors[0]).toMatchObject({ path: ['users', '@', 'email'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } });
    expect(list.body.data.users[0]).toEqual({ id: expect.any(String), email: null });

    const verified = await postGraphQL(optionalUrl, query, bearer(await mintToken(key1, 'u1', { issuer: ISSUER, audience: AUDIENCE })));
    expect(verified.body.errors).toBeUndefined();
    expect(verified.body.data.me.email).toMatch(/@example\.com$/);
  });

  it('a selection left empty is refused whole (403) before any subgraph call; @requiresScopes needs the scope', async () => {
    const before = subgraphs.servers.accounts.requestCount();
    const empty = await postGraphQL(optionalUrl, { query: '{ me { email } }' });
    expect(empty.status).toBe(403);
    expect(empty.body.errors[0].extensions).toEqual({ code: 'UNAUTHORIZED_FIELD_OR_TYPE', unauthorizedPaths: [['me', 'email']] });
    expect(subgraphs.servers.accounts.requestCount()).toBe(before);

    const mutation = { query: 'mutation { addReview(input: { authorId: "1", productUpc: "1", body: "scoped" }) { id body } }' };
    const reviewsBefore = subgraphs.servers.reviews.requestCount();
    const noScope = await postGraphQL(optionalUrl, mutation, bearer(await mintToken(key1, 'u1', { issuer: ISSUER, audience: AUDIENCE, claims: { scope: 'profile' } })));
    expect(noScope.status).toBe(403);
    expect(noScope.body.errors[0].extensions.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
    expect(subgraphs.servers.reviews.requestCount()).toBe(reviewsBefore);
    const scoped = await postGraphQL(optionalUrl, mutation, bearer(await mintToken(key1, 'u1', { issuer: ISSUER, audience: AUDIENCE, claims: { scope: 'profile reviews:write' } })));
    expect(scoped.body.errors).toBeUndefined();
    expect(scoped.body.data.addReview.body).toBe('scoped');
  });

  it('a named fragment whose every field is removed goes with its spreads (the fuzzer found a 500: the planner refused the empty fragment); nested fragments and inline fragments left empty too', async () => {
    // the fragment's only field removed: nothing of `user` is left, so the operation is refused whole
    const only = await postGraphQL(optionalUrl, { query: 'query Q($id: ID!) { user(id: $id) { ...F } } fragment F on User { email }', variables: { id: '1' } });
    expect(only.status).toBe(403);
    expect(only.body.errors[0].extensions).toEqual({ code: 'UNAUTHORIZED_FIELD_OR_TYPE', unauthorizedPaths: [['user', 'email']] });
    // an emptied fragment spread inside another fragment and inside an inline fragment, beside a field that stays
    const nested = await postGraphQL(optionalUrl, {
      query: '{ user(id: "1") { username ...Outer ... on User { ...Inner } } } fragment Outer on User { ...Inner } fragment Inner on User { email }',
    });
    expect(nested.status).toBe(200);
    expect(nested.body.data).toEqual({ user: { username: expect.any(String), email: null } });
    expect(nested.body.errors).toEqual([{ message: 'Unauthorized field or type', path: ['user', 'email'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }]);
  });

  it('trusted client identity: per-client limits follow the verified client claim, never apollographql-client-name', async () => {
    const deep = { query: '{ me { reviews { product { upc } } } }' };
    const claimedIos = await postGraphQL(optionalUrl, deep, {
      ...bearer(await mintToken(key1, 'u1', { issuer: ISSUER, audience: AUDIENCE, claims: { client_name: 'ios' } })),
      'apollographql-client-name': 'web',
    });
    expect(claimedIos.body.errors[0].extensions.code).toBe('MAX_DEPTH_LIMIT');
    const headerOnly = await postGraphQL(optionalUrl, deep, { ...bearer(await mintToken(key1, 'u1', { issuer: ISSUER, audience: AUDIENCE })), 'apollographql-client-name': 'ios' });
    expect(headerOnly.body.errors).toBeUndefined();
    const anonymousHeader = await postGraphQL(optionalUrl, deep, { 'apollographql-client-name': 'ios' });
    expect(anonymousHeader.body.errors).toBeUndefined();
  });

  it('WebSocket: the token comes in connection_init; a bad one is refused with 4403; an expiring one is closed with 4419 and a new one reconnects', async () => {
    const bad = await openRaw(requiredUrl);
    bad.send({ type: 'connection_init', payload: { authorization: 'Bearer not.a.jwt' } });
    expect((await bad.closed).code).toBe(4403);

    const soon = await mintToken(key1, 'u1', { issuer: ISSUER, audience: AUDIENCE, expiresInSeconds: 2 });
    const socket = await openRaw(requiredUrl);
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${soon}` } });
    await socket.waitMessage((m) => m.type === 'connection_ack', 'connection_ack');
    socket.send({ id: '1', type: 'subscribe', payload: { query: '{ me { name email } }' } });
    const next = await socket.waitMessage((m) => m.type === 'next' && m.id === '1', 'next');
    expect(next.payload.data.me.email).toMatch(/@example\.com$/);
    const closed = await socket.closed;
    expect(closed).toEqual({ code: 4419, reason: 'TOKEN_EXPIRED' });

    const fresh = await openRaw(requiredUrl);
    fresh.send({ type: 'connection_init', payload: { headers: { Authorization: `Bearer ${await mintToken(key1, 'u1', { issuer: ISSUER, audience: AUDIENCE })}` } } });
    await fresh.waitMessage((m) => m.type === 'connection_ack', 'connection_ack');
    fresh.ws.close();
  });

  it('AUTHORIZATION_UNAUTHORIZED=reject refuses the whole operation (403); a subscription with an unauthorized field is refused', async () => {
    const before = subgraphs.servers.accounts.requestCount();
    const res = await postGraphQL(rejectUrl, { query: '{ me { name email } }' });
    expect(res.status).toBe(403);
    expect(res.body.errors[0].extensions).toEqual({ code: 'UNAUTHORIZED_FIELD_OR_TYPE', unauthorizedPaths: [['me', 'email']] });
    expect(subgraphs.servers.accounts.requestCount()).toBe(before);

    const socket = await openRaw(optionalUrl);
    socket.send({ type: 'connection_init', payload: {} });
    await socket.waitMessage((m) => m.type === 'connection_ack', 'connection_ack');
    socket.send({ id: 's', type: 'subscribe', payload: { query: 'subscription { reviewAdded { id author { email } } }' } });
    const error = await socket.waitMessage((m) => m.id === 's' && m.type === 'error', 'error');
    expect(error.payload[0].extensions.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
    expect(subgraphs.servers.reviews.subscriptionCounts().active).toBe(0);
    socket.ws.close();
  });

  it('the identity provider unreachable: 503 AUTHENTICATION_UNAVAILABLE with Retry-After, no detail', async () => {
    const res = await postGraphQL(noIdpUrl, { query: '{ me { id } }' }, bearer(await mintToken(key1, 'u1', { issuer: ISSUER, audience: AUDIENCE })));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body.errors[0].extensions).toEqual({ code: 'AUTHENTICATION_UNAVAILABLE' });
    expect(res.text).not.toMatch(/127\.0\.0\.1|ECONNREFUSED/);
  });

  it('idempotency keys are scoped by the verified subject: two users may use the same key for different mutations', async () => {
    const mutation = (body: string) => ({ query: `mutation { addReview(input: { authorId: "1", productUpc: "2", body: "${body}" }) { body } }` });
    const scoped = { issuer: ISSUER, audience: AUDIENCE, claims: { scope: 'reviews:write' } };
    const alice = await postGraphQL(optionalUrl, mutation('from alice'), { ...bearer(await mintToken(key1, 'alice', scoped)), 'idempotency-key': 'shared-key-1' });
    const bob = await postGraphQL(optionalUrl, mutation('from bob'), { ...bearer(await mintToken(key1, 'bob', scoped)), 'idempotency-key': 'shared-key-1' });
    expect([alice.body.data?.addReview?.body, bob.body.data?.addReview?.body]).toEqual(['from alice', 'from bob']);
    // the same user reusing the key for another request is refused, as before
    const again = await postGraphQL(optionalUrl, mutation('other'), { ...bearer(await mintToken(key1, 'alice', scoped)), 'idempotency-key': 'shared-key-1' });
    expect(again.body.errors[0].extensions.code).toBe('IDEMPOTENCY_KEY_MISMATCH');
  });

  it('@defer cannot fetch a removed field: a filtered operation is answered whole, the deferred field null with its error', async () => {
    const query = { query: '{ me { name ... @defer { email username } } }' };
    const accept = { accept: 'multipart/mixed;deferSpec=20220824,application/json' };
    const anonymous = await postGraphQL(optionalUrl, query, accept);
    expect(anonymous.status).toBe(200);
    expect(String(anonymous.headers['content-type'])).toMatch(/^application\/json/);
    expect(anonymous.body.data.me).toEqual({ name: expect.any(String), email: null, username: expect.any(String) });
    expect(anonymous.body.errors).toEqual([{ message: 'Unauthorized field or type', path: ['me', 'email'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }]);
    const verified = await postGraphQL(optionalUrl, query, { ...accept, ...bearer(await mintToken(key1, 'u1', { issuer: ISSUER, audience: AUDIENCE })) });
    expect(String(verified.headers['content-type'])).toMatch(/^multipart\/mixed/);
    expect(verified.text).toMatch(/@example\.com/);
  });
});
