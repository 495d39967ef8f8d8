import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { request } from 'undici';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { postGraphQL, waitFor } from '@roam/testkit';
import { startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { sample, scrape } from '../support/metrics';
import { ResumingSubscriber } from '../support/resumeClient';
import { writeSupergraph } from '../support/stack';

// The metrics of the mobile features (idempotency keys, response cache and deltas, subscription resume, multipart)
// move on real requests to a real gateway over the in-process reference subgraphs. Inventory sits behind a relay
// that can hold mutation fetches until the test lets them go, so "still executing" is a state, not a race.
const PRODUCT = 'query Product($upc: String!) { product(upc: $upc) { upc name price inStock } }';
const SET_STOCK = 'mutation ($upc: String!, $inStock: Boolean!) { setInStock(upc: $upc, inStock: $inStock) { upc inStock } }';
const REVIEWS = 'subscription ($upc: String) { reviewAdded(upc: $upc) { id body } }';
const ADD_REVIEW = 'mutation ($body: String!) { addReview(input: { authorId: "1", productUpc: "8", body: $body }) { id } }';
const ADMIN_TOKEN = 'metrics-test-admin-token-0123456789';
const ios = { 'apollographql-client-name': 'ios', 'apollographql-client-version': '4.0.0' };

/** An HTTP relay to `target` that holds requests whose body contains `mutation` while `hold` is set. */
interface HoldingRelay {
  readonly url: string;
  /** Mutation requests waiting to be forwarded. */
  held(): number;
  /** Hold mutation requests from now on (`true`), or forward the held ones and stop holding (`false`). */
  setHold(hold: boolean): void;
  close(): Promise<void>;
}

async function startHoldingRelay(target: string): Promise<HoldingRelay> {
  let hold = false;
  let waiting: (() => void)[] = [];
  const forward = async (req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> => {
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'connection', 'content-length', 'transfer-encoding'].includes(name))) as Record<string, string>;
    const reply = await request(target, { method: 'POST', headers, body });
    res.writeHead(reply.statusCode, { 'content-type': String(reply.headers['content-type'] ?? 'application/json') });
    res.end(Buffer.from(await reply.body.arrayBuffer()));
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const go = () => void forward(req, body, res).catch(() => res.destroy());
      if (hold && body.toString('utf8').includes('mutation')) waiting.push(go);
      else go();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    held: () => waiting.length,
    setHold(next) {
      hold = next;
      if (next) return;
      const go = waiting;
      waiting = [];
      for (const f of go) f();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('metrics of idempotency keys, response cache, deltas, resume and multipart', () => {
  let subgraphs: InProcessSubgraphs;
  let relay: HoldingRelay;
  let gateway: RoamGateway;
  let url: string;
  let metricsUrl: string;
  let before: string;
  const delta = async (name: string, labels: Record<string, string> = {}) => sample(await scrape(metricsUrl), name, labels) - sample(before, name, labels);

  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
    relay = await startHoldingRelay(subgraphs.urls.inventory!);
    const defs = subgraphs.definitions().map((d) => (d.name === 'inventory' ? { ...d, url: relay.url } : d));
    const config = readConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      SUPERGRAPH_PATH: writeSupergraph(defs),
      LOG_LEVEL: 'silent',
      SHUTDOWN_GRACE_MS: '1000',
      METRICS_CLIENT_NAMES: 'ios',
      RESPONSE_CACHE: 'on',
      RESPONSE_CACHE_ADMIN_TOKEN: ADMIN_TOKEN,
      CACHE_HINTS: JSON.stringify({ 'Query.product': { maxAge: 60, scope: 'PUBLIC' } }),
      DELTA_UPDATES: 'on',
      IDEMPOTENCY_WAIT_MS: '600',
    });
    gateway = createGateway(config, pino({ level: 'silent' }));
    url = await gateway.listen();
    metricsUrl = url.replace(/\/graphql$/, '/metrics');
  });
  beforeEach(async () => {
    before = await scrape(metricsUrl);
  });
  afterAll(async () => {
    relay?.setHold(false);
    await gateway?.close();
    await relay?.close();
    await subgraphs?.close();
  });

  it('counts idempotency outcomes: executed, replayed, in_progress, waited_replayed, mismatch, invalid', async () => {
    const keyed = (key: string, inStock: boolean) => postGraphQL(url, { query: SET_STOCK, variables: { upc: '3', inStock } }, { ...ios, 'idempotency-key': key });
    expect((await keyed('k-1', true)).status).toBe(200);
    const replay = await keyed('k-1', true);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect((await keyed('k-1', false)).status).toBe(422);
    expect((await postGraphQL(url, { query: SET_STOCK, variables: { upc: '3', inStock: true } }, { ...ios, 'idempotency-key': 'has space' })).status).toBe(400);

    // the first request of k-2 is held at the relay: a duplicate waits IDEMPOTENCY_WAIT_MS and gets 409;
    // a duplicate still waiting when the first finishes gets its response
    relay.setHold(true);
    const first = keyed('k-2', false);
    await waitFor(() => relay.held() === 1, 'the first k-2 mutation held at the relay');
    expect((await keyed('k-2', false)).status).toBe(409);
    const waiting = keyed('k-2', false);
    await new Promise((resolve) => setTimeout(resolve, 150)); // it has claimed once and is polling
    relay.setHold(false);
    const [a, b] = await Promise.all([first, waiting]);
    expect(a.status).toBe(200);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.body).toEqual(a.body);

    for (const [outcome, n] of Object.entries({ executed: 2, replayed: 1, waited_replayed: 1, in_progress: 1, mismatch: 1, invalid: 1 })) {
      expect({ outcome, n: await delta('roam_idempotency_requests_total', { outcome, client_name: 'ios' }) }).toEqual({ outcome, n });
    }
    expect(await delta('roam_idempotency_requests_total', { outcome: 'store_unavailable' })).toBe(0);
  });

  it('counts response-cache lookups and invalidations by source, delta answers and the bytes patches saved', async () => {
    const product = (upc: string, headers: Record<string, string> = {}) => postGraphQL(url, { query: PRODUCT, variables: { upc } }, { ...ios, ...headers });
    const base = await product('5', { 'a-im': 'json-patch' });
    expect(base.headers['x-roam-cache']).toBe('MISS');
    expect((await product('5')).headers['x-roam-cache']).toBe('HIT');
    const etag = base.headers.etag as string;
    expect((await product('5', { 'a-im': 'json-patch', 'if-none-match': etag })).status).toBe(304);
    // a mutation on product 5 invalidates its cached response
    expect((await postGraphQL(url, { query: SET_STOCK, variables: { upc: '5', inStock: !base.body.data.product.inStock } })).status).toBe(200);
    const patched = await product('5', { 'a-im': 'json-patch', 'if-none-match': etag });
    expect(patched.status).toBe(226);
    const full = await product('5');
    expect((await product('5', { 'a-im': 'json-patch', 'if-none-match': '"AAAAAAAAAAAAAAAAAAAAAA"' })).status).toBe(200);
    const admin = await request(url.replace(/\/graphql$/, '/admin/cache/invalidate'), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ types: ['Product'] }),
    });
    expect(admin.statusCode).toBe(200);
    await admin.body.dump();

    expect(await delta('roam_response_cache_requests_total', { state: 'miss', client_name: 'ios' })).toBeGreaterThanOrEqual(2);
    expect(await delta('roam_response_cache_requests_total', { state: 'hit', client_name: 'ios' })).toBeGreaterThanOrEqual(1);
    expect(await delta('roam_response_cache_invalidations_total', { source: 'mutation' })).toBe(1);
    expect(await delta('roam_response_cache_invalidations_total', { source: 'admin' })).toBe(1);
    expect(await delta('roam_delta_responses_total', { outcome: 'patch', client_name: 'ios' })).toBe(1);
    expect(await delta('roam_delta_responses_total', { outcome: 'not_modified', client_name: 'ios' })).toBe(1);
    // the first request (no base yet) and the unknown base
    expect(await delta('roam_delta_responses_total', { outcome: 'full', client_name: 'ios' })).toBe(2);
    expect(await delta('roam_delta_saved_bytes_total', { client_name: 'ios' })).toBe(Buffer.byteLength(full.text) - Buffer.byteLength(patched.text));
  });

  it('counts resumes: from a running subscription, replayed by the subgraph, gap, invalid', async () => {
    const addReview = async (body: string) => expect((await postGraphQL(url, { query: ADD_REVIEW, variables: { body } })).body.errors).toBeUndefined();
    const stay = new ResumingSubscriber(REVIEWS, { upc: '8' });
    const mover = new ResumingSubscriber(REVIEWS, { upc: '8' });
    await stay.connect(url);
    await mover.connect(url);
    await waitFor(async () => {
      await addReview('r1');
      return stay.events.length > 0 && mover.events.length > 0;
    }, 'an event on both subscriptions');
    await mover.drop();
    // the other subscriber keeps the shared subscription and its recent events: resumed from memory
    await mover.connect(url, mover.lastEventId);
    await mover.drop();
    await stay.drop();
    await waitFor(() => gateway.subscriptions.stats().upstreams === 0, 'the shared subscription to close');
    // nothing runs any more: the reviews subgraph replays after the id
    const id = mover.lastEventId!;
    const replayed = new ResumingSubscriber(REVIEWS, { upc: '8' });
    await replayed.connect(url, id);
    await addReview('r2');
    await replayed.waitEvents(1);
    expect(replayed.errors).toEqual([]);
    await replayed.drop();
    // an id older than the oldest retained event of the stream, and one that is not an event id
    const gap = new ResumingSubscriber(REVIEWS, { upc: '8' });
    await gap.connect(url, `${id.slice(0, id.indexOf('@'))}@1-0`);
    expect(await gap.errorCode()).toBe('SUBSCRIPTION_RESUME_GAP');
    const invalid = new ResumingSubscriber(REVIEWS, { upc: '8' });
    await invalid.connect(url, 'not-an-event-id');
    expect(await invalid.errorCode()).toBe('SUBSCRIPTION_RESUME_INVALID');
    await Promise.all([gap.drop(), invalid.drop()]);

    expect(await delta('roam_subscription_resumes_total', { outcome: 'memory' })).toBe(1);
    // the replay, and the gap (asked of the subgraph too, then refused)
    expect(await delta('roam_subscription_resumes_total', { outcome: 'subgraph' })).toBe(2);
    expect(await delta('roam_subscription_resumes_total', { outcome: 'gap' })).toBe(1);
    expect(await delta('roam_subscription_resumes_total', { outcome: 'invalid' })).toBe(1);
  });

  it('counts multipart responses by kind: @defer and a multipart subscription', async () => {
    // a gateway without the response cache: its executor wrapper has no incremental delivery, so with
    // RESPONSE_CACHE=on a @defer query is answered whole
    const plain = createGateway(
      readConfig({ PORT: '0', HOST: '127.0.0.1', SUPERGRAPH_PATH: writeSupergraph(subgraphs.definitions()), LOG_LEVEL: 'silent', SHUTDOWN_GRACE_MS: '500', METRICS_CLIENT_NAMES: 'ios' }),
      pino({ level: 'silent' }),
    );
    try {
      const plainUrl = await plain.listen();
      const deferred = await request(plainUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'multipart/mixed;deferSpec=20220824,application/json', ...ios },
        body: JSON.stringify({ query: '{ topProducts(first: 2) { upc name ... @defer(label: "stock") { inStock } } }' }),
      });
      expect(deferred.headers['content-type']).toMatch(/^multipart\/mixed/);
      expect(await deferred.body.text()).toContain('"hasNext":false');
      const controller = new AbortController();
      const subscription = await request(plainUrl, {
        method: 'POST',
        signal: controller.signal,
        headers: { 'content-type': 'application/json', accept: 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json', ...ios },
        body: JSON.stringify({ query: REVIEWS, variables: { upc: '9' } }),
      });
      expect(subscription.headers['content-type']).toMatch(/subscriptionSpec=1\.0/);
      const text = await scrape(plainUrl.replace(/\/graphql$/, '/metrics'));
      expect(sample(text, 'roam_multipart_responses_total', { kind: 'defer', client_name: 'ios' })).toBe(1);
      expect(sample(text, 'roam_multipart_responses_total', { kind: 'subscription', client_name: 'ios' })).toBe(1);
      controller.abort();
      await subscription.body.dump().catch(() => undefined);
    } finally {
      await plain.close();
    }
  });
});
