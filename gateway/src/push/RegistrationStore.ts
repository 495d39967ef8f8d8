import type { AppState, PushPlatform, PushRegistration, PushSubscriptionSpec } from './PushRegistration';

/** What {@link RegistrationStore.put} did. */
export interface PutResult {
  /** False when the same device had already registered for the same subscription (its state was updated). */
  readonly created: boolean;
  /** The registration as stored (first `createdAt` and `lastEventId` kept). */
  readonly registration: PushRegistration;
}

/**
 * Where push registrations live: {@link MemoryRegistrationStore} under `npm start` (no `REDIS_URL`),
 * {@link RedisRegistrationStore} when replicas share Redis. Both keep, besides the registrations, an index by
 * server-side subscription and by device token, and which registrations have a live WebSocket ("presence").
 *
 * Every method rejects with `RedisUnavailableError` (`@roam/redis`) when Redis does not answer in time; the
 * memory store never rejects.
 */
export interface RegistrationStore {
  /** Stores a registration (or updates the state of the same device's registration for the same subscription). */
  put(registration: PushRegistration): Promise<PutResult>;
  /** @returns the registration, or undefined. */
  get(id: string): Promise<PushRegistration | undefined>;
  /** Removes one registration (and its subscription when it was the last). @returns the removed registration, or undefined. */
  delete(id: string): Promise<PushRegistration | undefined>;
  /** @returns the updated registration, or undefined when there is none. */
  setState(id: string, state: AppState): Promise<PushRegistration | undefined>;
  /** Records the id of the last event pushed to a registration (a no-op when it is gone). */
  setLastEventId(id: string, eventId: string): Promise<void>;
  /** @returns how many registrations one device token has (the per-token cap, README "Security"). */
  countByToken(platform: PushPlatform, token: string): Promise<number>;
  /** @returns how many registrations one owner ({@link ownerOf}) has (the per-subject cap). */
  countByOwner(owner: string): Promise<number>;
  /** @returns the registrations of one server-side subscription. */
  bySubscription(subscriptionKey: string): Promise<PushRegistration[]>;
  /** @returns every server-side subscription that has at least one registration. */
  subscriptions(): Promise<PushSubscriptionSpec[]>;
  /** Removes every registration of a device token (APNs 410, FCM `UNREGISTERED`). @returns the removed ids. */
  deleteToken(platform: PushPlatform, token: string): Promise<string[]>;
  /** Removes every registration of one subscription (its persisted document was revoked). @returns the removed ids. */
  deleteSubscription(subscriptionKey: string): Promise<string[]>;
  /** A WebSocket naming this registration opened (`live` true) or closed (false) on this process. */
  setLive(id: string, live: boolean): void;
  /** @returns which of `ids` have a live WebSocket on any replica. */
  liveAmong(ids: readonly string[]): Promise<Set<string>>;
  /**
   * Takes or renews the lease on running one server-side subscription (one replica runs each, so a device gets
   * each event once however many replicas there are).
   * @param owner - this replica's id.
   * @param ttlMs - how long the lease lasts without renewal, in ms.
   * @returns whether `owner` holds it now.
   */
  lease(subscriptionKey: string, owner: string, ttlMs: number): Promise<boolean>;
  /**
   * Records the id of the last event of a server-side subscription handed to the dispatcher (its resume point,
   * `extensions.eventId`), only while `owner` holds the subscription's lease, so a replica that lost it cannot
   * move the point back. Removed with the subscription's last registration.
   * @returns whether it was recorded.
   */
  setCursor(subscriptionKey: string, owner: string, eventId: string): Promise<boolean>;
  /** @returns the last event id recorded by {@link setCursor} for a subscription, or undefined (start live). */
  cursor(subscriptionKey: string): Promise<string | undefined>;
  /** Gives a lease up (when the subscription stops here). Never rejects. */
  releaseLease(subscriptionKey: string, owner: string): Promise<void>;
  /** Releases connections and timers. */
  close(): Promise<void>;
}
