import pino from 'pino';
import { CLOSE_CODES } from '@roam/errors';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { sha256Hex } from '@roam/persisted-queries';
import { openRaw, postGraphQL } from '@roam/testkit';
import { startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { writeSupergraph } from '../support/stack';

const UPGRADE = 'https://apps.apple.com/app/id1234567890';
const as = (name: string, version?: string) => ({ 'apollographql-client-name': name, ...(version !== undefined ? { 'apollographql-client-version': version } : {}) });

// Issue 15 item 6: minimum-version gating per client name and a recommended version, over HTTP and at connection_init.
describe('app-version gating', () => {
  let subgraphs: InProcessSubgraphs;
  let gateway: RoamGateway;
  let url: string;

  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
    const config = readConfig({
      PORT: '0',
      SUPERGRAPH_PATH: writeSupergraph(subgraphs.definitions()),
      LOG_LEVEL: 'silent',
      MIN_CLIENT_VERSIONS: JSON.stringify({ ios: '3.0.0', android: '3.1.0' }),
      RECOMMENDED_CLIENT_VERSIONS: JSON.stringify({ ios: '3.2.0' }),
      CLIENT_UPGRADE_URLS: JSON.stringify({ ios: UPGRADE }),
    });
    gateway = createGateway(config, pino({ level: 'silent' }));
    url = await gateway.listen();
  });
  afterAll(async () => {
    await gateway?.close();
    await subgraphs?.close();
  });

  it('refuses a version below the minimum with 400 CLIENT_VERSION_UNSUPPORTED, the minimum and the upgrade URL', async () => {
    const res = await postGraphQL(url, { query: '{ me { id } }' }, as('ios', '2.9.9'));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      errors: [
        {
          message: 'Version 2.9.9 of this app is no longer supported; the minimum is 3.0.0. Please upgrade.',
          extensions: { code: 'CLIENT_VERSION_UNSUPPORTED', clientVersion: '2.9.9', minimumVersion: '3.0.0', upgradeUrl: UPGRADE },
        },
      ],
    });
    const android = await postGraphQL(url, { query: '{ me { id } }' }, as('android', '3.0.5'));
    expect(android.status).toBe(400);
    expect(android.body.errors[0].extensions).toEqual({ code: 'CLIENT_VERSION_UNSUPPORTED', clientVersion: '3.0.5', minimumVersion: '3.1.0' });
  });

  it('refuses before anything else: a hash-only request is not looked up, and no APQ registration happens', async () => {
    const query = '{ me { name } }';
    const ext = { persistedQuery: { version: 1, sha256Hash: sha256Hex(query) } };
    expect((await postGraphQL(url, { extensions: ext }, as('ios', '1.0.0'))).body.errors[0].extensions.code).toBe('CLIENT_VERSION_UNSUPPORTED');
    expect((await postGraphQL(url, { query, extensions: ext }, as('ios', '1.0.0'))).body.errors[0].extensions.code).toBe('CLIENT_VERSION_UNSUPPORTED');
    expect((await postGraphQL(url, { extensions: ext }, as('ios', '3.2.0'))).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('refuses every entry of a batch from an old version', async () => {
    const res = await postGraphQL(url, [{ query: '{ me { id } }' }, { query: '{ me { name } }' }], as('ios', '2.0.0'));
    expect(res.status).toBe(200);
    expect(res.body.map((r: any) => r.errors[0].extensions.code)).toEqual(['CLIENT_VERSION_UNSUPPORTED', 'CLIENT_VERSION_UNSUPPORTED']);
  });

  it('answers a version below the recommended one with data, the Roam-Recommended-Client-Version header and extensions.clientVersion', async () => {
    const res = await postGraphQL(url, { query: '{ me { id } }' }, as('ios', '3.1.0'));
    expect(res.status).toBe(200);
    expect(res.headers['roam-recommended-client-version']).toBe('3.2.0');
    expect(res.body).toEqual({ data: { me: { id: expect.any(String) } }, extensions: { clientVersion: { deprecated: true, recommendedVersion: '3.2.0', upgradeUrl: UPGRADE } } });
    // loosely written versions are read as semver ("3.1" is 3.1.0)
    expect((await postGraphQL(url, { query: '{ me { id } }' }, as('ios', '3.1'))).headers['roam-recommended-client-version']).toBe('3.2.0');
  });

  it('leaves current versions, unlisted clients and clients without a version alone', async () => {
    for (const headers of [as('ios', '3.2.0'), as('ios', '10.0.0'), as('web', '0.0.1'), as('ios'), {}]) {
      const res = await postGraphQL(url, { query: '{ me { id } }' }, headers);
      expect(res.status).toBe(200);
      expect(res.headers['roam-recommended-client-version']).toBeUndefined();
      expect(res.body.extensions).toBeUndefined();
    }
  });

  it('closes a WebSocket whose connection_init names an old version with 4426 and a JSON reason; acks a deprecated one with the warning, a current one without', async () => {
    const old = await openRaw(url);
    old.send({ type: 'connection_init', payload: { headers: as('ios', '2.0.0') } });
    const closed = await old.closed;
    expect(closed.code).toBe(CLOSE_CODES.CLIENT_VERSION_UNSUPPORTED.code);
    expect(JSON.parse(closed.reason)).toEqual({ code: 'CLIENT_VERSION_UNSUPPORTED', minimumVersion: '3.0.0', upgradeUrl: UPGRADE });
    expect(old.messages).toEqual([]);

    const deprecated = await openRaw(url);
    deprecated.send({ type: 'connection_init', payload: { headers: as('ios', '3.0.0') } });
    const ack = await deprecated.waitMessage((m) => m.type === 'connection_ack', 'connection_ack');
    expect(ack.payload).toEqual({ clientVersion: { deprecated: true, recommendedVersion: '3.2.0', upgradeUrl: UPGRADE } });
    deprecated.ws.close();

    const current = await openRaw(url);
    current.send({ type: 'connection_init', payload: { headers: as('ios', '3.2.0') } });
    expect((await current.waitMessage((m) => m.type === 'connection_ack', 'connection_ack')).payload).toBeUndefined();
    current.ws.close();
  });

  it('a version that is not semver in MIN_CLIENT_VERSIONS stops the start, naming the variable', () => {
    expect(() => readConfig({ MIN_CLIENT_VERSIONS: '{"ios":"three"}' })).toThrow(/MIN_CLIENT_VERSIONS="\{\\"ios\\":\\"three\\"\}": ios: each version must be a semver version/);
    expect(() => readConfig({ CLIENT_UPGRADE_URLS: '{"ios":"not a url"}' })).toThrow(/CLIENT_UPGRADE_URLS=/);
  });
});
