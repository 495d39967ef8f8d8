import { startGateway, writeSupergraph, type GatewayProcess } from '../support/stack';
import { startSubgraphServers, type SubgraphServers } from '../support/subgraphServers';
import { postGraphQL } from '@roam/testkit';

// LIMITS_MODE=off (issue 6 item 6: price the limits): with tiny limits set, nothing is measured or rejected.
// Costs by hand (README "Operation limits"): topProducts(first: 5) { reviews } = 5 × (1 + 20 × Review 1) = 105.
const TINY = { MAX_COST: '1', MAX_DEPTH: '2', MAX_ALIASES: '0', MAX_ROOT_FIELDS: '1', MAX_TOKENS: '10', MAX_DOCUMENT_BYTES: '40', MAX_BATCH_SIZE: '1' };
const OVER_EVERYTHING = '{ a: topProducts(first: 5) { upc reviews { id author { name } } } me { id } }';

describe('end to end: LIMITS_MODE=off runs operations over every limit', () => {
  let subgraphs: SubgraphServers;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    subgraphs = await startSubgraphServers();
    gateway = await startGateway(writeSupergraph(subgraphs.definitions()), { ...TINY, LIMITS_MODE: 'off', MAX_BODY_BYTES: '2048', LIMITS_BY_CLIENT: JSON.stringify({ strict: { mode: 'enforce' } }) });
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraphs?.stop();
  });

  it('runs an operation over the cost, depth, alias, root-field, token and size limits, and measures nothing', async () => {
    const before = subgraphs.requestCount();
    const res = await postGraphQL(gateway.url, { query: OVER_EVERYTHING }, { 'roam-include-cost': '1' });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.a).toHaveLength(5);
    expect(res.body.data.me).toEqual({ id: '1' });
    expect(res.body.extensions).toBeUndefined(); // no estimate was made
    expect(subgraphs.requestCount()).toBeGreaterThan(before);
  });

  it('runs a batch over MAX_BATCH_SIZE; the body size limit still applies', async () => {
    const batch = await postGraphQL(gateway.url, [{ query: '{ me { id } }' }, { query: '{ me { name } }' }]);
    expect(batch.status).toBe(200);
    expect(batch.body).toEqual([{ data: { me: { id: '1' } } }, { data: { me: { name: 'Mara Lindqvist' } } }]);
    const tooLarge = await postGraphQL(gateway.url, { query: `# ${'x'.repeat(3000)}\n{ me { id } }` });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('the same limits reject the operation for a client whose mode is enforce', async () => {
    const res = await postGraphQL(gateway.url, { query: OVER_EVERYTHING }, { 'apollographql-client-name': 'strict' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions).toEqual({ code: 'MAX_DOCUMENT_BYTES_LIMIT', measured: Buffer.byteLength(OVER_EVERYTHING), limit: 40 });
  });
});
