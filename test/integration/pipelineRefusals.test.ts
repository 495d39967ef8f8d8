import { request } from 'undici';
import type { RoamGateway } from '@roam/gateway';
import { sha256Hex } from '@roam/persisted-queries';
import { postGraphQL } from '@roam/testkit';
import { startInProcessGateway, startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';

// Issue 10 item 2: an APQ registration happens only after the operation passed every check that can refuse it.
// Each case sends hash + text (which registers when accepted) and is refused by one check; afterwards the
// hash alone must still be unknown (PERSISTED_QUERY_NOT_FOUND). Real subgraphs (in-process, port 0), real gateway.
describe('the pipeline: a refused request writes nothing', () => {
  let subgraphs: InProcessSubgraphs;
  let gateway: RoamGateway;
  let url: string;

  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
    ({ gateway, url } = await startInProcessGateway(subgraphs, {
      MAX_DEPTH: '4',
      MAX_ALIASES: '2',
      MAX_ROOT_FIELDS: '3',
      MAX_TOKENS: '200',
      MAX_DOCUMENT_BYTES: '2000',
      MAX_COST: '500',
    }));
  });
  afterAll(async () => {
    await gateway?.close();
    await subgraphs?.close();
  });

  const apq = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256Hex(query) } });
  const hashOnly = async (query: string) => (await postGraphQL(url, { extensions: apq(query) })).body.errors?.[0]?.extensions.code;

  const refusedByBody: [string, string, number, string][] = [
    ['validation', '{ nope }', 400, 'GRAPHQL_VALIDATION_FAILED'],
    ['parse', '{ me ', 400, 'GRAPHQL_PARSE_FAILED'],
    ['operation selection', 'query A { me { id } } query B { me { id } }', 400, 'OPERATION_RESOLUTION_FAILURE'],
    ['depth', '{ me { reviews { product { reviews { author { id } } } } } }', 400, 'MAX_DEPTH_LIMIT'],
    ['aliases', '{ a: me { id } b: me { id } c: me { id } }', 400, 'MAX_ALIASES_LIMIT'],
    ['root fields', '{ me { id } topProducts(first: 1) { upc } users { id } x: me { name } }', 400, 'MAX_ROOT_FIELDS_LIMIT'],
    ['cost', '{ topProducts(first: 50) { reviews { id } } }', 400, 'COST_ESTIMATED_TOO_EXPENSIVE'],
    ['tokens', `{ me { ${'id '.repeat(250)}} }`, 400, 'MAX_TOKENS_LIMIT'],
    ['document bytes', `{ me { id } } # ${'x'.repeat(2100)}`, 400, 'MAX_DOCUMENT_BYTES_LIMIT'],
    ['subscription over HTTP', 'subscription { reviewAdded { id } }', 400, 'SUBSCRIPTION_REQUIRES_WEBSOCKET'],
  ];

  it.each(refusedByBody)('%s: refused with its code, and the hash stays unknown', async (_name, query, status, code) => {
    const res = await postGraphQL(url, { query, extensions: apq(query) });
    expect(res.status).toBe(status);
    expect(res.body.errors[0].extensions.code).toBe(code);
    expect(await hashOnly(query)).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('a mutation over GET: 405 with Allow: POST, and the hash stays unknown', async () => {
    const query = 'mutation { addReview(input: { authorId: "1", productUpc: "1", body: "never" }) { id } }';
    const params = new URLSearchParams({ query, extensions: JSON.stringify(apq(query)) });
    const res = await request(`${url}?${params}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect((JSON.parse(await res.body.text()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('BAD_REQUEST');
    expect(await hashOnly(query)).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('a CSRF-blocked GET: 400, and the hash stays unknown', async () => {
    const query = '{ me { id } }';
    const params = new URLSearchParams({ query, extensions: JSON.stringify(apq(query)) });
    const res = await request(`${url}?${params}`);
    expect(res.statusCode).toBe(400);
    expect(await res.body.text()).toMatch(/Cross-Site Request Forgery/);
    expect(await hashOnly(query)).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('an accepted operation registers: the hash alone then runs', async () => {
    const query = '{ me { id name } }';
    expect((await postGraphQL(url, { query, extensions: apq(query) })).status).toBe(200);
    expect((await postGraphQL(url, { extensions: apq(query) })).body).toEqual({ data: { me: { id: '1', name: 'Mara Lindqvist' } } });
  });

  it('answers __Type.isOneOf (graphql 16), as getIntrospectionQuery({ oneOf: true }) asks', async () => {
    const res = await postGraphQL(url, { query: '{ input: __type(name: "AddReviewInput") { name isOneOf } object: __type(name: "User") { isOneOf } me { id } }' });
    expect(res.status).toBe(200);
    // isOneOf is false for an input object without @oneOf and null for other kinds (graphql-js 16.9+)
    expect(res.body).toEqual({ data: { input: { name: 'AddReviewInput', isOneOf: false }, object: { isOneOf: null }, me: { id: '1' } } });
  });
});
