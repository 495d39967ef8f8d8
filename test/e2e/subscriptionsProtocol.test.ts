import WebSocket from 'ws';
import { waitFor, postGraphQL, openAcked, openRaw, wsUrl, type RawSocket } from '@roam/testkit';
import { subgraphSubscriptions } from '../support/subgraphHealth';
import { startGateway, startSubgraphs, writeSupergraph, type GatewayProcess, type SubgraphProcesses } from '../support/stack';

// graphql-transport-ws (graphql-ws PROTOCOL.md) over raw WebSockets against a real gateway process.
const SUB = 'subscription { reviewAdded { id } }';
let nameCounter = 0;
const uniqueClient = (): Record<string, unknown> => ({ 'apollographql-client-name': `protocol-test-${++nameCounter}` });

/** Sends a ping and waits for its pong: every message the server sent before it has arrived. */
async function barrier(socket: RawSocket): Promise<void> {
  const token = `b${Math.random()}`;
  socket.send({ type: 'ping', payload: { token } });
  await socket.waitMessage((m) => m.type === 'pong' && m.payload?.token === token, 'pong');
}

describe('subscriptions: the graphql-transport-ws protocol over raw WebSockets', () => {
  let subgraphs: SubgraphProcesses;
  let gateway: GatewayProcess;
  const reviewsActive = async (): Promise<number> => (await subgraphSubscriptions(subgraphs.urls.reviews)).active;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    gateway = await startGateway(writeSupergraph(subgraphs.definitions()), {
      SUBSCRIPTION_CONNECTION_INIT_TIMEOUT_MS: '500',
      SUBSCRIPTION_KEEPALIVE_MS: '400',
      SUBSCRIPTION_MAX_PER_CONNECTION: '2',
      SUBSCRIPTION_MAX_CONNECTIONS_PER_CLIENT: '2',
      // No upstream reconnect: a frozen subgraph's subscriptions end at the missed pong (a reconnect would wait for its ack).
      SUBGRAPH_POLICIES: JSON.stringify({ reviews: { reconnect: { maxAttempts: 0 } } }),
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraphs?.stop();
  });

  it('closes with 4408 when connection_init does not come in time', async () => {
    const socket = await openRaw(gateway.url);
    expect((await socket.closed).code).toBe(4408);
    expect(socket.messages).toEqual([]);
  });

  it('closes with 4429 on a second connection_init', async () => {
    const socket = await openAcked(gateway.url, uniqueClient());
    socket.send({ type: 'connection_init' });
    expect((await socket.closed).code).toBe(4429);
  });

  it('closes with 4401 on subscribe before connection_ack', async () => {
    const socket = await openRaw(gateway.url);
    socket.send({ id: '1', type: 'subscribe', payload: { query: SUB } });
    expect((await socket.closed).code).toBe(4401);
  });

  it('closes with 4400 on a message that is not JSON', async () => {
    const socket = await openAcked(gateway.url, uniqueClient());
    socket.send('{not json');
    expect((await socket.closed).code).toBe(4400);
  });

  it('closes with 4400 on a message that breaks the protocol (subscribe without id)', async () => {
    const socket = await openAcked(gateway.url, uniqueClient());
    socket.send({ type: 'subscribe', payload: { query: SUB } });
    expect((await socket.closed).code).toBe(4400);
  });

  it('closes with 4406 when the socket was opened without the graphql-transport-ws subprotocol', async () => {
    const socket = await openRaw(gateway.url, []);
    expect((await socket.closed).code).toBe(4406);
  });

  it('refuses the upgrade (HTTP 400) when only another subprotocol is offered', async () => {
    const ws = new WebSocket(wsUrl(gateway.url), ['graphql-ws']);
    const status = await new Promise<number>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('open', () => reject(new Error('the upgrade was accepted')));
    });
    expect(status).toBe(400);
  });

  it('acks only after accepting connection_init, and refuses a malformed identity with 4403 and no ack', async () => {
    const ok = await openRaw(gateway.url);
    ok.send({ type: 'connection_init', payload: { authorization: 'Bearer abc', ...uniqueClient() } });
    await ok.waitMessage((m) => m.type === 'connection_ack', 'connection_ack');
    ok.ws.close();
    const bad = await openRaw(gateway.url);
    bad.send({ type: 'connection_init', payload: { authorization: 42 } });
    expect((await bad.closed).code).toBe(4403);
    expect(bad.messages.filter((m) => m.type === 'connection_ack')).toEqual([]);
  });

  it('closes with 4409 when a subscribe reuses the id of a running subscription', async () => {
    const socket = await openAcked(gateway.url, uniqueClient());
    socket.send({ id: 'a', type: 'subscribe', payload: { query: SUB } });
    await waitFor(async () => (await reviewsActive()) === 1, 'the upstream subscription');
    socket.send({ id: 'a', type: 'subscribe', payload: { query: SUB } });
    expect((await socket.closed).code).toBe(4409);
    await waitFor(async () => (await reviewsActive()) === 0, 'the upstream to be released after the close');
  });

  it('closes with 4409 when the id is reused while the subscribe hook is still running', async () => {
    const socket = await openAcked(gateway.url, uniqueClient());
    // both frames arrive together: the second is read while the first one's hook is still awaiting
    socket.ws.send(JSON.stringify({ id: 'h', type: 'subscribe', payload: { query: SUB } }));
    socket.ws.send(JSON.stringify({ id: 'h', type: 'subscribe', payload: { query: SUB } }));
    expect((await socket.closed).code).toBe(4409);
    await waitFor(async () => (await reviewsActive()) === 0, 'no upstream left behind');
  });

  it('closes with 4409 when the id is reused while a query is still executing', async () => {
    const socket = await openAcked(gateway.url, uniqueClient());
    socket.ws.send(JSON.stringify({ id: 'q', type: 'subscribe', payload: { query: '{ topProducts(first: 5) { name inStock reviews { body author { name } } } }' } }));
    socket.ws.send(JSON.stringify({ id: 'q', type: 'subscribe', payload: { query: '{ me { name } }' } }));
    expect((await socket.closed).code).toBe(4409);
  });

  it('sends one error and no complete for a refused operation (validation, parse, hash only)', async () => {
    const socket = await openAcked(gateway.url, uniqueClient());
    socket.send({ id: 'v', type: 'subscribe', payload: { query: 'subscription { nope }' } });
    socket.send({ id: 'p', type: 'subscribe', payload: { query: 'subscription {' } });
    socket.send({ id: 'h', type: 'subscribe', payload: { extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } } });
    await barrier(socket);
    await barrier(socket);
    const byId = (id: string) => socket.messages.filter((m) => m.id === id);
    expect(byId('v')).toEqual([{ id: 'v', type: 'error', payload: [expect.objectContaining({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })] }]);
    expect(byId('p')).toEqual([{ id: 'p', type: 'error', payload: [expect.objectContaining({ extensions: { code: 'GRAPHQL_PARSE_FAILED' } })] }]);
    // the gateway's default PERSISTED_QUERIES=apq: an unknown hash is a miss, as over HTTP
    expect(byId('h')).toEqual([{ id: 'h', type: 'error', payload: [expect.objectContaining({ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } })] }]);
    expect(JSON.stringify(socket.messages)).not.toMatch(/stack/i);
    socket.ws.close();
  });

  it('after the client completes: no echoed complete, no later next, upstream released promptly', async () => {
    const socket = await openAcked(gateway.url, uniqueClient());
    socket.send({ id: 's', type: 'subscribe', payload: { query: SUB } });
    await waitFor(async () => (await reviewsActive()) === 1, 'the upstream subscription');
    socket.send({ id: 's', type: 'complete' });
    await waitFor(async () => (await reviewsActive()) === 0, 'the upstream to be released');
    await postGraphQL(gateway.url, { query: 'mutation { addReview(input: { authorId: "1", productUpc: "1", body: "late" }) { id } }' });
    await barrier(socket);
    expect(socket.messages.filter((m) => m.id === 's')).toEqual([]);
    socket.ws.close();
  });

  it('ignores a duplicate complete and a complete for an unknown id', async () => {
    const socket = await openAcked(gateway.url, uniqueClient());
    socket.send({ id: 'x', type: 'subscribe', payload: { query: '{ me { name } }' } });
    await socket.waitMessage((m) => m.id === 'x' && m.type === 'complete', 'the query to complete');
    socket.send({ id: 'x', type: 'complete' });
    socket.send({ id: 'x', type: 'complete' });
    socket.send({ id: 'unknown', type: 'complete' });
    await barrier(socket);
    expect(socket.messages.filter((m) => m.id === 'x')).toEqual([
      { id: 'x', type: 'next', payload: { data: { me: { name: 'Mara Lindqvist' } } } },
      { id: 'x', type: 'complete' },
    ]);
    expect(socket.ws.readyState).toBe(WebSocket.OPEN);
    socket.ws.close();
  });

  it('sends TOO_MANY_SUBSCRIPTIONS past the per-connection limit, and frees the slot when one completes', async () => {
    const socket = await openAcked(gateway.url, uniqueClient());
    socket.send({ id: '1', type: 'subscribe', payload: { query: SUB } });
    socket.send({ id: '2', type: 'subscribe', payload: { query: 'subscription { reviewAdded(upc: "2") { id } }' } });
    socket.send({ id: '3', type: 'subscribe', payload: { query: 'subscription { reviewAdded(upc: "3") { id } }' } });
    const refused = await socket.waitMessage((m) => m.id === '3', 'the third subscription to be refused');
    expect(refused).toEqual({ id: '3', type: 'error', payload: [expect.objectContaining({ extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', limit: 2 } })] });
    socket.send({ id: '1', type: 'complete' });
    await waitFor(async () => (await reviewsActive()) === 1, 'one upstream left');
    socket.send({ id: '4', type: 'subscribe', payload: { query: SUB } });
    await waitFor(async () => (await reviewsActive()) === 2, 'the freed slot to be used');
    socket.ws.close();
    await waitFor(async () => (await reviewsActive()) === 0, 'upstreams released on close');
  });

  it('closes a connection past the per-client limit with 1013; other clients are not affected', async () => {
    const same = { 'apollographql-client-name': 'greedy-app' };
    const a = await openAcked(gateway.url, same);
    const b = await openAcked(gateway.url, same);
    const c = await openRaw(gateway.url);
    c.send({ type: 'connection_init', payload: same });
    const closed = await c.closed;
    expect(closed.code).toBe(1013);
    expect(closed.reason).toMatch(/^TOO_MANY_CONNECTIONS/);
    const other = await openAcked(gateway.url, uniqueClient());
    a.ws.close();
    await a.closed;
    const again = await openAcked(gateway.url, same); // a slot was freed
    for (const s of [b, other, again]) s.ws.close();
  });

  it('pings sockets and terminates one that stops answering, releasing its upstream subscriptions', async () => {
    const socket = await openRaw(gateway.url, ['graphql-transport-ws'], { autoPong: false });
    socket.send({ type: 'connection_init', payload: uniqueClient() });
    await socket.waitMessage((m) => m.type === 'connection_ack', 'connection_ack');
    let pings = 0;
    socket.ws.on('ping', () => pings++);
    socket.send({ id: 'd', type: 'subscribe', payload: { query: SUB } });
    await waitFor(async () => (await reviewsActive()) === 1, 'the upstream subscription');
    const closed = await socket.closed;
    expect(pings).toBeGreaterThan(0);
    expect(closed.code).toBe(1006); // terminated without a close frame
    await waitFor(async () => (await reviewsActive()) === 0, 'the dead socket to release its upstream');
  });

  it('ends subscriptions with SUBSCRIPTION_UPSTREAM_ERROR when the owning subgraph stops answering pings (frozen, socket still open)', async () => {
    const socket = await openAcked(gateway.url, uniqueClient());
    socket.send({ id: 'f', type: 'subscribe', payload: { query: SUB } });
    await waitFor(async () => (await reviewsActive()) === 1, 'the upstream subscription');
    const pid = subgraphs.processes.reviews.child.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      const error = await socket.waitMessage((m) => m.id === 'f', 'the error');
      expect(error).toEqual({ id: 'f', type: 'error', payload: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'SUBSCRIPTION_UPSTREAM_ERROR', serviceName: 'reviews' }) })] });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor(async () => (await reviewsActive()) === 0, 'the subgraph to see the upstream closed');
    await barrier(socket);
    expect(socket.messages.filter((m) => m.id === 'f')).toHaveLength(1);
    socket.ws.close();
  });

  it('drains on SIGTERM: open sockets are closed with 1001 and new upgrades are refused', async () => {
    const socket = await openAcked(gateway.url, uniqueClient());
    socket.send({ id: 'z', type: 'subscribe', payload: { query: SUB } });
    await waitFor(async () => (await reviewsActive()) === 1, 'the upstream subscription');
    gateway.child.kill('SIGTERM');
    expect((await socket.closed).code).toBe(1001);
    await expect(openRaw(gateway.url)).rejects.toThrow(/503|ECONNREFUSED|ECONNRESET/); // refused while draining, or the process is already gone
    await waitFor(async () => (await reviewsActive()) === 0, 'the upstream to be released');
  });
});
