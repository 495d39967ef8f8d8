import pino from 'pino';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { openRaw, postGraphQL, startRedis, type TestRedis } from '@roam/testkit';
import { startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { mintToken, signingKey, type SigningKey } from '../support/jwks';
import { writeSupergraph } from '../support/stack';

// README "Security" → "Rate limits": anonymous callers (no verified user) have a budget per client IP address
// (RATE_LIMIT_IP_REQUESTS), shared by replicas through Redis; X-Forwarded-For counts only past trusted proxies.
describe('per-IP rate limit for anonymous callers', () => {
  let redis: TestRedis;
  let subgraphs: InProcessSubgraphs;
  let key: SigningKey;
  let replicas: RoamGateway[];
  let urls: string[];
  let untrusting: RoamGateway;
  let untrustingUrl: string;
  const query = { query: '{ me { id } }' };
  const from = (ip: string) => ({ 'x-forwarded-for': ip });

  beforeAll(async () => {
    key = await signingKey('k1');
    redis = await startRedis();
    subgraphs = await startInProcessSubgraphs();
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      SUPERGRAPH_PATH: writeSupergraph(subgraphs.definitions()),
      LOG_LEVEL: 'silent',
      AUTH_MODE: 'optional',
      AUTH_JWKS: JSON.stringify({ keys: [key.publicJwk] }),
      RATE_LIMIT_WINDOW_SECONDS: '60',
      RATE_LIMIT_IP_REQUESTS: '3',
    };
    const shared = readConfig({
      ...env,
      REDIS_URL: redis.url,
      PERSISTED_QUERIES_KEY_PREFIX: `${redis.prefix}pq:`,
      RATE_LIMIT_KEY_PREFIX: redis.prefix,
      RATE_LIMIT_REDIS_TIMEOUT_MS: '500',
      // the test's requests come from 127.0.0.1: a trusted proxy, so X-Forwarded-For names the client
      RATE_LIMIT_TRUSTED_PROXIES: 'loopback',
    });
    replicas = [createGateway(shared, pino({ level: 'silent' })), createGateway(shared, pino({ level: 'silent' }))];
    untrusting = createGateway(readConfig(env), pino({ level: 'silent' }));
    urls = await Promise.all(replicas.map((r) => r.listen()));
    untrustingUrl = await untrusting.listen();
  });
  afterAll(async () => {
    await Promise.all([...(replicas ?? []), untrusting].map((r) => r?.close()));
    await subgraphs?.close();
    await redis?.stop();
  });

  it('an anonymous IP has 3 operations a window across both replicas, then 429 with Retry-After; another IP and verified users are not counted by it', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await postGraphQL(urls[i % 2]!, query, from('203.0.113.7'))).status);
    expect(statuses).toEqual([200, 200, 200]);
    const refused = await postGraphQL(urls[1]!, query, from('203.0.113.7'));
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.body.errors[0].extensions).toEqual({ code: 'REQUEST_RATE_LIMITED', limit: 'ip-requests', retryAfterSeconds: retryAfter });
    // a client address it prepended itself does not help: the trusted proxy's hop names the real one
    expect((await postGraphQL(urls[0]!, query, from('198.51.100.1, 203.0.113.7'))).status).toBe(429);
    expect((await postGraphQL(urls[0]!, query, from('203.0.113.8'))).status).toBe(200);
    const verified = { ...from('203.0.113.7'), authorization: `Bearer ${await mintToken(key, 'ip-user')}` };
    for (let i = 0; i < 4; i++) expect((await postGraphQL(urls[i % 2]!, query, verified)).status).toBe(200);
  });

  it('each batch entry and each WebSocket operation of an anonymous IP counts', async () => {
    const batch = await postGraphQL(urls[0]!, [query, query], from('203.0.113.20'));
    expect(batch.body.map((r: { data?: unknown }) => r.data !== undefined)).toEqual([true, true]);
    const socket = await openRaw(urls[1]!, ['graphql-transport-ws'], { headers: from('203.0.113.20') });
    socket.send({ type: 'connection_init', payload: {} });
    await socket.waitMessage((m) => m.type === 'connection_ack', 'ack');
    for (const id of ['a', 'b']) socket.send({ id, type: 'subscribe', payload: query });
    const results = await Promise.all(['a', 'b'].map((id) => socket.waitMessage((m) => m.id === id && (m.type === 'next' || m.type === 'error'), id)));
    const codes = results.map((m) => (m.type === 'error' ? m.payload[0].extensions.code : (m.payload.errors?.[0]?.extensions?.code ?? 'ok')));
    expect(codes.sort()).toEqual(['REQUEST_RATE_LIMITED', 'ok']);
    socket.ws.close();
  });

  it('without RATE_LIMIT_TRUSTED_PROXIES, X-Forwarded-For is ignored: a caller cannot pick a fresh address per request', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await postGraphQL(untrustingUrl, query, from(`192.0.2.${i}`))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('a RATE_LIMIT_TRUSTED_PROXIES entry that is not an address, range or known name stops the start', () => {
    expect(() => readConfig({ RATE_LIMIT_TRUSTED_PROXIES: 'loopback,not-a-proxy' })).toThrow(/RATE_LIMIT_TRUSTED_PROXIES.*not-a-proxy/);
  });
});
