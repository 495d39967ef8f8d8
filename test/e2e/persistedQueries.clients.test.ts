import { join } from 'node:path';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { sha256Hex } from '@roam/persisted-queries';
import { startProcess, startRedis, type TestRedis } from '@roam/testkit';
import { roamPq } from '../support/roamPq';
import { ROOT, startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';

const VIEWER = { me: { id: '1', name: 'Mara Lindqvist' } };

/** Runs clients/example (dist/main.js) against `url` and returns its JSON lines. */
async function runExampleClient(url: string, clientName = 'example'): Promise<{ operation: string; sentText: boolean; status: number; data?: any; errors?: any[] }[]> {
  const proc = await startProcess(join(ROOT, 'clients/example/dist/main.js'), { GATEWAY_URL: url, CLIENT_NAME: clientName });
  await new Promise<void>((resolve) => (proc.child.exitCode !== null ? resolve() : proc.child.once('exit', () => resolve())));
  return proc
    .output()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

/** A fetch that records every request body and the `extensions.code` of every answer. */
function recordingFetch(log: { body: any; code: string | undefined }[]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const text = await res.clone().text();
    log.push({ body: JSON.parse(String(init?.body)), code: JSON.parse(text).errors?.[0]?.extensions?.code });
    return res;
  };
}

describe('clients against the persisted-query gateway', () => {
  let subgraphs: SubgraphProcesses;
  let apq: GatewayProcess;
  let safelist: GatewayProcess;
  let redis: TestRedis;
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = await startRedis();
    subgraphs = await startSubgraphs();
    const supergraph = writeSupergraph(subgraphs.definitions());
    // The 100 ms Redis deadline is not what this file checks (persistedQueries.outage does): a loaded machine can pass it.
    env = { REDIS_URL: redis.url, PERSISTED_QUERIES_KEY_PREFIX: redis.prefix, SUPERGRAPH_PATH: supergraph, PERSISTED_QUERIES_TIMEOUT_MS: '2000' };
    // apq on the embedded in-memory store (no REDIS_URL, as with `npm start`); safelist on Redis
    [apq, safelist] = await Promise.all([startGateway(supergraph, { PERSISTED_QUERIES: 'apq', REDIS_URL: '' }), startGateway(supergraph, { ...env, PERSISTED_QUERIES: 'safelist' })]);
  });
  afterAll(async () => {
    await Promise.all([apq?.stop(), safelist?.stop()]);
    await subgraphs?.stop();
    await redis?.stop();
  });

  it("Apollo Client's persisted-query link (sha256): a miss, the retry with text succeeds, then hash-only hits", async () => {
    const log: { body: any; code: string | undefined }[] = [];
    const client = new ApolloClient({
      cache: new InMemoryCache(),
      link: new PersistedQueryLink({ sha256: (text: string) => sha256Hex(text) }).concat(new HttpLink({ uri: apq.url, fetch: recordingFetch(log) })),
      defaultOptions: { query: { fetchPolicy: 'network-only' } },
    });
    const query = gql`
      query InteropViewer {
        me {
          ...InteropUser
        }
      }
      fragment InteropUser on User {
        id
        name
      }
    `;
    const first = await client.query({ query });
    expect(first.data).toEqual({ me: { __typename: 'User', ...VIEWER.me } });
    expect(log).toHaveLength(2);
    expect(log[0]!.body.query).toBeUndefined();
    expect(log[0]!.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(typeof log[1]!.body.query).toBe('string');
    expect(log[1]!.body.extensions.persistedQuery.sha256Hash).toBe(sha256Hex(log[1]!.body.query));
    expect(log[1]!.code).toBeUndefined();
    for (let i = 0; i < 2; i++) {
      const again = await client.query({ query });
      expect(again.data).toEqual(first.data);
    }
    expect(log).toHaveLength(4);
    for (const entry of log.slice(2)) {
      expect(entry.body.query).toBeUndefined();
      expect(entry.code).toBeUndefined();
    }
  });

  it('the example client sends hashes only and falls back to the manifest text on a miss (apq)', async () => {
    const first = await runExampleClient(apq.url);
    expect(first.map((r) => [r.operation, r.sentText, r.status])).toEqual([
      ['ViewerQuery', true, 200],
      ['TopProductsQuery', true, 200],
    ]);
    expect(first[0]!.data).toEqual(VIEWER);
    expect(first[1]!.data.topProducts).toHaveLength(3);
    const second = await runExampleClient(apq.url);
    expect(second.map((r) => r.sentText)).toEqual([false, false]);
    expect(second.map((r) => r.data)).toEqual(first.map((r) => r.data));
  });

  it('the generated manifest pushes cleanly and the example client runs hash-only through a safelisted gateway', async () => {
    const refused = await runExampleClient(safelist.url);
    expect(refused.map((r) => r.errors?.[0]?.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST', 'PERSISTED_QUERY_NOT_IN_LIST']);
    const push = await roamPq(['push', 'clients/example/src/__generated__/persisted-documents.json', '--client-name', 'example', '--client-version', '1.0.0'], env);
    expect(push.stdout).toContain('Pushed 2 operations for client example@1.0.0: 2 new, 0 already registered.');
    expect(push.code).toBe(0);
    const served = await runExampleClient(safelist.url);
    expect(served.map((r) => [r.sentText, r.status, r.errors])).toEqual([
      [false, 200, undefined],
      [false, 200, undefined],
    ]);
    expect(served[0]!.data).toEqual(VIEWER);
    const otherClient = await runExampleClient(safelist.url, 'web');
    expect(otherClient.map((r) => r.status)).toEqual([404, 404]);
  });
});
