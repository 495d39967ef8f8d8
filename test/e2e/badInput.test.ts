import { request } from 'undici';
import { startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';
import { postGraphQL } from '@roam/testkit';

const NO_STACK = /stacktrace|\n\s+at |\.ts:\d+|\.js:\d+/;

describe('bad input gets a clear error and loses nothing', () => {
  let subgraphs: SubgraphProcesses;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    gateway = await startGateway(writeSupergraph(subgraphs.definitions()), { SUBGRAPH_TIMEOUT_MS: '2000' });
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraphs?.stop();
  });

  it('malformed JSON → 400 BAD_REQUEST', async () => {
    const res = await postGraphQL(gateway.url, '{"query": "{ me { id } }"');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(res.text).not.toMatch(NO_STACK);
  });

  // Found as a new user: both said "The request body is not valid JSON: Body is not valid JSON but content-type is
  // set to 'application/json'", the second about a body that is valid JSON.
  it('malformed JSON says where it breaks; a "__proto__" key is refused as such, not as invalid JSON', async () => {
    const broken = await postGraphQL(gateway.url, '{"query": "{ me { id } }",');
    expect(broken.status).toBe(400);
    expect(broken.body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(broken.body.errors[0].message).toMatch(/^The request body is not valid JSON: .*JSON.*\.$/);
    expect(broken.body.errors[0].message).not.toContain('content-type');
    const poisoned = await postGraphQL(gateway.url, '{"query":"{ me { id } }","variables":{"__proto__":{"admin":true}}}');
    expect({ status: poisoned.status, body: poisoned.body }).toEqual({
      status: 400,
      body: { errors: [{ message: 'The request body has a "__proto__" or "constructor" key holding a prototype, which is refused.', extensions: { code: 'BAD_REQUEST' } }] },
    });
  });

  it('a body that is JSON but not a GraphQL request → 400 BAD_REQUEST naming the field', async () => {
    const res = await postGraphQL(gateway.url, { query: 42 });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ message: 'Expected "query" to be a string; got number.', extensions: { code: 'BAD_REQUEST' } });
  });

  it('unknown field → 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const res = await postGraphQL(gateway.url, { query: '{ me { id shoeSize } }' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.body.errors[0].message).toBe('Cannot query field "shoeSize" on type "User".');
  });

  it('syntax error → 400 GRAPHQL_PARSE_FAILED', async () => {
    const res = await postGraphQL(gateway.url, { query: '{ me { id ' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('a mutation over GET → 405 BAD_REQUEST with Allow: POST', async () => {
    const q = encodeURIComponent('mutation { addReview(input: { authorId: "1", productUpc: "1", body: "x" }) { id } }');
    const res = await request(`${gateway.url}?query=${q}`, { headers: { 'apollo-require-preflight': 'true' } });
    const body = (await res.body.json()) as { errors: { extensions: { code: string } }[] };
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('POST');
    // Apollo Server's code for this condition (GraphQL over HTTP: mutations only over POST)
    expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
  });

  it('a GET query works', async () => {
    const res = await request(`${gateway.url}?query=${encodeURIComponent('{ me { name } }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ data: { me: { name: 'Mara Lindqvist' } } });
  });

  it("a subgraph error's path points into the client's query, never _entities, with no subgraph stack", async () => {
    const res = await postGraphQL(gateway.url, { query: '{ topProducts(first: 2) { upc reviewsConnection(first: 500) { totalCount } } }' });
    expect(res.status).toBe(200);
    // reviewsConnection is non-null, so each null bubbles up to its nullable Product (GraphQL spec, "Handling Field Errors")
    expect(res.body.data).toEqual({ topProducts: [null, null] });
    expect(res.body.errors.length).toBeGreaterThan(0);
    for (const error of res.body.errors) {
      expect(error.path[0]).toBe('topProducts');
      expect(error.path).not.toContain('_entities');
      expect(error.extensions.serviceName).toBe('reviews');
    }
    expect(res.text).not.toMatch(NO_STACK);
  });

  it('a subgraph that is down → its fields are null with an error naming it (no 500, no hang); the rest is served', async () => {
    await subgraphs.processes.inventory.stop();
    const res = await postGraphQL(gateway.url, { query: '{ topProducts(first: 2) { upc name inStock } }' });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({
      topProducts: [
        { upc: '1', name: 'Table', inStock: null },
        { upc: '2', name: 'Couch', inStock: null },
      ],
    });
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].message).toMatch(/^HTTP fetch failed from 'inventory': /);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'SUBREQUEST_HTTP_ERROR', serviceName: 'inventory' });
    expect(res.body.errors[0].path).toEqual(['topProducts']);
    expect(res.text).not.toMatch(NO_STACK);
    // the gateway is still healthy
    const health = await request(gateway.url.replace('/graphql', '/health'));
    expect(health.statusCode).toBe(200);
    await health.body.dump();
  });

  it('other methods → 405, unknown paths → 404 NOT_FOUND', async () => {
    const del = await request(gateway.url, { method: 'DELETE' });
    expect(del.statusCode).toBe(405);
    expect(del.headers.allow).toBe('GET, POST');
    await del.body.dump();
    const missing = await request(gateway.url.replace('/graphql', '/nope'));
    expect(missing.statusCode).toBe(404);
    expect(((await missing.body.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('NOT_FOUND');
  });
});
