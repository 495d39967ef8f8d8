/** Options of {@link PubSub.subscribe}. */
export interface SubscribeOptions {
  /**
   * Resume: deliver, in order and each once, every event published after this event id (a client's
   * `extensions.lastEventId`, see `formatEventId` of `@roam/redis`), then live events.
   * @default live events only
   */
  readonly after?: string;
}

/** Receives one event: its payload and its id (`<channel>@<ms>-<seq>`, sent to clients as `extensions.eventId`). */
export type EventHandler = (payload: unknown, eventId: string) => void;

/**
 * A durable event log for subgraph events (e.g. `REVIEW_ADDED`), so that a mutation served by one
 * subgraph replica reaches subscribers connected to any replica, and a subscriber can resume after the
 * last event it received. Payloads are JSON values; every event gets an increasing id in its channel.
 */
export interface PubSub {
  /**
   * Appends `payload` to `channel`; every subscriber of every replica receives it.
   * @throws never for a transport failure: it is logged and the event is lost (the mutation already happened).
   */
  publish(channel: string, payload: unknown): Promise<void>;
  /**
   * Calls `handler` for every event of `channel` from now on, or after `options.after`.
   * @returns a function that stops the delivery (idempotent).
   * @throws GraphQLError `SUBSCRIPTION_RESUME_INVALID` (malformed id, another channel's, or beyond the newest
   *   event) or `SUBSCRIPTION_RESUME_GAP` (events after it are past the retention window).
   */
  subscribe(channel: string, handler: EventHandler, options?: SubscribeOptions): Promise<() => Promise<void>>;
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
