import { request } from 'undici';
import { waitFor, postGraphQL } from '@roam/testkit';
import { startGateway, writeSupergraph, type GatewayProcess } from '../support/stack';
import { startSubgraphServers, type SubgraphServers } from '../support/subgraphServers';

// Depth is static (topProducts > reviews > id = 3 even when @include drops reviews).
// Costs by hand over the reference supergraph (Product 1, scalars 0, Product.reviews @listSize(assumedSize: 20)):
//   TOP without reviews: topProducts(first: 5) → 5 × 1 = 5
//   TOP with reviews:    5 × (1 + 20 × Review 1) = 105 (limit 100)
const TOP = 'query Top($withReviews: Boolean = false) { topProducts(first: 5) { upc reviews @include(if: $withReviews) { id } } }';

const ENV = {
  MAX_COST: '100',
  MAX_DEPTH: '4',
  MAX_ALIASES: '2',
  MAX_ROOT_FIELDS: '3',
  MAX_TOKENS: '200',
  MAX_DOCUMENT_BYTES: '3000',
  MAX_BATCH_SIZE: '3',
  LIMITS_BY_CLIENT: JSON.stringify({ tiny: { maxBodyBytes: 1024 }, canary: { mode: 'measure' }, ios: { maxCost: 200 } }),
};

