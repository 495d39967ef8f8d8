import { connect, createServer, type Server, type Socket } from 'node:net';
import { request } from 'undici';
import { sha256Hex } from '@roam/persisted-queries';
import { freePort, startRedis, waitFor, type TestRedis } from '@roam/testkit';
import { apqExtension, roamPq, writeCodegenManifest } from '../support/roamPq';
import { startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';

/** POSTs with a 3 s cap on the answer: the gateway must answer within its 100 ms Redis deadline, never hang on Redis. */
async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), headersTimeout: 3000, bodyTimeout: 3000 });
  return { status: res.statusCode, headers: res.headers, body: await res.body.json() };
}

/**
 * A TCP proxy in front of a real Redis that can freeze: while frozen it holds every byte in both
 * directions (connections stay open, nothing is answered), like a Redis process that hangs after the
 * gateway connected. Thawing delivers the held bytes in order.
 */
async function startFreezableProxy(targetPort: number): Promise<{ port: number; freeze(): void; thaw(): void; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  let frozen = false;
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    client.pipe(upstream);
    upstream.pipe(client);
    for (const s of [client, upstream]) {
      s.on('error', () => undefined);
      if (frozen) s.pause();
      sockets.push(s);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    freeze() {
      frozen = true;
      for (const s of sockets) {
        s.unpipe();
        s.pause();
      }
    },
    thaw() {
      frozen = false;
      for (let i = 0; i + 1 < sockets.length; i += 2) {
        sockets[i]!.pipe(sockets[i + 1]!);
        sockets[i + 1]!.pipe(sockets[i]!);
      }
      for (const s of sockets) s.resume();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const CACHED = '{ me { id } }';
const UNCACHED = '{ me { name } }';
const FRESH = '{ me { username } }';

describe('persisted queries when Redis goes away', () => {
  let subgraphs: SubgraphProcesses;
  let supergraph: string;
  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    supergraph = writeSupergraph(subgraphs.definitions());
  });
  afterAll(async () => {
    await subgraphs?.stop();
  });

  describe('Redis stopped mid-test (refused port), then back on the same port', () => {
    let redis: TestRedis;
    let apq: GatewayProcess;
    let safelist: GatewayProcess;
    let env: Record<string, string>;
    beforeAll(async () => {
      redis = await startRedis(await freePort());
      env = { REDIS_URL: redis.url, PERSISTED_QUERIES_KEY_PREFIX: redis.prefix, SUPERGRAPH_PATH: supergraph, PERSISTED_QUERIES_TIMEOUT_MS: '100' };
      [apq, safelist] = await Promise.all([startGateway(supergraph, { ...env, PERSISTED_QUERIES: 'apq' }), startGateway(supergraph, { ...env, PERSISTED_QUERIES: 'safelist' })]);
    });
    afterAll(async () => {
      await Promise.all([apq?.stop(), safelist?.stop()]);
      await redis?.stop();
    });

    it('apq fails open and safelist fails closed except cached ids; both resume without a restart', async () => {
      expect((await roamPq(['push', writeCodegenManifest([CACHED, UNCACHED])], env)).code).toBe(0);
      expect((await post(safelist.url, { extensions: apqExtension(CACHED) })).body).toEqual({ data: { me: { id: '1' } } });

      await redis.stop();
      // safelist: the cached id keeps working, an uncached one is a retryable 503
      expect((await post(safelist.url, { extensions: apqExtension(CACHED) })).body).toEqual({ data: { me: { id: '1' } } });
      const closed = await post(safelist.url, { extensions: apqExtension(UNCACHED) });
      expect(closed.status).toBe(503);
      expect(closed.headers['retry-after']).toBe('1');
      expect(closed.body).toEqual({ errors: [{ message: 'The persisted query store is unavailable; retry shortly.', extensions: { code: 'PERSISTED_QUERY_STORE_UNAVAILABLE' } }] });
      expect((await post(safelist.url, { query: FRESH })).status).toBe(503);
      // apq: a lookup error is a miss; the full query still runs
      const miss = await post(apq.url, { extensions: apqExtension(FRESH) });
      expect(miss.status).toBe(200);
      expect(miss.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      const full = await post(apq.url, { query: FRESH, extensions: apqExtension(FRESH) });
      expect(full.status).toBe(200);
      expect(full.body).toEqual({ data: { me: { username: 'mlindqvist' } } });

      redis = await startRedis(redis.port);
      expect((await roamPq(['push', writeCodegenManifest([UNCACHED])], env)).code).toBe(0);
      await waitFor(async () => (await post(safelist.url, { documentId: sha256Hex(UNCACHED) })).status === 200, 'safelist to read Redis again', 10_000);
      await waitFor(
        async () =>
          (await post(apq.url, { query: FRESH, extensions: apqExtension(FRESH) })).status === 200 &&
          (await post(apq.url, { extensions: apqExtension(FRESH) })).body.data?.me?.username === 'mlindqvist',
        'apq to store and serve again',
        10_000,
      );
    });
  });

  describe('a Redis port that accepts connections and never answers', () => {
    let server: Server;
    const sockets: Socket[] = [];
    let apq: GatewayProcess;
    let safelist: GatewayProcess;
    beforeAll(async () => {
      server = createServer((socket) => void sockets.push(socket));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const env = { REDIS_URL: `redis://127.0.0.1:${(server.address() as { port: number }).port}`, PERSISTED_QUERIES_TIMEOUT_MS: '100' };
      // the safelist gateway never becomes ready (its store was never reachable): wait for it to be alive
      [apq, safelist] = await Promise.all([startGateway(supergraph, { ...env, PERSISTED_QUERIES: 'apq' }), startGateway(supergraph, { ...env, PERSISTED_QUERIES: 'safelist' }, '/health')]);
    });
    afterAll(async () => {
      await Promise.all([apq?.stop(), safelist?.stop()]);
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server?.close(resolve));
    });

    it('apq answers a miss and runs full queries; safelist answers 503', async () => {
      expect(sockets.length).toBeGreaterThan(0);
      const miss = await post(apq.url, { extensions: apqExtension(FRESH) });
      expect(miss.status).toBe(200);
      expect(miss.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect((await post(apq.url, { query: FRESH, extensions: apqExtension(FRESH) })).body).toEqual({ data: { me: { username: 'mlindqvist' } } });
      const closed = await post(safelist.url, { extensions: apqExtension(FRESH) });
      expect(closed.status).toBe(503);
      expect(closed.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_STORE_UNAVAILABLE');
    });

    it('GET /ready: 503 in safelist mode until the store was reachable (nothing could be served); apq is ready (it fails open)', async () => {
      const ready = async (g: GatewayProcess) => {
        const res = await request(g.url.replace(/\/graphql$/, '/ready'));
        return { status: res.statusCode, body: (await res.body.json()) as { status: string } };
      };
      expect(await ready(safelist)).toEqual({ status: 503, body: { status: 'waiting for the persisted query store' } });
      expect((await ready(apq)).status).toBe(200);
    });
  });

  describe('Redis that hangs after the gateway connected (every byte held)', () => {
    let redis: TestRedis;
    let proxy: Awaited<ReturnType<typeof startFreezableProxy>>;
    let apq: GatewayProcess;
    let safelist: GatewayProcess;
    let env: Record<string, string>;
    beforeAll(async () => {
      redis = await startRedis();
      proxy = await startFreezableProxy(redis.port ?? Number(new URL(redis.url).port));
      env = { REDIS_URL: redis.url, PERSISTED_QUERIES_KEY_PREFIX: redis.prefix, SUPERGRAPH_PATH: supergraph };
      const through = { ...env, REDIS_URL: `redis://127.0.0.1:${proxy.port}`, PERSISTED_QUERIES_TIMEOUT_MS: '100' };
      [apq, safelist] = await Promise.all([startGateway(supergraph, { ...through, PERSISTED_QUERIES: 'apq' }), startGateway(supergraph, { ...through, PERSISTED_QUERIES: 'safelist' })]);
    });
    afterAll(async () => {
      await Promise.all([apq?.stop(), safelist?.stop()]);
      await proxy?.close();
      await redis?.stop();
    });

    it('answers within the deadline in both modes while frozen, and catches up when Redis answers again', async () => {
      expect((await roamPq(['push', writeCodegenManifest([CACHED, UNCACHED])], env)).code).toBe(0);
      expect((await post(safelist.url, { documentId: sha256Hex(CACHED) })).body).toEqual({ data: { me: { id: '1' } } });

      proxy.freeze();
      expect((await post(safelist.url, { documentId: sha256Hex(CACHED) })).body).toEqual({ data: { me: { id: '1' } } });
      const closed = await post(safelist.url, { documentId: sha256Hex(UNCACHED) });
      expect(closed.status).toBe(503);
      expect(closed.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_STORE_UNAVAILABLE');
      expect((await post(apq.url, { extensions: apqExtension(FRESH) })).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect((await post(apq.url, { query: FRESH, extensions: apqExtension(FRESH) })).body).toEqual({ data: { me: { username: 'mlindqvist' } } });

      proxy.thaw();
      await waitFor(async () => (await post(safelist.url, { documentId: sha256Hex(UNCACHED) })).status === 200, 'safelist to read Redis again', 10_000);
      await waitFor(
        async () =>
          (await post(apq.url, { query: FRESH, extensions: apqExtension(FRESH) })).status === 200 &&
          (await post(apq.url, { extensions: apqExtension(FRESH) })).body.data?.me?.username === 'mlindqvist',
        'apq to store and serve again',
        10_000,
      );
    });
  });
});
