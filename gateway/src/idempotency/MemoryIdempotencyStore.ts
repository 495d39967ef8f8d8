import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Claim, IdempotencyStore, StoredResponse } from './IdempotencyStore';

interface Lease {
  readonly token: string;
  readonly fingerprint: string;
  expiresAt: number;
}

interface Done {
  readonly fingerprint: string;
  readonly response: StoredResponse;
}

/**
 * {@link IdempotencyStore} in this process's memory (`npm start` without `REDIS_URL`): the same semantics as
 * Redis for one replica. Responses (and leases) are kept in LRUs of at most `maxEntries`, responses with a per-entry
 * TTL, so memory is bounded; an evicted response makes a late retry execute again.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly kind = 'memory';
  /** Leases being held; bounded too, so a lease whose response is never handed over (a bug) cannot pile up. */
  private readonly leases: LRUCache<string, Lease>;
  private readonly responses: LRUCache<string, Done>;

  /** @param maxEntries - most stored responses kept. @default 100000 */
  constructor(maxEntries = 100_000) {
    this.responses = new LRUCache<string, Done>({ max: maxEntries, ttlAutopurge: false });
    this.leases = new LRUCache<string, Lease>({ max: maxEntries });
  }

  async claim(id: string, fingerprint: string, leaseMs: number): Promise<Claim> {
    const done = this.responses.get(id);
    if (done) return { kind: 'stored', fingerprint: done.fingerprint, response: done.response };
    const now = Date.now();
    const lease = this.leases.get(id);
    if (lease && lease.expiresAt > now) return { kind: 'in-progress', fingerprint: lease.fingerprint, leaseLeftMs: lease.expiresAt - now };
    const token = randomUUID();
    this.leases.set(id, { token, fingerprint, expiresAt: now + leaseMs });
    return { kind: 'acquired', token };
  }

  async renew(id: string, token: string, leaseMs: number): Promise<boolean> {
    const lease = this.leases.get(id);
    if (!lease || lease.token !== token || lease.expiresAt <= Date.now()) return false;
    lease.expiresAt = Date.now() + leaseMs;
    return true;
  }

  async complete(id: string, token: string, fingerprint: string, response: StoredResponse, ttlMs: number): Promise<void> {
    if (!this.responses.has(id)) this.responses.set(id, { fingerprint, response }, { ttl: ttlMs });
    await this.release(id, token);
  }

  async release(id: string, token: string): Promise<void> {
    if (this.leases.get(id)?.token === token) this.leases.delete(id);
  }

  async close(): Promise<void> {
    this.leases.clear();
    this.responses.clear();
  }
}
