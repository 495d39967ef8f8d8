import { sha256Hex } from '@roam/persisted-queries';
import { startRedis, waitFor, type TestRedis, postGraphQL } from '@roam/testkit';
import { apqExtension, roamPq, writeCodegenManifest } from '../support/roamPq';
import { startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';

describe('persisted queries across two gateway processes sharing Redis', () => {
  let subgraphs: SubgraphProcesses;
  let one: GatewayProcess;
  let two: GatewayProcess;
  let redis: TestRedis;
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = await startRedis();
    subgraphs = await startSubgraphs();
    const supergraph = writeSupergraph(subgraphs.definitions());
    env = { REDIS_URL: redis.url, PERSISTED_QUERIES_KEY_PREFIX: redis.prefix, SUPERGRAPH_PATH: supergraph };
    [one, two] = await Promise.all([startGateway(supergraph, { ...env, PERSISTED_QUERIES: 'apq' }), startGateway(supergraph, { ...env, PERSISTED_QUERIES: 'apq' })]);
  });
  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    await subgraphs?.stop();
    await redis?.stop();
  });

  it('serves through one replica an operation registered through the other; roam-pq revoke stops both within 1 s', async () => {
    const text = '{ me { id username } }';
    const data = { data: { me: { id: '1', username: 'mlindqvist' } } };
    expect((await postGraphQL(two.url, { extensions: apqExtension(text) })).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await postGraphQL(one.url, { query: text, extensions: apqExtension(text) })).body).toEqual(data);
    // both now hold it in their local LRU
    expect((await postGraphQL(two.url, { extensions: apqExtension(text) })).body).toEqual(data);
    expect((await postGraphQL(one.url, { extensions: apqExtension(text) })).body).toEqual(data);

    const revoke = await roamPq(['revoke', sha256Hex(text), '--json'], env);
    expect(JSON.parse(revoke.stdout)).toEqual({ ok: true, command: 'revoke', count: 1, revoked: [sha256Hex(text)] });
    for (const gateway of [one, two]) {
      await waitFor(
        async () => (await postGraphQL(gateway.url, { extensions: apqExtension(text) })).body.errors?.[0]?.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND',
        'the revocation to reach the replica',
        1000,
      );
    }
  });

  it('a pushed operation cached on both replicas stops on both within 1 s of roam-pq revoke', async () => {
    const text = '{ me { name } }';
    const push = await roamPq(['push', writeCodegenManifest([text])], env);
    expect(push.code).toBe(0);
    for (const gateway of [one, two]) expect((await postGraphQL(gateway.url, { documentId: sha256Hex(text) })).body).toEqual({ data: { me: { name: 'Mara Lindqvist' } } });
    expect((await roamPq(['revoke', sha256Hex(text)], env)).code).toBe(0);
    for (const gateway of [one, two]) {
      await waitFor(
        async () => (await postGraphQL(gateway.url, { documentId: sha256Hex(text) })).body.errors?.[0]?.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND',
        'the revocation to reach the replica',
        1000,
      );
    }
  });
});
