import pino from 'pino';
import { request } from 'undici';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { writeSupergraph } from '../support/stack';

const APP = 'https://app.example.com';
const preflight = (url: string, origin: string) =>
  request(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, apollographql-client-name' } });

// Issue 15 rough edge: CORS configurable (CORS_ORIGINS), preflight answered (it was OPTIONS → 405), off by default.
describe('CORS', () => {
  let subgraphs: InProcessSubgraphs;
  const gateways: RoamGateway[] = [];
  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
  });
  afterAll(async () => {
    for (const g of gateways) await g.close();
    await subgraphs?.close();
  });
  const start = async (env: Record<string, string>) => {
    const gateway = createGateway(readConfig({ PORT: '0', SUPERGRAPH_PATH: writeSupergraph(subgraphs.definitions()), LOG_LEVEL: 'silent', ...env }), pino({ level: 'silent' }));
    gateways.push(gateway);
    return gateway.listen();
  };

  it('is off by default: a preflight gets 405 METHOD_NOT_ALLOWED and responses carry no Access-Control-* header', async () => {
    const url = await start({});
    const pre = await preflight(url, APP);
    expect(pre.statusCode).toBe(405);
    expect((await pre.body.json()) as any).toMatchObject({ errors: [{ extensions: { code: 'METHOD_NOT_ALLOWED' } }] });
    const res = await request(url, { method: 'POST', headers: { origin: APP, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('with CORS_ORIGINS: answers the preflight of an allowed origin (204) and marks its responses; other origins get no grant', async () => {
    const url = await start({ CORS_ORIGINS: `${APP}, http://localhost:3000` });
    const pre = await preflight(url, APP);
    expect(pre.statusCode).toBe(204);
    await pre.body.dump();
    expect(pre.headers['access-control-allow-origin']).toBe(APP);
    expect(pre.headers['access-control-allow-methods']).toBe('GET, POST');
    expect(pre.headers['access-control-allow-headers']).toBe('content-type, apollographql-client-name');
    expect(pre.headers['access-control-max-age']).toBe('600');
    expect(pre.headers.vary).toMatch(/Origin/);

    const res = await request(url, { method: 'POST', headers: { origin: 'http://localhost:3000', 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as any).data.me.id).toBeDefined();
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(res.headers['access-control-expose-headers']).toBe('etag, retry-after, roam-recommended-client-version, idempotent-replayed');

    const other = await preflight(url, 'https://evil.example');
    await other.body.dump();
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    // with CORS on, any OPTIONS is answered 204 by the CORS layer; without an Origin it grants nothing
    const plain = await request(url, { method: 'OPTIONS' });
    await plain.body.dump();
    expect(plain.statusCode).toBe(204);
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('CORS_ORIGINS=* allows any origin', async () => {
    const url = await start({ CORS_ORIGINS: '*' });
    const pre = await preflight(url, 'https://anything.example');
    await pre.body.dump();
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
  });

  it('a CORS_ORIGINS entry that is not an origin stops the start, naming it', () => {
    expect(() => readConfig({ CORS_ORIGINS: 'https://app.example.com/path' })).toThrow(/CORS_ORIGINS="https:\/\/app\.example\.com\/path": "https:\/\/app\.example\.com\/path" is not an origin/);
  });
});
