import type { RoamGateway } from '@roam/gateway';
import { postGraphQL, waitFor } from '@roam/testkit';
import { startInProcessGateway, startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { ResumingSubscriber } from '../support/resumeClient';

// SUBSCRIPTION_RESUME_LINGER_MS (issue 17, reconnect storms): a shared subscription whose last client left keeps
// its upstream and its memory of recent events for that long, so a client reconnecting meanwhile resumes from the
// gateway's memory (no new upstream subscription), and the upstream closes once the time is up.
const QUERY = 'subscription ($upc: String) { reviewAdded(upc: $upc) { id body } }';
const ADD_REVIEW = 'mutation ($body: String!) { addReview(input: { authorId: "1", productUpc: "6", body: $body }) { id } }';
const LINGER_MS = 1500;

describe('subscriptions: a shared subscription lingers for resuming clients', () => {
  let subgraphs: InProcessSubgraphs;
  let gateway: RoamGateway;
  let url: string;

  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
    ({ gateway, url } = await startInProcessGateway(subgraphs, {
      SHUTDOWN_GRACE_MS: '1000',
      SUBSCRIPTION_RESUME_LINGER_MS: String(LINGER_MS),
    }));
  });
  afterAll(async () => {
    await gateway?.close();
    await subgraphs?.close();
  });

  const addReview = async (body: string): Promise<string> => {
    const res = await postGraphQL(url, { query: ADD_REVIEW, variables: { body } });
    expect(res.body.errors).toBeUndefined();
    return res.body.data.addReview.id as string;
  };
  const counts = (): { active: number; started: number } => subgraphs.servers.reviews!.subscriptionCounts();

  it('resumes from memory within the linger time, then closes the upstream', async () => {
    const sub = new ResumingSubscriber(QUERY, { upc: '6' });
    await sub.connect(url);
    await waitFor(() => counts().active === 1, 'the upstream subscription');
    const started = counts().started;
    const first = await addReview('first');
    await sub.waitEvents(1);
    await sub.drop();
    // the last client left: the upstream stays and the hub keeps remembering events
    const missed = [await addReview('missed 1'), await addReview('missed 2')];
    expect(counts().active).toBe(1);
    await sub.connect(url, sub.lastEventId);
    await sub.waitEvents(3);
    expect(sub.events.map((e) => e.data.reviewAdded.id)).toEqual([first, ...missed]);
    expect(counts().started).toBe(started); // served from the gateway's memory: no new upstream, no replay
    await sub.drop();
    await waitFor(() => counts().active === 0, 'the upstream to close after the linger time', LINGER_MS + 5000);
  });
});
