import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { Defer20220824Handler, GraphQL17Alpha9Handler } from '@apollo/client/incremental';
import { brotliDecompressSync, createBrotliDecompress, createGunzip, gunzipSync } from 'node:zlib';
import pino from 'pino';
import { Agent, fetch as undiciFetch, request } from 'undici';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { sha256Hex } from '@roam/persisted-queries';
import { postGraphQL, waitFor } from '@roam/testkit';
import { startFaultySubgraph, type FaultySubgraph } from '../support/faultySubgraph';
import { subgraphSubscriptions } from '../support/subgraphHealth';
import { startSubgraphs, writeSupergraph, type SubgraphProcesses } from '../support/stack';

// Issue 16: @defer over multipart/mixed (Apollo's deferSpec=20220824) and Apollo's multipart HTTP
// subscriptions, on an in-process gateway over the real subgraph processes. Inventory sits behind a
// steerable proxy so a deferred block can be made slow or failing.

const DEFER_ACCEPT = 'multipart/mixed;deferSpec=20220824,application/json';
const SUBSCRIPTION_ACCEPT = 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json';
const BOUNDARY = '\r\n--graphql';

/** Splits a whole multipart body in Apollo Router's framing into its JSON parts; checks the closing delimiter. */
function parseParts(text: string): { parts: Record<string, unknown>[]; closed: boolean } {
  const segments = text.split(BOUNDARY);
  expect(segments[0]).toBe('');
  const parts: Record<string, unknown>[] = [];
  let closed = false;
  for (const segment of segments.slice(1)) {
    if (segment.startsWith('--')) {
      closed = true;
      expect(segment).toBe('--\r\n');
      break;
    }
    const split = segment.indexOf('\r\n\r\n');
    expect(segment.slice(0, split)).toBe('\r\ncontent-type: application/json');
    parts.push(JSON.parse(segment.slice(split + 4)) as Record<string, unknown>);
  }
  return { parts, closed };
}

/** Merges deferSpec=20220824 payloads into one result (what a client's cache ends up with). */
function mergeIncremental(parts: Record<string, unknown>[]): { data: Record<string, unknown>; errors: unknown[] } {
  const data = structuredClone(parts[0]!.data) as Record<string, unknown>;
  const errors: unknown[] = [...((parts[0]!.errors as unknown[]) ?? [])];
  for (const part of parts.slice(1)) {
    for (const entry of (part.incremental as { path: (string | number)[]; data?: Record<string, unknown>; errors?: unknown[] }[]) ?? []) {
      let target: Record<string, unknown> = data;
      for (const key of entry.path) target = (target as Record<string | number, unknown>)[key] as Record<string, unknown>;
      Object.assign(target, entry.data ?? {});
      errors.push(...(entry.errors ?? []));
    }
  }
  return { data, errors };
}

