import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { sendIdempotentMutation } from '@roam/example-client';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { freePort, postGraphQL } from '@roam/testkit';
import { startHoldingProxy, type HoldingProxy } from '../support/holdingProxy';
import { startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { writeSupergraph } from '../support/stack';

const ADD_REVIEW = 'mutation AddReview($body: String!) { addReview(input: { authorId: "2", productUpc: "3", body: $body }) { id body } }';
const noWait = async (): Promise<void> => undefined;

// Issue 12 item 5: the example client's retries of one user action, against a real gateway (memory store, as under
// `npm start`) whose reviews fetches pass through a proxy the test steers, and a proxy in front of the gateway.
describe('example client: one idempotency key per user action, kept across retries', () => {
  let subgraphs: InProcessSubgraphs;
  let reviewsProxy: HoldingProxy;
  let gatewayProxy: HoldingProxy;
  let gateway: RoamGateway;
  let url: string;

  const reviewsWithBody = async (body: string): Promise<string[]> =>
    ((await postGraphQL(url, { query: '{ product(upc: "3") { reviews { id body } } }' })).body.data.product.reviews as { id: string; body: string }[]).filter((r) => r.body === body).map((r) => r.id);

  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
    reviewsProxy = await startHoldingProxy(subgraphs.urls.reviews!);
    const supergraph = writeSupergraph(subgraphs.definitions().map((d) => (d.name === 'reviews' ? { ...d, url: reviewsProxy.url } : d)));
    gateway = createGateway(readConfig({ PORT: '0', SUPERGRAPH_PATH: supergraph, LOG_LEVEL: 'silent' }), pino({ level: 'silent' }));
    url = await gateway.listen();
    gatewayProxy = await startHoldingProxy(url);
  });
  afterAll(async () => {
    await gatewayProxy?.close();
    await gateway?.close();
    await reviewsProxy?.close();
    await subgraphs?.close();
  });
  afterEach(() => {
    reviewsProxy.mode = 'pass';
    gatewayProxy.mode = 'pass';
  });

  it('the answer is lost on the way back (the gateway ran it): the retry carries the same key and gets the replay; one review', async () => {
    const body = `lost ${randomUUID()}`;
    gatewayProxy.mode = 'drop';
    const sending = sendIdempotentMutation<{ addReview: { id: string } }>(
      { query: ADD_REVIEW, variables: { body } },
      { endpoint: gatewayProxy.url, clientName: 'ios', sleep: async () => void (gatewayProxy.mode = 'pass') },
    );
    const result = await sending;
    expect(result.attempts).toBe(2);
    expect(result.replayed).toBe(true);
    expect(gatewayProxy.keys.slice(-2)).toEqual([result.idempotencyKey, result.idempotencyKey]);
    expect(result.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(await reviewsWithBody(body)).toEqual([result.data!.addReview.id]);
  });

  it('a 409 while the first attempt still runs: waits at least Retry-After, then gets the first answer', async () => {
    const body = `busy ${randomUUID()}`;
    const key = randomUUID();
    reviewsProxy.mode = 'delay';
    reviewsProxy.delayMs = 1500;
    const first = postGraphQL(url, { query: ADD_REVIEW, variables: { body } }, { 'idempotency-key': key, 'apollographql-client-name': 'ios' });
    await new Promise((r) => setTimeout(r, 200));
    const result = await sendIdempotentMutation<{ addReview: { id: string } }>({ query: ADD_REVIEW, variables: { body } }, { endpoint: url, clientName: 'ios', idempotencyKey: key, random: () => 0 });
    const direct = await first;
    expect(result.delaysMs.length).toBeGreaterThanOrEqual(1);
    for (const d of result.delaysMs) expect(d).toBeGreaterThanOrEqual(1000); // Retry-After: 1 wins over a zero jitter
    expect(result.replayed).toBe(true);
    expect(result.data).toEqual(direct.body.data);
    expect(await reviewsWithBody(body)).toHaveLength(1);
  });

  it('stops at the first 4xx other than 409 (the key reused for another request → 422), and backs off exponentially with jitter on failures', async () => {
    const key = randomUUID();
    await sendIdempotentMutation({ query: ADD_REVIEW, variables: { body: `a ${key}` } }, { endpoint: url, clientName: 'ios', idempotencyKey: key });
    const reused = await sendIdempotentMutation({ query: ADD_REVIEW, variables: { body: `b ${key}` } }, { endpoint: url, clientName: 'ios', idempotencyKey: key, sleep: noWait });
    expect([reused.status, reused.attempts, reused.errors?.[0]?.extensions?.code]).toEqual([422, 1, 'IDEMPOTENCY_KEY_MISMATCH']);
    // nothing listens: every attempt fails without an answer; the caps double (random() = 1 - ε takes the cap)
    const closed = `http://127.0.0.1:${await freePort()}/graphql`;
    const delays: number[] = [];
    await expect(
      sendIdempotentMutation(
        { query: ADD_REVIEW, variables: { body: 'x' } },
        { endpoint: closed, maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 500, random: () => 0.999, sleep: async (ms) => void delays.push(ms) },
      ),
    ).rejects.toThrow();
    expect(delays).toEqual([99, 199, 399, 499]);
  });
});
