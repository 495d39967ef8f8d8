import pino from 'pino';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { openRaw, postGraphQL, startRedis, type TestRedis } from '@roam/testkit';
import { startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { mintToken, signingKey, type SigningKey } from '../support/jwks';
import { writeSupergraph } from '../support/stack';

// Issue 18 item 7: rate limits per user and per client, shared by two replicas through one Redis; batch entries
// and WebSocket subscribes are counted; cost points; Redis going away leaves each replica limiting in memory.
describe('rate limits across two replicas sharing Redis', () => {
  let redis: TestRedis;
  let subgraphs: InProcessSubgraphs;
  let key: SigningKey;
  let replicas: RoamGateway[];
  let urls: string[];
  const as = async (subject: string, claims: Record<string, unknown> = {}) => ({ authorization: `Bearer ${await mintToken(key, subject, { claims })}` });
  const query = { query: '{ me { id } }' };

  beforeAll(async () => {
    key = await signingKey('k1');
    redis = await startRedis();
    subgraphs = await startInProcessSubgraphs();
    const config = readConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      SUPERGRAPH_PATH: writeSupergraph(subgraphs.definitions()),
      LOG_LEVEL: 'silent',
      AUTH_MODE: 'optional',
      AUTH_JWKS: JSON.stringify({ keys: [key.publicJwk] }),
      REDIS_URL: redis.url,
      PERSISTED_QUERIES_KEY_PREFIX: `${redis.prefix}pq:`,
      RATE_LIMIT_KEY_PREFIX: redis.prefix,
      RATE_LIMIT_WINDOW_SECONDS: '60',
      RATE_LIMIT_USER_REQUESTS: '5',
      RATE_LIMIT_CLIENT_COST: '60',
      RATE_LIMIT_REDIS_TIMEOUT_MS: '200',
    });
    replicas = [createGateway(config, pino({ level: 'silent' })), createGateway(config, pino({ level: 'silent' }))];
    urls = await Promise.all(replicas.map((r) => r.listen()));
  });
  afterAll(async () => {
    await Promise.all((replicas ?? []).map((r) => r.close()));
    await subgraphs?.close();
    await redis?.stop();
  });

  it('a user has 5 operations a window across both replicas; the 6th gets 429 with Retry-After; another user is not affected', async () => {
    const alice = await as('alice-1');
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await postGraphQL(urls[i % 2]!, query, alice)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const refused = await postGraphQL(urls[1]!, query, alice);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.body.errors[0].extensions).toEqual({ code: 'REQUEST_RATE_LIMITED', limit: 'user-requests', retryAfterSeconds: Number(refused.headers['retry-after']) });
    expect((await postGraphQL(urls[0]!, query, await as('bob-1'))).status).toBe(200);
  });

  it('each batch entry and each WebSocket subscribe counts', async () => {
    const carol = await as('carol-1');
    const batch = await postGraphQL(urls[0]!, [query, query, query], carol);
    expect(batch.body.map((r: { data?: unknown }) => r.data !== undefined)).toEqual([true, true, true]);
    const socket = await openRaw(urls[1]!);
    socket.send({ type: 'connection_init', payload: carol });
    await socket.waitMessage((m) => m.type === 'connection_ack', 'ack');
    for (const id of ['a', 'b', 'c']) socket.send({ id, type: 'subscribe', payload: query });
    const results = await Promise.all(['a', 'b', 'c'].map((id) => socket.waitMessage((m) => m.id === id && (m.type === 'next' || m.type === 'error'), id)));
    const codes = results.map((m) => (m.type === 'error' ? m.payload[0].extensions.code : (m.payload.errors?.[0]?.extensions?.code ?? 'ok')));
    expect(codes.sort()).toEqual(['REQUEST_RATE_LIMITED', 'ok', 'ok']);
    socket.ws.close();
  });

  it('cost points: a client spends its budget whoever its users are', async () => {
    const probe = await postGraphQL(urls[0]!, { query: '{ topProducts(first: 5) { upc } }' }, { ...(await as('probe', { client_name: 'probe-app' })), 'roam-include-cost': '1' });
    const cost = probe.body.extensions.cost.estimated as number;
    expect(cost).toBeGreaterThan(1);
    const allowed = Math.floor(60 / cost) - 0;
    const statuses: number[] = [];
    for (let i = 0; i < allowed + 1; i++) {
      statuses.push((await postGraphQL(urls[i % 2]!, { query: '{ topProducts(first: 5) { upc } }' }, await as(`dave-${i}`, { client_name: 'costly-app' }))).status);
    }
    expect(statuses.slice(0, allowed)).toEqual(Array(allowed).fill(200));
    const last = await postGraphQL(urls[0]!, { query: '{ topProducts(first: 5) { upc } }' }, await as('erin', { client_name: 'costly-app' }));
    expect(last.status).toBe(429);
    expect(last.body.errors[0].extensions.limit).toBe('client-cost');
  });

  it('Redis down: no request fails because of it, and each replica keeps limiting in its own memory', async () => {
    await redis.stop();
    const frank = await as('frank-1');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await postGraphQL(urls[0]!, query, frank)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await postGraphQL(urls[1]!, query, frank)).status).toBe(200); // the other replica's own memory
  });
});

// Issue 18 item 8: extensions.cost reports the actual cost next to the estimate, and a list returned longer
// than its @listSize assumption is charged at its real length (in memory: no REDIS_URL, as under npm start).
describe('actual cost', () => {
  let subgraphs: InProcessSubgraphs;
  let gateway: RoamGateway;
  let url: string;
  let key: SigningKey;

  beforeAll(async () => {
    key = await signingKey('k1');
    subgraphs = await startInProcessSubgraphs();
    // users is sized at 1 here, while the benchmark data has 6 users
    const definitions = subgraphs.definitions().map((d) => (d.name === 'accounts' ? { ...d, sdl: d.sdl.replace('@listSize(assumedSize: 100)', '@listSize(assumedSize: 1)') } : d));
    const config = readConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      SUPERGRAPH_PATH: writeSupergraph(definitions),
      LOG_LEVEL: 'silent',
      AUTH_MODE: 'optional',
      AUTH_JWKS: JSON.stringify({ keys: [key.publicJwk] }),
      RATE_LIMIT_USER_COST: '10',
    });
    gateway = createGateway(config, pino({ level: 'silent' }));
    url = await gateway.listen();
  });
  afterAll(async () => {
    await gateway?.close();
    await subgraphs?.close();
  });

  it('extensions.cost has actual next to estimated; the user is charged the real length, so the budget lasts 2 requests, not 10', async () => {
    const user = { authorization: `Bearer ${await mintToken(key, 'grace')}` };
    const first = await postGraphQL(url, { query: '{ users { id } }' }, { ...user, 'roam-include-cost': '1' });
    expect(first.body.data.users).toHaveLength(6);
    expect(first.body.extensions.cost).toMatchObject({ estimated: 1, actual: 6 });
    const second = await postGraphQL(url, { query: '{ users { id } }' }, user);
    expect(second.status).toBe(200);
    const third = await postGraphQL(url, { query: '{ users { id } }' }, user);
    expect(third.status).toBe(429);
    expect(third.body.errors[0].extensions.limit).toBe('user-cost');
  });
});
