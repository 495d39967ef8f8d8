import { createClient, type Client, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { request } from 'undici';
import { waitFor } from '@roam/testkit';

/** `http://host:port/graphql` → `ws://host:port/graphql`. */
export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

/** A raw WebSocket with every received message and the close code recorded. */
export interface RawSocket {
  readonly ws: WebSocket;
  readonly messages: any[];
  /** Resolves with the close code and reason the client saw. */
  readonly closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  /** Waits for a message matching `predicate` and returns it. */
  waitMessage(predicate: (m: any) => boolean, description: string): Promise<any>;
}

/**
 * Opens a raw WebSocket (no graphql-ws client) and waits for it to open.
 * @param protocols - offered subprotocols; `graphql-transport-ws` by default, `[]` for none.
 */
export async function openRaw(url: string, protocols: string[] = ['graphql-transport-ws'], options: WebSocket.ClientOptions = {}): Promise<RawSocket> {
  const ws = new WebSocket(wsUrl(url), protocols, options);
  const messages: any[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    closed,
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    waitMessage: (predicate, description) => waitFor(() => messages.find(predicate), description, 15_000, 10),
  };
}

/** Opens a raw socket, sends `connection_init` with `payload` and waits for `connection_ack`. */
export async function openAcked(url: string, payload?: Record<string, unknown>): Promise<RawSocket> {
  const socket = await openRaw(url);
  socket.send(payload ? { type: 'connection_init', payload } : { type: 'connection_init' });
  await socket.waitMessage((m) => m.type === 'connection_ack', 'connection_ack');
  return socket;
}

/** A graphql-ws client subscription whose results and terminal outcome are recorded. */
export interface RecordedSubscription {
  readonly results: ExecutionResult<any>[];
  /** Resolves once with the terminal outcome. */
  readonly done: Promise<{ kind: 'complete' } | { kind: 'error'; error: any }>;
  /** Waits until at least `n` results arrived. */
  waitResults(n: number): Promise<ExecutionResult<any>[]>;
  dispose(): void;
}

/** Creates a graphql-ws client with no retries (tests want to see every failure). */
export function client(url: string, connectionParams: Record<string, unknown> = {}): Client {
  return createClient({ url: wsUrl(url), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams });
}

/** Subscribes with `client` and records what arrives. */
export function record(c: Client, query: string, variables?: Record<string, unknown>): RecordedSubscription {
  const results: ExecutionResult<any>[] = [];
  let settle!: (v: { kind: 'complete' } | { kind: 'error'; error: any }) => void;
  const done = new Promise<{ kind: 'complete' } | { kind: 'error'; error: any }>((resolve) => (settle = resolve));
  const dispose = c.subscribe({ query, variables }, {
    next: (r) => results.push(r),
    error: (error) => settle({ kind: 'error', error }),
    complete: () => settle({ kind: 'complete' }),
  });
  return {
    results,
    done,
    waitResults: (n) => waitFor(() => (results.length >= n ? results : undefined), `${n} subscription results (have ${results.length})`),
    dispose,
  };
}

/** @returns the subscription counts a subgraph reports on `/health`. */
export async function subgraphSubscriptions(graphqlUrl: string): Promise<{ active: number; started: number }> {
  const res = await request(graphqlUrl.replace(/\/graphql$/, '/health'));
  const body = (await res.body.json()) as { subscriptions: { active: number; started: number } };
  return body.subscriptions;
}
