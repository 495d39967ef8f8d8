import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

/**
 * How the faulty subgraph answers:
 * - `ok`: forwards to the real subgraph;
 * - `hang`: accepts the request and never answers;
 * - `slow`: forwards after `delayMs`;
 * - `flaky`: every other request (the 1st, 3rd, …) gets 503 text, the others are forwarded;
 * - `reset`: sends 200 headers and half a body, then destroys the socket;
 * - `html502`: a proxy's HTML 502 page;
 * - `badjson`: 200 `application/json` that is not JSON.
 */
export type FaultMode = 'ok' | 'hang' | 'slow' | 'flaky' | 'reset' | 'html502' | 'badjson';

/** A real HTTP server standing in for a subgraph, steered by the test. */
export interface FaultySubgraph {
  /** Its GraphQL URL (same port across kill/revive). */
  readonly url: string;
  readonly port: number;
  mode: FaultMode;
  /** Delay of `slow`, in ms. @default 2000 */
  delayMs: number;
  /** Requests received (POST bodies read) since start or the last {@link FaultySubgraph.resetCount}. */
  readonly requests: number;
  /** WebSocket upgrade requests received (each is refused: this stand-in serves HTTP only). */
  readonly upgrades: number;
  /** Bodies of the requests received, in order. */
  readonly bodies: string[];
  resetCount(): void;
  /** Stops listening and drops every connection (the port then refuses connections). */
  kill(): Promise<void>;
  /** Listens again on the same port. */
  revive(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a faulty subgraph in front of `targetUrl` (a real subgraph) on a free loopback port.
 * @param targetUrl - the GraphQL URL that `ok`, `slow` and half of `flaky` forward to.
 */
export async function startFaultySubgraph(targetUrl: string): Promise<FaultySubgraph> {
  let requests = 0;
  let upgrades = 0;
  let flakyTurn = 0;
  const bodies: string[] = [];
  const forward = async (body: string, res: ServerResponse): Promise<void> => {
    const upstream = await request(targetUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await upstream.body.text();
    if (res.destroyed) return;
    res.writeHead(upstream.statusCode, { 'content-type': String(upstream.headers['content-type'] ?? 'application/json') });
    res.end(text);
  };
  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    requests++;
    bodies.push(body);
    switch (self.mode) {
      case 'ok':
        void forward(body, res).catch(() => res.destroy());
        return;
      case 'hang':
        return;
      case 'slow':
        setTimeout(() => void forward(body, res).catch(() => res.destroy()), self.delayMs);
        return;
      case 'flaky':
        if (flakyTurn++ % 2 === 0) {
          res.writeHead(503, { 'content-type': 'text/plain' });
          res.end('service unavailable');
        } else void forward(body, res).catch(() => res.destroy());
        return;
      case 'reset':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
        res.write('{"data":{"_entities":[{"inStock":');
        setTimeout(() => req.socket.destroy(), 20);
        return;
      case 'html502':
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body><h1>502 Bad Gateway</h1>nginx at 10.1.2.3</body></html>');
        return;
      case 'badjson':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"data": {"_entities": [ oops');
        return;
      default: {
        const never: never = self.mode;
        throw new Error(`unknown mode ${String(never)}`);
      }
    }
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handle(req, res, body));
  });
  server.on('upgrade', (_req, socket) => {
    upgrades++;
    socket.destroy();
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      if (server.listening) return resolve();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const kill = async (): Promise<void> => {
    if (!server.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  };
  const self: FaultySubgraph = {
    url: `http://127.0.0.1:${port}/graphql`,
    port,
    mode: 'ok',
    delayMs: 2000,
    get requests() {
      return requests;
    },
    get upgrades() {
      return upgrades;
    },
    bodies,
    resetCount() {
      requests = 0;
      flakyTurn = 0;
      bodies.length = 0;
    },
    kill,
    revive: () => listen(port),
    close: kill,
  };
  return self;
}
