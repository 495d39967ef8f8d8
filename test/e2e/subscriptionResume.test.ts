import { request } from 'undici';
import { EVENT_ID_EXTENSION } from '@roam/redis';
import { postGraphQL, startRedis, waitFor, type TestRedis } from '@roam/testkit';
import { ResumingSubscriber } from '../support/resumeClient';
import { subgraphSubscriptions } from '../support/subgraphHealth';
import { startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';

// Issue 17 items 1, 2 and 5: subgraph events go through Redis Streams (durable, ids), every delivered event
// carries extensions.eventId, and a client that reconnects to any replica with extensions.lastEventId gets the
// missed events once, in order, then live ones; ids past retention, of another stream or from the future are refused.
const REVIEWS = 'subscription ($upc: String) { reviewAdded(upc: $upc) { id body author { name } } }';
const STOCK = 'subscription ($upc: String!) { stockChanged(upc: $upc) { upc inStock } }';
const ADD_REVIEW = 'mutation ($body: String!, $upc: String!) { addReview(input: { authorId: "1", productUpc: $upc, body: $body }) { id } }';
const RETENTION_COUNT = 40;
/** Subscribers in the reconnect test, half per replica (the issue asks 1,000; see the README for why this size). */
const SUBSCRIBERS = Number(process.env.RESUME_TEST_SUBSCRIBERS ?? 1000);

interface Ready {
  subscriptions: { connections: number; upstreams: number; subscribers: number };
}
async function readyOf(gateway: GatewayProcess): Promise<Ready> {
  const res = await request(`http://127.0.0.1:${gateway.port}/ready`);
  return (await res.body.json()) as Ready;
}

describe('resumable subscriptions on Redis Streams across two gateway replicas', () => {
  let redis: TestRedis;
  let subgraphs: SubgraphProcesses;
  let a: GatewayProcess;
  let b: GatewayProcess;

  async function addReview(body: string, upc: string): Promise<string> {
    const res = await postGraphQL(subgraphs.urls.reviews!, { query: ADD_REVIEW, variables: { body, upc } });
    expect(res.body.errors).toBeUndefined();
    return res.body.data.addReview.id as string;
  }
  async function setInStock(upc: string, inStock: boolean): Promise<void> {
    const res = await postGraphQL(subgraphs.urls.inventory!, { query: 'mutation ($upc: String!, $s: Boolean!) { setInStock(upc: $upc, inStock: $s) { upc } }', variables: { upc, s: inStock } });
    expect(res.body.errors).toBeUndefined();
  }

  beforeAll(async () => {
    redis = await startRedis();
    subgraphs = await startSubgraphs({ REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix, EVENT_RETENTION_COUNT: String(RETENTION_COUNT) });
    const supergraph = writeSupergraph(subgraphs.definitions());
    const env = { SUBSCRIPTION_MAX_CONNECTIONS_PER_CLIENT: '10000', LOG_LEVEL: 'warn' };
    [a, b] = await Promise.all([startGateway(supergraph, env), startGateway(supergraph, env)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await subgraphs?.stop();
    await redis?.stop();
  });

  it('a client that drops and resumes on the other replica gets the missed events once, in order, then live ones', async () => {
    const sub = new ResumingSubscriber(REVIEWS, { upc: '3' });
    await sub.connect(a.url);
    await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.reviews!)).active >= 1, 'the upstream subscription');
    const first = [await addReview('one', '3'), await addReview('two', '3')];
    await sub.waitEvents(2);
    await sub.drop();
    const missed = [await addReview('three', '3'), await addReview('four', '3')];
    await sub.connect(b.url, sub.lastEventId);
    await sub.waitEvents(4);
    const live = await addReview('five', '3');
    await sub.waitEvents(5);
    expect(sub.errors).toEqual([]);
    expect(sub.events.map((e) => e.data.reviewAdded.id)).toEqual([...first, ...missed, live]);
    expect(sub.events[2]!.data.reviewAdded).toEqual({ id: missed[0], body: 'three', author: { name: 'Mara Lindqvist' } });
    const ids = sub.events.map((e) => e.extensions?.[EVENT_ID_EXTENSION] as string);
    expect(ids.every((id) => /^reviews:REVIEW_ADDED@\d+-\d+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(5);
    await sub.drop();
  });

  it('refuses a resume id that is malformed, of another stream, from the future, or past retention', async () => {
    const codeOf = async (query: string, variables: Record<string, unknown>, lastEventId: string): Promise<unknown> => {
      const s = new ResumingSubscriber(query, variables);
      await s.connect(a.url, lastEventId);
      try {
        const code = await s.errorCode();
        expect(s.events).toEqual([]);
        return code;
      } finally {
        await s.drop();
      }
    };
    expect(await codeOf(REVIEWS, { upc: '1' }, 'not an id')).toBe('SUBSCRIPTION_RESUME_INVALID');
    expect(await codeOf(REVIEWS, { upc: '1' }, 'inventory:STOCK_CHANGED@1-0')).toBe('SUBSCRIPTION_RESUME_INVALID');
    expect(await codeOf(REVIEWS, { upc: '1' }, `reviews:REVIEW_ADDED@${Date.now() + 86_400_000}-0`)).toBe('SUBSCRIPTION_RESUME_INVALID');

    // past retention: more than EVENT_RETENTION_COUNT events after the id
    const stock = new ResumingSubscriber(STOCK, { upc: '2' });
    await stock.connect(a.url);
    await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.inventory!)).active >= 1, 'the stockChanged upstream');
    await setInStock('2', false);
    await stock.waitEvents(1);
    const old = stock.lastEventId!;
    await stock.drop();
    await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.inventory!)).active === 0, 'the upstream to close');
    for (let i = 0; i < RETENTION_COUNT + 2; i++) await setInStock('2', i % 2 === 0);
    expect(await codeOf(STOCK, { upc: '2' }, old)).toBe('SUBSCRIPTION_RESUME_GAP');
    await setInStock('2', true);
    // the subscriptions keep working afterwards, and a gateway process is still up
    expect((await readyOf(a)).subscriptions).toBeDefined();
  });

  it(`${SUBSCRIBERS} subscribers on two replicas all reconnect to the other one while events flow: 0 lost, 0 duplicated, order kept`, async () => {
    const upcs = ['1', '2', '4', '5'];
    const subs = Array.from({ length: SUBSCRIBERS }, (_, i) => new ResumingSubscriber(REVIEWS, { upc: upcs[i % upcs.length] }));
    const home = (i: number): GatewayProcess => (Math.floor(i / upcs.length) % 2 === 0 ? a : b);
    for (let i = 0; i < subs.length; i += 100) await Promise.all(subs.slice(i, i + 100).map((s, j) => s.connect(home(i + j).url)));
    await waitFor(async () => (await readyOf(a)).subscriptions.subscribers + (await readyOf(b)).subscriptions.subscribers === SUBSCRIBERS, 'every subscription on the gateways', 30_000);
    await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.reviews!)).active >= 2 * upcs.length, 'the upstream subscriptions');

    const expected = new Map<string, string[]>(upcs.map((u) => [u, []]));
    let producing = true;
    const producer = (async () => {
      for (let n = 0; producing; n++) {
        const upc = upcs[n % upcs.length]!;
        expected.get(upc)!.push(await addReview(`storm ${n}`, upc));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await waitFor(() => subs.every((s) => s.events.length >= 2), 'every subscriber to receive events', 30_000);
    // every client drops and resumes on the other replica while the producer keeps going
    for (let i = 0; i < subs.length; i += 50) {
      await Promise.all(
        subs.slice(i, i + 50).map(async (s, j) => {
          await s.drop();
          await s.connect(home(i + j) === a ? b.url : a.url, s.lastEventId);
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 300));
    producing = false;
    await producer;
    const want = (s: ResumingSubscriber): string[] => expected.get(s.variables.upc as string)!;
    await waitFor(() => subs.every((s) => s.errors.length > 0 || s.events.length >= want(s).length), 'every subscriber to catch up', 60_000);

    const failures = subs.filter((s) => s.errors.length > 0);
    expect(failures.map((s) => s.errors[0])).toEqual([]);
    let lost = 0;
    let duplicated = 0;
    let misordered = 0;
    for (const s of subs) {
      const got = s.events.map((e) => e.data.reviewAdded.id as string);
      const all = want(s);
      lost += all.filter((id) => !got.includes(id)).length;
      duplicated += got.length - new Set(got).size;
      if (got.join() !== all.join()) misordered++;
    }
    expect({ lost, duplicated, misordered }).toEqual({ lost: 0, duplicated: 0, misordered: 0 });
    expect(Math.min(...upcs.map((u) => expected.get(u)!.length))).toBeGreaterThan(5);
    await Promise.all(subs.map((s) => s.drop()));
  }, 120_000);
});
