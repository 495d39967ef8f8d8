import { BENCHMARK_EXPECTED, BENCHMARK_QUERY, startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';
import { waitFor, postGraphQL } from '@roam/testkit';

describe("end to end: EXECUTOR=roam (Roam's own query-plan executor) on the benchmark query", () => {
  let subgraphs: SubgraphProcesses;
  let gateway: GatewayProcess;
  let supergraphPath: string;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    supergraphPath = writeSupergraph(subgraphs.definitions());
    gateway = await startGateway(supergraphPath, { EXECUTOR: 'roam' });
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

  it('coerces variables and answers a missing one with an error and no data', async () => {
    const res = await postGraphQL(gateway.url, { query: 'query ($id: ID!) { user(id: $id) { id name } }', variables: {} });
    expect(res.body.errors?.[0]?.message).toMatch(/\$id/);
    expect(res.body.data).toBeUndefined();
  });

  it('picks up a new supergraph without a restart (hot reload) and plans against it', async () => {
    const { request } = await import('undici');
    // Recompose with the products subgraph moved behind a different URL (same process, query string added).
    const defs = subgraphs.definitions().map((d) => (d.name === 'products' ? { ...d, url: `${d.url}?v=2` } : d));
    writeSupergraph(defs, supergraphPath);
    await waitFor(
      async () => {
        const r = await request(gateway.url.replace('/graphql', '/ready'));
        const body = (await r.body.json()) as { supergraphVersion?: number };
        return body.supergraphVersion === 2;
      },
      'supergraph version 2',
      10_000,
    );
    const res = await postGraphQL(gateway.url, { query: BENCHMARK_QUERY });
    expect(JSON.stringify(res.body) === JSON.stringify(BENCHMARK_EXPECTED)).toBe(true);
  });

  it('degrades to partial data plus an error when a subgraph is down', async () => {
    await subgraphs.processes.inventory.stop();
    const res = await postGraphQL(gateway.url, { query: '{ topProducts(first: 1) { upc name inStock } }' });
    expect(res.status).toBe(200);
    expect(res.body.data.topProducts[0]).toEqual({ upc: '1', name: expect.any(String), inStock: null });
    expect(res.body.errors[0].extensions.code).toBe('SUBREQUEST_HTTP_ERROR');
  });
});
