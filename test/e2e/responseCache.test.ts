import { createHash } from 'node:crypto';
import { createPersistedClient, TopProductsQueryDocument } from '@roam/example-client';
import { createRedisConnections, RedisChannels, redisKeyspace, type RedisConnections } from '@roam/redis';
import { postGraphQL, startRedis, waitFor, type TestRedis } from '@roam/testkit';
import { applyPatch, type Operation } from 'fast-json-patch';
import { unpack } from 'msgpackr';
import { request } from 'undici';
import { client as wsClient } from '@roam/testkit';
import type { FormattedExecutionResult } from 'graphql-ws';
import { sample, scrape } from '../support/metrics';
import { subgraphSubscriptions } from '../support/subgraphHealth';
import { startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';

const TOKEN = 'test-admin-token-0123456789';
const PRODUCT = 'query Product($upc: String!) { product(upc: $upc) { upc name price inStock } }';
const ME = 'query Me { me { id username } }';
const SET_STOCK = 'mutation SetStock($upc: String!, $inStock: Boolean!) { setInStock(upc: $upc, inStock: $inStock) { upc inStock } }';

/** The ETag the gateway computes: SHA-256 of the response's JSON text, 22 base64url characters, quoted. */
const etagOf = (text: string) => `"${createHash('sha256').update(text).digest('base64url').slice(0, 22)}"`;

describe('response cache and delta updates: two gateway replicas sharing a real Redis', () => {
  let redis: TestRedis;
  let subgraphs: SubgraphProcesses;
  let one: GatewayProcess;
  let two: GatewayProcess;
  let publisher: RedisConnections;

  const product = (gateway: GatewayProcess, upc: string, headers: Record<string, string> = {}) => postGraphQL(gateway.url, { query: PRODUCT, variables: { upc } }, headers);
  const setStock = (gateway: GatewayProcess, upc: string, inStock: boolean) => postGraphQL(gateway.url, { query: SET_STOCK, variables: { upc, inStock } });

  beforeAll(async () => {
    redis = await startRedis();
    // the subgraphs share the Redis too: inventory publishes cache invalidations for its changes
    subgraphs = await startSubgraphs({ REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix });
    const supergraph = writeSupergraph(subgraphs.definitions());
    const env = {
      REDIS_URL: redis.url,
      PERSISTED_QUERIES_KEY_PREFIX: `${redis.prefix}pq:`,
      RESPONSE_CACHE: 'on',
      RESPONSE_CACHE_KEY_PREFIX: `${redis.prefix}cache:`,
      RESPONSE_CACHE_ADMIN_TOKEN: TOKEN,
      CACHE_HINTS: JSON.stringify({ 'Query.product': { maxAge: 60, scope: 'PUBLIC' }, 'Query.me': { maxAge: 60, scope: 'PRIVATE' } }),
    };
    [one, two] = await Promise.all([startGateway(supergraph, env), startGateway(supergraph, env)]);
    publisher = createRedisConnections(redis.url);
    await publisher.waitUntilReady(5000);
  });
  afterAll(async () => {
    await publisher?.close();
    await Promise.all([one?.stop(), two?.stop()]);
    await subgraphs?.stop();
    await redis?.stop();
  });

  it('misses, then hits on both replicas with Age, the same body and ETag; Cache-Control keeps its meaning', async () => {
    const first = await product(one, '3');
    expect(first.status).toBe(200);
    expect(first.headers['x-roam-cache']).toBe('MISS');
    expect(first.body.data.product).toMatchObject({ upc: '3' });
    expect(first.headers['cache-control']).toBe('max-age=60, public');
    const hit = await waitFor(
      async () => {
        const r = await product(one, '3');
        return r.headers['x-roam-cache'] === 'HIT' ? r : undefined;
      },
      'the write to land',
      2000,
    );
    expect(hit.text).toBe(first.text);
    expect(hit.headers.etag).toBe(first.headers.etag);
    expect(hit.headers['cache-control']).toBe('max-age=60, public');
    expect(Number(hit.headers.age)).toBeGreaterThanOrEqual(0);
    const other = await product(two, '3');
    expect(other.headers['x-roam-cache']).toBe('HIT');
    expect(other.text).toBe(first.text);
    // another variable value is another entry
    expect((await product(two, '4')).headers['x-roam-cache']).toBe('MISS');
  });

  it('never serves a private answer to another caller; anonymous private answers are not stored', async () => {
    const alice = { authorization: 'Bearer alice' };
    const bob = { authorization: 'Bearer bob' };
    expect((await postGraphQL(one.url, { query: ME }, alice)).headers['x-roam-cache']).toBe('MISS');
    await waitFor(async () => (await postGraphQL(two.url, { query: ME }, alice)).headers['x-roam-cache'] === 'HIT', 'alice to hit', 2000);
    const forBob = await postGraphQL(two.url, { query: ME }, bob);
    expect(forBob.headers['x-roam-cache']).toBe('MISS');
    expect(forBob.headers['cache-control']).toBe('max-age=60, private');
    expect((await postGraphQL(one.url, { query: ME })).headers['x-roam-cache']).toBe('MISS');
    await new Promise((r) => setTimeout(r, 100));
    expect((await postGraphQL(one.url, { query: ME })).headers['x-roam-cache']).toBe('MISS');
  });

  it('a mutation through one replica invalidates the entities it returns on both, and only those', async () => {
    const before = (await product(one, '1')).body.data.product;
    await product(one, '2');
    await waitFor(async () => (await product(two, '1')).headers['x-roam-cache'] === 'HIT' && (await product(two, '2')).headers['x-roam-cache'] === 'HIT', 'both cached', 2000);
    const mutation = await setStock(two, '1', !before.inStock);
    expect(mutation.body).toEqual({ data: { setInStock: { upc: '1', inStock: !before.inStock } } });
    expect(mutation.headers['cache-control']).toBe('no-store');
    for (const gateway of [one, two]) {
      const after = await product(gateway, '1');
      expect(after.body.data.product).toEqual({ ...before, inStock: !before.inStock });
    }
    expect((await product(one, '2')).headers['x-roam-cache']).toBe('HIT');
  });

  it('a change made in a subgraph outside the gateway (inventory publishes the invalidation) reaches both replicas within 100 ms', async () => {
    const before = (await product(one, '9')).body.data.product;
    await waitFor(async () => (await product(one, '9')).headers['x-roam-cache'] === 'HIT' && (await product(two, '9')).headers['x-roam-cache'] === 'HIT', 'cached on both', 2000);
    const direct = await postGraphQL(subgraphs.urls.inventory!, { query: SET_STOCK, variables: { upc: '9', inStock: !before.inStock } });
    expect(direct.body.data.setInStock.inStock).toBe(!before.inStock);
    const changed = Date.now();
    for (const gateway of [one, two]) {
      await waitFor(async () => (await product(gateway, '9')).body.data.product.inStock === !before.inStock, 'the new value on the replica', 100, 10);
    }
    expect(Date.now() - changed).toBeLessThan(1000);
  });

  it('an invalidation published on Redis by any tool (the documented message) reaches both replicas within 100 ms', async () => {
    for (const gateway of [one, two]) await product(gateway, '5');
    await waitFor(async () => (await product(one, '5')).headers['x-roam-cache'] === 'HIT', 'cached', 2000);
    const channels = new RedisChannels(publisher, redisKeyspace(`${redis.prefix}cache:`));
    const metricsBefore = await scrape(one.url.replace(/\/graphql$/, '/metrics'));
    expect(await channels.publish('invalidate', { entities: ['Product:5'] })).toBe(2); // both replicas listen
    const published = Date.now();
    await waitFor(async () => (await product(one, '5')).headers['x-roam-cache'] === 'MISS', 'the invalidation on one', 100, 10);
    expect(Date.now() - published).toBeLessThan(500);
    const metricsAfter = await scrape(one.url.replace(/\/graphql$/, '/metrics'));
    const invalidations = (source: string) =>
      sample(metricsAfter, 'roam_response_cache_invalidations_total', { source }) - sample(metricsBefore, 'roam_response_cache_invalidations_total', { source });
    expect({ subgraph: invalidations('subgraph'), mutation: invalidations('mutation'), admin: invalidations('admin') }).toEqual({ subgraph: 1, mutation: 0, admin: 0 });
  });

  it('the admin endpoint needs the bearer token, checks its body, and invalidates by type and operation', async () => {
    const admin = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
      request(one.url.replace('/graphql', '/admin/cache/invalidate'), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const refused = await admin({ types: ['Product'] }, { authorization: 'Bearer wrong-token-wrong-token' });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer');
    expect(((await refused.body.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('CACHE_ADMIN_UNAUTHORIZED');
    const bad = await admin({ entities: ['no-colon'] });
    expect(bad.statusCode).toBe(400);
    expect(((await bad.body.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('BAD_REQUEST');

    await product(two, '6');
    await waitFor(async () => (await product(two, '6')).headers['x-roam-cache'] === 'HIT', 'cached', 2000);
    const byType = await admin({ types: ['Product'] });
    expect(byType.statusCode).toBe(200);
    expect(((await byType.body.json()) as { invalidated: number }).invalidated).toBeGreaterThanOrEqual(1);
    expect((await product(two, '6')).headers['x-roam-cache']).toBe('MISS');

    await waitFor(async () => (await product(one, '6')).headers['x-roam-cache'] === 'HIT', 'cached again', 2000);
    expect(((await (await admin({ operations: ['Product'] })).body.json()) as { invalidated: number }).invalidated).toBeGreaterThanOrEqual(1);
    expect((await product(two, '6')).headers['x-roam-cache']).toBe('MISS');
  });

  it('delta updates: 304 unchanged, 226 JSON Patch after a change (applies to the full response), 200 for an unknown base; JSON and MessagePack', async () => {
    const delta = { 'a-im': 'json-patch' };
    const base = await product(one, '7', delta);
    expect(base.status).toBe(200);
    const etag = base.headers.etag as string;
    expect((await product(two, '7', { ...delta, 'if-none-match': etag })).status).toBe(304);
    const msgpackBase = await request(one.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/msgpack', ...delta },
      body: JSON.stringify({ query: PRODUCT, variables: { upc: '7' } }),
    });
    expect(msgpackBase.headers.etag).toBe(`${etag.slice(0, -1)}.mp"`); // its own representation tag
    await msgpackBase.body.arrayBuffer();

    await setStock(one, '7', !base.body.data.product.inStock);
    const patched = await product(one, '7', { ...delta, 'if-none-match': etag });
    expect(patched.status).toBe(226);
    expect(patched.headers.im).toBe('json-patch');
    expect(patched.headers['delta-base']).toBe(etag);
    expect(patched.headers['content-type']).toBe('application/json-patch+json');
    expect(patched.body).toEqual([{ op: 'replace', path: '/data/product/inStock', value: !base.body.data.product.inStock }]);
    const full = await product(two, '7');
    const applied = applyPatch(structuredClone(base.body), patched.body as Operation[]).newDocument;
    expect(applied).toEqual(full.body);
    expect(etagOf(JSON.stringify(applied))).toBe(patched.headers.etag);
    expect(patched.headers.etag).toBe(full.headers.etag);

    const packed = await request(one.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/msgpack', ...delta, 'if-none-match': etag },
      body: JSON.stringify({ query: PRODUCT, variables: { upc: '7' } }),
    });
    expect(packed.statusCode).toBe(226);
    expect(packed.headers['content-type']).toBe('application/msgpack');
    expect(unpack(Buffer.from(await packed.body.arrayBuffer()))).toEqual(patched.body);

    const unknown = await product(one, '7', { ...delta, 'if-none-match': '"AAAAAAAAAAAAAAAAAAAAAA"' });
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual(full.body);
    // another caller's base is not a base for this caller
    const stranger = await product(one, '7', { ...delta, 'if-none-match': etag, authorization: 'Bearer stranger' });
    expect(stranger.status).toBe(200);
  });

  it('the example client keeps its last response and ETag, and gets a 304, then a patch it verifies against the new ETag (JSON and MessagePack)', async () => {
    for (const responseEncoding of ['json', 'msgpack'] as const) {
      const statuses: number[] = [];
      const recording: typeof fetch = async (input, init) => {
        const res = await fetch(input, init);
        statuses.push(res.status);
        return res;
      };
      const client = createPersistedClient({ endpoint: one.url, fetch: recording, responseEncoding, deltas: true });
      const first = await client.execute(TopProductsQueryDocument, { first: 3 });
      expect(first.delta).toBe('full');
      const same = await client.execute(TopProductsQueryDocument, { first: 3 });
      expect(same).toMatchObject({ status: 304, delta: 'not-modified', data: first.data });
      const target = first.data!.topProducts![2]!;
      await setStock(two, target.upc, !target.inStock);
      const changed = await client.execute(TopProductsQueryDocument, { first: 3 });
      expect(changed.status).toBe(226);
      expect(changed.delta).toBe('patch');
      const expected = structuredClone(first.data!);
      expected.topProducts![2]!.inStock = !target.inStock;
      expect(changed.data).toEqual(expected);
      expect(statuses.slice(-2)).toEqual([304, 226]); // no fallback request: the patched result matched the ETag
      await setStock(two, target.upc, target.inStock!); // back, for the next encoding
    }
  });

  it('subscription patches (opt-in): the first event whole, later ones as JSON Patches against the previous event; without the opt-in, whole events', async () => {
    const c = wsClient(one.url);
    const query = 'subscription ($upc: String!) { stockChanged(upc: $upc) { upc name price weight inStock shippingEstimate } }';
    const received: { patched: FormattedExecutionResult[]; plain: FormattedExecutionResult[] } = { patched: [], plain: [] };
    const stops = (['patched', 'plain'] as const).map((kind) =>
      c.subscribe(
        { query, variables: { upc: '2' }, ...(kind === 'patched' ? { extensions: { patches: 'json-patch' } } : {}) },
        { next: (r) => void received[kind].push(r as FormattedExecutionResult), error: () => undefined, complete: () => undefined },
      ),
    );
    try {
      await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.inventory!)).active >= 1, 'the upstream subscription');
      for (const inStock of [true, false, true]) {
        const count = received.plain.length;
        expect((await setStock(two, '2', inStock)).body.data.setInStock.inStock).toBe(inStock);
        await waitFor(() => received.plain.length === count + 1 && received.patched.length === count + 1, 'the event on both subscriptions');
      }
      expect(received.plain.map((r) => (r.data as { stockChanged: { inStock: boolean } }).stockChanged.inStock)).toEqual([true, false, true]);
      expect(received.patched[0]).toEqual(received.plain[0]);
      // The patch covers the result; the event's own extensions (its eventId, for resume) come whole beside it.
      const resultOf = ({ extensions: _extensions, ...result }: FormattedExecutionResult) => result;
      let current = structuredClone(resultOf(received.patched[0]!)) as unknown;
      for (let i = 1; i < 3; i++) {
        const event = received.patched[i]!;
        expect(event.data).toBeUndefined();
        expect(event.extensions?.patch).toEqual([{ op: 'replace', path: '/data/stockChanged/inStock', value: [true, false, true][i] }]);
        expect(event.extensions?.eventId).toEqual(expect.any(String));
        expect(event.extensions?.eventId).toBe(received.plain[i]!.extensions?.eventId);
        current = applyPatch(current, event.extensions!.patch as Operation[]).newDocument;
        expect(current).toEqual(resultOf(received.plain[i]!));
      }
    } finally {
      for (const stop of stops) stop();
      await c.dispose();
    }
  });

  it('with Redis down the cache is bypassed and answers stay correct', async () => {
    const expected = (await product(one, '8')).body;
    await redis.stop();
    const during = await product(one, '8');
    expect(during.status).toBe(200);
    expect(during.body).toEqual(expected);
    expect(during.headers['x-roam-cache']).toBe('BYPASS');
    // a keyed mutation is refused, not executed, while the idempotency store (the same Redis) is away
    const keyed = await postGraphQL(one.url, { query: SET_STOCK, variables: { upc: '8', inStock: true } }, { 'idempotency-key': 'redis-down' });
    expect(keyed.status).toBe(503);
    const metrics = await scrape(one.url.replace(/\/graphql$/, '/metrics'));
    expect(sample(metrics, 'roam_response_cache_requests_total', { state: 'bypass' })).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'roam_idempotency_requests_total', { outcome: 'store_unavailable' })).toBe(1);
    const mutation = await setStock(two, '8', !expected.data.product.inStock);
    expect(mutation.body.data.setInStock.inStock).toBe(!expected.data.product.inStock);
    expect((await product(two, '8')).body.data.product.inStock).toBe(!expected.data.product.inStock);
  });
});
