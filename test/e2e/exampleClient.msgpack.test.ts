import { join } from 'node:path';
import { createPersistedClient, TopProductsQueryDocument, ViewerQueryDocument } from '@roam/example-client';
import { startProcess } from '@roam/testkit';
import { ROOT, startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';

// Seeded data (subgraphs/accounts): user 1 is the signed-in user.
const VIEWER = { me: { id: '1', name: 'Mara Lindqvist' } };

type ClientLine = { operation: string; sentText: boolean; status: number; data?: any; errors?: any[] };

/** Runs clients/example (dist/main.js) against `url` with `env` and returns its JSON lines. */
async function runExampleClient(url: string, env: Record<string, string> = {}): Promise<ClientLine[]> {
  const proc = await startProcess(join(ROOT, 'clients/example/dist/main.js'), { GATEWAY_URL: url, CLIENT_NAME: 'example', ...env });
  await new Promise<void>((resolve) => (proc.child.exitCode !== null ? resolve() : proc.child.once('exit', () => resolve())));
  return proc
    .output()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ClientLine);
}

/** What went over the wire for one request: headers both ways and the first byte of each body. */
interface Exchange {
  readonly requestContentType: string | null;
  readonly accept: string | null;
  readonly requestFirstByte: number;
  readonly responseContentType: string | null;
  readonly responseFirstByte: number;
}

/** A fetch that records each exchange and hands the client an untouched copy of the response. */
function recordingFetch(log: Exchange[]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const bytes = new Uint8Array(await res.clone().arrayBuffer());
    const headers = new Headers(init?.headers);
    const body = init?.body;
    const requestBytes = typeof body === 'string' ? new TextEncoder().encode(body) : (body as Uint8Array);
    log.push({
      requestContentType: headers.get('content-type'),
      accept: headers.get('accept'),
      requestFirstByte: requestBytes[0]!,
      responseContentType: res.headers.get('content-type'),
      responseFirstByte: bytes[0]!,
    });
    return res;
  };
}

// A MessagePack map of up to 15 entries starts with 0x80-0x8f (map16: 0xde); JSON starts with "{" (0x7b).
const isMsgpackMap = (byte: number): boolean => (byte >= 0x80 && byte <= 0x8f) || byte === 0xde;
const OPEN_BRACE = 0x7b;

describe('the example client over MessagePack (issue 7 item 3)', () => {
  let subgraphs: SubgraphProcesses;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    const supergraph = writeSupergraph(subgraphs.definitions());
    // APQ on the embedded in-memory store, as with `npm start`: the first request of each operation is a miss.
    gateway = await startGateway(supergraph, { PERSISTED_QUERIES: 'apq', REDIS_URL: '' });
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraphs?.stop();
  });

  it('msgpack both ways: the APQ miss, the text fallback and the data all travel as MessagePack', async () => {
    const log: Exchange[] = [];
    const client = createPersistedClient({ endpoint: gateway.url, clientName: 'example', fetch: recordingFetch(log), responseEncoding: 'msgpack', requestEncoding: 'msgpack' });
    const viewer = await client.execute(ViewerQueryDocument, {});
    expect(viewer).toEqual({ data: VIEWER, status: 200, sentText: true });
    const products = await client.execute(TopProductsQueryDocument, { first: 3 });
    expect(products.errors).toBeUndefined();
    expect(products.sentText).toBe(true);
    expect(products.data?.topProducts).toHaveLength(3);
    // two operations × (hash-only miss + hash with text)
    expect(log).toHaveLength(4);
    for (const exchange of log) {
      expect(exchange.requestContentType).toBe('application/msgpack');
      expect(exchange.accept).toMatch(/^application\/msgpack/);
      expect(isMsgpackMap(exchange.requestFirstByte)).toBe(true);
      expect(exchange.responseContentType).toBe('application/msgpack');
      expect(isMsgpackMap(exchange.responseFirstByte)).toBe(true);
    }
  });

  it('the example client (dist/main.js) gets the same data in JSON and in MessagePack modes', async () => {
    const json = await runExampleClient(gateway.url);
    const msgpackResponses = await runExampleClient(gateway.url, { RESPONSE_ENCODING: 'msgpack' });
    const msgpackBoth = await runExampleClient(gateway.url, { RESPONSE_ENCODING: 'msgpack', REQUEST_ENCODING: 'msgpack' });
    expect(json.map((r) => [r.operation, r.status, r.errors])).toEqual([
      ['ViewerQuery', 200, undefined],
      ['TopProductsQuery', 200, undefined],
    ]);
    expect(json[0]!.data).toEqual(VIEWER);
    expect(json[1]!.data.topProducts).toHaveLength(3);
    for (const run of [msgpackResponses, msgpackBoth]) {
      // registered by the first test: hash only, no text sent
      expect(run.map((r) => [r.operation, r.status, r.sentText, r.errors])).toEqual([
        ['ViewerQuery', 200, false, undefined],
        ['TopProductsQuery', 200, false, undefined],
      ]);
      expect(run.map((r) => r.data)).toEqual(json.map((r) => r.data));
    }
  });

  it('in JSON mode (the default) the client sends and accepts JSON only', async () => {
    const log: Exchange[] = [];
    const client = createPersistedClient({ endpoint: gateway.url, fetch: recordingFetch(log) });
    const viewer = await client.execute(ViewerQueryDocument, {});
    expect(viewer.data).toEqual(VIEWER);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ requestContentType: 'application/json', accept: 'application/json', requestFirstByte: OPEN_BRACE, responseFirstByte: OPEN_BRACE });
    expect(log[0]!.responseContentType).toMatch(/^application\/json/);
  });
});
