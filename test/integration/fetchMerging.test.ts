import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postGraphQL } from '@roam/testkit';
import type { RoamGateway } from '@roam/gateway';
import { request } from 'undici';
import { startInProcessGateway, startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { BENCHMARK_QUERY } from '../support/stack';

// Fetch merging (gateway/src/upstream/mergeOperations.ts) end to end: Roam's gateway over the registry's in-process
// subgraphs, each behind a real HTTP proxy that forwards every request as sent and, when a test asks, changes the
// subgraph's reply the way a misbehaving subgraph would. The benchmark query's plan has parallel fetches to one
// subgraph that become ready in the same turn, so the gateway merges them (README "Fetch merging").

/** What the proxies do to a reply that has a `data` object: nothing, or add `errors` entries that are not GraphQL errors. */
let rewrite: ((reply: Record<string, unknown>) => Record<string, unknown>) | undefined;
/** Merged operations the proxies forwarded. */
let mergedSeen = 0;
const isMerged = (query: string) => /\b_1_\w+\s*:/.test(query);

let subgraphs: InProcessSubgraphs;
const proxies: Server[] = [];
let proxied: InProcessSubgraphs;
const gateways: RoamGateway[] = [];

async function startProxy(target: string): Promise<string> {
  const proxy = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      void (async () => {
        const { query } = JSON.parse(body) as { query: string };
        if (isMerged(query)) mergedSeen++;
        const upstream = await request(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        let text = await upstream.body.text();
        const reply = JSON.parse(text) as Record<string, unknown>;
        if (rewrite && reply.data !== null && typeof reply.data === 'object') text = JSON.stringify(rewrite(reply));
        res.writeHead(upstream.statusCode, { 'content-type': 'application/json' });
        res.end(text);
      })().catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxies.push(proxy);
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql`;
}

async function gatewayUrl(env: Record<string, string>): Promise<string> {
  const { gateway, url } = await startInProcessGateway(proxied, env);
  gateways.push(gateway);
  return url;
}

beforeAll(async () => {
  subgraphs = await startInProcessSubgraphs();
  const urls: Record<string, string> = {};
  for (const [name, url] of Object.entries(subgraphs.urls)) urls[name] = await startProxy(url);
  proxied = { ...subgraphs, urls, definitions: () => subgraphs.definitions().map((d) => ({ ...d, url: urls[d.name]! })) };
});
afterAll(async () => {
  for (const g of gateways) await g.close();
  for (const p of proxies) {
    p.closeAllConnections();
    await new Promise((resolve) => p.close(resolve));
  }
  await subgraphs.close();
});
beforeEach(() => {
  rewrite = undefined;
  mergedSeen = 0;
});

/** The response's errors without `locations` and in a stable order (parallel fetches may finish in either order). */
const sortedErrors = (errors: unknown) => ((errors as unknown[] | undefined) ?? []).map((e) => JSON.stringify(e)).sort();

describe('fetch merging through the gateway', () => {
  it('the benchmark query answers the same merged and unmerged, and its parallel fetches are merged', async () => {
    const merged = await gatewayUrl({});
    const unmerged = await gatewayUrl({ MERGE_SUBGRAPH_FETCHES: 'false' });
    const a = await postGraphQL(unmerged, { query: BENCHMARK_QUERY });
    expect(mergedSeen).toBe(0);
    const b = await postGraphQL(merged, { query: BENCHMARK_QUERY });
    expect(mergedSeen).toBeGreaterThan(0);
    expect(b.status).toBe(200);
    expect(b.body).toEqual(a.body);
  });

  it('a subgraph that sends malformed `errors` entries next to its data: the merged gateway neither crashes nor hangs, and answers as unmerged', async () => {
    const merged = await gatewayUrl({});
    const unmerged = await gatewayUrl({ MERGE_SUBGRAPH_FETCHES: 'false' });
    for (const errors of [[null], ['a string entry'], { not: 'a list' }]) {
      rewrite = (reply) => ({ ...reply, errors });
      mergedSeen = 0;
      const a = await postGraphQL(unmerged, { query: BENCHMARK_QUERY });
      expect(mergedSeen).toBe(0);
      const b = await Promise.race([
        postGraphQL(merged, { query: BENCHMARK_QUERY }),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the merged gateway did not answer within 10 s')), 10_000).unref()),
      ]);
      expect(mergedSeen).toBeGreaterThan(0);
      expect(b.status).toBe(a.status);
      expect((b.body as { data: unknown }).data).toEqual((a.body as { data: unknown }).data);
      expect(sortedErrors((b.body as { errors?: unknown }).errors)).toEqual(sortedErrors((a.body as { errors?: unknown }).errors));
    }
  });
});
