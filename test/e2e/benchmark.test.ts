import { BENCHMARK_EXPECTED, BENCHMARK_QUERY, startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';
import { postGraphQL } from '@roam/testkit';

describe('end to end: the federation benchmark query through real processes', () => {
  let subgraphs: SubgraphProcesses;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    gateway = await startGateway(writeSupergraph(subgraphs.definitions()));
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraphs?.stop();
  });

  it('returns exactly expected.json', async () => {
    const res = await postGraphQL(gateway.url, { query: BENCHMARK_QUERY });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(BENCHMARK_EXPECTED);
  });

  it('answers /health and /ready', async () => {
    const health = await postGraphQL(gateway.url.replace('/graphql', '/health'), {});
    expect(health.status).toBe(404); // POST /health is not a route; GET is
    const { request } = await import('undici');
    const h = await request(gateway.url.replace('/graphql', '/health'));
    expect(h.statusCode).toBe(200);
    expect(await h.body.json()).toEqual({ status: 'ok' });
    const r = await request(gateway.url.replace('/graphql', '/ready'));
    expect(r.statusCode).toBe(200);
    expect(await r.body.json()).toMatchObject({ status: 'ready', supergraphVersion: 1 });
  });
});
