/**
 * Who may run a registered operation. `clientName` undefined means every client (an unscoped
 * operation); a named scope matches requests whose `apollographql-client-name` equals it. The
 * version is bookkeeping for `roam-pq revoke --client-name … --client-version …`; it does not
 * restrict which app versions may run the operation.
 */
export interface ClientScope {
  readonly clientName?: string;
  readonly clientVersion?: string;
}

/** One operation to register (from a manifest): its id, exact text and optional metadata. */
export interface PersistedOperationInput {
  /** The id clients send: SHA-256 hex of `body` for hashed formats, any string for Relay ids. */
  readonly id: string;
  /** The exact document text; the gateway executes these bytes. */
  readonly body: string;
  /** Operation name, when the manifest gives one. */
  readonly name?: string;
  /** `query` | `mutation` | `subscription`, when the manifest gives it. */
  readonly type?: string;
}

/** A registered operation as stored, with every scope it was pushed under. */
export interface StoredOperation extends PersistedOperationInput {
  /** Scopes it was pushed under, at least one; `{}` (no client name) means unscoped. */
  readonly clients: readonly ClientScope[];
}

/** What a request-path lookup finds for one id. */
export interface LookupResult {
  /** The operation pushed with `roam-pq push`, if any (the safelist). */
  readonly operation?: StoredOperation;
  /** Text a client registered through the APQ protocol, if any (never part of the safelist). */
  readonly automaticBody?: string;
}

/** Counts returned by {@link PersistedQueryStore.push}. */
export interface PushResult {
  /** Ids that were not registered before. */
  readonly added: number;
  /** Ids that were already registered (their text is unchanged; the scope is added). */
  readonly existing: number;
}

/** Ids whose local cache entries must be dropped; `'all'` after a lost pub/sub subscription. */
export type RevocationListener = (ids: readonly string[] | 'all') => void;

/**
 * Where persisted operations live. Implemented by {@link MemoryPersistedQueryStore} (one process) and
 * {@link RedisPersistedQueryStore} (shared by every replica); {@link CachedPersistedQueryStore} puts an
 * LRU in front of either. All implementations pass one contract test suite.
 *
 * Methods reject with {@link StoreUnavailableError} when the backing service cannot answer within
 * its deadline; they never hang.
 */
export interface PersistedQueryStore {
  /** Request path: what is known about `id` (one round trip). */
  lookup(id: string): Promise<LookupResult>;
  /**
   * Registers operations under one scope (all of them or none: one transaction) and broadcasts the
   * ids like a revocation, so replicas drop cached entries whose scopes changed.
   * @throws StoreUnavailableError; Error when an id is already registered with a different text.
   */
  push(operations: readonly PersistedOperationInput[], scope?: ClientScope): Promise<PushResult>;
  /** Stores text registered through APQ. `ttlSeconds` 0 = no expiry. */
  putAutomatic(id: string, body: string, ttlSeconds: number): Promise<void>;
  /** Registered operations, sorted by id; only those with a scope of `clientName` when given. */
  list(filter?: { readonly clientName?: string }): Promise<StoredOperation[]>;
  /** Removes `id` entirely (list entry, every scope, APQ text) and broadcasts it. @returns whether anything was removed. */
  revoke(id: string): Promise<boolean>;
  /**
   * Removes a client scope (`clientVersion` undefined: every version of `clientName`) from every
   * operation; operations left without a scope are removed. Broadcasts the affected ids.
   * @returns the affected ids, sorted.
   */
  revokeClient(clientName: string, clientVersion?: string): Promise<string[]>;
  /**
   * Calls `listener` with the ids revoked or re-pushed anywhere (any process sharing the backend).
   * @returns a function that stops listening.
   */
  onRevoke(listener: RevocationListener): Promise<() => Promise<void>>;
  /** Releases connections and timers. */
  close(): Promise<void>;
}

/** Thrown when the store cannot answer within its deadline or is unreachable; retryable. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/** Thrown by `push` when an id is already registered with a different text. */
export class ConflictingOperationError extends Error {
  override readonly name = 'ConflictingOperationError';
}
