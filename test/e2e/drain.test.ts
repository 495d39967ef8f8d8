import { openAcked, postGraphQL } from '@roam/testkit';
import { startFaultySubgraph, type FaultySubgraph } from '../support/faultySubgraph';
import { startGateway, startSubgraphs, SUBGRAPH_NAMES, subgraphSdl, writeSupergraph, type SubgraphProcesses } from '../support/stack';

// Drain (issue 11 item 6) on the gateway program itself: SIGTERM while a slow request is in flight.
let subgraphs: SubgraphProcesses;
let faulty: FaultySubgraph;
let supergraphPath: string;

beforeAll(async () => {
  subgraphs = await startSubgraphs();
  faulty = await startFaultySubgraph(subgraphs.urls.inventory!);
  supergraphPath = writeSupergraph(SUBGRAPH_NAMES.map((name) => ({ name, url: name === 'inventory' ? faulty.url : subgraphs.urls[name]!, sdl: subgraphSdl(name) })));
});
afterAll(async () => {
  await faulty?.close();
  await subgraphs?.stop();
});

it('SIGTERM: the slow request in flight gets its complete 200, WebSockets close with 1001, the process exits 0', async () => {
  const gateway = await startGateway(supergraphPath, { SHUTDOWN_GRACE_MS: '5000', SUBGRAPH_POLICIES: JSON.stringify({ inventory: { timeoutMs: 3000 } }) });
  try {
    const socket = await openAcked(gateway.url);
    faulty.mode = 'slow';
    faulty.delayMs = 700;
    const inflight = postGraphQL(gateway.url, { query: '{ topProducts(first: 2) { upc name inStock } }' });
    while (faulty.requests < 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const exited = new Promise<number | null>((resolve) => gateway.child.once('exit', (code) => resolve(code)));
    gateway.child.kill('SIGTERM');
    expect((await socket.closed).code).toBe(1001);
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    for (const p of res.body.data.topProducts) expect(typeof p.inStock).toBe('boolean');
    expect(await exited).toBe(0);
  } finally {
    await gateway.stop();
  }
});
