import { readFileSync } from 'node:fs';
import { parse } from 'graphql';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner, type PlanNode } from '@apollo/query-planner';
import { BENCHMARK_EXPECTED, BENCHMARK_QUERY, STACK_NAMES, startGateway, writeSupergraph, type GatewayProcess } from '../support/stack';
import { startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { postGraphQL } from '@roam/testkit';
import { ROAM_SUPERGRAPH_FEATURES } from '@roam/persisted-queries';

/** Counts the query plan's fetches per subgraph. */
function fetchesPerSubgraph(node: PlanNode | undefined, counts: Record<string, number> = {}): Record<string, number> {
  if (!node) return counts;
  switch (node.kind) {
    case 'Fetch':
      counts[node.serviceName] = (counts[node.serviceName] ?? 0) + 1;
      break;
    case 'Flatten':
      fetchesPerSubgraph(node.node, counts);
      break;
    case 'Sequence':
    case 'Parallel':
      for (const n of node.nodes) fetchesPerSubgraph(n, counts);
      break;
    default:
      throw new Error(`unexpected plan node ${node.kind}`);
  }
  return counts;
}

describe('DataLoader batching: the benchmark query makes at most one batched call per entity type per query-plan fetch', () => {
  let subgraphs: InProcessSubgraphs;
  let gateway: GatewayProcess;
  let merging: GatewayProcess;
  let fetches: Record<string, number>;

  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
    const path = writeSupergraph(subgraphs.definitions());
    // every plan fetch its own HTTP request here, so requests can be matched to the plan's fetches one to one
    gateway = await startGateway(path, { MERGE_SUBGRAPH_FETCHES: 'false' });
    merging = await startGateway(path);
    const supergraph = Supergraph.build(readFileSync(path, 'utf8'), { supportedFeatures: ROAM_SUPERGRAPH_FEATURES as Set<string> });
    const plan = new QueryPlanner(supergraph).buildQueryPlan(operationFromDocument(supergraph.schema, parse(BENCHMARK_QUERY)));
    fetches = fetchesPerSubgraph(plan.node as PlanNode | undefined);
  });
  afterAll(async () => {
    await gateway?.stop();
    await merging?.stop();
    await subgraphs?.close();
  });

  it('answers expected.json while each repository method is called at most once per fetch to its subgraph', async () => {
    for (const repo of Object.values(subgraphs.repositories)) repo.calls.reset();
    const before = Object.fromEntries(STACK_NAMES.map((n) => [n, subgraphs.servers[n].requestCount()]));
    const res = await postGraphQL(gateway.url, { query: BENCHMARK_QUERY });
    expect(res.body).toEqual(BENCHMARK_EXPECTED);

    for (const name of STACK_NAMES) {
      const planned = fetches[name] ?? 0;
      // the gateway sent exactly the planned fetches to this subgraph
      expect({ name, requests: subgraphs.servers[name].requestCount() - before[name]! }).toEqual({ name, requests: planned });
      const calls = subgraphs.repositories[name].calls.snapshot();
      for (const [method, count] of Object.entries(calls)) {
        expect({ name, method, withinOnePerFetch: count <= planned }).toEqual({ name, method, withinOnePerFetch: true });
      }
    }
    // the benchmark resolves hundreds of entities; without batching these counts would be far higher
    expect(subgraphs.repositories.reviews.calls.get()).toBeGreaterThan(0);
    // inventory fetches that only ask for shippingEstimate (computed from @requires inputs) read no stock rows
    expect(subgraphs.repositories.inventory.calls.get('findByUpcs')).toBeGreaterThan(0);
    expect(subgraphs.repositories.inventory.calls.get('findByUpcs')).toBeLessThanOrEqual(fetches.inventory!);
  });

  it('with fetch merging (the default) sends fewer HTTP requests than planned fetches, and still calls each repository method at most once per fetch', async () => {
    for (const repo of Object.values(subgraphs.repositories)) repo.calls.reset();
    const before = Object.fromEntries(STACK_NAMES.map((n) => [n, subgraphs.servers[n].requestCount()]));
    const res = await postGraphQL(merging.url, { query: BENCHMARK_QUERY });
    expect(res.body).toEqual(BENCHMARK_EXPECTED);
    let requests = 0;
    let planned = 0;
    for (const name of STACK_NAMES) {
      const sent = subgraphs.servers[name].requestCount() - before[name]!;
      expect({ name, atMostPlanned: sent <= (fetches[name] ?? 0) }).toEqual({ name, atMostPlanned: true });
      requests += sent;
      planned += fetches[name] ?? 0;
      for (const [method, count] of Object.entries(subgraphs.repositories[name].calls.snapshot())) {
        expect({ name, method, withinOnePerFetch: count <= (fetches[name] ?? 0) }).toEqual({ name, method, withinOnePerFetch: true });
      }
    }
    // the plan's parallel fetches to one subgraph (products and inventory under users.@.reviews.@.product) travel together
    expect(requests).toBeLessThan(planned);
  });
});
