import pino from 'pino';
import { request } from 'undici';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { postGraphQL } from '@roam/testkit';
import { startFaultySubgraph, type FaultySubgraph } from '../support/faultySubgraph';
import { startInProcessGateway, startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { sample, scrape } from '../support/metrics';
import { writeSupergraph } from '../support/stack';

// Issue 14: the response cache in memory (npm start without REDIS_URL): stampede protection, hits without
// subgraph calls, entity tags for entities whose key the client did not select, the admin endpoint off.
describe('response cache, in-memory store (one process)', () => {
  let subgraphs: InProcessSubgraphs;
  let gateway: RoamGateway;
  let url: string;
  const calls = () => subgraphs.servers.products!.requestCount() + subgraphs.servers.inventory!.requestCount();

  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
    ({ gateway, url } = await startInProcessGateway(subgraphs, {
      RESPONSE_CACHE: 'on',
      CACHE_HINTS: JSON.stringify({ Product: { maxAge: 60, scope: 'PUBLIC' }, 'Query.users': { maxAge: 2, scope: 'PUBLIC' } }),
      RESPONSE_CACHE_WARM_TOP: '3', // the entries of the tests before this one count too
    }));
  });
  afterAll(async () => {
    await gateway?.close();
    await subgraphs?.close();
  });

  it('20 concurrent misses of one key run one execution (in-flight coalescing); later requests hit without calling a subgraph', async () => {
    const query = '{ topProducts(first: 3) { upc name inStock } }';
    const before = calls();
    const answers = await Promise.all(Array.from({ length: 20 }, () => postGraphQL(url, { query })));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(answers.every((a) => a.status === 200 && a.body.data.topProducts.length === 3)).toBe(true);
    // those that arrived while the first ran share its execution (MISS); any arriving after it was stored hit
    expect(answers.filter((a) => a.headers['x-roam-cache'] === 'MISS').length).toBeGreaterThanOrEqual(1);
    expect(answers.every((a) => a.headers['x-roam-cache'] === 'MISS' || a.headers['x-roam-cache'] === 'HIT')).toBe(true);
    expect(calls() - before).toBe(2); // one products fetch, one inventory entity fetch
    const hit = await postGraphQL(url, { query });
    expect(hit.headers['x-roam-cache']).toBe('HIT');
    expect(hit.text).toBe(answers[0]!.text);
    expect(calls() - before).toBe(2);
  });

  it('a cached response whose product key was not selected is still dropped by a mutation on that product', async () => {
    const query = '{ product(upc: "2") { name inStock } }';
    const first = await postGraphQL(url, { query });
    expect((await postGraphQL(url, { query })).headers['x-roam-cache']).toBe('HIT');
    const inStock = first.body.data.product.inStock as boolean;
    // the mutation selects no key either: its result names "some Product", which drops every Product response
    const mutation = await postGraphQL(url, { query: `mutation { setInStock(upc: "2", inStock: ${!inStock}) { inStock } }` });
    expect(mutation.body.data.setInStock.inStock).toBe(!inStock);
    const after = await postGraphQL(url, { query });
    expect(after.headers['x-roam-cache']).toBe('MISS');
    expect(after.body.data.product).toEqual({ name: first.body.data.product.name, inStock: !inStock });
  });

  it('warming: a public response among the RESPONSE_CACHE_WARM_TOP most hit is refreshed before its max-age runs out, so it keeps hitting', async () => {
    const query = '{ users { id name } }';
    const accounts = () => subgraphs.servers.accounts!.requestCount();
    expect((await postGraphQL(url, { query })).headers['x-roam-cache']).toBe('MISS');
    for (let i = 0; i < 5; i++) expect((await postGraphQL(url, { query })).headers['x-roam-cache']).toBe('HIT');
    const before = accounts();
    await new Promise((r) => setTimeout(r, 3200)); // past the first max-age (2 s)
    const later = await postGraphQL(url, { query });
    expect(later.headers['x-roam-cache']).toBe('HIT');
    expect(Number(later.headers.age)).toBeLessThan(2);
    expect(accounts()).toBeGreaterThan(before); // refreshed in the background
    // the refreshes are the cache's own requests (client roam-cache-warmer, label "other"): not counted as lookups
    const metrics = await scrape(url.replace(/\/graphql$/, '/metrics'));
    expect(sample(metrics, 'roam_response_cache_requests_total', { client_name: 'none' })).toBeGreaterThanOrEqual(7);
    expect(sample(metrics, 'roam_response_cache_requests_total', { client_name: 'other' })).toBe(0);
  });

  it('an unhinted query is not cached, a refused one never reaches the cache; without RESPONSE_CACHE_ADMIN_TOKEN there is no admin endpoint', async () => {
    const unhinted = '{ me { id } }';
    await postGraphQL(url, { query: unhinted });
    const again = await postGraphQL(url, { query: unhinted });
    expect(again.headers['cache-control']).toBe('private, no-cache');
    expect(again.headers['x-roam-cache']).toBe('MISS');
    const failing = '{ product(upc: "1") { name } nope: product(upc: $x) { name } }';
    expect((await postGraphQL(url, { query: failing })).headers['x-roam-cache']).toBeUndefined(); // refused before execution
    const admin = await request(url.replace('/graphql', '/admin/cache/invalidate'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"types":["Product"]}' });
    expect(admin.statusCode).toBe(404);
    await admin.body.text();
  });
});

