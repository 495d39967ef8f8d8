import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { request } from 'undici';
import { seedReviews } from '../../src/seed';
import { waitFor } from '@roam/testkit';
import { buildReviewsSubgraph } from '../../src/server';

// The reviews subgraph serves graphql-ws on its own port and counts its subscriptions.
describe('reviews subgraph: Subscription.reviewAdded over graphql-ws', () => {
  const { server } = buildReviewsSubgraph(seedReviews('benchmark'));
  let url: string;
  beforeAll(async () => {
    url = await server.listen(0);
  });
  afterAll(async () => {
    await server.close();
  });

  const addReview = async (body: string, upc = '1'): Promise<string> => {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `mutation { addReview(input: { authorId: "1", productUpc: "${upc}", body: "${body}" }) { id } }` }),
    });
    return ((await res.body.json()) as { data: { addReview: { id: string } } }).data.addReview.id;
  };

  it('emits each added review of the product it filters on, resolving fields of the event', async () => {
    const client = createClient({ url: url.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    const events: any[] = [];
    const dispose = client.subscribe(
      { query: 'subscription { reviewAdded(upc: "1") { id body product { upc reviews { id } } } }' },
      { next: (r) => events.push(r.data), error: () => undefined, complete: () => undefined },
    );
    await waitFor(() => server.subscriptionCounts().active === 1, 'the subscription');
    const first = await addReview('one');
    await addReview('other product', '2');
    const second = await addReview('two');
    await waitFor(() => events.length >= 2, 'two events');
    expect(events.map((e) => [e.reviewAdded.id, e.reviewAdded.body])).toEqual([
      [first, 'one'],
      [second, 'two'],
    ]);
    const ids = (e: any): string[] => e.reviewAdded.product.reviews.map((r: { id: string }) => r.id);
    expect(ids(events[0])).toContain(first);
    expect(ids(events[0])).not.toContain(second);
    expect(ids(events[1])).toEqual(expect.arrayContaining([first, second]));
    dispose();
    await waitFor(() => server.subscriptionCounts().active === 0, 'the subscription to end');
    expect(server.subscriptionCounts().started).toBe(1);
    await client.dispose();
  });
});
