import { startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';
import { postGraphQL } from '@roam/testkit';

/**
 * The same requests through both executors (EXECUTOR=roam and EXECUTOR=apollo) on real subgraphs: data
 * must be identical, and errors must agree in message, code and path.
 */
describe('end to end: EXECUTOR=roam answers like EXECUTOR=apollo', () => {
  let subgraphs: SubgraphProcesses;
  let roam: GatewayProcess;
  let apollo: GatewayProcess;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    const supergraph = writeSupergraph(subgraphs.definitions());
    [roam, apollo] = await Promise.all([startGateway(supergraph, { EXECUTOR: 'roam' }), startGateway(supergraph, { EXECUTOR: 'apollo' })]);
  });
  afterAll(async () => {
    await Promise.all([roam?.stop(), apollo?.stop()]);
    await subgraphs?.stop();
  });

  const cases: [string, { query: string; variables?: Record<string, unknown> }][] = [
    [
      'a user screen with a connection',
      {
        query:
          'query ($id: ID!) { user(id: $id) { id name reviewsConnection(first: 2) { totalCount edges { cursor node { id product { upc name inStock shippingEstimate } } } pageInfo { hasNextPage endCursor } } } }',
        variables: { id: '2' },
      },
    ],
    ['an unknown id', { query: '{ user(id: "999") { id name } product(upc: "999") { upc } }' }],
    ['aliases and __typename across subgraphs', { query: '{ a: topProducts(first: 2) { __typename upc n: name stock: inStock } me { __typename id r: reviews { id } } }' }],
    ['a missing required variable', { query: 'query ($id: ID!) { user(id: $id) { id } }', variables: {} }],
    ['a variable of the wrong type', { query: 'query ($n: Int) { topProducts(first: $n) { upc } }', variables: { n: 'many' } }],
    ['a mutation the subgraph rejects', { query: 'mutation { addReview(input: { authorId: "1", productUpc: "1", body: "" }) { id } }' }],
  ];

  it.each(cases)('%s', async (_name, body) => {
    const [a, b] = await Promise.all([postGraphQL(roam.url, body), postGraphQL(apollo.url, body)]);
    expect(a.status).toBe(b.status);
    expect(a.body.data).toEqual(b.body.data);
    const brief = (errors: { message: string; path?: unknown; extensions?: { code?: string } }[] | undefined) =>
      (errors ?? []).map((e) => ({ message: e.message, path: e.path, code: e.extensions?.code }));
    expect(brief(a.body.errors)).toEqual(brief(b.body.errors));
    if (_name.startsWith('a mutation')) expect(a.body.errors?.length).toBeGreaterThan(0);
  });
});
