import { LRUCache } from 'lru-cache';
import type { ClientScope, LookupResult, PersistedOperationInput, PersistedQueryStore, PushResult, RevocationListener, StoredOperation } from './types';

/** Options of {@link CachedPersistedQueryStore}. */
export interface CachedStoreOptions {
  /** Most lookups kept in process memory. @default 10000 */
  readonly maxEntries?: number;
}

/**
 * An in-process LRU (lru-cache) in front of another store. Only found ids are cached (a miss always
 * asks the store, so an operation registered on another replica is found at once). Revocations
 * broadcast by the inner store (Redis pub/sub) delete the ids from this cache; `'all'` clears it.
 * Writes go to the inner store and then drop the ids locally. A cached id keeps answering while the
 * inner store is unreachable, which is what lets safelist mode serve known operations during an outage.
 */
export class CachedPersistedQueryStore implements PersistedQueryStore {
  private readonly cache: LRUCache<string, LookupResult>;
  private unsubscribe: (() => Promise<void>) | undefined;

  /** @param inner - the store to cache; this wrapper closes it on {@link close}. */
  constructor(
    private readonly inner: PersistedQueryStore,
    options: CachedStoreOptions = {},
  ) {
    this.cache = new LRUCache({ max: options.maxEntries ?? 10_000 });
  }

  /**
   * Subscribes to the inner store's revocations. Call once before serving.
   * @throws what the inner store's `onRevoke` throws.
   */
  async start(): Promise<void> {
    if (!this.unsubscribe) this.unsubscribe = await this.inner.onRevoke((ids) => this.forget(ids));
  }

  /** Number of ids in the local cache. */
  get size(): number {
    return this.cache.size;
  }

  private forget(ids: readonly string[] | 'all'): void {
    if (ids === 'all') this.cache.clear();
    else for (const id of ids) this.cache.delete(id);
  }

  async lookup(id: string): Promise<LookupResult> {
    const hit = this.cache.get(id);
    if (hit) return hit;
    const found = await this.inner.lookup(id);
    if (found.operation || found.automaticBody !== undefined) this.cache.set(id, found);
    return found;
  }

  async push(operations: readonly PersistedOperationInput[], scope?: ClientScope): Promise<PushResult> {
    const result = await this.inner.push(operations, scope);
    this.forget(operations.map((o) => o.id));
    return result;
  }

  async putAutomatic(id: string, body: string, ttlSeconds: number): Promise<void> {
    this.cache.delete(id);
    await this.inner.putAutomatic(id, body, ttlSeconds);
  }

  list(filter?: { readonly clientName?: string }): Promise<StoredOperation[]> {
    return this.inner.list(filter);
  }

  async revoke(id: string): Promise<boolean> {
    const removed = await this.inner.revoke(id);
    this.forget([id]);
    return removed;
  }

  async revokeClient(clientName: string, clientVersion?: string): Promise<string[]> {
    const ids = await this.inner.revokeClient(clientName, clientVersion);
    this.forget(ids);
    return ids;
  }

  onRevoke(listener: RevocationListener): Promise<() => Promise<void>> {
    return this.inner.onRevoke(listener);
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
    this.cache.clear();
    await this.inner.close();
  }
}
