/**
 * A publish/subscribe bus for subgraph events (e.g. `REVIEW_ADDED`), so that a mutation served by one
 * subgraph replica reaches subscribers connected to any replica. Payloads are JSON values.
 */
export interface PubSub {
  /**
   * Publishes `payload` on `channel` to every subscriber of every replica.
   * @throws never for a transport failure: it is logged and the event is lost (at-most-once delivery).
   */
  publish(channel: string, payload: unknown): Promise<void>;
  /**
   * Calls `handler` for every payload published on `channel` from now on.
   * @returns a function that stops the delivery (idempotent).
   */
  subscribe(channel: string, handler: (payload: unknown) => void): Promise<() => Promise<void>>;
  /** Closes connections; later publishes are dropped. */
  close(): Promise<void>;
}
