import { Writable } from 'node:stream';
import pino from 'pino';
import { request } from 'undici';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { sha256Hex } from '@roam/persisted-queries';
import { openAcked, postGraphQL, waitFor } from '@roam/testkit';
import { startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { writeSupergraph } from '../support/stack';

/** A pino logger writing JSON lines into `lines`. */
function capturingLogger(level: pino.Level): { logger: pino.Logger; lines: any[] } {
  const lines: any[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

const accessLines = (lines: any[]) => lines.filter((l) => l.component === 'access');

// Issue 15 item 3: one access-log line per request (pino), its level and sampling configurable.
describe('access log: one pino line per request', () => {
  let subgraphs: InProcessSubgraphs;
  let gateway: RoamGateway | undefined;
  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
  });
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });
  afterAll(async () => {
    await subgraphs?.close();
  });

  const start = async (env: Record<string, string>, logLevel: pino.Level = 'warn') => {
    const { logger, lines } = capturingLogger(logLevel);
    gateway = createGateway(readConfig({ PORT: '0', SUPERGRAPH_PATH: writeSupergraph(subgraphs.definitions()), SHUTDOWN_GRACE_MS: '2000', ...env }), logger);
    const url = await gateway.listen();
    return { url, lines };
  };

  it('writes client, operation, document id, status, bytes in/out, duration, cost and cache outcome at ACCESS_LOG level (even above LOG_LEVEL)', async () => {
    const { url, lines } = await start({ ACCESS_LOG: 'info' }, 'warn');
    const query = 'query Top { topProducts(first: 2) { upc name } }';
    const body = JSON.stringify({ query, extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(query) } } });
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'apollographql-client-name': 'ios', 'apollographql-client-version': '3.2.1' }, body });
    const wire = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).toBe(200);
    await waitFor(() => accessLines(lines).length === 1, 'one access line');
    const [line] = accessLines(lines);
    expect(line).toMatchObject({
      level: 30,
      msg: 'request',
      transport: 'http',
      method: 'POST',
      clientName: 'ios',
      clientVersion: '3.2.1',
      operationType: 'query',
      operationName: 'Top',
      documentId: sha256Hex(query),
      status: 200,
      bytesIn: Buffer.byteLength(body),
      bytesOut: wire.length,
      encoding: 'identity',
      cache: 'registered',
    });
    expect(line.code).toBeUndefined();
    expect(line.durationMs).toBeGreaterThan(0);
    expect(line.cost).toBeGreaterThan(0);
    // nothing else reached the log at LOG_LEVEL=warn
    expect(lines.filter((l) => l.component !== 'access')).toEqual([]);

    const hit = await postGraphQL(url, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(query) } } });
    expect(hit.status).toBe(200);
    await waitFor(() => accessLines(lines).length === 2, 'a second line');
    expect(accessLines(lines)[1]).toMatchObject({ cache: 'hit', operationName: 'Top', status: 200 });
  });

  it('logs a refused request with its code and a batch as one line', async () => {
    const { url, lines } = await start({ ACCESS_LOG: 'debug' }, 'debug');
    await postGraphQL(url, { query: '{ nope }' });
    await postGraphQL(url, [{ query: 'query A { me { id } }' }, { query: 'query B { me { name } }' }]);
    await waitFor(() => accessLines(lines).length === 2, 'two access lines');
    const [refused, batch] = accessLines(lines);
    expect(refused).toMatchObject({ level: 20, status: 400, code: 'GRAPHQL_VALIDATION_FAILED' });
    expect(batch).toMatchObject({ status: 200, operationType: 'batch', operationName: 'A,B' });
  });

  it('samples successful requests with ACCESS_LOG_SAMPLE_RATE=0 but still logs errors', async () => {
    const { url, lines } = await start({ ACCESS_LOG: 'info', ACCESS_LOG_SAMPLE_RATE: '0' });
    for (let i = 0; i < 5; i++) expect((await postGraphQL(url, { query: '{ me { id } }' })).status).toBe(200);
    await postGraphQL(url, { query: '{ me ' });
    await waitFor(() => accessLines(lines).length === 1, 'the error line');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(accessLines(lines)).toEqual([expect.objectContaining({ code: 'GRAPHQL_PARSE_FAILED', status: 400 })]);
  });

  it('writes nothing with ACCESS_LOG unset (default off)', async () => {
    const { url, lines } = await start({}, 'trace');
    expect((await postGraphQL(url, { query: '{ me { id } }' })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(accessLines(lines)).toEqual([]);
  });

  it('writes a line per WebSocket subscribe', async () => {
    const { url, lines } = await start({ ACCESS_LOG: 'info' });
    const socket = await openAcked(url, { headers: { 'apollographql-client-name': 'android', 'apollographql-client-version': '1.0.0' } });
    socket.send({ id: '1', type: 'subscribe', payload: { query: 'subscription Added { reviewAdded(upc: "1") { id } }' } });
    await waitFor(() => accessLines(lines).length === 1, 'the subscribe line');
    expect(accessLines(lines)[0]).toMatchObject({ transport: 'ws', clientName: 'android', clientVersion: '1.0.0', operationType: 'subscription', operationName: 'Added' });
    socket.ws.close();
  });
});
