import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

/** A stand-in in front of a real HTTP server that forwards each POST at once and controls when (or whether) the answer comes back. */
export interface HoldingProxy {
  /** Its URL (same path as the target's GraphQL endpoint: `/graphql`). */
  readonly url: string;
  /** `pass`: answers as the target did; `delay`: answers `delayMs` after the target did; `hold`: never answers (the target still ran); `drop`: closes the client's connection once the target answered. */
  mode: 'pass' | 'delay' | 'hold' | 'drop';
  /** Delay of `delay`, in ms. @default 1000 */
  delayMs: number;
  /** `Idempotency-Key` request headers received, in order. */
  readonly keys: string[];
  close(): Promise<void>;
}

/**
 * Starts a {@link HoldingProxy} on a free loopback port in front of `targetUrl`; request headers are forwarded
 * except hop-by-hop ones, response status, `content-type` and `idempotent-replayed`/`retry-after` are relayed.
 */
export async function startHoldingProxy(targetUrl: string): Promise<HoldingProxy> {
  const keys: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers))
        if (typeof value === 'string' && !['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'].includes(name)) headers[name] = value;
      if (headers['idempotency-key'] !== undefined) keys.push(headers['idempotency-key']);
      void request(targetUrl, { method: 'POST', headers, body: Buffer.concat(chunks) })
        .then(async (upstream) => {
          const text = await upstream.body.text();
          const answer = (): void => {
            const out: Record<string, string> = { 'content-type': String(upstream.headers['content-type'] ?? 'application/json') };
            for (const name of ['idempotent-replayed', 'retry-after']) if (typeof upstream.headers[name] === 'string') out[name] = upstream.headers[name];
            res.writeHead(upstream.statusCode, out);
            res.end(text);
          };
          if (proxy.mode === 'hold') return;
          if (proxy.mode === 'drop') return void req.socket.destroy();
          if (proxy.mode === 'delay') return void setTimeout(answer, proxy.delayMs);
          answer();
        })
        .catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: HoldingProxy = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    mode: 'pass',
    delayMs: 1000,
    keys,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
