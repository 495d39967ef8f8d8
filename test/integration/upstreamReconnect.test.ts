import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createGateway, readConfig, type RoamGateway } from '@roam/gateway';
import { client as wsClient, freePort, postGraphQL, record, startRedis, waitFor, type TestProcess, type TestRedis } from '@roam/testkit';
import { startInProcessSubgraphs, type InProcessSubgraphs } from '../support/inProcessStack';
import { sample, scrape } from '../support/metrics';
import { startSubgraph, subgraphSdl, SUBGRAPH_NAMES, writeSupergraph } from '../support/stack';

// Issue 11 item 3, last part: an upstream subscription WebSocket that fails at the transport level is re-opened with
// backoff under the subgraph's breaker, and resumes after the last event id the gateway saw (reviews' events are in a
// Redis Streams event log), so subscribers keep their subscription and miss nothing. Real processes: the reviews
// subgraph (killed with SIGKILL and restarted on the same port) plus a second reviews replica that publishes while the
// first is down, a real Redis, and a TCP relay in front of the first that counts WebSocket upgrades.
const SUB = 'subscription ($upc: String) { reviewAdded(upc: $upc) { id body } }';
const ADD_REVIEW = 'mutation ($body: String!, $upc: String!) { addReview(input: { authorId: "1", productUpc: $upc, body: $body }) { id } }';

/** A TCP relay to `targetPort` that counts WebSocket upgrades (GET requests) and can refuse everything. */
interface Relay {
  readonly port: number;
  /** Upgrade requests relayed or refused, with the breaker state seen when each arrived. */
  readonly upgrades: string[];
  /** Drop every connection now and later ones at once (`true`), or relay again (`false`). */
  setDown(down: boolean): void;
  /** Ends every relayed WebSocket with a close frame 1000 (Normal Closure) as the subgraph would, then drops it. */
  closeWebSocketsNormally(): void;
  close(): Promise<void>;
}