describe('@defer and multipart subscriptions (issue 16)', () => {
  let subgraphs: SubgraphProcesses;
  let inventory: FaultySubgraph;
  let gateway: RoamGateway;
  let url: string;
  let supergraphPath: string;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    inventory = await startFaultySubgraph(subgraphs.urls.inventory!);
    const defs = subgraphs.definitions().map((d) => (d.name === 'inventory' ? { ...d, url: inventory.url } : d));
    supergraphPath = writeSupergraph(defs);
    const config = readConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      SUPERGRAPH_PATH: supergraphPath,
      LOG_LEVEL: 'silent',
      SHUTDOWN_GRACE_MS: '2000',
      MULTIPART_HEARTBEAT_MS: '100',
      SUBGRAPH_TIMEOUT_MS: '3000',
      MAX_COST: '400',
      SUBSCRIPTION_MAX_CONNECTIONS_PER_CLIENT: '2',
    });
    gateway = createGateway(config, pino({ level: 'silent' }));
    url = await gateway.listen();
  });
  afterEach(() => {
    inventory.mode = 'ok';
  });
  afterAll(async () => {
    await gateway?.close();
    await inventory?.close();
    await subgraphs?.stop();
  });

  const post = async (body: unknown, headers: Record<string, string>) => {
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  const REVIEWS_QUERY = '{ topProducts(first: 2) { upc name ... @defer(label: "reviews") { reviews { body author { name } } } } }';

  it('sends the primary part first, then the deferred fragment per list item with its path and label, then hasNext false', async () => {
    const res = await post({ query: REVIEWS_QUERY }, { accept: DEFER_ACCEPT });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('multipart/mixed;boundary="graphql";deferSpec=20220824');
    expect(res.headers['cache-control']).toBe('no-store');
    const { parts, closed } = parseParts(res.text);
    expect(closed).toBe(true);
    expect(res.text.endsWith('\r\n--graphql--\r\n')).toBe(true);
    expect(parts[0]).toEqual({
      data: {
        topProducts: [
          { upc: '1', name: expect.any(String) },
          { upc: '2', name: expect.any(String) },
        ],
      },
      hasNext: true,
    });
    const entries = parts.slice(1).flatMap((p) => p.incremental as { path: unknown[]; label: string; data: { reviews: unknown[] } }[]);
    expect(entries.map((e) => [e.path, e.label])).toEqual(
      expect.arrayContaining([
        [['topProducts', 0], 'reviews'],
        [['topProducts', 1], 'reviews'],
      ]),
    );
    expect(entries).toHaveLength(2);
    expect(parts[parts.length - 1]!.hasNext).toBe(false);
    for (const p of parts.slice(1, -1)) expect(p.hasNext).toBe(true);
    // merged, it is exactly what the same query answers at once (deferred fields inlined) without multipart
    const inline = await postGraphQL(url, { query: REVIEWS_QUERY });
    expect(inline.headers['content-type']).toMatch(/^application\/json/);
    expect(inline.body.data.topProducts[0].reviews.length).toBeGreaterThan(0);
    expect(mergeIncremental(parts)).toEqual({ data: inline.body.data, errors: [] });
    const plain = await postGraphQL(url, { query: '{ topProducts(first: 2) { upc name reviews { body author { name } } } }' });
    expect(inline.body).toEqual(plain.body);
  });

  it('confines a deferred block whose subgraph is down to its own part: the primary part is complete and error-free', async () => {
    inventory.mode = 'html502';
    const res = await post({ query: '{ topProducts(first: 2) { upc name ... @defer(label: "stock") { inStock } } }' }, { accept: DEFER_ACCEPT });
    const { parts } = parseParts(res.text);
    expect(parts[0]).toEqual({
      data: {
        topProducts: [
          { upc: '1', name: expect.any(String) },
          { upc: '2', name: expect.any(String) },
        ],
      },
      hasNext: true,
    });
    const entries = parts.slice(1).flatMap((p) => p.incremental as { path: unknown[]; data: unknown; errors?: { extensions: { code: string; serviceName: string } }[] }[]);
    expect(entries.map((e) => e.data)).toEqual([{ inStock: null }, { inStock: null }]);
    const errors = entries.flatMap((e) => e.errors ?? []);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.extensions).toMatchObject({ code: 'SUBREQUEST_HTTP_ERROR', serviceName: 'inventory' });
    expect(parts[parts.length - 1]!.hasNext).toBe(false);
  });

  it('delivers nested deferred fragments after their parent, and never sends a label the client did not give', async () => {
    const query = '{ product(upc: "1") { upc ... @defer { name reviews { body ... @defer(label: "author") { author { name } } } } } }';
    const res = await post({ query }, { accept: DEFER_ACCEPT });
    const { parts } = parseParts(res.text);
    const entries = parts.slice(1).flatMap((p) => p.incremental as { path: (string | number)[]; label?: string; data: Record<string, unknown> }[]);
    expect(entries[0]).toEqual({ path: ['product'], data: { name: expect.any(String), reviews: expect.any(Array) } });
    const authors = entries.slice(1);
    expect(authors.length).toBe((entries[0]!.data.reviews as unknown[]).length);
    for (const [i, e] of authors.entries()) expect(e).toEqual({ path: ['product', 'reviews', i], label: 'author', data: { author: { name: expect.any(String) } } });
    const inline = await postGraphQL(url, { query });
    expect(mergeIncremental(parts).data).toEqual(inline.body.data);
  });

  it('speaks the incremental v0.2 format (pending, incremental by id, completed) to a client that asks for it', async () => {
    const query = '{ product(upc: "1") { upc ... @defer(label: "outer") { name reviews { body ... @defer(label: "inner") { author { name } } } } } }';
    const res = await post({ query }, { accept: 'multipart/mixed;incrementalSpec=v0.2,application/json' });
    expect(res.headers['content-type']).toBe('multipart/mixed;boundary="graphql";incrementalSpec=v0.2');
    const { parts } = parseParts(res.text);
    expect(parts[0]).toEqual({ data: { product: { upc: '1' } }, pending: [{ id: '0', path: ['product'], label: 'outer' }], hasNext: true });
    const outer = parts.find((p) => (p.completed as { id: string }[] | undefined)?.some((c) => c.id === '0'))!;
    const reviews = (outer.incremental as { id: string; data: { reviews: unknown[] } }[])[0]!;
    expect(reviews).toEqual({ id: '0', data: { name: expect.any(String), reviews: expect.any(Array) } });
    // the nested fragment is announced with the data it belongs to, once per review
    const nested = outer.pending as { id: string; path: unknown[]; label: string }[];
    expect(nested.map((p) => [p.path, p.label])).toEqual(reviews.data.reviews.map((_r, i) => [['product', 'reviews', i], 'inner']));
    const done = parts
      .slice(1)
      .flatMap((p) => (p.completed as { id: string }[] | undefined) ?? [])
      .map((c) => c.id);
    expect(done.sort()).toEqual(['0', ...nested.map((p) => p.id)].sort());
    expect(parts[parts.length - 1]!.hasNext).toBe(false);
    for (const p of parts.slice(1)) expect(Object.keys(p).every((k) => ['pending', 'incremental', 'completed', 'hasNext'].includes(k))).toBe(true);
  });

  it('starts no further deferred fetch once the client went away mid-stream', async () => {
    const query = '{ product(upc: "1") { upc ... @defer(label: "a") { inStock ... @defer(label: "b") { shippingEstimate } } } }';
    inventory.resetCount();
    const whole = parseParts((await post({ query }, { accept: DEFER_ACCEPT })).text).parts;
    expect(whole.slice(1).flatMap((p) => (p.incremental as { label: string }[]).map((e) => e.label))).toEqual(['a', 'b']);
    expect(inventory.requests).toBe(2); // block a's inStock, then block b's shippingEstimate
    inventory.mode = 'slow';
    inventory.delayMs = 500;
    inventory.resetCount();
    const controller = new AbortController();
    const res = await request(url, { method: 'POST', signal: controller.signal, headers: { 'content-type': 'application/json', accept: DEFER_ACCEPT }, body: JSON.stringify({ query }) });
    const first = await res.body[Symbol.asyncIterator]().next();
    expect(String(first.value)).toContain('"hasNext":true');
    await waitFor(async () => inventory.requests === 1, "block a's slow fetch");
    controller.abort();
    // the slow fetch is answered after 500 ms; block b would call inventory right after it
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(inventory.requests).toBe(1);
  });

  it('defers a fragment on the root (path []) and a named fragment spread', async () => {
    const query = '{ product(upc: "1") { upc ...Price @defer(label: "price") } ... @defer(label: "root") { me { name } } } fragment Price on Product { price }';
    const { parts } = parseParts((await post({ query }, { accept: DEFER_ACCEPT })).text);
    expect(parts[0]).toEqual({ data: { product: { upc: '1' } }, hasNext: true });
    const entries = parts.slice(1).flatMap((p) => p.incremental as { label: string }[]);
    expect([...entries].sort((a, b) => a.label.localeCompare(b.label))).toEqual([
      { path: ['product'], label: 'price', data: { price: expect.any(Number) } },
      { path: [], label: 'root', data: { me: { name: expect.any(String) } } },
    ]);
  });

  it('runs @defer on a mutation (the planner supports it): the mutation first, the deferred fields after', async () => {
    const res = await post({ query: 'mutation { setInStock(upc: "2", inStock: true) { upc inStock ... @defer(label: "m") { name } } }' }, { accept: DEFER_ACCEPT });
    const { parts } = parseParts(res.text);
    expect(parts[0]).toEqual({ data: { setInStock: { upc: '2', inStock: true } }, hasNext: true });
    expect(parts.slice(1).flatMap((p) => p.incremental as unknown[])).toEqual([{ path: ['setInStock'], label: 'm', data: { name: expect.any(String) } }]);
  });

  it('answers @defer(if: false) and queries without @defer as one JSON response', async () => {
    const res = await post({ query: 'query($d: Boolean!) { product(upc: "1") { upc ... @defer(if: $d) { name } } }', variables: { d: false } }, { accept: DEFER_ACCEPT });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.text)).toEqual({ data: { product: { upc: '1', name: expect.any(String) } } });
  });

  it('puts deferred fragments through the front door: persisted queries (APQ) and cost limits count deferred fields', async () => {
    const query = '{ product(upc: "3") { upc ... @defer(label: "n") { name } } }';
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256Hex(query) } };
    const missing = await post({ extensions }, { accept: DEFER_ACCEPT });
    expect(JSON.parse(missing.text).errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    await post({ query, extensions }, { accept: DEFER_ACCEPT });
    const { parts } = parseParts((await post({ extensions }, { accept: DEFER_ACCEPT })).text);
    expect(parts.slice(1).flatMap((p) => p.incremental as unknown[])).toEqual([{ path: ['product'], label: 'n', data: { name: expect.any(String) } }]);
    // 20 reviews assumed per product, each with an author entity: over MAX_COST=400 only through the deferred fragment
    const costly = '{ topProducts(first: 10) { upc ... @defer { reviews { author { name } } } } }';
    const refused = await post({ query: costly }, { accept: DEFER_ACCEPT });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text).errors[0].extensions.code).toBe('COST_ESTIMATED_TOO_EXPENSIVE');
    const withoutFragment = await post({ query: '{ topProducts(first: 10) { upc } }' }, { accept: DEFER_ACCEPT });
    expect(JSON.parse(withoutFragment.text).errors).toBeUndefined();
  });

  it('compresses the stream per part: the first part decodes before the slow deferred part exists (gzip and brotli)', async () => {
    inventory.mode = 'slow';
    inventory.delayMs = 1000;
    for (const coding of ['gzip', 'br'] as const) {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: DEFER_ACCEPT, 'accept-encoding': coding },
        body: JSON.stringify({ query: '{ product(upc: "1") { upc name ... @defer(label: "slow") { inStock } } }' }),
      });
      expect(res.headers['content-encoding']).toBe(coding);
      const decoder = coding === 'gzip' ? createGunzip() : createBrotliDecompress();
      let decoded = '';
      let compressed = Buffer.alloc(0);
      let decodedWhenFirstPart: string | undefined;
      decoder.on('data', (chunk: Buffer) => {
        decoded += chunk.toString('utf8');
        if (decodedWhenFirstPart === undefined && decoded.includes('"hasNext":true')) decodedWhenFirstPart = decoded;
      });
      for await (const chunk of res.body) {
        compressed = Buffer.concat([compressed, chunk as Buffer]);
        await new Promise<void>((resolve) => decoder.write(chunk, () => resolve()));
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      decoder.end();
      await new Promise<void>((resolve) => decoder.once('end', () => resolve()));
      expect(decodedWhenFirstPart).toBeDefined();
      expect(decodedWhenFirstPart).not.toContain('incremental');
      const whole = coding === 'gzip' ? gunzipSync(compressed) : brotliDecompressSync(compressed);
      const { parts } = parseParts(whole.toString('utf8'));
      expect(parts[parts.length - 1]).toEqual({ incremental: [{ path: ['product'], label: 'slow', data: { inStock: expect.any(Boolean) } }], hasNext: false });
    }
  });

  describe('multipart HTTP subscriptions', () => {
    const SUBSCRIPTION = 'subscription { reviewAdded(upc: "2") { id body author { name } } }';

    /** Opens a multipart subscription and collects its decoded text as it arrives. */
    const open = async (body: unknown, headers: Record<string, string> = {}) => {
      const controller = new AbortController();
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: SUBSCRIPTION_ACCEPT, ...headers },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      const state = { text: '', ended: false };
      const done = (async () => {
        try {
          for await (const chunk of res.body) state.text += (chunk as Buffer).toString('utf8');
          state.ended = true;
        } catch {
          // aborted by the test
        }
      })();
      return { res, state, done, abort: () => controller.abort() };
    };

    it('delivers enriched events as {payload} parts with {} heartbeats, and cancels the upstream when the client goes away', async () => {
      const before = (await subgraphSubscriptions(subgraphs.urls.reviews!)).active;
      const sub = await open({ query: SUBSCRIPTION });
      expect(sub.res.statusCode).toBe(200);
      expect(sub.res.headers['content-type']).toBe('multipart/mixed;boundary="graphql";subscriptionSpec=1.0');
      await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.reviews!)).active === before + 1, 'the upstream subscription');
      const added = await postGraphQL(url, { query: 'mutation { addReview(input: { authorId: "1", productUpc: "2", body: "multipart" }) { id } }' });
      await waitFor(async () => sub.state.text.includes('"payload"'), 'an event part');
      await waitFor(async () => (sub.state.text.match(/\r\n\r\n\{\}\r\n/g) ?? []).length >= 2, 'heartbeats');
      const { parts } = parseParts(sub.state.text.slice(0, sub.state.text.lastIndexOf(BOUNDARY)));
      expect(parts[0]).toEqual({});
      expect(parts.filter((p) => 'payload' in p)).toEqual([
        // each event carries its id in the durable event log (README "Resume, retention and scale-out")
        {
          payload: {
            data: { reviewAdded: { id: added.body.data.addReview.id, body: 'multipart', author: { name: 'Mara Lindqvist' } } },
            extensions: { eventId: expect.stringMatching(/^reviews:REVIEW_ADDED@\d+-\d+$/) },
          },
        },
      ]);
      expect(parts.every((p) => Object.keys(p).length === 0 || 'payload' in p)).toBe(true);
      sub.abort();
      await sub.done;
      await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.reviews!)).active === before, 'the upstream subscription to end');
    });

    it('runs persisted ids and limits for multipart subscriptions as for graphql-ws', async () => {
      const extensions = { persistedQuery: { version: 1, sha256Hash: sha256Hex(SUBSCRIPTION) } };
      const missing = await post({ extensions }, { accept: SUBSCRIPTION_ACCEPT });
      expect(JSON.parse(missing.text).errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      const deep = await post({ query: 'subscription { reviewAdded { product { reviews { product { reviews { author { name } } } } } } }' }, { accept: SUBSCRIPTION_ACCEPT });
      expect(deep.status).toBe(400);
      expect(JSON.parse(deep.text).errors[0].extensions.code).toBe('COST_ESTIMATED_TOO_EXPENSIVE');
      const sub = await open({ query: SUBSCRIPTION, extensions });
      await waitFor(async () => sub.state.text.includes('{}'), 'the first heartbeat');
      expect(sub.res.headers['content-type']).toMatch(/subscriptionSpec=1.0/);
      sub.abort();
      await sub.done;
    });

    it('leaves no subscriber behind when clients go away at once, before or while the subscription starts', async () => {
      const ready = async () => ((await (await request(url.replace('/graphql', '/ready'))).body.json()) as { subscriptions: { subscribers: number } }).subscriptions.subscribers;
      const before = await ready();
      await Promise.all(
        Array.from({ length: 5 }, async (_, i) => {
          const controller = new AbortController();
          const sent = request(url, {
            method: 'POST',
            signal: controller.signal,
            headers: { 'content-type': 'application/json', accept: SUBSCRIPTION_ACCEPT, 'apollographql-client-name': `gone-${i}` },
            body: JSON.stringify({ query: SUBSCRIPTION }),
          }).catch(() => undefined);
          setTimeout(() => controller.abort(), i);
          await sent;
        }),
      );
      await waitFor(async () => (await ready()) === before, 'no subscriber left');
    });

    it('caps open multipart subscriptions per client (429 TOO_MANY_SUBSCRIPTIONS), and frees the slot when one ends', async () => {
      const named = { 'apollographql-client-name': 'capped' };
      const first = await open({ query: SUBSCRIPTION }, named);
      const second = await open({ query: SUBSCRIPTION }, named);
      const third = await post({ query: SUBSCRIPTION }, { accept: SUBSCRIPTION_ACCEPT, ...named });
      expect(third.status).toBe(429);
      expect(JSON.parse(third.text).errors[0].extensions).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS', limit: 2 });
      // another client is not affected
      const other = await open({ query: SUBSCRIPTION }, { 'apollographql-client-name': 'other' });
      expect(other.res.statusCode).toBe(200);
      first.abort();
      await first.done;
      let again: Awaited<ReturnType<typeof open>> | undefined;
      await waitFor(async () => {
        const attempt = await open({ query: SUBSCRIPTION }, named);
        if (attempt.res.statusCode === 200) again = attempt;
        else attempt.abort();
        return again !== undefined;
      }, 'a free slot');
      for (const s of [second, other, again!]) s.abort();
      await Promise.all([second.done, other.done, again!.done]);
    });

    it('keeps CORS headers on the stream, and ends open multipart subscriptions with a shutdown error part when the gateway closes', async () => {
      const config = readConfig({ PORT: '0', HOST: '127.0.0.1', SUPERGRAPH_PATH: supergraphPath, LOG_LEVEL: 'silent', SHUTDOWN_GRACE_MS: '3000', CORS_ORIGINS: 'https://app.example' });
      const second = createGateway(config, pino({ level: 'silent' }));
      const secondUrl = await second.listen();
      const controller = new AbortController();
      const res = await request(secondUrl, {
        method: 'POST',
        signal: controller.signal,
        headers: { 'content-type': 'application/json', accept: SUBSCRIPTION_ACCEPT, origin: 'https://app.example' },
        body: JSON.stringify({ query: SUBSCRIPTION }),
      });
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(res.headers.vary).toMatch(/Accept/);
      let text = '';
      const read = (async () => {
        for await (const chunk of res.body) text += (chunk as Buffer).toString('utf8');
      })();
      await waitFor(async () => text.includes('{}'), 'the first heartbeat');
      await second.close();
      await read;
      const { parts, closed } = parseParts(text);
      expect(closed).toBe(true);
      expect(parts[parts.length - 1]).toMatchObject({ payload: null, errors: [{ extensions: { code: 'SUBSCRIPTION_UPSTREAM_ERROR', reason: 'shutdown' } }] });
    });

    it('refuses a subscription over HTTP without the multipart Accept (SUBSCRIPTION_REQUIRES_WEBSOCKET)', async () => {
      const res = await post({ query: SUBSCRIPTION }, { accept: 'application/json' });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text).errors[0].extensions.code).toBe('SUBSCRIPTION_REQUIRES_WEBSOCKET');
    });

    it('ends with a transport-level error part {payload: null, errors} when the upstream cannot be opened', async () => {
      // inventory sits behind an HTTP-only proxy: its subscription upstream is refused
      const sub = await open({ query: 'subscription { stockChanged(upc: "1") { upc inStock } }' });
      await sub.done;
      expect(sub.state.ended).toBe(true);
      const { parts, closed } = parseParts(sub.state.text);
      expect(closed).toBe(true);
      const last = parts[parts.length - 1] as { payload: unknown; errors: { extensions: { code: string } }[] };
      expect(last.payload).toBeNull();
      expect(last.errors[0]!.extensions.code).toBe('SUBSCRIPTION_UPSTREAM_ERROR');
    });
  });

  describe('Apollo Client 4 over real HTTP', () => {
    // Apollo Client's fetch on a dispatcher of this suite, closed at its end (no keep-alive socket outlives it)
    const agent = new Agent();
    afterAll(() => agent.close());
    const fetchWithAgent = ((input: string, init?: Record<string, unknown>) => undiciFetch(input, { ...init, dispatcher: agent })) as unknown as typeof fetch;
    const client = () => new ApolloClient({ cache: new InMemoryCache(), link: new HttpLink({ uri: url, fetch: fetchWithAgent }), incrementalHandler: new Defer20220824Handler() });

    it('renders the primary data first, then the deferred data merged into the cache', async () => {
      const apollo = client();
      const query = gql`
        query Screen {
          product(upc: "1") {
            upc
            name
            ... @defer(label: "stock") {
              inStock
              reviews {
                body
              }
            }
          }
        }
      `;
      inventory.mode = 'slow';
      inventory.delayMs = 300;
      const seen: { dataState: string; data: unknown }[] = [];
      await new Promise<void>((resolve, reject) => {
        const sub = apollo.watchQuery({ query }).subscribe({
          next: (result) => {
            seen.push({ dataState: result.dataState, data: result.data });
            if (result.dataState === 'complete') {
              sub.unsubscribe();
              resolve();
            }
          },
          error: reject,
        });
      });
      const rendered = seen.filter((r) => r.dataState !== 'empty');
      expect(rendered[0]).toEqual({ dataState: 'streaming', data: { product: { __typename: 'Product', upc: '1', name: expect.any(String) } } });
      const last = rendered[rendered.length - 1]!;
      expect(last.data).toEqual({ product: { __typename: 'Product', upc: '1', name: expect.any(String), inStock: expect.any(Boolean), reviews: expect.any(Array) } });
      expect(apollo.readQuery({ query })).toEqual(last.data);
      apollo.stop();
    });

    it('merges deferred data in the incremental v0.2 format too (GraphQL17Alpha9Handler)', async () => {
      const apollo = new ApolloClient({ cache: new InMemoryCache(), link: new HttpLink({ uri: url, fetch: fetchWithAgent }), incrementalHandler: new GraphQL17Alpha9Handler() });
      const query = gql`
        query Screen2 {
          product(upc: "2") {
            upc
            ... @defer {
              name
            }
          }
        }
      `;
      const seen: { dataState: string; data: unknown }[] = [];
      await new Promise<void>((resolve, reject) => {
        const sub = apollo.watchQuery({ query }).subscribe({
          next: (result) => {
            seen.push({ dataState: result.dataState, data: result.data });
            if (result.dataState === 'complete') {
              sub.unsubscribe();
              resolve();
            }
          },
          error: reject,
        });
      });
      expect(seen.filter((r) => r.dataState !== 'empty')[0]).toEqual({ dataState: 'streaming', data: { product: { __typename: 'Product', upc: '2' } } });
      expect(seen[seen.length - 1]!.data).toEqual({ product: { __typename: 'Product', upc: '2', name: expect.any(String) } });
      apollo.stop();
    });

    it('receives enriched events of a multipart subscription, and unsubscribing ends the upstream', async () => {
      const apollo = client();
      const before = (await subgraphSubscriptions(subgraphs.urls.reviews!)).active;
      const events: unknown[] = [];
      const sub = apollo
        .subscribe({
          query: gql`
            subscription OnReview {
              reviewAdded(upc: "3") {
                id
                body
                author {
                  name
                }
              }
            }
          `,
        })
        .subscribe({ next: (result) => events.push(result.data) });
      await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.reviews!)).active === before + 1, 'the upstream subscription');
      const added = await postGraphQL(url, { query: 'mutation { addReview(input: { authorId: "1", productUpc: "3", body: "from apollo client" }) { id } }' });
      await waitFor(async () => events.length === 1, 'an event');
      expect(events[0]).toEqual({
        reviewAdded: { __typename: 'Review', id: added.body.data.addReview.id, body: 'from apollo client', author: { __typename: 'User', name: 'Mara Lindqvist' } },
      });
      sub.unsubscribe();
      await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.reviews!)).active === before, 'the upstream subscription to end');
      apollo.stop();
    });
  });
});
