import { unpack } from 'msgpackr';
import pino from 'pino';
import { request } from 'undici';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { openAcked } from '@roam/testkit';
import { startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { writeSupergraph } from '../support/stack';

const ADD = (body: string) => `mutation { addReview(input: { authorId: "1", productUpc: "1", body: "${body}" }) { id body } }`;

// One user action retried over another transport with the same key (Apollo's split link, a batch after a single
// request): a single HTTP response is stored as its encoded bytes (maybe MessagePack or compressed), an entry's or a
// socket's result as JSON text. Replays across the two used to answer 500 INTERNAL_SERVER_ERROR (the MessagePack
// bytes parsed as JSON) or `Content-Type: application/octet-stream`.
describe('idempotency keys across transports (memory store, in-process subgraphs)', () => {
  let subgraphs: InProcessSubgraphs;
  let gateway: RoamGateway;
  let url: string;
  beforeAll(async () => {
    subgraphs = await startInProcessSubgraphs();
    gateway = createGateway(readConfig({ PORT: '0', SUPERGRAPH_PATH: writeSupergraph(subgraphs.definitions()), LOG_LEVEL: 'silent' }), pino({ level: 'silent' }));
    url = await gateway.listen();
  });
  afterAll(async () => {
    await gateway?.close();
    await subgraphs?.close();
  });

  const post = async (body: unknown, headers: Record<string, string>) => {
    const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: res.statusCode, headers: res.headers, bytes: Buffer.from(await res.body.arrayBuffer()) };
  };
  const overSocket = async (key: string, body: string) => {
    const socket = await openAcked(url, { 'apollographql-client-name': 'ios' });
    socket.send({ id: '1', type: 'subscribe', payload: { query: ADD(body), extensions: { idempotencyKey: key } } });
    const next = await socket.waitMessage((m) => m.type === 'next' || m.type === 'error', 'the mutation result');
    socket.ws.close();
    return next.payload;
  };

  it('a MessagePack single response replays into a batch entry and over WebSocket as the same result (was 500)', async () => {
    const first = await post({ query: ADD('msgpack first') }, { accept: 'application/msgpack', 'apollographql-client-name': 'ios', 'idempotency-key': 'x-mp-1' });
    expect(first.headers['content-type']).toMatch(/^application\/msgpack/);
    const result = unpack(first.bytes) as { data: { addReview: { id: string; body: string } } };
    expect(result.data.addReview.body).toBe('msgpack first');

    const batch = await post([{ query: ADD('msgpack first'), extensions: { idempotencyKey: 'x-mp-1' } }], { 'apollographql-client-name': 'ios' });
    expect(batch.status).toBe(200);
    expect(batch.headers['idempotent-replayed']).toBe('0');
    expect(JSON.parse(batch.bytes.toString('utf8'))).toEqual([result]);

    expect(await overSocket('x-mp-1', 'msgpack first')).toEqual(result);
  });

  it('a WebSocket result replays to a single HTTP request encoded for its Accept, with Idempotent-Replayed (was application/octet-stream)', async () => {
    const result = await overSocket('x-ws-1', 'socket first');
    expect(result.data.addReview.body).toBe('socket first');

    const json = await post({ query: ADD('socket first') }, { 'apollographql-client-name': 'ios', 'idempotency-key': 'x-ws-1' });
    expect({ status: json.status, type: json.headers['content-type'], replayed: json.headers['idempotent-replayed'] }).toEqual({
      status: 200,
      type: 'application/json; charset=utf-8',
      replayed: 'true',
    });
    expect(JSON.parse(json.bytes.toString('utf8'))).toEqual(result);

    const packed = await post({ query: ADD('socket first') }, { accept: 'application/msgpack', 'apollographql-client-name': 'ios', 'idempotency-key': 'x-ws-1' });
    expect(packed.headers['content-type']).toMatch(/^application\/msgpack/);
    expect(unpack(packed.bytes)).toEqual(result);
  });
});
