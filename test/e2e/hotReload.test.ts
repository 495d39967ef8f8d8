import { parse } from 'graphql';
import { createSubgraphServer, type SubgraphServer } from '@roam/subgraph-kit';
import { BENCHMARK_EXPECTED, BENCHMARK_QUERY, startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';
import { waitFor, postGraphQL } from '@roam/testkit';

/** A new subgraph a team deploys: it adds `Product.fragile` (true for even UPCs). */
function buildShippingSubgraph(): SubgraphServer {
  return createSubgraphServer({
    name: 'shipping',
    typeDefs: parse(`
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
      type Product @key(fields: "upc") { upc: String! fragile: Boolean }
    `),
    resolvers: { Product: { __resolveReference: (ref: { upc: string }) => ref, fragile: (p: { upc: string }) => Number(p.upc) % 2 === 0 } },
    createContext: () => ({}),
  });
}

describe('hot reload: a recomposed supergraph is picked up with no restart and no failed request', () => {
  let subgraphs: SubgraphProcesses;
  let shipping: SubgraphServer;
  let gateway: GatewayProcess;
  let supergraphPath: string;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    shipping = buildShippingSubgraph();
    supergraphPath = writeSupergraph(subgraphs.definitions());
    gateway = await startGateway(supergraphPath);
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraphs?.stop();
    await shipping?.close();
  });

  it('keeps answering the benchmark query correctly while the new field becomes queryable', async () => {
    const newFieldQuery = { query: '{ topProducts(first: 2) { upc fragile } }' };
    const before = await postGraphQL(gateway.url, newFieldQuery);
    expect(before.status).toBe(400);
    expect(before.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const failures: unknown[] = [];
    let sent = 0;
    let flowing = true;
    const load = (async () => {
      while (flowing) {
        const batch = await Promise.all([1, 2, 3].map(() => postGraphQL(gateway.url, { query: BENCHMARK_QUERY })));
        for (const res of batch) {
          sent++;
          if (res.status !== 200 || JSON.stringify(res.body) !== JSON.stringify(BENCHMARK_EXPECTED)) failures.push({ status: res.status, body: res.text.slice(0, 300) });
        }
      }
    })();

    await waitFor(() => sent >= 6, 'requests to flow before the reload');
    const shippingUrl = await shipping.listen(0);
    writeSupergraph(
      [
        ...subgraphs.definitions(),
        {
          name: 'shipping',
          url: shippingUrl,
          sdl: `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
      type Product @key(fields: "upc") { upc: String! fragile: Boolean }
    `,
        },
      ],
      supergraphPath,
    );

    const after = await waitFor(
      async () => {
        const res = await postGraphQL(gateway.url, newFieldQuery);
        return res.status === 200 ? res : undefined;
      },
      'the new field to become queryable',
      20_000,
    );
    const sentAtSwap = sent;
    await waitFor(() => sent >= sentAtSwap + 6, 'requests to keep flowing after the reload');
    flowing = false;
    await load;

    expect(after.body).toEqual({
      data: {
        topProducts: [
          { upc: '1', fragile: false },
          { upc: '2', fragile: true },
        ],
      },
    });
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(12);
    const { request } = await import('undici');
    const ready = await request(gateway.url.replace('/graphql', '/ready'));
    expect(await ready.body.json()).toMatchObject({ status: 'ready', supergraphVersion: 2 });
  });

  it('an invalid supergraph file is rejected and the current one stays in service', async () => {
    const { writeFileSync, renameSync } = await import('node:fs');
    writeFileSync(`${supergraphPath}.tmp`, 'this is not a supergraph');
    renameSync(`${supergraphPath}.tmp`, supergraphPath);
    await waitFor(() => /new supergraph rejected; keeping the current supergraph/.test(gateway.output()), 'the gateway to read and reject the file');
    const res = await postGraphQL(gateway.url, { query: BENCHMARK_QUERY });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(BENCHMARK_EXPECTED);
  });
});