describe('response cache: a query sharing an execution that started before a mutation', () => {
  let subgraphs: InProcessSubgraphs;
  let faulty: FaultySubgraph;
  let gateway: RoamGateway;
  let url: string;

  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
    // reviews answers late, so an execution that read inventory early is still running when the mutation ends
    faulty = await startFaultySubgraph(subgraphs.urls.reviews!);
    const definitions = subgraphs.definitions().map((d) => (d.name === 'reviews' ? { ...d, url: faulty.url } : d));
    const config = readConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      SUPERGRAPH_PATH: writeSupergraph(definitions),
      LOG_LEVEL: 'silent',
      RESPONSE_CACHE: 'on',
      CACHE_HINTS: JSON.stringify({ Product: { maxAge: 60, scope: 'PUBLIC' } }),
    });
    gateway = createGateway(config, pino({ level: 'silent' }));
    url = await gateway.listen();
  });
  afterAll(async () => {
    await gateway?.close();
    await faulty?.close();
    await subgraphs?.close();
  });

  it('gets its (older) answer, which is not stored: the next query sees the mutation', async () => {
    const query = '{ product(upc: "4") { upc name inStock reviews { id } } }';
    const current = await postGraphQL(subgraphs.urls.inventory!, { query: '{ _entities(representations: [{ __typename: "Product", upc: "4" }]) { ... on Product { inStock } } }' });
    const old = current.body.data._entities[0].inStock as boolean;
    faulty.mode = 'slow';
    faulty.delayMs = 600;
    const first = postGraphQL(url, { query }); // reads inventory at once, then waits on reviews
    await new Promise((r) => setTimeout(r, 150));
    const mutation = await postGraphQL(url, { query: `mutation { setInStock(upc: "4", inStock: ${!old}) { upc inStock } }` });
    expect(mutation.body.data.setInStock.inStock).toBe(!old);
    const second = await postGraphQL(url, { query }); // arrives after the mutation, shares the running execution
    faulty.mode = 'ok';
    expect((await first).body.data.product.inStock).toBe(old);
    expect(second.body.data.product.inStock).toBe(old); // COALESCE_INFLIGHT: documented
    await new Promise((r) => setTimeout(r, 50));
    const third = await postGraphQL(url, { query });
    expect(third.headers['x-roam-cache']).toBe('MISS');
    expect(third.body.data.product.inStock).toBe(!old);
  });
});

describe('response cache and @defer (one process, in-memory store)', () => {
  let subgraphs: InProcessSubgraphs;
  let gateway: RoamGateway;
  let url: string;
  const MULTIPART = 'multipart/mixed;deferSpec=20220824, application/json';

  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
    ({ gateway, url } = await startInProcessGateway(subgraphs, {
      RESPONSE_CACHE: 'on',
      CACHE_HINTS: JSON.stringify({ Product: { maxAge: 60, scope: 'PUBLIC' } }),
    }));
  });
  afterAll(async () => {
    await gateway?.close();
    await subgraphs?.close();
  });

  const post = (query: string) =>
    request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: MULTIPART }, body: JSON.stringify({ query }) }).then(async (res) => ({
      status: res.statusCode,
      contentType: String(res.headers['content-type']),
      cache: res.headers['x-roam-cache'],
      text: await res.body.text(),
    }));

  it('a deferred query still streams as multipart with the cache on (it passes the cache), and is never stored as a partial answer', async () => {
    const query = '{ product(upc: "1") { name ... @defer { inStock } } }';
    for (let i = 0; i < 2; i++) {
      const res = await post(query);
      expect(res.status).toBe(200);
      expect(res.contentType).toMatch(/^multipart\/mixed/);
      expect(res.cache).toBeUndefined();
      expect(res.text).toContain('"incremental"');
      expect(res.text).toContain('"inStock"');
    }
    // the same document without multipart is answered whole, and is cached like any query
    const whole = await postGraphQL(url, { query });
    expect(typeof whole.body.data.product.inStock).toBe('boolean');
    expect(whole.headers['x-roam-cache']).toBe('MISS');
    expect((await postGraphQL(url, { query })).headers['x-roam-cache']).toBe('HIT');
  });

  it('a deferred mutation runs whole and still invalidates what it returns', async () => {
    const query = '{ product(upc: "3") { upc inStock } }';
    const first = await postGraphQL(url, { query });
    expect((await postGraphQL(url, { query })).headers['x-roam-cache']).toBe('HIT');
    const inStock = first.body.data.product.inStock as boolean;
    const mutation = await post(`mutation { setInStock(upc: "3", inStock: ${!inStock}) { upc ... @defer { inStock } } }`);
    expect(mutation.status).toBe(200);
    expect(JSON.parse(mutation.text)).toEqual({ data: { setInStock: { upc: '3', inStock: !inStock } } });
    const after = await postGraphQL(url, { query });
    expect(after.headers['x-roam-cache']).toBe('MISS');
    expect(after.body.data.product.inStock).toBe(!inStock);
  });
});
