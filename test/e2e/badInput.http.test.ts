import { connect } from 'node:net';
import { request } from 'undici';
import { startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';
import { postGraphQL } from '@roam/testkit';

const NO_STACK = /stacktrace|\n\s+at |\.ts:\d+|\.js:\d+/;

/** Sends `raw` on a plain TCP connection and resolves with everything the server sent until it closed. */
function rawExchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(raw));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (d) => (received += d));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? undefined : reject(e)));
    socket.on('close', () => resolve(received));
  });
}

function parseRaw(raw: string): { status: number; headers: string; body: { errors: { message: string; extensions: { code: string } }[] } } {
  const [head, body] = raw.split('\r\n\r\n');
  return { status: Number(head!.split(' ')[1]), headers: head!.toLowerCase(), body: JSON.parse(body!) };
}

describe('HTTP-level bad input gets the GraphQL error shape', () => {
  let subgraphs: SubgraphProcesses;
  let gateway: GatewayProcess;
  let port: number;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    gateway = await startGateway(writeSupergraph(subgraphs.definitions()), { REQUEST_TIMEOUT_MS: '1000' });
    port = Number(new URL(gateway.url).port);
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraphs?.stop();
  });

  it('a body that never finishes (slowloris) → 408 REQUEST_TIMEOUT, connection closed', async () => {
    const raw = await rawExchange(port, 'POST /graphql HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"query":');
    const res = parseRaw(raw);
    expect(res.status).toBe(408);
    expect(res.headers).toContain('content-type: application/json');
    expect(res.body.errors[0]!.extensions.code).toBe('REQUEST_TIMEOUT');
    expect(raw).not.toMatch(NO_STACK);
  });

  it('headers over the size limit → 431 REQUEST_HEADER_FIELDS_TOO_LARGE', async () => {
    const raw = await rawExchange(port, `GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const res = parseRaw(raw);
    expect(res.status).toBe(431);
    expect(res.body).toEqual({ errors: [{ message: expect.any(String), extensions: { code: 'REQUEST_HEADER_FIELDS_TOO_LARGE' } }] });
  });

  it('bytes that are not HTTP → 400 BAD_REQUEST in the GraphQL shape', async () => {
    const res = parseRaw(await rawExchange(port, 'NOT HTTP AT ALL\r\n\r\n'));
    expect(res.status).toBe(400);
    expect(res.body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
  });

  it('OPTIONS /graphql → 405 METHOD_NOT_ALLOWED with Allow', async () => {
    const res = await request(gateway.url, { method: 'OPTIONS' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, POST');
    expect(((await res.body.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('a text/plain POST → 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await request(gateway.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ me { id } }"}' });
    expect(res.statusCode).toBe(415);
    expect(((await res.body.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('a normal request still works afterwards', async () => {
    const res = await postGraphQL(gateway.url, { query: '{ me { name } }' });
    expect(res.body).toEqual({ data: { me: { name: 'Mara Lindqvist' } } });
  });
});
