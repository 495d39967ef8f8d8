import { brotliCompressSync, brotliDecompressSync, deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import { pack, unpack } from 'msgpackr';
import { request } from 'undici';
import { BENCHMARK_EXPECTED, BENCHMARK_QUERY, startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';

/** A raw HTTP exchange with the gateway through undici; the body is returned as bytes, undecoded. */
async function send(
  url: string,
  options: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; bytes: Buffer }> {
  const res = await request(url, { method: options.method ?? 'POST', headers: options.headers ?? {}, body: options.body });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, bytes };
}

/** Undoes the response's Content-Encoding and Content-Type the way a client would (independent of the gateway's code). */
function decode(res: { headers: Record<string, string | string[] | undefined>; bytes: Buffer }): unknown {
  const encoding = res.headers['content-encoding'];
  const plain = encoding === 'br' ? brotliDecompressSync(res.bytes) : encoding === 'gzip' ? gunzipSync(res.bytes) : res.bytes;
  return String(res.headers['content-type']).startsWith('application/msgpack') ? unpack(plain) : JSON.parse(plain.toString('utf8'));
}

const json = (value: unknown) => JSON.stringify(value);
const SMALL_QUERY = '{ topProducts(first: 2) { upc name } }';
const USER_REVIEWS = 'query UserReviews($id: ID!) { user(id: $id) { name reviewsConnection(first: 10) { totalCount edges { node { body product { name } } } } } }';
const ADD_REVIEW = 'mutation Add($body: String!) { addReview(input: { authorId: "2", productUpc: "1", body: $body }) { id body } }';

describe('mobile wire efficiency: encodings, batching, conditional requests (real gateway and subgraphs over HTTP)', () => {
  let subgraphs: SubgraphProcesses;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    gateway = await startGateway(writeSupergraph(subgraphs.definitions()), {
      CACHE_HINTS: json({ Product: { maxAge: 60, scope: 'PUBLIC' } }),
      MAX_BODY_BYTES: String(64 * 1024),
      MAX_BATCH_SIZE: '5',
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraphs?.stop();
  });

  const postJson = (body: unknown, headers: Record<string, string> = {}) => send(gateway.url, { headers: { 'content-type': 'application/json', ...headers }, body: json(body) });

  describe('response encodings round-trip to the same data as plain JSON', () => {
    it.each([
      ['JSON, identity', {}, undefined, 'application/json; charset=utf-8'],
      ['JSON, gzip', { 'accept-encoding': 'gzip' }, 'gzip', 'application/json; charset=utf-8'],
      ['JSON, brotli preferred over gzip', { 'accept-encoding': 'gzip, deflate, br' }, 'br', 'application/json; charset=utf-8'],
      ['MessagePack', { accept: 'application/msgpack' }, undefined, 'application/msgpack'],
      ['MessagePack (x-msgpack), brotli', { accept: 'application/x-msgpack', 'accept-encoding': 'br' }, 'br', 'application/msgpack'],
      ['MessagePack, gzip', { accept: 'application/msgpack', 'accept-encoding': 'gzip;q=1, br;q=0' }, 'gzip', 'application/msgpack'],
      ['graphql-response+json, brotli', { accept: 'application/graphql-response+json', 'accept-encoding': 'br' }, 'br', 'application/graphql-response+json; charset=utf-8'],
    ])('%s', async (_name, headers, encoding, contentType) => {
      const res = await postJson({ query: BENCHMARK_QUERY }, headers as Record<string, string>);
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe(encoding);
      expect(res.headers['content-type']).toBe(contentType);
      expect(res.headers.vary).toBe('Accept, Accept-Encoding');
      expect(decode(res)).toEqual(BENCHMARK_EXPECTED);
    });

    it('leaves a response under RESPONSE_COMPRESSION_MIN_BYTES (1 KiB) uncompressed, still with Vary', async () => {
      const res = await postJson({ query: SMALL_QUERY }, { 'accept-encoding': 'br, gzip' });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.headers.vary).toBe('Accept, Accept-Encoding');
      expect(res.bytes.length).toBeLessThan(1024);
      expect(decode(res)).toEqual({
        data: {
          topProducts: [
            { upc: '1', name: expect.any(String) },
            { upc: '2', name: expect.any(String) },
          ],
        },
      });
    });

    it('compresses a brotli response far below its JSON size', async () => {
      const plain = await postJson({ query: BENCHMARK_QUERY });
      const br = await postJson({ query: BENCHMARK_QUERY }, { 'accept-encoding': 'br' });
      expect(br.bytes.length * 10).toBeLessThan(plain.bytes.length);
    });
  });

  describe('request bodies', () => {
    const body = Buffer.from(json({ query: BENCHMARK_QUERY }));
    it.each([
      ['gzip', gzipSync(body)],
      ['x-gzip', gzipSync(body)],
      ['br', brotliCompressSync(body)],
      ['deflate', deflateSync(body)],
    ])('accepts Content-Encoding %s', async (coding, compressed) => {
      const res = await send(gateway.url, { headers: { 'content-type': 'application/json', 'content-encoding': coding }, body: compressed });
      expect(res.status).toBe(200);
      expect(decode(res)).toEqual(BENCHMARK_EXPECTED);
    });

    it('accepts a MessagePack body, also gzip-compressed, and answers in MessagePack', async () => {
      const packed = pack({ query: BENCHMARK_QUERY });
      const plain = await send(gateway.url, { headers: { 'content-type': 'application/msgpack', accept: 'application/msgpack' }, body: packed });
      expect(plain.status).toBe(200);
      expect(plain.headers['content-type']).toBe('application/msgpack');
      expect(decode(plain)).toEqual(BENCHMARK_EXPECTED);
      const zipped = await send(gateway.url, { headers: { 'content-type': 'application/x-msgpack', 'content-encoding': 'gzip' }, body: gzipSync(packed) });
      expect(zipped.status).toBe(200);
      expect(zipped.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(decode(zipped)).toEqual(BENCHMARK_EXPECTED);
    });

    it('refuses a corrupt gzip body with 400 BAD_REQUEST', async () => {
      const corrupt = Buffer.concat([gzipSync(body).subarray(0, 10), Buffer.from('this is not deflate data at all')]);
      const res = await send(gateway.url, { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: corrupt });
      expect(res.status).toBe(400);
      expect(decode(res)).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
      expect(res.bytes.toString()).not.toMatch(/at .*\.js/);
    });

    it('refuses a truncated brotli body with 400 BAD_REQUEST', async () => {
      const whole = brotliCompressSync(body);
      const res = await send(gateway.url, { headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, body: whole.subarray(0, whole.length - 20) });
      expect(res.status).toBe(400);
      expect(decode(res)).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    });

    it.each(['gzip', 'br', 'deflate'])('refuses a %s decompression bomb (small on the wire, 8 MiB inflated) with 413 PAYLOAD_TOO_LARGE', async (coding) => {
      const inflated = Buffer.concat([Buffer.from('{"query":"{ __typename }","pad":"'), Buffer.alloc(8 * 1024 * 1024, 0x20), Buffer.from('"}')]);
      const bomb = coding === 'gzip' ? gzipSync(inflated, { level: 9 }) : coding === 'br' ? brotliCompressSync(inflated) : deflateSync(inflated, { level: 9 });
      expect(bomb.length).toBeLessThan(64 * 1024);
      const res = await send(gateway.url, { headers: { 'content-type': 'application/json', 'content-encoding': coding }, body: bomb });
      expect(res.status).toBe(413);
      expect(decode(res)).toMatchObject({ errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE', limitBytes: 64 * 1024, decoded: true } }] });
      // the gateway is still serving
      expect((await postJson({ query: SMALL_QUERY })).status).toBe(200);
    });

    it('refuses an uncompressed body over MAX_BODY_BYTES with 413', async () => {
      const res = await postJson({ query: SMALL_QUERY, pad: ' '.repeat(70 * 1024) });
      expect(res.status).toBe(413);
      expect(decode(res)).toMatchObject({ errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE', limitBytes: 64 * 1024 } }] });
    });

    it('refuses an unknown Content-Encoding with 415 and invalid MessagePack with 400', async () => {
      const unknown = await send(gateway.url, { headers: { 'content-type': 'application/json', 'content-encoding': 'compress' }, body: body });
      expect(unknown.status).toBe(415);
      expect(decode(unknown)).toMatchObject({ errors: [{ extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' } }] });
      const badPack = await send(gateway.url, { headers: { 'content-type': 'application/msgpack' }, body: Buffer.from([0xc1, 0x00, 0xff]) });
      expect(badPack.status).toBe(400);
      expect(decode(badPack)).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    });
  });

  describe('content negotiation', () => {
    it('answers 406 NOT_ACCEPTABLE when Accept allows nothing Roam produces', async () => {
      for (const accept of ['text/html', 'application/xml, text/plain;q=0.5', 'application/msgpack;q=0, application/json;q=0']) {
        const res = await postJson({ query: SMALL_QUERY }, { accept });
        expect(res.status).toBe(406);
        expect(decode(res)).toMatchObject({ errors: [{ extensions: { code: 'NOT_ACCEPTABLE' } }] });
      }
    });

    it('follows GraphQL over HTTP with application/graphql-response+json: a validation error is 400 with that media type', async () => {
      const res = await postJson({ query: '{ nope }' }, { accept: 'application/graphql-response+json' });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe('application/graphql-response+json; charset=utf-8');
      expect(decode(res)).toMatchObject({ errors: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
    });

    it('treats */* and a missing Accept as application/json', async () => {
      for (const headers of [{ accept: '*/*' }, {}] as Record<string, string>[]) {
        const res = await postJson({ query: SMALL_QUERY }, headers);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      }
    });
  });

  describe('batching', () => {
    it('returns one result per entry, in order, with an invalid entry failing alone (JSON and MessagePack)', async () => {
      const batch = [{ query: SMALL_QUERY }, { query: '{ topProducts { nope } }' }, 42, { query: '{ user(id: "3") { name } }' }];
      const expected = [
        {
          data: {
            topProducts: [
              { upc: '1', name: expect.any(String) },
              { upc: '2', name: expect.any(String) },
            ],
          },
        },
        { errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }) })] },
        { errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_REQUEST' }) })] },
        { data: { user: { name: 'Priya Raman' } } },
      ];
      const res = await postJson(batch, { 'accept-encoding': 'br' });
      expect(res.status).toBe(200);
      expect(decode(res)).toEqual(expected);
      const packed = await send(gateway.url, { headers: { 'content-type': 'application/msgpack', accept: 'application/msgpack' }, body: pack(batch) });
      expect(packed.status).toBe(200);
      expect(packed.headers['content-type']).toBe('application/msgpack');
      expect(decode(packed)).toEqual(expected);
      expect(packed.headers.etag).toBeUndefined();
    });

    it('refuses a batch over MAX_BATCH_SIZE with 400 BATCH_LIMIT_EXCEEDED and the measured size', async () => {
      const res = await postJson(Array.from({ length: 6 }, () => ({ query: SMALL_QUERY })));
      expect(res.status).toBe(400);
      expect(decode(res)).toMatchObject({ errors: [{ extensions: { code: 'BATCH_LIMIT_EXCEEDED', measured: 6, limit: 5 } }] });
    });
  });

  describe('ETag, 304 and Cache-Control', () => {
    it('answers If-None-Match with 304 and no body; each encoding has its own strong tag (RFC 9110 §8.8.1), and a tag of any encoding revalidates', async () => {
      const first = await postJson({ query: BENCHMARK_QUERY });
      expect(first.status).toBe(200);
      const etag = String(first.headers.etag);
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
      const packed = await send(gateway.url, { headers: { 'content-type': 'application/json', accept: 'application/msgpack', 'accept-encoding': 'br' }, body: json({ query: BENCHMARK_QUERY }) });
      expect(packed.headers.etag).toBe(`${etag.slice(0, -1)}.mp.br"`);
      const again = await postJson({ query: BENCHMARK_QUERY }, { 'if-none-match': etag, 'accept-encoding': 'gzip' });
      expect(again.status).toBe(304);
      expect(again.bytes.length).toBe(0);
      expect(again.headers.etag).toBe(`${etag.slice(0, -1)}.gz"`);
      const fromPacked = await postJson({ query: BENCHMARK_QUERY }, { 'if-none-match': String(packed.headers.etag) });
      expect(fromPacked.status).toBe(304);
      expect(fromPacked.headers.etag).toBe(etag);
      expect(again.headers.vary).toBe('Accept, Accept-Encoding');
      const other = await postJson({ query: BENCHMARK_QUERY }, { 'if-none-match': '"somethingelse"' });
      expect(other.status).toBe(200);
      expect(decode(other)).toEqual(BENCHMARK_EXPECTED);
    });

    it('sends no ETag for a response with errors', async () => {
      const res = await postJson({ query: '{ topProducts { nope } }' });
      expect(res.headers.etag).toBeUndefined();
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('serves GET with an ETag and 304', async () => {
      const url = `${gateway.url}?query=${encodeURIComponent(SMALL_QUERY)}`;
      const headers = { 'apollo-require-preflight': 'true' };
      const first = await send(url, { method: 'GET', headers });
      expect(first.status).toBe(200);
      const again = await send(url, { method: 'GET', headers: { ...headers, 'if-none-match': String(first.headers.etag) } });
      expect(again.status).toBe(304);
      expect(again.bytes.length).toBe(0);
    });

    it('derives Cache-Control from cache hints: products public for 60 s, anything with user data private, no-cache', async () => {
      const products = await postJson({ query: SMALL_QUERY });
      expect(products.headers['cache-control']).toBe('max-age=60, public');
      const mixed = await postJson({ query: '{ topProducts(first: 1) { name } me { name } }' });
      expect(mixed.headers['cache-control']).toBe('private, no-cache');
      const batch = await postJson([{ query: SMALL_QUERY }, { query: '{ me { name } }' }]);
      expect(batch.headers['cache-control']).toBe('private, no-cache');
      expect(batch.headers.etag).toBeDefined();
    });
  });

  // Last: these add reviews, which changes the benchmark query's seeded answer.
  describe('mutations', () => {
    it('runs a batch of mutations in order', async () => {
      const tag = `order-${Date.now()}`;
      const bodies = [1, 2, 3, 4].map((n) => `${tag} #${n}`);
      const res = await postJson(bodies.map((body) => ({ query: ADD_REVIEW, variables: { body } })));
      expect(res.status).toBe(200);
      const results = decode(res) as { data: { addReview: { id: string; body: string } } }[];
      expect(results.map((r) => r.data.addReview.body)).toEqual(bodies);
      const ids = results.map((r) => Number(r.data.addReview.id));
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      expect(res.headers.etag).toBeUndefined();
      expect(res.headers['cache-control']).toBe('no-store');
      const after = await postJson({ query: USER_REVIEWS, variables: { id: '2' } });
      const listed = (decode(after) as { data: { user: { reviewsConnection: { edges: { node: { body: string } }[] } } } }).data.user.reviewsConnection.edges
        .map((e) => e.node.body)
        .filter((b) => b.startsWith(tag));
      expect(listed).toEqual(bodies);
    });

    it('gives a new tag after a mutation (addReview) changes the data', async () => {
      const query = { query: USER_REVIEWS, variables: { id: '2' } };
      const first = await postJson(query);
      const etag = String(first.headers.etag);
      expect(first.headers['cache-control']).toBe('private, no-cache');
      expect((await postJson(query, { 'if-none-match': etag })).status).toBe(304);
      const mutation = await postJson({ query: ADD_REVIEW, variables: { body: `etag ${Date.now()}` } });
      expect(mutation.status).toBe(200);
      expect(mutation.headers.etag).toBeUndefined();
      expect(mutation.headers['cache-control']).toBe('no-store');
      const after = await postJson(query, { 'if-none-match': etag });
      expect(after.status).toBe(200);
      expect(after.headers.etag).toBeDefined();
      expect(after.headers.etag).not.toBe(etag);
      const before = decode(first) as { data: { user: { reviewsConnection: { totalCount: number } } } };
      expect((decode(after) as typeof before).data.user.reviewsConnection.totalCount).toBe(before.data.user.reviewsConnection.totalCount + 1);
    });
  });
});
