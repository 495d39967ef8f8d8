import WebSocket from 'ws';
import { LAST_EVENT_ID_EXTENSION, EVENT_ID_EXTENSION } from '@roam/redis';
import { waitFor, wsUrl } from '@roam/testkit';

/** One subscription over its own raw graphql-transport-ws socket that records events and can move to another replica, resuming. */
export class ResumingSubscriber {
  /** Every `next` payload received, across reconnects, in arrival order. */
  readonly events: { data?: any; errors?: any[]; extensions?: Record<string, unknown> }[] = [];
  /** Terminal `error` payloads received. */
  readonly errors: any[] = [];
  private ws: WebSocket | undefined;

  constructor(
    private readonly query: string,
    readonly variables: Record<string, unknown> = {},
  ) {}

  /** The last `extensions.eventId` received. */
  get lastEventId(): string | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const id = this.events[i]!.extensions?.[EVENT_ID_EXTENSION];
      if (typeof id === 'string') return id;
    }
    return undefined;
  }

  /**
   * Connects to `url` (waits for `connection_ack`) and subscribes; resumes after `lastEventId` when given.
   * @param lastEventId - `extensions.lastEventId` of the subscribe payload. @default none (live)
   */
  async connect(url: string, lastEventId?: string): Promise<void> {
    const ws = new WebSocket(wsUrl(url), 'graphql-transport-ws');
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { type: string; payload?: any };
        if (m.type === 'connection_ack') {
          ws.send(
            JSON.stringify({
              id: '1',
              type: 'subscribe',
              payload: { query: this.query, variables: this.variables, ...(lastEventId !== undefined ? { extensions: { [LAST_EVENT_ID_EXTENSION]: lastEventId } } : {}) },
            }),
          );
          resolve();
        } else if (m.type === 'next') this.events.push(m.payload);
        else if (m.type === 'error') this.errors.push(m.payload);
        else if (m.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
      });
      ws.once('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: {} })));
    });
  }

  /** Closes the socket (as a phone losing its network would, from the client side) and waits for the close. */
  async drop(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === ws.CLOSED) return;
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    ws.terminate();
    await closed;
  }

  /** Waits until `n` events (or an error) arrived. */
  async waitEvents(n: number, timeoutMs = 15_000): Promise<void> {
    await waitFor(() => this.events.length >= n || this.errors.length > 0, `${n} events (have ${this.events.length})`, timeoutMs);
  }

  /** Waits for a terminal `error` and returns its first error's `extensions.code`. */
  async errorCode(): Promise<unknown> {
    await waitFor(() => this.errors.length > 0, 'an error message');
    return this.errors[0]?.[0]?.extensions?.code;
  }
}
