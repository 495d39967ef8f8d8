import { request } from 'undici';
import { waitFor, postGraphQL, client, record } from '@roam/testkit';
import { subgraphSubscriptions } from '../support/subgraphHealth';
import { startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';

// Expected values come from subgraphs/kit/data/benchmark.json: user 1 "Mara Lindqvist"; product 1 "Table"
// (price 899, weight 100, in stock) → shippingEstimate = round(100 / 2) = 50 (price <= 1000); product 2 "Couch".
const ENRICHED = 'subscription { reviewAdded(upc: "1") { id body author { name } product { name inStock shippingEstimate } } }';
const ADD_REVIEW = 'mutation ($body: String!, $upc: String!) { addReview(input: { authorId: "1", productUpc: $upc, body: $body }) { id } }';

describe('subscriptions end to end: federated events over graphql-ws through real processes', () => {
  let subgraphs: SubgraphProcesses;
  let gateway: GatewayProcess;
  let supergraphPath: string;

  async function addReview(body: string, upc = '1'): Promise<string> {
    const res = await postGraphQL(gateway.url, { query: ADD_REVIEW, variables: { body, upc } });
    expect(res.body.errors).toBeUndefined();
    return res.body.data.addReview.id as string;
  }
  const reviewsActive = async (): Promise<number> => (await subgraphSubscriptions(subgraphs.urls.reviews)).active;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    supergraphPath = writeSupergraph(subgraphs.definitions());
    // A few quick reconnect attempts (README "Resilience"), so a dead owning subgraph ends its subscribers within the test.
    gateway = await startGateway(supergraphPath, { SUBGRAPH_POLICIES: JSON.stringify({ reviews: { reconnect: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20, maxElapsedMs: 1000 } } }) });
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraphs?.stop();
  });

  it('delivers reviewAdded enriched with fields from accounts, products and inventory', async () => {
    const c = client(gateway.url);
    const sub = record(c, ENRICHED);
    await waitFor(async () => (await reviewsActive()) === 1, 'the upstream subscription on reviews');
    const id = await addReview('Solid table');
    const [event] = await sub.waitResults(1);
    expect(event).toEqual({
      data: { reviewAdded: { id, body: 'Solid table', author: { name: 'Mara Lindqvist' }, product: { name: 'Table', inStock: true, shippingEstimate: 50 } } },
      extensions: { eventId: expect.stringMatching(/^reviews:REVIEW_ADDED@\d+-\d+$/) },
    });
    // a review of another product does not match upc "1"; the next one of product 1 does
    await addReview('Comfy couch', '2');
    const id2 = await addReview('Still solid');
    await sub.waitResults(2);
    expect(sub.results[1]?.data?.reviewAdded).toMatchObject({ id: id2, body: 'Still solid' });
    sub.dispose();
    await waitFor(async () => (await reviewsActive()) === 0, 'the upstream subscription to close after the client completed');
    await c.dispose();
  });

  it('shares one upstream subscription among identical client subscriptions, and closes it after the last leaves', async () => {
    const before = await subgraphSubscriptions(subgraphs.urls.reviews);
    const clients = Array.from({ length: 5 }, () => client(gateway.url));
    const subs = clients.map((c) => record(c, ENRICHED));
    const other = record(clients[0]!, 'subscription { reviewAdded(upc: "2") { id } }');
    await waitFor(async () => (await reviewsActive()) === 2, 'two upstream subscriptions (upc 1 and upc 2)');
    const id = await addReview('Shared');
    for (const s of subs) {
      await s.waitResults(1);
      expect(s.results[0]?.data?.reviewAdded.id).toBe(id);
    }
    const after = await subgraphSubscriptions(subgraphs.urls.reviews);
    expect(after.started - before.started).toBe(2); // 5 identical → 1, plus the upc "2" one
    expect(after.active).toBe(2);
    const ready = await request(gateway.url.replace('/graphql', '/ready'));
    expect(((await ready.body.json()) as { subscriptions: unknown }).subscriptions).toEqual({ connections: 5, upstreams: 2, subscribers: 6, upstreamSockets: 1 });
    for (const s of subs.slice(0, 4)) s.dispose();
    other.dispose();
    await waitFor(async () => (await reviewsActive()) === 1, 'only the shared upstream left');
    subs[4]!.dispose();
    await waitFor(async () => (await reviewsActive()) === 0, 'the shared upstream to close with its last subscriber');
    await Promise.all(clients.map((c) => c.dispose()));
  });

  it('delivers inventory stockChanged events, enriched with the product name from products', async () => {
    const c = client(gateway.url);
    const sub = record(c, 'subscription ($upc: String!) { stockChanged(upc: $upc) { upc name inStock } }', { upc: '2' });
    await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.inventory)).active === 1, 'the upstream subscription on inventory');
    const res = await postGraphQL(gateway.url, { query: 'mutation { setInStock(upc: "2", inStock: true) { upc inStock } }' });
    expect(res.body).toEqual({ data: { setInStock: { upc: '2', inStock: true } } });
    await sub.waitResults(1);
    expect(sub.results[0]).toEqual({ data: { stockChanged: { upc: '2', name: 'Couch', inStock: true } }, extensions: { eventId: expect.stringMatching(/^inventory:STOCK_CHANGED@\d+-\d+$/) } });
    await postGraphQL(gateway.url, { query: 'mutation { setInStock(upc: "2", inStock: false) { upc } }' });
    await c.dispose();
    await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.inventory)).active === 0, 'the inventory upstream to close');
  });

  it('runs queries over the same socket through the gateway', async () => {
    const c = client(gateway.url);
    const sub = record(c, '{ product(upc: "3") { name inStock shippingEstimate } }');
    expect(await sub.done).toEqual({ kind: 'complete' });
    expect(sub.results).toEqual([{ data: { product: { name: 'Glass', inStock: false, shippingEstimate: 10 } } }]);
    await c.dispose();
  });

  it('refuses a subscription sent over HTTP with 400 SUBSCRIPTION_REQUIRES_WEBSOCKET', async () => {
    const res = await postGraphQL(gateway.url, { query: 'subscription OnReview { reviewAdded { id } }' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('SUBSCRIPTION_REQUIRES_WEBSOCKET');
    const query = await postGraphQL(gateway.url, { query: 'query subscription { me { name } }' }); // the word alone is not enough
    expect(query.body).toEqual({ data: { me: { name: 'Mara Lindqvist' } } });
  });

  it('on a supergraph reload keeps subscriptions whose plan is unchanged and ends the others with SUBSCRIPTION_SCHEMA_RELOAD', async () => {
    const c = client(gateway.url);
    const kept = record(c, 'subscription { reviewAdded(upc: "1") { id author { name } } }');
    const changed = record(c, ENRICHED);
    await waitFor(async () => (await reviewsActive()) === 2, 'two upstream subscriptions');
    // recompose without inventory: `inStock`/`shippingEstimate` disappear, the accounts-only plan stays the same
    writeSupergraph(
      subgraphs.definitions().filter((d) => d.name !== 'inventory'),
      supergraphPath,
    );
    await waitFor(async () => {
      const res = await request(gateway.url.replace('/graphql', '/ready'));
      return ((await res.body.json()) as { supergraphVersion: number }).supergraphVersion === 2;
    }, 'the gateway to load the new supergraph');
    const outcome = await changed.done;
    expect(outcome.kind).toBe('error');
    expect((outcome as { error: any[] }).error[0].extensions.code).toBe('SUBSCRIPTION_SCHEMA_RELOAD');
    await waitFor(async () => (await reviewsActive()) === 1, 'the ended subscription to release its upstream');
    const id = await addReview('After reload');
    await kept.waitResults(1);
    expect(kept.results[0]).toEqual({ data: { reviewAdded: { id, author: { name: 'Mara Lindqvist' } } }, extensions: { eventId: expect.stringMatching(/^reviews:REVIEW_ADDED@\d+-\d+$/) } });
    kept.dispose();
    await c.dispose();
    await waitFor(async () => (await reviewsActive()) === 0, 'the upstream to close');
  });

  it('delivers an event with partial data and an error when an enrichment subgraph is down, and keeps the stream', async () => {
    const c = client(gateway.url);
    const sub = record(c, 'subscription { reviewAdded(upc: "1") { id body author { name } product { name } } }');
    await waitFor(async () => (await reviewsActive()) === 1, 'the upstream subscription');
    await subgraphs.processes.accounts.stop();
    const id = await addReview('Author unreachable');
    await sub.waitResults(1);
    const event = sub.results[0]!;
    expect(event.data).toEqual({ reviewAdded: { id, body: 'Author unreachable', author: { name: null }, product: { name: 'Table' } } });
    expect(event.errors?.[0]?.extensions?.code).toBe('SUBREQUEST_HTTP_ERROR');
    const id2 = await addReview('Still flowing');
    await sub.waitResults(2);
    expect(sub.results[1]?.data?.reviewAdded).toMatchObject({ id: id2, product: { name: 'Table' } });
    sub.dispose();
    await c.dispose();
    await waitFor(async () => (await reviewsActive()) === 0, 'the upstream to close');
  });

  it('ends every subscriber with one error when the owning subgraph dies mid-stream; the gateway stays up; a new subscribe gets an error with a code', async () => {
    const clients = [client(gateway.url), client(gateway.url)];
    const subs = [
      record(clients[0]!, 'subscription { reviewAdded { id } }'),
      record(clients[1]!, 'subscription { reviewAdded { id } }'),
      record(clients[1]!, 'subscription { reviewAdded(upc: "5") { id } }'),
    ];
    await waitFor(async () => (await reviewsActive()) === 2, 'the upstream subscriptions');
    await subgraphs.processes.reviews.stop(0);
    for (const s of subs) {
      const outcome = await s.done;
      expect(outcome.kind).toBe('error');
      expect((outcome as { error: any[] }).error[0].extensions).toMatchObject({ code: 'SUBSCRIPTION_UPSTREAM_ERROR', serviceName: 'reviews' });
    }
    const health = await request(gateway.url.replace('/graphql', '/health'));
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    const query = await postGraphQL(gateway.url, { query: '{ product(upc: "1") { name } }' });
    expect(query.body).toEqual({ data: { product: { name: 'Table' } } });
    const late = record(clients[0]!, 'subscription { reviewAdded { id } }');
    const outcome = await late.done;
    expect(outcome.kind).toBe('error');
    expect((outcome as { error: any[] }).error[0].extensions).toMatchObject({ code: 'SUBSCRIPTION_UPSTREAM_ERROR', serviceName: 'reviews' });
    expect(late.results).toEqual([]);
    await Promise.all(clients.map((c) => c.dispose()));
  });
});