async function startRelay(targetPort: number, stateNow: () => string): Promise<Relay> {
  const sockets = new Set<Socket>();
  const webSockets = new Map<Socket, Socket>();
  let down = false;
  const upgrades: string[] = [];
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', (first: Buffer) => {
      if (first.subarray(0, 4).toString() === 'GET ') upgrades.push(stateNow());
      if (down) return void socket.destroy();
      const upstream = createConnection(targetPort, '127.0.0.1');
      sockets.add(upstream);
      upstream.on('close', () => {
        sockets.delete(upstream);
        socket.destroy();
      });
      upstream.on('error', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
      if (first.subarray(0, 4).toString() === 'GET ') {
        webSockets.set(socket, upstream);
        socket.on('close', () => webSockets.delete(socket));
      }
      upstream.write(first);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    upgrades,
    setDown(value) {
      down = value;
      if (value) for (const s of sockets) s.destroy();
    },
    closeWebSocketsNormally() {
      for (const [socket, upstream] of webSockets) {
        upstream.unpipe(socket);
        // an unmasked server close frame: FIN + opcode 8, length 2, status 1000
        socket.write(Buffer.from([0x88, 0x02, 0x03, 0xe8]));
        setTimeout(() => socket.destroy(), 20);
      }
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let redis: TestRedis;
let inProcess: InProcessSubgraphs;
let reviewsPort: number;
let reviewsEnv: Record<string, string>;
let reviewsA: TestProcess;
let reviewsB: TestProcess;
let reviewsBUrl: string;
let relay: Relay;
let supergraphPath: string;
let gateway: RoamGateway | undefined;
let breakerState = (): string => 'none';

async function addReview(body: string, upc = '1'): Promise<void> {
  const res = await postGraphQL(reviewsBUrl, { query: ADD_REVIEW, variables: { body, upc } });
  expect(res.body.errors).toBeUndefined();
}

async function startGatewayWith(reviewsPolicy: Record<string, unknown>, env: Record<string, string> = {}): Promise<{ gateway: RoamGateway; url: string }> {
  const config = readConfig({ PORT: '0', HOST: '127.0.0.1', SUPERGRAPH_PATH: supergraphPath, SUBGRAPH_POLICIES: JSON.stringify({ reviews: reviewsPolicy }), LOG_LEVEL: 'silent', ...env });
  gateway = createGateway(config, pino({ level: 'silent' }));
  const url = await gateway.listen();
  const guard = gateway.upstreams.guard('reviews');
  breakerState = () => guard.state;
  return { gateway, url };
}

beforeAll(async () => {
  redis = await startRedis();
  reviewsEnv = { REDIS_URL: redis.url, REDIS_PREFIX: `${redis.prefix ?? ''}reconnect${randomBytes(3).toString('hex')}:` };
  const [portA, portB] = [await freePort(), await freePort()];
  reviewsPort = portA;
  [inProcess, reviewsA, reviewsB] = await Promise.all([startInProcessSubgraphs(), startSubgraph('reviews', portA, reviewsEnv), startSubgraph('reviews', portB, reviewsEnv)]);
  reviewsBUrl = `http://127.0.0.1:${portB}/graphql`;
  relay = await startRelay(portA, () => breakerState());
  supergraphPath = writeSupergraph(
    SUBGRAPH_NAMES.filter((n) => n in inProcess.urls).map((name) => ({ name, url: name === 'reviews' ? `http://127.0.0.1:${relay.port}/graphql` : inProcess.urls[name]!, sdl: subgraphSdl(name) })),
  );
}, 60_000);
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  relay.setDown(false);
});
afterAll(async () => {
  await relay?.close();
  await Promise.all([reviewsA?.stop(), reviewsB?.stop()]);
  await inProcess?.close();
  await redis?.stop();
});

describe('upstream subscription reconnect', () => {
  it('keeps subscribers across a subgraph kill and restart: every event once, in order; no WebSocket while the breaker is open', async () => {
    const { gateway: gw, url } = await startGatewayWith(
      {
        connectTimeoutMs: 500,
        timeoutMs: 1000,
        breaker: { consecutiveFailures: 3, halfOpenAfterMs: 200 },
        reconnect: { maxAttempts: 100, baseDelayMs: 20, maxDelayMs: 100, maxElapsedMs: 30_000 },
      },
      // A small enrichment queue: the replay of the outage's events after the reconnect is a burst, which gets the
      // larger bound of a resuming subscription instead of ending it with SUBSCRIPTION_OVERFLOW.
      { SUBSCRIPTION_MAX_QUEUED_EVENTS: '2' },
    );
    const transitions: string[] = [];
    const guard = gw.upstreams.guard('reviews');
    guard.breaker.onBreak(() => transitions.push('open'));
    guard.breaker.onReset(() => transitions.push('closed'));
    const clients = [wsClient(url), wsClient(url)];
    const subs = clients.map((c) => record(c, SUB, { upc: '1' }));
    await waitFor(() => gw.upstreams.ws.size === 1 && relay.upgrades.length === 1, 'the upstream socket');
    // graphql-ws sends `subscribe` right after the ack: wait until the first event proves the upstream subscription is in place.
    await waitFor(async () => {
      await addReview('warm-up');
      return subs.every((s) => s.results.length > 0);
    }, 'the upstream subscription');
    await new Promise((resolve) => setTimeout(resolve, 300)); // every warm-up event delivered to both
    const base = subs.map((s) => s.results.length);
    const bodies = ['before-1', 'before-2', 'during-1', 'during-2', 'during-3', 'during-4', 'during-5', 'after-1', 'after-2'];
    for (const b of bodies.slice(0, 2)) await addReview(b);
    await Promise.all(subs.map((s, i) => s.waitResults(base[i]! + 2)));

    // Kill the subgraph the gateway's socket is on; the replica B publishes into the same event log meanwhile.
    reviewsA.child.kill('SIGKILL');
    await reviewsA.stop();
    for (const b of bodies.slice(2, 7)) await addReview(b);
    // A long outage: the reconnect attempts open the breaker, and its background probe fails at least once more.
    await waitFor(() => transitions.filter((t) => t === 'open').length >= 2, 'the breaker to open twice (attempts, then a failed probe)');
    expect(gw.upstreams.ws.reconnecting).toBe(1);
    reviewsA = await startSubgraph('reviews', reviewsPort, reviewsEnv);
    await waitFor(() => gw.upstreams.ws.size === 1 && transitions.at(-1) === 'closed', 'the breaker to close and the socket to re-open');
    for (const b of bodies.slice(7)) await addReview(b);

    for (const [i, s] of subs.entries()) {
      const results = await s.waitResults(base[i]! + bodies.length);
      await new Promise((resolve) => setTimeout(resolve, 100)); // a duplicate would arrive by now
      const after = s.results.slice(base[i]);
      // The documented guarantee: with an event log, nothing is lost and nothing arrives twice, in publish order.
      expect(after.map((r) => r.data?.reviewAdded?.body)).toEqual(bodies);
      expect(after.every((r) => r.errors === undefined && typeof (r.extensions as any)?.eventId === 'string')).toBe(true);
      expect(results.length).toBe(base[i]! + bodies.length);
    }
    // Every WebSocket attempt (an upgrade at the relay) was made while the breaker was closed.
    expect(relay.upgrades.length).toBeGreaterThanOrEqual(4);
    expect(relay.upgrades.filter((state) => state !== 'closed')).toEqual([]);
    expect(transitions[0]).toBe('open');
    expect(transitions.at(-1)).toBe('closed');
    for (const s of subs) expect(await Promise.race([s.done, Promise.resolve('running')])).toBe('running');
    await Promise.all(clients.map((c) => c.dispose()));
  }, 60_000);

  it('signals a possible gap (SUBSCRIPTION_RESUME_GAP, non-terminal) when it re-opens a stream that had no event id yet', async () => {
    const { gateway: gw, url } = await startGatewayWith({ breaker: { consecutiveFailures: 1000 }, reconnect: { maxAttempts: 100, baseDelayMs: 10, maxDelayMs: 50 } });
    const start = relay.upgrades.length;
    const c = wsClient(url);
    const sub = record(c, SUB, { upc: '3' });
    await waitFor(() => gw.upstreams.ws.size === 1 && relay.upgrades.length === start + 1, 'the upstream socket');
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the upstream subscribe reach the subgraph
    relay.setDown(true);
    await waitFor(() => gw.upstreams.ws.reconnecting === 1, 'the reconnect');
    relay.setDown(false);
    const [gap] = await sub.waitResults(1);
    expect(gap).toEqual({ data: null, errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'SUBSCRIPTION_RESUME_GAP', serviceName: 'reviews' }) })] });
    // Live events follow on the same subscription (published until one arrives: the re-sent subscribe may still be on its way).
    await waitFor(async () => {
      await addReview('live-after-gap', '3');
      return sub.results.length >= 2;
    }, 'a live event after the gap');
    const results = sub.results;
    expect(results[1]!.data).toEqual({ reviewAdded: { id: expect.any(String), body: 'live-after-gap' } });
    await c.dispose();
  }, 30_000);

  it('ends subscribers with SUBSCRIPTION_UPSTREAM_ERROR once the reconnect attempts are spent', async () => {
    const { gateway: gw, url } = await startGatewayWith({ breaker: { consecutiveFailures: 1000 }, reconnect: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 } });
    const start = relay.upgrades.length;
    const c = wsClient(url);
    const sub = record(c, SUB, { upc: '1' });
    await waitFor(() => gw.upstreams.ws.size === 1 && relay.upgrades.length === start + 1, 'the upstream socket');
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the upstream subscribe reach the subgraph
    const before = relay.upgrades.length;
    relay.setDown(true);
    const outcome = await sub.done;
    expect(outcome.kind).toBe('error');
    expect((outcome as { error: any[] }).error[0].extensions).toMatchObject({ code: 'SUBSCRIPTION_UPSTREAM_ERROR', serviceName: 'reviews' });
    expect(JSON.stringify(outcome)).not.toContain('127.0.0.1');
    // exactly the 3 bounded attempts were made after the drop
    expect(relay.upgrades.length - before).toBe(3);
    expect(gw.upstreams.ws.size + gw.upstreams.ws.reconnecting).toBe(0);
    const metrics = await scrape(url.replace(/\/graphql$/, '/metrics'));
    expect(sample(metrics, 'roam_upstream_reconnects_total', { subgraph: 'reviews', outcome: 'failed' })).toBe(3);
    expect(sample(metrics, 'roam_upstream_reconnects_total', { subgraph: 'reviews', outcome: 'gave_up' })).toBe(1);
    expect(sample(metrics, 'roam_upstream_reconnects_total', { outcome: 'reconnected' })).toBe(0);
    await c.dispose();
  }, 30_000);
  it('ends a subscription waiting to reconnect with SUBSCRIPTION_UPSTREAM_ERROR when the upstream layer shuts down', async () => {
    const { gateway: gw, url } = await startGatewayWith({ breaker: { consecutiveFailures: 1000 }, reconnect: { maxAttempts: 100, baseDelayMs: 200, maxDelayMs: 400 } });
    const start = relay.upgrades.length;
    const c = wsClient(url);
    const sub = record(c, SUB, { upc: '4' });
    await waitFor(() => gw.upstreams.ws.size === 1 && relay.upgrades.length === start + 1, 'the upstream socket');
    relay.setDown(true);
    await waitFor(() => gw.upstreams.ws.reconnecting === 1, 'the reconnect');
    await gw.upstreams.ws.close();
    const outcome = await sub.done;
    expect(outcome.kind).toBe('error');
    expect((outcome as { error: any[] }).error[0].extensions).toMatchObject({ code: 'SUBSCRIPTION_UPSTREAM_ERROR', serviceName: 'reviews', reason: 'the gateway is shutting down' });
    expect(sub.results).toEqual([]);
    await c.dispose();
  }, 30_000);
  it('a subgraph closing the socket normally (1000) mid-stream is a reconnect with resume too: nothing lost, nothing twice', async () => {
    const { gateway: gw, url } = await startGatewayWith({ breaker: { consecutiveFailures: 1000 }, reconnect: { maxAttempts: 10, baseDelayMs: 10, maxDelayMs: 50 } });
    const start = relay.upgrades.length;
    const c = wsClient(url);
    const sub = record(c, SUB, { upc: '5' });
    await waitFor(() => gw.upstreams.ws.size === 1 && relay.upgrades.length === start + 1, 'the upstream socket');
    await waitFor(async () => {
      await addReview('warm-up', '5');
      return sub.results.length > 0;
    }, 'the upstream subscription');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const base = sub.results.length;
    relay.closeWebSocketsNormally();
    const bodies = ['closed-1', 'closed-2', 'back-1'];
    for (const b of bodies.slice(0, 2)) await addReview(b, '5');
    await waitFor(() => relay.upgrades.length === start + 2 && gw.upstreams.ws.size === 1, 'the re-opened socket');
    await addReview(bodies[2]!, '5');
    await sub.waitResults(base + bodies.length);
    await new Promise((resolve) => setTimeout(resolve, 100)); // a duplicate would arrive by now
    expect(sub.results.slice(base).map((r) => r.data?.reviewAdded?.body)).toEqual(bodies);
    expect(await Promise.race([sub.done, Promise.resolve('running')])).toBe('running');
    const metrics = await scrape(url.replace(/\/graphql$/, '/metrics'));
    expect(sample(metrics, 'roam_upstream_reconnects_total', { subgraph: 'reviews', outcome: 'reconnected' })).toBe(1);
    expect(sample(metrics, 'roam_upstream_reconnects_total', { outcome: 'gave_up' })).toBe(0);
    await c.dispose();
  }, 30_000);
});
