import { BENCHMARK_EXPECTED, BENCHMARK_QUERY, startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';
import { postGraphQL } from '../support/graphql';

describe('end to end: EXECUTOR=roam (Roam\'s own query-plan executor) on the benchmark query', () => {
  let subgraphs: SubgraphProcesses;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    gateway = await startGateway(writeSupergraph(subgraphs.definitions()), { EXECUTOR: 'roam' });
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraphs?.stop();
  });

  it('returns exactly expected.json, byte for byte in field order', async () => {
    const res = await postGraphQL(gateway.url, { query: BENCHMARK_QUERY });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(BENCHMARK_EXPECTED);
    expect(JSON.stringify(res.body)).toBe(JSON.stringify(BENCHMARK_EXPECTED));
  });

  it('answers the same plan from its cache on a second request', async () => {
    const res = await postGraphQL(gateway.url, { query: BENCHMARK_QUERY });
    expect(JSON.stringify(res.body)).toBe(JSON.stringify(BENCHMARK_EXPECTED));
  });

  it('answers 20 identical concurrent queries (coalesced) each with exactly expected.json', async () => {
    const all = await Promise.all(Array.from({ length: 20 }, () => postGraphQL(gateway.url, { query: BENCHMARK_QUERY })));
    for (const res of all) expect(JSON.stringify(res.body) === JSON.stringify(BENCHMARK_EXPECTED)).toBe(true);
  });

  it('coerces variables and reports bad ones with a validation-style error, calling no subgraph', async () => {
    const res = await postGraphQL(gateway.url, { query: 'query ($id: ID!) { user(id: $id) { id name } }', variables: {} });
    expect(res.body.errors?.[0]?.message).toMatch(/\$id/);
    expect(res.body.data).toBeUndefined();
  });

  it('degrades to partial data plus an error when a subgraph is down', async () => {
    await subgraphs.processes.inventory.stop();
    const res = await postGraphQL(gateway.url, { query: '{ topProducts(first: 1) { upc name inStock } }' });
    expect(res.status).toBe(200);
    expect(res.body.data.topProducts[0]).toEqual({ upc: '1', name: expect.any(String), inStock: null });
    expect(res.body.errors[0].extensions.code).toBe('SUBREQUEST_HTTP_ERROR');
  });
});
