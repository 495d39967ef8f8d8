import pino from 'pino';
import { GraphQLError } from 'graphql';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { sha256Hex } from '@roam/persisted-queries';
import { waitFor, postGraphQL, openAcked, openRaw } from '@roam/testkit';
import { subgraphSubscriptions } from '../support/subgraphHealth';
import { startSubgraphs, writeSupergraph, type SubgraphProcesses } from '../support/stack';

// The front-door hooks of the WebSocket path, wired the way the persisted-query and limits modules will be.
const QUERY = 'subscription { reviewAdded(upc: "1") { id author { name } } }';

describe('subscriptions: front-door hooks on an in-process gateway', () => {
  let subgraphs: SubgraphProcesses;
  let gateway: RoamGateway;
  let url: string;

  beforeAll(async () => {
    subgraphs = await startSubgraphs();
    const config = readConfig({ PORT: '0', HOST: '127.0.0.1', SUPERGRAPH_PATH: writeSupergraph(subgraphs.definitions()), LOG_LEVEL: 'silent', SHUTDOWN_GRACE_MS: '3000' });
    const store = new Map([[sha256Hex(QUERY), QUERY]]);
    gateway = createGateway(config, pino({ level: 'silent' }), {
      resolveSubscriptionOperation: async (payload) => {
        const hash = (payload.extensions?.persistedQuery as { sha256Hash?: string } | undefined)?.sha256Hash;
        if (hash === undefined) return { errors: [new GraphQLError('Only persisted operations are allowed.', { extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' } })] };
        const query = store.get(hash);
        return query ? { query } : { errors: [new GraphQLError('PersistedQueryNotFound', { extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } })] };
      },
      checkSubscriptionOperation: async ({ document }, connection) =>
        connection.clientName === 'limited' && document.definitions.length === 1 ? [new GraphQLError('Too deep.', { extensions: { code: 'MAX_DEPTH_LIMIT' } })] : undefined,
      authenticateConnection: async (connection) => connection.authorization !== 'Bearer revoked',
    });
    url = await gateway.listen();
  });
  afterAll(async () => {
    await gateway?.close();
    await subgraphs?.stop();
  });

  it('runs a hash-only subscribe through resolveSubscriptionOperation and delivers events', async () => {
    const socket = await openAcked(url);
    socket.send({ id: '1', type: 'subscribe', payload: { extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(QUERY) } } } });
    await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.reviews)).active === 1, 'the upstream subscription');
    const res = await postGraphQL(url, { query: 'mutation { addReview(input: { authorId: "1", productUpc: "1", body: "hashed" }) { id } }' });
    const next = await socket.waitMessage((m) => m.id === '1' && m.type === 'next', 'an event');
    expect(next.payload).toEqual({
      data: { reviewAdded: { id: res.body.data.addReview.id, author: { name: 'Mara Lindqvist' } } },
      extensions: { eventId: expect.stringMatching(/^reviews:REVIEW_ADDED@\d+-\d+$/) },
    });
    socket.ws.close();
  });

  it("sends the hooks' error codes as one error message", async () => {
    const socket = await openAcked(url);
    socket.send({ id: 'free', type: 'subscribe', payload: { query: QUERY } });
    socket.send({ id: 'unknown', type: 'subscribe', payload: { extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } } });
    const limited = await openAcked(url, { 'apollographql-client-name': 'limited' });
    limited.send({ id: 'limit', type: 'subscribe', payload: { extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(QUERY) } } } });
    const code = async (s: typeof socket, id: string) => (await s.waitMessage((m) => m.id === id, id)).payload[0].extensions.code;
    expect(await code(socket, 'free')).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    expect(await code(socket, 'unknown')).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(await code(limited, 'limit')).toBe('MAX_DEPTH_LIMIT');
    expect([...socket.messages, ...limited.messages].filter((m) => m.type === 'complete')).toEqual([]);
    socket.ws.close();
    limited.ws.close();
  });

  it('refuses connection_init when authenticateConnection says no (4403, no ack)', async () => {
    const socket = await openRaw(url);
    socket.send({ type: 'connection_init', payload: { headers: { authorization: 'Bearer revoked' } } });
    expect((await socket.closed).code).toBe(4403);
    expect(socket.messages).toEqual([]);
  });

  it('answers 404 to an upgrade on another path', async () => {
    await expect(openRaw(url.replace('/graphql', '/other'))).rejects.toThrow(/404/);
  });

  it('drains on close: new upgrades get 503 while open sockets are closed with 1001', async () => {
    const socket = await openAcked(url);
    socket.send({ id: 'd', type: 'subscribe', payload: { extensions: { persistedQuery: { version: 1, sha256Hash: sha256Hex(QUERY) } } } });
    await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.reviews)).active === 1, 'the upstream subscription');
    // this client stops reading, so the drain waits for it (up to the grace period) and the window is certain
    (socket.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const closing = gateway.close();
    await expect(openRaw(url)).rejects.toThrow(/503/);
    (socket.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await socket.closed).code).toBe(1001);
    await closing;
    await waitFor(async () => (await subgraphSubscriptions(subgraphs.urls.reviews)).active === 0, 'the upstream to be released');
  });
});
