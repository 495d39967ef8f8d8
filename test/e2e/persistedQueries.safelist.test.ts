import { writeFileSync } from 'node:fs';
import { parse, print } from 'graphql';
import { createHash } from 'node:crypto';
import { sha256Hex } from '@roam/persisted-queries';
import { startRedis, waitFor, type TestRedis, postGraphQL } from '@roam/testkit';
import { apqExtension, roamPq, writeCodegenManifest } from '../support/roamPq';
import { BENCHMARK_EXPECTED, BENCHMARK_QUERY, startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';

// Issue 3 reference values: graphql-js print of this document, the same printed fragment-first, and SHA-1.
const VIEWER_SOURCE = 'query ViewerQuery { me { ...UserFields } } fragment UserFields on User { id name }';
const PRINTED_SHA256 = '2806996e889fda1d957e61aac5cf4c8f1d49f4bb11e5d9b5c05dfda5a3c87e35';
const FRAGMENT_FIRST_SHA256 = '7c7301bf75b174268a77f280787ccc2046fef93da1de4f8f4d5e76976f9b2cbc';
const PRINTED_SHA1 = '7f98c45306ef2e513738ae4ca2ef28cf9abe779b';

describe('persisted queries, safelist mode, pushed with roam-pq', () => {
  let subgraphs: SubgraphProcesses;
  let gateway: GatewayProcess;
  let redis: TestRedis;
  let supergraph: string;
  let env: Record<string, string>;
  const printed = print(parse(VIEWER_SOURCE));
  const viewerData = { data: { me: { id: '1', name: 'Mara Lindqvist' } } };
  // The viewer and benchmark operations, pushed once by whichever test needs them first, so each test
  // also runs alone (`-t`) instead of relying on an earlier test's push.
  let pushed: ReturnType<typeof roamPq> | undefined;
  const pushViewerAndBenchmark = () => (pushed ??= roamPq(['push', writeCodegenManifest([printed, BENCHMARK_QUERY])], env));

  beforeAll(async () => {
    redis = await startRedis();
    subgraphs = await startSubgraphs();
    supergraph = writeSupergraph(subgraphs.definitions());
    // The 100 ms Redis deadline is not what this file checks (persistedQueries.outage does): a loaded machine can pass it.
    env = { REDIS_URL: redis.url, PERSISTED_QUERIES_KEY_PREFIX: redis.prefix, SUPERGRAPH_PATH: supergraph, PERSISTED_QUERIES_TIMEOUT_MS: '2000' };
    gateway = await startGateway(supergraph, { ...env, PERSISTED_QUERIES: 'safelist' });
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraphs?.stop();
    await redis?.stop();
  });

  it('the reference texts hash to the values in the issue', () => {
    expect(sha256Hex(printed)).toBe(PRINTED_SHA256);
    const doc = parse(VIEWER_SOURCE);
    const fragmentFirst = print({ ...doc, definitions: [doc.definitions[1]!, doc.definitions[0]!] });
    expect(sha256Hex(fragmentFirst)).toBe(FRAGMENT_FIRST_SHA256);
    expect(createHash('sha1').update(printed).digest('hex')).toBe(PRINTED_SHA1);
  });

  it('verify checks without writing; push refuses a manifest with any bad entry and writes nothing', async () => {
    const bad = writeCodegenManifest([printed, '{ me { nope } }']);
    const json = JSON.parse((await roamPq(['verify', bad, '--json'], env)).stdout);
    expect(json).toMatchObject({ ok: false, operations: 2, invalid: 1 });
    expect(json.problems[0].id).toBe(sha256Hex('{ me { nope } }'));
    const push = await roamPq(['push', bad], env);
    expect(push.code).toBe(1);
    expect(push.stderr).toContain('1 of 2 operations is invalid; nothing was written');
    const list = await roamPq(['list', '--json'], env);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ ok: true, count: 0 });
    // A SHA-1 keyed manifest (Code Generator's old default) is refused.
    const sha1 = writeCodegenManifest([]);
    writeFileSync(sha1, JSON.stringify({ [PRINTED_SHA1]: printed }));
    const refused = await roamPq(['push', sha1], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('looks like SHA-1');
  });

  it('runs a pushed operation by hash only, and refuses the fragment-first and SHA-1 ids', async () => {
    const push = await pushViewerAndBenchmark();
    expect(push.stdout).toContain('Pushed 2 operations for all clients: 2 new, 0 already registered.');
    expect(push.code).toBe(0);
    expect((await postGraphQL(gateway.url, { extensions: { persistedQuery: { version: 1, sha256Hash: PRINTED_SHA256 } } })).body).toEqual(viewerData);
    expect((await postGraphQL(gateway.url, { documentId: `sha256:${PRINTED_SHA256}` })).body).toEqual(viewerData);
    expect((await postGraphQL(gateway.url, { documentId: PRINTED_SHA256 })).body).toEqual(viewerData);
    for (const id of [FRAGMENT_FIRST_SHA256, PRINTED_SHA1]) {
      const res = await postGraphQL(gateway.url, { extensions: { persistedQuery: { version: 1, sha256Hash: id } } });
      expect(res.status).toBe(404);
      expect(res.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      expect((await postGraphQL(gateway.url, { documentId: id })).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    }
  });

  it('runs the benchmark query hash-only and returns exactly expected.json', async () => {
    expect((await pushViewerAndBenchmark()).code).toBe(0);
    const res = await postGraphQL(gateway.url, { extensions: apqExtension(BENCHMARK_QUERY) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(BENCHMARK_EXPECTED);
  });

  it('refuses free text that is not registered with QUERY_NOT_IN_SAFELIST, runs registered text, and lets no client register', async () => {
    expect((await pushViewerAndBenchmark()).code).toBe(0);
    const other = '{ me { username } }';
    const free = await postGraphQL(gateway.url, { query: other });
    expect(free.status).toBe(403);
    expect(free.body.errors[0].extensions.code).toBe('QUERY_NOT_IN_SAFELIST');
    const register = await postGraphQL(gateway.url, { query: other, extensions: apqExtension(other) });
    expect(register.status).toBe(404);
    expect(register.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    expect((await postGraphQL(gateway.url, { extensions: apqExtension(other) })).status).toBe(404);
    expect((await postGraphQL(gateway.url, { query: printed })).body).toEqual(viewerData);
    const tampered = await postGraphQL(gateway.url, { query: other, extensions: { persistedQuery: { version: 1, sha256Hash: PRINTED_SHA256 } } });
    expect(tampered.status).toBe(400);
    expect(tampered.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_HASH_MISMATCH');
  });

  it('scopes an operation pushed with --client-name to that apollographql-client-name', async () => {
    expect((await pushViewerAndBenchmark()).code).toBe(0);
    const iosOnly = '{ me { birthday } }';
    const push = await roamPq(['push', writeCodegenManifest([iosOnly]), '--client-name', 'ios', '--client-version', '3.2.0', '--json'], env);
    expect(JSON.parse(push.stdout)).toMatchObject({ ok: true, operations: 1, added: 1, existing: 0 });
    const body = { extensions: apqExtension(iosOnly) };
    expect((await postGraphQL(gateway.url, body)).status).toBe(404);
    expect((await postGraphQL(gateway.url, body, { 'apollographql-client-name': 'android' })).status).toBe(404);
    const ios = await postGraphQL(gateway.url, body, { 'apollographql-client-name': 'ios' });
    expect(ios.status).toBe(200);
    expect(typeof ios.body.data.me.birthday).toBe('number');
    // unscoped operations run for every client
    expect((await postGraphQL(gateway.url, { documentId: PRINTED_SHA256 }, { 'apollographql-client-name': 'android' })).body).toEqual(viewerData);

    const list = await roamPq(['list', '--client-name', 'ios'], env);
    expect(list.stdout).toContain('1 operation for client ios.');
    const revoke = await roamPq(['revoke', '--client-name', 'ios', '--client-version', '3.2.0'], env);
    expect(revoke.code).toBe(0);
    expect(revoke.stdout).toContain(`Revoked 1 operation for client ios@3.2.0:\n  ${sha256Hex(iosOnly)}`);
    await waitFor(async () => (await postGraphQL(gateway.url, body, { 'apollographql-client-name': 'ios' })).status === 404, 'the revoked operation to be refused', 1000);
    const again = await roamPq(['revoke', sha256Hex(iosOnly)], env);
    expect(again.code).toBe(1);
  });

  it('answers a batch entry by entry', async () => {
    expect((await pushViewerAndBenchmark()).code).toBe(0);
    const res = await postGraphQL(gateway.url, [{ documentId: PRINTED_SHA256 }, { documentId: FRAGMENT_FIRST_SHA256 }, { query: '{ me { id } }' }]);
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(3);
    expect(res.body[0]).toEqual(viewerData);
    expect(res.body[1].errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    expect(res.body[2].errors[0].extensions.code).toBe('QUERY_NOT_IN_SAFELIST');
  });
});