describe('end to end: operation limits are enforced before any subgraph call', () => {
  let subgraphs: SubgraphServers;
  let gateway: GatewayProcess;
  let supergraphPath: string;

  beforeAll(async () => {
    subgraphs = await startSubgraphServers();
    supergraphPath = writeSupergraph(subgraphs.definitions());
    gateway = await startGateway(supergraphPath, ENV);
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraphs?.stop();
  });

  /** Sends a request and returns the response with the number of subgraph requests it caused. */
  async function send(body: unknown, headers: Record<string, string> = {}) {
    const before = subgraphs.requestCount();
    const res = await postGraphQL(gateway.url, body, headers);
    return { ...res, subgraphRequests: subgraphs.requestCount() - before };
  }

  it('runs an operation under the limits and reports its cost in extensions.cost when asked', async () => {
    const res = await send({ query: TOP }, { 'roam-include-cost': '1' });
    expect(res.status).toBe(200);
    expect(res.body.data.topProducts).toHaveLength(5);
    expect(res.body.extensions.cost).toMatchObject({ estimated: 5, max: 100, mode: 'enforce', depth: 3, aliases: 0, rootFields: 1, fields: [{ path: 'topProducts', cost: 5 }] });
    expect(res.subgraphRequests).toBeGreaterThan(0);
    const quiet = await send({ query: TOP });
    expect(quiet.body.extensions).toBeUndefined();
  });

  it('rejects the same operation when its variables make it too expensive: 400, code, measured value and limit, 0 subgraph requests', async () => {
    const res = await send({ query: TOP, variables: { withReviews: true } }, { 'roam-include-cost': '1' });
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors[0].extensions).toEqual({ code: 'COST_ESTIMATED_TOO_EXPENSIVE', measured: 105, limit: 100, 'cost.estimated': 105, 'cost.max': 100 });
    expect(res.body.extensions.cost.estimated).toBe(105);
    expect(res.subgraphRequests).toBe(0);
  });

  it.each([
    ['MAX_DEPTH_LIMIT', '{ users { reviews { product { reviews { id } } } } }', 5, 4],
    ['MAX_ALIASES_LIMIT', '{ a: me { id } b: me { id } c: me { id } }', 3, 2],
    ['MAX_ROOT_FIELDS_LIMIT', '{ me { id } user(id: "1") { id } topProducts(first: 1) { upc } product(upc: "1") { upc } }', 4, 3],
    ['MAX_TOKENS_LIMIT', `{ me { ${'id '.repeat(200)} } }`, 201, 200],
    ['MAX_DOCUMENT_BYTES_LIMIT', `# ${'x'.repeat(3000)}\n{ me { id } }`, 3016, 3000],
  ])('rejects %s with 400, the measured value and the limit, and 0 subgraph requests', async (code, query, measured, limit) => {
    const res = await send({ query });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions).toMatchObject({ code, measured, limit });
    expect(res.subgraphRequests).toBe(0);
  });

  it('costs each batch entry with its own variables; the over-limit entry fails alone, in its place', async () => {
    const res = await send([{ query: TOP, variables: { withReviews: false } }, { query: TOP, variables: { withReviews: true } }, { query: '{ me { id } }' }]);
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(3);
    expect(res.body[0].data.topProducts).toHaveLength(5);
    expect(res.body[1]).toEqual({ errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'COST_ESTIMATED_TOO_EXPENSIVE', measured: 105 }) })] });
    expect(res.body[2].data.me).toEqual({ id: '1' });
    const rejectedOnly = await send([{ query: TOP, variables: { withReviews: true } }, { query: '{ a: me { id } b: me { id } c: me { id } }' }]);
    expect(rejectedOnly.body.map((r: any) => r.errors[0].extensions.code)).toEqual(['COST_ESTIMATED_TOO_EXPENSIVE', 'MAX_ALIASES_LIMIT']);
    expect(rejectedOnly.subgraphRequests).toBe(0);
  });

  it('rejects a batch over MAX_BATCH_SIZE whole, with BATCH_LIMIT_EXCEEDED', async () => {
    const res = await send(Array.from({ length: 4 }, () => ({ query: '{ me { id } }' })));
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions).toEqual({ code: 'BATCH_LIMIT_EXCEEDED', measured: 4, limit: 3 });
    expect(res.subgraphRequests).toBe(0);
  });

  it("applies a client's body limit: 413 PAYLOAD_TOO_LARGE", async () => {
    const body = { query: `# ${'x'.repeat(1500)}\n{ me { id } }` };
    const res = await send(body, { 'apollographql-client-name': 'tiny' });
    expect(res.status).toBe(413);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', limit: 1024 });
    expect(res.subgraphRequests).toBe(0);
    expect((await send(body)).status).toBe(200);
  });

  it('applies per-client overrides: a higher cost limit, and measure mode that lets the operation run', async () => {
    const ios = await send({ query: TOP, variables: { withReviews: true } }, { 'apollographql-client-name': 'ios' });
    expect(ios.status).toBe(200);
    expect(ios.body.data.topProducts[0].reviews).toBeDefined();
    const canary = await send({ query: TOP, variables: { withReviews: true } }, { 'apollographql-client-name': 'canary', 'roam-include-cost': '1' });
    expect(canary.status).toBe(200);
    expect(canary.body.extensions.cost).toMatchObject({ estimated: 105, max: 100, mode: 'measure' });
    expect(canary.subgraphRequests).toBeGreaterThan(0);
  });

  it('answers invalid documents with the standard validation error before any analyzer: 400, no crash, 0 subgraph requests', async () => {
    const literal = await send({ query: '{ topProducts(first: x) { upc } }' });
    expect(literal.status).toBe(400);
    expect(literal.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const cycle = await send({ query: '{ topProducts { ...A } } fragment A on Product { upc ...B } fragment B on Product { name ...A }' });
    expect(cycle.status).toBe(400);
    expect(cycle.body.errors.map((e: any) => e.message)).toContain('Cannot spread fragment "A" within itself via "B".');
    expect(cycle.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(literal.subgraphRequests + cycle.subgraphRequests).toBe(0);
    const variables = await send({ query: 'query Q($n: Int!) { topProducts(first: $n) { upc } }', variables: { n: 'x' } });
    expect(variables.status).toBe(400);
    expect(variables.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(variables.subgraphRequests).toBe(0);
  });

  it('enforces limits on GET too', async () => {
    const before = subgraphs.requestCount();
    const res = await request(`${gateway.url}?query=${encodeURIComponent('{ a: me { id } b: me { id } c: me { id } }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(res.statusCode).toBe(400);
    expect(((await res.body.json()) as any).errors[0].extensions.code).toBe('MAX_ALIASES_LIMIT');
    expect(subgraphs.requestCount() - before).toBe(0);
  });

  it('reads the new cost directives after a supergraph hot reload', async () => {
    // Product.reviews sized 2 instead of 20: 5 × (1 + 2) = 15, now under the limit.
    writeSupergraph(subgraphs.definitions({ reviews: (sdl) => sdl.replace(/(reviews: \[Review\]) @listSize\(assumedSize: 20\)/, '$1 @listSize(assumedSize: 2)') }), supergraphPath);
    await waitFor(async () => {
      const r = await request(gateway.url.replace('/graphql', '/ready'));
      return ((await r.body.json()) as { supergraphVersion?: number }).supergraphVersion === 2;
    }, 'the supergraph reload');
    const res = await send({ query: TOP, variables: { withReviews: true } }, { 'roam-include-cost': '1' });
    expect(res.status).toBe(200);
    expect(res.body.extensions.cost.estimated).toBe(15);
  });
});
