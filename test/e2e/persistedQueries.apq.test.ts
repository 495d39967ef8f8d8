import { request } from 'undici';
import { sha256Hex } from '@roam/persisted-queries';
import { startRedis, type TestRedis, postGraphQL } from '@roam/testkit';
import { apqExtension } from '../support/roamPq';
import { startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';

const NOT_FOUND_BODY = '{"errors":[{"message":"PersistedQueryNotFound","extensions":{"code":"PERSISTED_QUERY_NOT_FOUND"}}]}';
const ME = '{ me { id name } }';
const ME_DATA = { data: { me: { id: '1', name: 'Mara Lindqvist' } } };

async function get(url: string, params: Record<string, unknown>): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  const search = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  const res = await request(`${url}?${search}`, { headers: { 'apollo-require-preflight': 'true' } });
  return { status: res.statusCode, headers: res.headers, body: await res.body.json() };
}

describe('persisted queries, apq mode (Apollo APQ protocol), Redis store', () => {
  let subgraphs: SubgraphProcesses;
  let gateway: GatewayProcess;
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await startRedis();
    subgraphs = await startSubgraphs();
    gateway = await startGateway(writeSupergraph(subgraphs.definitions()), { PERSISTED_QUERIES: 'apq', REDIS_URL: redis.url, PERSISTED_QUERIES_KEY_PREFIX: redis.prefix });
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraphs?.stop();
    await redis?.stop();
  });

  it('answers an unknown hash with exactly PersistedQueryNotFound, HTTP 200 and no-cache', async () => {
    const res = await postGraphQL(gateway.url, { extensions: apqExtension('{ me { id } }') });
    expect(res.status).toBe(200);
    expect(res.text).toBe(NOT_FOUND_BODY);
    expect(res.headers['cache-control']).toBe('private, no-cache, must-revalidate');
  });

  it('registers hash plus text, runs it, then serves the hash alone', async () => {
    const first = await postGraphQL(gateway.url, { query: ME, extensions: apqExtension(ME) });
    expect(first.status).toBe(200);
    expect(first.body).toEqual(ME_DATA);
    const hit = await postGraphQL(gateway.url, { extensions: apqExtension(ME) });
    expect(hit.status).toBe(200);
    expect(hit.body).toEqual(ME_DATA);
    const viaDocumentId = await postGraphQL(gateway.url, { documentId: `sha256:${sha256Hex(ME)}` });
    expect(viaDocumentId.body).toEqual(ME_DATA);
  });

  it('refuses a hash that is not the SHA-256 of the text with 400, runs nothing and stores nothing', async () => {
    const text = '{ me { username } }';
    const wrong = sha256Hex('{ me { id } } ');
    const res = await postGraphQL(gateway.url, { query: text, extensions: { persistedQuery: { version: 1, sha256Hash: wrong } } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'provided sha does not match query', extensions: { code: 'PERSISTED_QUERY_HASH_MISMATCH' } }] });
    expect((await postGraphQL(gateway.url, { extensions: { persistedQuery: { version: 1, sha256Hash: wrong } } })).text).toBe(NOT_FOUND_BODY);
    expect((await postGraphQL(gateway.url, { extensions: apqExtension(text) })).text).toBe(NOT_FOUND_BODY);
  });

  it('never stores a document that fails validation', async () => {
    const bad = '{ me { nope } }';
    const res = await postGraphQL(gateway.url, { query: bad, extensions: apqExtension(bad) });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await postGraphQL(gateway.url, { extensions: apqExtension(bad) })).text).toBe(NOT_FOUND_BODY);
  });

  it('refuses a persisted query version other than 1 with 400', async () => {
    const res = await postGraphQL(gateway.url, { query: ME, extensions: { persistedQuery: { version: 2, sha256Hash: sha256Hex(ME) } } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('works over GET, and refuses a mutation over GET with 405 and Allow: POST without storing it', async () => {
    const text = '{ me { username } }';
    const miss = await get(gateway.url, { extensions: apqExtension(text) });
    expect(miss.status).toBe(200);
    expect(miss.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(miss.headers['cache-control']).toBe('private, no-cache, must-revalidate');
    const register = await get(gateway.url, { query: text, extensions: apqExtension(text) });
    expect(register.status).toBe(200);
    expect(register.body).toEqual({ data: { me: { username: 'mlindqvist' } } });
    expect((await get(gateway.url, { extensions: apqExtension(text) })).body).toEqual({ data: { me: { username: 'mlindqvist' } } });

    const mutation = 'mutation { addReview(input: {authorId: "1", productUpc: "1", body: "x"}) { id } }';
    const refused = await get(gateway.url, { query: mutation, extensions: apqExtension(mutation) });
    expect(refused.status).toBe(405);
    expect(refused.headers.allow).toBe('POST');
    expect((await postGraphQL(gateway.url, { extensions: apqExtension(mutation) })).text).toBe(NOT_FOUND_BODY);
  });

  it('gives each batch entry its own outcome: two misses, then one registered and one still missing', async () => {
    const a = '{ me { id } }';
    const b = '{ me { name } }';
    const misses = await postGraphQL(gateway.url, [{ extensions: apqExtension(a) }, { extensions: apqExtension(b) }]);
    expect(misses.status).toBe(200);
    expect(misses.text).toBe(`[${NOT_FOUND_BODY},${NOT_FOUND_BODY}]`);
    const second = await postGraphQL(gateway.url, [{ query: a, extensions: apqExtension(a) }, { extensions: apqExtension(b) }]);
    expect(second.status).toBe(200);
    expect(second.body).toEqual([{ data: { me: { id: '1' } } }, JSON.parse(NOT_FOUND_BODY)]);
    expect((await postGraphQL(gateway.url, [{ extensions: apqExtension(a) }])).body).toEqual([{ data: { me: { id: '1' } } }]);
  });
});
