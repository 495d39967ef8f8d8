import { freePort, startRedis, waitFor, type TestProcess, type TestRedis, postGraphQL, client, record } from '@roam/testkit';
import { subgraphSubscriptions } from '../support/subgraphHealth';
import { startGateway, startSubgraph, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';

describe('subscriptions across subgraph replicas through a real Redis', () => {
  let redis: TestRedis;
  let subgraphs: SubgraphProcesses;
  let otherReviews: TestProcess;
  let otherReviewsUrl: string;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix };
    subgraphs = await startSubgraphs(env);
    const port = await freePort();
    otherReviews = await startSubgraph('reviews', port, env);
    otherReviewsUrl = `http://127.0.0.1:${port}/graphql`;
    // the gateway knows only the first reviews replica; mutations go straight to the other one
    gateway = await startGateway(writeSupergraph(subgraphs.definitions()));
  });
  afterAll(async () => {
    await gateway?.stop();
    await otherReviews?.stop();
    await subgraphs?.stop();
    await redis?.stop();
  });

  it('a review added on one replica reaches a gateway subscriber whose upstream is on the other, enriched', async () => {
    const c = client(gateway.url);
    const sub = record(c, 'subscription { reviewAdded(upc: "1") { id body author { name } product { name inStock shippingEstimate } } }');
    await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.reviews)).active === 1, 'the upstream subscription on replica A');
    expect((await subgraphSubscriptions(otherReviewsUrl)).active).toBe(0);
    const res = await postGraphQL(otherReviewsUrl, { query: 'mutation { addReview(input: { authorId: "2", productUpc: "1", body: "From replica B" }) { id } }' });
    expect(res.body.errors).toBeUndefined();
    const id = res.body.data.addReview.id as string;
    await sub.waitResults(1);
    // user 2 is "Tomas Oduya" in benchmark.json; product 1 "Table", in stock, shippingEstimate round(100/2) = 50
    expect(sub.results[0]).toEqual({
      data: { reviewAdded: { id, body: 'From replica B', author: { name: 'Tomas Oduya' }, product: { name: 'Table', inStock: true, shippingEstimate: 50 } } },
      extensions: { eventId: expect.stringMatching(/^reviews:REVIEW_ADDED@\d+-\d+$/) },
    });
    await c.dispose();
  });
});
