/**
 * A response kept for an idempotency key: what the first execution answered, replayed byte for byte. For a single
 * HTTP operation it is the encoded HTTP response; for a batch entry or a WebSocket operation it is the entry's
 * result (status and JSON text).
 */
export interface StoredResponse {
  /** HTTP status sent. */
  readonly status: number;
  /** Response headers that describe the body and the result (lower-case names): `content-type`, `content-encoding`, `cache-control`, and those set by plugins. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body bytes as sent on the wire (compressed when `content-encoding` says so); the JSON text for an entry. */
  readonly body: Buffer;
}

/** What {@link IdempotencyStore.claim} found for a key. */
export type Claim =
  /** Nobody holds the key: the caller now holds its lease (`token`) and must execute, then {@link IdempotencyStore.complete}. */
  | { readonly kind: 'acquired'; readonly token: string }
  /** A response is stored for the key. `fingerprint` is the one of the request that produced it. */
  | { readonly kind: 'stored'; readonly fingerprint: string; readonly response: StoredResponse }
  /** Another request with the key holds the lease and is executing; it expires in `leaseLeftMs` unless renewed. */
  | { readonly kind: 'in-progress'; readonly fingerprint: string; readonly leaseLeftMs: number };

/**
 * Where idempotency records live: one record per (caller scope, key), identified by an opaque `id`. A record is
 * first a lease (taken atomically: only one of many concurrent claims gets `acquired`), then a stored response
 * that lives `ttlMs`. Implementations: Redis (shared by replicas) and memory (one process, `npm start`).
 */
export interface IdempotencyStore {
  /** `redis` or `memory`, for logs. */
  readonly kind: 'redis' | 'memory';
  /**
   * Looks the record up and, when there is none, takes its lease, atomically.
   * @param id - the record id (a digest of scope and key; safe in a Redis key).
   * @param fingerprint - the request's fingerprint, kept with the lease and the response.
   * @param leaseMs - how long the lease lives unless renewed or completed, in ms.
   * @throws RedisUnavailableError when the store cannot answer (the caller refuses the request with 503).
   */
  claim(id: string, fingerprint: string, leaseMs: number): Promise<Claim>;
  /**
   * Extends the lease while the execution runs.
   * @returns false when the lease is no longer held with `token` (expired, or taken over).
   * @throws RedisUnavailableError.
   */
  renew(id: string, token: string, leaseMs: number): Promise<boolean>;
  /**
   * Stores the response (unless one is stored already) and drops the lease if still held with `token`, in one atomic step.
   * @param ttlMs - how long the response is kept, in ms.
   * @throws RedisUnavailableError.
   */
  complete(id: string, token: string, fingerprint: string, response: StoredResponse, ttlMs: number): Promise<void>;
  /** Drops the lease if still held with `token` (nothing was executed). @throws RedisUnavailableError. */
  release(id: string, token: string): Promise<void>;
  /** Closes connections. Never throws. */
  close(): Promise<void>;
}
