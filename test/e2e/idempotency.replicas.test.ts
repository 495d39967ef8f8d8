import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { request } from 'undici';
import { client as wsClient, postGraphQL, startRedis, waitFor, type TestRedis } from '@roam/testkit';
import { startHoldingProxy } from '../support/holdingProxy';
import { ROOT, startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';

// Issue 12: idempotency keys end to end, on two gateway processes sharing a real Redis and real subgraph processes.
const ADD_REVIEW = 'mutation AddReview($body: String!) { addReview(input: { authorId: "1", productUpc: "2", body: $body }) { id body } }';
const reviewsOfProduct = (upc: string) => `{ product(upc: "${upc}") { reviews { id body } } }`;

describe('idempotency keys across two gateway replicas sharing Redis', () => {
  let redis: TestRedis;
  let subgraphs: SubgraphProcesses;
  let one: GatewayProcess;
  let two: GatewayProcess;
  let env: Record<string, string>;

  const reviewsWithBody = async (url: string, body: string, upc = '2'): Promise<string[]> => {
    const res = await postGraphQL(url, { query: reviewsOfProduct(upc) });
    return (res.body.data.product.reviews as { id: string; body: string }[]).filter((r) => r.body === body).map((r) => r.id);
  };
  const add = (url: string, body: string, key: string | undefined, headers: Record<string, string> = {}) =>
    postGraphQL(url, { query: ADD_REVIEW, variables: { body } }, { ...(key !== undefined ? { 'idempotency-key': key } : {}), ...headers });

  beforeAll(async () => {
    redis = await startRedis();
    subgraphs = await startSubgraphs();
    const supergraph = writeSupergraph(subgraphs.definitions());
    env = { REDIS_URL: redis.url, PERSISTED_QUERIES_KEY_PREFIX: `${redis.prefix}pq:`, IDEMPOTENCY_REDIS_PREFIX: redis.prefix, IDEMPOTENCY_LEASE_MS: '1000' };
    // replica one answers a duplicate of a running request with 409 at once; replica two waits for the first answer (the default)
    [one, two] = await Promise.all([startGateway(supergraph, { ...env, IDEMPOTENCY_WAIT_MS: '0' }), startGateway(supergraph, env)]);
  });
  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    await subgraphs?.stop();
    await redis?.stop();
  });

  it('50 concurrent identical addReview requests with one key over both replicas: one review; the others are byte-identical replays or 409s', async () => {
    const key = randomUUID();
    const body = `fifty ${key}`;
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => add(i % 2 === 0 ? one.url : two.url, body, key)));
    const executed = answers.filter((a) => a.status === 200 && a.headers['idempotent-replayed'] === undefined);
    const replays = answers.filter((a) => a.status === 200 && a.headers['idempotent-replayed'] === 'true');
    const inProgress = answers.filter((a) => a.status === 409);
    expect(executed).toHaveLength(1);
    expect(replays.length + inProgress.length).toBe(49);
    for (const r of replays) expect(r.text).toBe(executed[0]!.text);
    for (const c of inProgress) {
      expect(c.body.errors[0].extensions.code).toBe('IDEMPOTENCY_REQUEST_IN_PROGRESS');
      expect(c.headers['retry-after']).toBe('1');
    }
    expect(await reviewsWithBody(one.url, body)).toEqual([executed[0]!.body.data.addReview.id]);
    // a retry after the first finished, on either replica, is the first answer, byte for byte, with the same headers
    for (const url of [one.url, two.url]) {
      const again = await add(url, body, key);
      expect(again.status).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.text).toBe(executed[0]!.text);
      expect(again.headers['content-type']).toBe(executed[0]!.headers['content-type']);
      expect(again.headers['cache-control']).toBe(executed[0]!.headers['cache-control']);
    }
  });

  it('the same key with other variables → 422 IDEMPOTENCY_KEY_MISMATCH, nothing runs; another client may use the same key', async () => {
    const key = randomUUID();
    const first = await add(one.url, `first ${key}`, key);
    expect(first.status).toBe(200);
    const other = await add(two.url, `other ${key}`, key);
    expect(other.status).toBe(422);
    expect(other.body.errors[0].extensions.code).toBe('IDEMPOTENCY_KEY_MISMATCH');
    expect(await reviewsWithBody(one.url, `other ${key}`)).toEqual([]);
    // keys are scoped to the caller: another client name with the same key is a new request
    const otherClient = await add(two.url, `other ${key}`, key, { 'apollographql-client-name': 'android' });
    expect(otherClient.status).toBe(200);
    expect(otherClient.headers['idempotent-replayed']).toBeUndefined();
    expect(await reviewsWithBody(one.url, `other ${key}`)).toHaveLength(1);
  });

  it('bad keys → 400 IDEMPOTENCY_KEY_INVALID and nothing runs; a quoted Structured Field key works; queries and GET ignore the key', async () => {
    const body = `bad ${randomUUID()}`;
    for (const bad of ['', '   ', 'x'.repeat(257), 'two words', '"unterminated', '"bad\\escape"']) {
      const res = await add(one.url, body, bad);
      expect({ bad, status: res.status, code: res.body.errors?.[0]?.extensions?.code }).toEqual({ bad, status: 400, code: 'IDEMPOTENCY_KEY_INVALID' });
    }
    expect(await reviewsWithBody(one.url, body)).toEqual([]);
    const quoted = `"${randomUUID()}"`;
    const a = await add(one.url, body, quoted);
    const b = await add(two.url, body, quoted.slice(1, -1)); // the same key, bare
    expect(a.status).toBe(200);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.text).toBe(a.text);
    expect(await reviewsWithBody(one.url, body)).toHaveLength(1);
    // a query with a key runs each time (no replay); GET ignores the key
    const q1 = await postGraphQL(one.url, { query: '{ me { id } }' }, { 'idempotency-key': 'query-key' });
    const q2 = await postGraphQL(one.url, { query: '{ me { id } }' }, { 'idempotency-key': 'query-key' });
    expect([q1.status, q2.status, q2.headers['idempotent-replayed']]).toEqual([200, 200, undefined]);
    const get = await request(`${one.url}?query=${encodeURIComponent('{ me { id } }')}`, { headers: { 'idempotency-key': '', 'apollo-require-preflight': 'true' } });
    expect(get.statusCode).toBe(200);
    expect(await get.body.json()).toEqual({ data: { me: { id: '1' } } });
  });

  it('batch entries carry extensions.idempotencyKey: a resent batch replays each keyed entry and names them in Idempotent-Replayed', async () => {
    const k1 = randomUUID();
    const k2 = randomUUID();
    const batch = [
      { query: ADD_REVIEW, variables: { body: `batch ${k1}` }, extensions: { idempotencyKey: k1 } },
      { query: '{ me { id } }' },
      { query: ADD_REVIEW, variables: { body: `batch ${k2}` }, extensions: { idempotencyKey: k2 } },
    ];
    const first = await postGraphQL(one.url, batch);
    expect(first.status).toBe(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await postGraphQL(two.url, batch);
    expect(again.headers['idempotent-replayed']).toBe('0, 2');
    expect(again.text).toBe(first.text);
    expect(await reviewsWithBody(one.url, `batch ${k1}`)).toHaveLength(1);
    expect(await reviewsWithBody(one.url, `batch ${k2}`)).toHaveLength(1);
    // the header cannot key a batch's mutations
    const headerOnBatch = await postGraphQL(
      one.url,
      [batch[0]!, batch[1]!].map((e) => ({ query: e.query, variables: e.variables })),
      { 'idempotency-key': randomUUID() },
    );
    expect(headerOnBatch.body[0].errors[0].extensions.code).toBe('IDEMPOTENCY_KEY_INVALID');
    expect(headerOnBatch.body[1]).toEqual({ data: { me: { id: '1' } } });
  });

  it('graphql-ws operations carry extensions.idempotencyKey: the same operation on the other replica gets the stored payload', async () => {
    const key = randomUUID();
    const body = `ws ${key}`;
    const once = async (url: string): Promise<unknown[]> => {
      const c = wsClient(url);
      const payloads: unknown[] = [];
      try {
        await new Promise<void>((resolve, reject) => {
          c.subscribe({ query: ADD_REVIEW, variables: { body }, extensions: { idempotencyKey: key } }, { next: (r) => payloads.push(r), error: reject, complete: resolve });
        });
      } finally {
        await c.dispose();
      }
      return payloads;
    };
    const first = await once(one.url);
    const again = await once(two.url);
    expect(first).toEqual([{ data: { addReview: { id: expect.any(String), body } } }]);
    expect(again).toEqual(first);
    expect(await reviewsWithBody(one.url, body)).toHaveLength(1);
  });

  it('roam-example-client with REVIEW_BODY adds the review as one keyed user action', async () => {
    const body = `client ${randomUUID()}`;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [join(ROOT, 'clients/example/dist/main.js')], { env: { ...process.env, GATEWAY_URL: two.url, REVIEW_BODY: body }, timeout: 30_000 }, (error, out) =>
        error ? reject(error) : resolve(out),
      ),
    );
    const line = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.operation === 'AddReview')!;
    expect(line).toMatchObject({ status: 200, attempts: 1, replayed: false, idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const ids = await reviewsWithBody(one.url, body, '1');
    expect(line.data).toEqual({ addReview: { id: ids[0], body } });
    expect(ids).toHaveLength(1);
    // the same user action sent again (the key the client printed) is the stored answer
    const again = await postGraphQL(
      one.url,
      { query: 'mutation AddReview($body: String!) { addReview(input: { authorId: "1", productUpc: "1", body: $body }) { id body } }', variables: { body }, operationName: 'AddReview' },
      {
        'idempotency-key': line.idempotencyKey as string,
        'apollographql-client-name': 'example',
      },
    );
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.data).toEqual(line.data);
  });

  it('a replica killed (SIGKILL) after the subgraph executed but before the response was stored: the retry on the other replica adds no second review', async () => {
    const proxy = await startHoldingProxy(subgraphs.urls.reviews!);
    const viaProxy = writeSupergraph(subgraphs.definitions().map((d) => (d.name === 'reviews' ? { ...d, url: proxy.url } : d)));
    const doomed = await startGateway(viaProxy, env);
    try {
      proxy.mode = 'hold';
      const key = randomUUID();
      const body = `crash ${key}`;
      const inFlight = add(doomed.url, body, key).catch((error: Error) => error);
      // the reviews subgraph has stored the review (under the derived key <scoped key>:0); the gateway is still waiting
      const ids = await waitFor(async () => ((await reviewsWithBody(one.url, body)).length === 1 ? reviewsWithBody(one.url, body) : undefined), 'the review to be stored');
      // the derived key: SHA-256 of the caller's scope and key, then the mutation fetch's index
      expect(proxy.keys).toEqual([expect.stringMatching(/^[0-9a-f]{64}:0$/)]);
      doomed.child.kill('SIGKILL');
      expect(await inFlight).toBeInstanceOf(Error);
      // the client retries on the other replica with backoff: 409 while the dead replica's lease lasts, then an answer
      let retry = await add(two.url, body, key);
      const statuses = [retry.status];
      while (retry.status === 409) {
        await new Promise((r) => setTimeout(r, 200));
        retry = await add(two.url, body, key);
        statuses.push(retry.status);
      }
      expect(retry.status).toBe(200);
      expect(retry.body.data.addReview).toEqual({ id: ids[0], body });
      expect(await reviewsWithBody(one.url, body)).toEqual(ids);
      // and that answer is now the stored one
      const replay = await add(one.url, body, key);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.text).toBe(retry.text);
    } finally {
      await doomed.stop();
      await proxy.close();
    }
  });

  // last: stops this suite's Redis
  it('Redis stopped → a keyed mutation gets 503 IDEMPOTENCY_STORE_UNAVAILABLE and does not run; queries are unaffected', async () => {
    await redis.stop();
    const key = randomUUID();
    const body = `outage ${key}`;
    const refused = await add(one.url, body, key);
    expect(refused.status).toBe(503);
    expect(refused.body.errors[0].extensions.code).toBe('IDEMPOTENCY_STORE_UNAVAILABLE');
    expect(refused.headers['retry-after']).toBe('1');
    const query = await postGraphQL(two.url, { query: '{ me { id } }' });
    expect(query.status).toBe(200);
    expect(query.body).toEqual({ data: { me: { id: '1' } } });
    expect(await reviewsWithBody(two.url, body)).toEqual([]);
  });
});
