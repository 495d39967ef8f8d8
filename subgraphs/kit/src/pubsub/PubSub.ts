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
  /**
   * Tells the gateways' response caches that entities changed (README "Response cache and delta updates"):
   * publishes `invalidation` on `<REDIS_PREFIX>cache:invalidate`, where every gateway replica with
   * `RESPONSE_CACHE=on` (and the default `RESPONSE_CACHE_KEY_PREFIX`) drops the responses holding them.
   * Absent on the in-memory bus (no gateway can hear it).
   * @param invalidation - `entities` as `Type:key`, e.g. `Product:1`; `types` by typename.
   * @throws never: a transport failure is logged and the invalidation lost (the responses live until their `max-age`).
   */
  invalidateCache?(invalidation: { readonly entities?: readonly string[]; readonly types?: readonly string[] }): Promise<void>;
  /** Closes connections; later publishes are dropped. */
  close(): Promise<void>;
}
