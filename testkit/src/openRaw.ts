import WebSocket from 'ws';
import { waitFor } from './waitFor';
import { wsUrl } from './wsUrl';

/** A raw WebSocket with every received message and the close code recorded. */
export interface RawSocket {
  readonly ws: WebSocket;
  /** Every message received so far, parsed as JSON, in arrival order. */
  readonly messages: any[];
  /** Resolves with the close code and reason the client saw. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Sends `message` as JSON; a string is sent as-is (to send malformed frames). */
  send(message: unknown): void;
  /** Waits (15 s at most) for a message matching `predicate` and returns it; throws naming `description` on timeout. */
  waitMessage(predicate: (m: any) => boolean, description: string): Promise<any>;
}

/**
 * Opens a raw WebSocket (no graphql-ws client, so a test can send anything the protocol forbids) and
 * waits for it to open.
 *
 * @param url - the endpoint's `http://` or `ws://` URL.
 * @param protocols - offered subprotocols; `graphql-transport-ws` by default, `[]` for none.
 * @param options - passed to `ws` (headers, e.g. `origin` or `authorization`).
 * @throws the socket's error when the handshake is refused.
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

/**
 * Opens a raw socket, sends `connection_init` with `payload` and waits for `connection_ack`
 * (graphql-transport-ws handshake).
 *
 * @param url - the endpoint's `http://` or `ws://` URL.
 * @param payload - the `connection_init` payload; omitted from the message when undefined.
 * @throws when the socket cannot open or no ack arrives within 15 s.
 */
export async function openAcked(url: string, payload?: Record<string, unknown>): Promise<RawSocket> {
  const socket = await openRaw(url);
  socket.send(payload ? { type: 'connection_init', payload } : { type: 'connection_init' });
  await socket.waitMessage((m) => m.type === 'connection_ack', 'connection_ack');
  return socket;
}
