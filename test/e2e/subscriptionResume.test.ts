import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { EVENT_ID_EXTENSION } from '@roam/redis';
import { postGraphQL, startRedisCluster, waitFor, type TestRedisCluster } from '@roam/testkit';
import { openMultipartSubscription } from '../support/multipartSubscriber';
import { ResumingSubscriber } from '../support/resumeClient';
import { apqExtension } from '../support/roamPq';
import { subgraphSubscriptions } from '../support/subgraphHealth';
import { startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';

// Issue 17 items 1, 2, 3 and 5, on one stack: two gateway replicas and the subgraphs on a three-master Redis
// Cluster with one replica per master (started here). Subgraph events go through Redis Streams (durable, ids),
// every delivered event carries extensions.eventId, and a client that reconnects to any replica with
// extensions.lastEventId gets the missed events once, in order, then live ones; ids past retention, of another
// stream or from the future are refused. Persisted queries, streams and resume keep working across replicas
// when the master holding both the persisted-query slot and the event stream's slot is killed (its replica is promoted).
const REVIEWS = 'subscription ($upc: String) { reviewAdded(upc: $upc) { id body author { name } } }';
const STOCK = 'subscription ($upc: String!) { stockChanged(upc: $upc) { upc inStock } }';
const ADD_REVIEW = 'mutation ($body: String!, $upc: String!) { addReview(input: { authorId: "1", productUpc: $upc, body: $body }) { id } }';
const Q1 = '{ product(upc: "1") { name } }';
const Q2 = '{ product(upc: "2") { name } }';
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

describe('resumable subscriptions on Redis Streams across two gateway replicas on a three-master Redis Cluster', () => {
  let cluster: TestRedisCluster;
  let subgraphs: SubgraphProcesses;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let prefix: string;
  let pqTag: string;
  let streamKey: string;

  async function addReview(body: string, upc: string): Promise<string> {
    const res = await postGraphQL(subgraphs.urls.reviews!, { query: ADD_REVIEW, variables: { body, upc } });
    expect(res.body.errors).toBeUndefined();
    return res.body.data.addReview.id as string;
  }
  async function setInStock(upc: string, inStock: boolean): Promise<void> {
    const res = await postGraphQL(subgraphs.urls.inventory!, { query: 'mutation ($upc: String!, $s: Boolean!) { setInStock(upc: $upc, inStock: $s) { upc } }', variables: { upc, s: inStock } });
    expect(res.body.errors).toBeUndefined();
  }

  async function hashOnly(gateway: GatewayProcess, text: string): Promise<unknown> {
    const res = await postGraphQL(gateway.url, { extensions: apqExtension(text) });
    return res.body;
  }

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    // a prefix whose persisted-query slot and reviews stream slot are on the same master, so one kill hits both
    for (;;) {
      prefix = `roamtest:${randomBytes(3).toString('hex')}:`;
      pqTag = `{${prefix}pq:}`;
      streamKey = `${prefix}stream:{reviews:REVIEW_ADDED}`;
      if ((await cluster.masterOf(pqTag)) === (await cluster.masterOf(streamKey))) break;
    }
    subgraphs = await startSubgraphs({ REDIS_URL: cluster.url, REDIS_PREFIX: prefix, EVENT_RETENTION_COUNT: String(RETENTION_COUNT) });
    const supergraph = writeSupergraph(subgraphs.definitions());
    const env = {
      REDIS_URL: cluster.url,
      PERSISTED_QUERIES: 'apq',
      PERSISTED_QUERIES_KEY_PREFIX: `${prefix}pq:`,
      PERSISTED_QUERIES_TIMEOUT_MS: '500',
      SUBSCRIPTION_MAX_CONNECTIONS_PER_CLIENT: '10000',
      LOG_LEVEL: 'warn',
    };
    [a, b] = await Promise.all([startGateway(supergraph, env), startGateway(supergraph, env)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await subgraphs?.stop();
    await cluster?.stop();
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

  it('resumes a multipart HTTP subscription on the other replica, and refuses bad ids with one error part', async () => {
    const eventIds = (parts: Record<string, any>[]): string[] => parts.map((p) => p.payload.extensions[EVENT_ID_EXTENSION] as string);
    await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.reviews!)).active === 0, 'the earlier upstream subscriptions to end');
    const first = await openMultipartSubscription(a.url, REVIEWS, { upc: '3' });
    expect(first.status).toBe(200);
    await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.reviews!)).active >= 1, 'the upstream subscription');
    const seen = [await addReview('mp one', '3'), await addReview('mp two', '3')];
    await waitFor(() => first.parts().length === 2, 'two event parts');
    const last = eventIds(first.parts())[1]!;
    await first.abort();
    const missed = [await addReview('mp three', '3'), await addReview('mp four', '3')];

    const resumed = await openMultipartSubscription(b.url, REVIEWS, { upc: '3' }, last);
    expect(resumed.status).toBe(200);
    expect(resumed.contentType).toBe('multipart/mixed;boundary="graphql";subscriptionSpec=1.0');
    await waitFor(() => resumed.parts().length >= 2, 'the missed events');
    const live = await addReview('mp five', '3');
    await waitFor(() => resumed.parts().length >= 3, 'the live event');
    await new Promise((r) => setTimeout(r, 200));
    const parts = [...first.parts(), ...resumed.parts()];
    expect(parts.map((p) => p.payload?.data?.reviewAdded?.id)).toEqual([...seen, ...missed, live]);
    expect(resumed.parts()[0]).toEqual({ payload: { data: { reviewAdded: { id: missed[0], body: 'mp three', author: { name: 'Mara Lindqvist' } } }, extensions: { eventId: expect.any(String) } } });
    expect(new Set(eventIds(parts)).size).toBe(5);
    await resumed.abort();

    // refusals: one transport-level error part `{payload: null, errors}`, no events, then the closing delimiter
    const refusal = async (query: string, variables: Record<string, unknown>, lastEventId: string): Promise<unknown> => {
      const s = await openMultipartSubscription(a.url, query, variables, lastEventId);
      expect(s.status).toBe(200);
      await s.done;
      expect(s.closed()).toBe(true);
      const [only, ...rest] = s.parts();
      expect(rest).toEqual([]);
      expect(only!.payload).toBeNull();
      expect(only!.errors).toHaveLength(1);
      expect(only!.errors[0].message).toEqual(expect.any(String));
      return only!.errors[0].extensions.code;
    };
    expect(await refusal(REVIEWS, { upc: '1' }, 'not an id')).toBe('SUBSCRIPTION_RESUME_INVALID');
    expect(await refusal(REVIEWS, { upc: '1' }, 'inventory:STOCK_CHANGED@1-0')).toBe('SUBSCRIPTION_RESUME_INVALID');
    expect(await refusal(REVIEWS, { upc: '1' }, `reviews:REVIEW_ADDED@${Date.now() + 86_400_000}-0`)).toBe('SUBSCRIPTION_RESUME_INVALID');
    // past retention: more than EVENT_RETENTION_COUNT reviews after the id (the reviews stream is one for all upcs)
    for (let i = 0; i < RETENTION_COUNT + 2; i++) await addReview(`mp filler ${i}`, '6');
    expect(await refusal(REVIEWS, { upc: '3' }, last)).toBe('SUBSCRIPTION_RESUME_GAP');
    await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.reviews!)).active === 0, 'the upstream subscriptions to end');
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
    const startedBefore = (await subgraphSubscriptions(subgraphs.urls.reviews!)).started;
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
    // almost every resume was served from the other replica's memory of the shared subscription, not by a new
    // upstream replay (one is opened only when that replica had not yet received the client's last event)
    const replays = (await subgraphSubscriptions(subgraphs.urls.reviews!)).started - startedBefore;
    expect(replays).toBeLessThan(SUBSCRIBERS / 10);
    await Promise.all(subs.map((s) => s.drop()));
  }, 120_000);

  it('persisted queries, event streams and resume work across replicas, and after the master holding them is killed', async () => {
    // a persisted query registered on A runs by hash on B (B's in-process cache is cold: Redis answers)
    expect((await postGraphQL(a.url, { query: Q1, extensions: apqExtension(Q1) })).body).toEqual({ data: { product: { name: 'Table' } } });
    expect(await hashOnly(b, Q1)).toEqual({ data: { product: { name: 'Table' } } });

    await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.reviews!)).active === 0, 'the earlier upstream subscriptions to close');
    const sub = new ResumingSubscriber(REVIEWS, { upc: '1' });
    await sub.connect(a.url);
    await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.reviews!)).active === 1, 'the upstream subscription');
    const before = [await addReview('before 1', '1'), await addReview('before 2', '1')];
    await sub.waitEvents(2);
    expect(sub.events.map((e) => e.data.reviewAdded.id)).toEqual(before);
    await sub.drop();

    // let the replica catch up, then kill the master under a load of persisted-query requests on both replicas
    const master = await cluster.masterOf(streamKey);
    expect(await cluster.cli(master, 'WAIT', '1', '2000')).toMatch(/^1/);
    // the load is an APQ client: hash only, and on PERSISTED_QUERY_NOT_FOUND (APQ's answer while the store cannot
    // be read) the hash with the text, as Apollo's APQ link does
    let loading = true;
    const outcomes: unknown[] = [];
    let fellBack = 0;
    const apqClient = async (gateway: GatewayProcess): Promise<unknown> => {
      const first = (await hashOnly(gateway, Q1)) as { errors?: { extensions: { code: string } }[] };
      if (first.errors?.[0]?.extensions.code !== 'PERSISTED_QUERY_NOT_FOUND') return first;
      fellBack++;
      return (await postGraphQL(gateway.url, { query: Q1, extensions: apqExtension(Q1) })).body;
    };
    const load = (async () => {
      while (loading) outcomes.push(await apqClient(a), await apqClient(b));
    })();
    await cluster.nodes.find((n) => n.port === master)!.kill();
    await cluster.waitHealthy(streamKey);
    expect(await cluster.masterOf(streamKey)).not.toBe(master);

    // events flow again once the subgraphs' Redis clients follow the promoted replica
    const live = new ResumingSubscriber(REVIEWS, { upc: '1' });
    await live.connect(b.url);
    await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.reviews!)).active === 1, 'the live upstream subscription');
    await waitFor(
      async () => {
        await addReview('after failover', '1');
        return live.events.length > 0;
      },
      'an event through the promoted master',
      20_000,
      200,
    );
    await addReview('after 2', '1');
    await live.waitEvents(live.events.length + 1);
    loading = false;
    await load;
    expect(outcomes.length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => JSON.stringify(o) !== JSON.stringify({ data: { product: { name: 'Table' } } }))).toEqual([]);
    expect(fellBack).toBeLessThan(outcomes.length);
    // and hash-only lookups are answered by the promoted master again, on both replicas
    for (const gateway of [a, b]) await waitFor(async () => JSON.stringify(await hashOnly(gateway, Q1)) === JSON.stringify({ data: { product: { name: 'Table' } } }), 'hash-only after failover');

    // resume on the other replica after the failover: exactly the events the stream kept after the last one seen
    await sub.connect(b.url, sub.lastEventId);
    await sub.waitEvents(2 + live.events.length);
    await new Promise((r) => setTimeout(r, 200));
    expect(sub.errors).toEqual([]);
    expect(sub.events.slice(2).map((e) => e.data.reviewAdded.id)).toEqual(live.events.map((e) => e.data.reviewAdded.id));

    // a persisted query registered after the failover on B runs by hash on A
    expect((await postGraphQL(b.url, { query: Q2, extensions: apqExtension(Q2) })).body).toEqual({ data: { product: { name: 'Couch' } } });
    expect(await hashOnly(a, Q2)).toEqual({ data: { product: { name: 'Couch' } } });
    await Promise.all([sub.drop(), live.drop()]);
  }, 90_000);
});
