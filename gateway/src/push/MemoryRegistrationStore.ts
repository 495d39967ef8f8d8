import { ownerOf, type AppState, type PushPlatform, type PushRegistration, type PushSubscriptionSpec } from './PushRegistration';
import type { PutResult, RegistrationStore } from './RegistrationStore';

/** One process's registrations (`npm start`, no `REDIS_URL`): lost on restart. */
export class MemoryRegistrationStore implements RegistrationStore {
  private readonly registrations = new Map<string, PushRegistration>();
  private readonly live = new Map<string, number>();
  private readonly cursors = new Map<string, string>();

  async put(registration: PushRegistration): Promise<PutResult> {
    const existing = this.registrations.get(registration.id);
    const stored = existing ? { ...existing, state: registration.state } : registration;
    this.registrations.set(stored.id, stored);
    return { created: !existing, registration: stored };
  }

  async get(id: string): Promise<PushRegistration | undefined> {
    return this.registrations.get(id);
  }

  async delete(id: string): Promise<PushRegistration | undefined> {
    const existing = this.registrations.get(id);
    this.registrations.delete(id);
    this.pruneCursors();
    return existing;
  }

  async setState(id: string, state: AppState): Promise<PushRegistration | undefined> {
    const existing = this.registrations.get(id);
    if (!existing) return undefined;
    const updated = { ...existing, state };
    this.registrations.set(id, updated);
    return updated;
  }

  async setLastEventId(id: string, eventId: string): Promise<void> {
    const existing = this.registrations.get(id);
    if (existing) this.registrations.set(id, { ...existing, lastEventId: eventId });
  }

  async countByToken(platform: PushPlatform, token: string): Promise<number> {
    let n = 0;
    for (const r of this.registrations.values()) if (r.platform === platform && r.token === token) n++;
    return n;
  }

  async countByOwner(owner: string): Promise<number> {
    let n = 0;
    for (const r of this.registrations.values()) if (ownerOf(r) === owner) n++;
    return n;
  }

  async bySubscription(subscriptionKey: string): Promise<PushRegistration[]> {
    return [...this.registrations.values()].filter((r) => r.subscriptionKey === subscriptionKey);
  }

  async subscriptions(): Promise<PushSubscriptionSpec[]> {
    const specs = new Map<string, PushSubscriptionSpec>();
    for (const r of this.registrations.values()) {
      specs.set(r.subscriptionKey, { key: r.subscriptionKey, documentId: r.documentId, operationName: r.operationName, variables: r.variables, clientName: r.clientName });
    }
    return [...specs.values()];
  }

  async deleteToken(platform: PushPlatform, token: string): Promise<string[]> {
    return this.deleteWhere((r) => r.platform === platform && r.token === token);
  }

  async deleteSubscription(subscriptionKey: string): Promise<string[]> {
    return this.deleteWhere((r) => r.subscriptionKey === subscriptionKey);
  }

  setLive(id: string, live: boolean): void {
    const count = (this.live.get(id) ?? 0) + (live ? 1 : -1);
    if (count > 0) this.live.set(id, count);
    else this.live.delete(id);
  }

  async liveAmong(ids: readonly string[]): Promise<Set<string>> {
    return new Set(ids.filter((id) => this.live.has(id)));
  }

  /** One process: it always holds every lease. */
  async lease(): Promise<boolean> {
    return true;
  }

  async releaseLease(): Promise<void> {}

  async setCursor(subscriptionKey: string, _owner: string, eventId: string): Promise<boolean> {
    if (!this.hasSubscription(subscriptionKey)) return false;
    this.cursors.set(subscriptionKey, eventId);
    return true;
  }

  async cursor(subscriptionKey: string): Promise<string | undefined> {
    return this.cursors.get(subscriptionKey);
  }

  async close(): Promise<void> {
    this.live.clear();
  }

  private deleteWhere(match: (r: PushRegistration) => boolean): string[] {
    const removed = [...this.registrations.values()].filter(match).map((r) => r.id);
    for (const id of removed) this.registrations.delete(id);
    this.pruneCursors();
    return removed;
  }

  private hasSubscription(subscriptionKey: string): boolean {
    for (const r of this.registrations.values()) if (r.subscriptionKey === subscriptionKey) return true;
    return false;
  }

  /** A subscription's resume point goes with its last registration (a new one starts live). */
  private pruneCursors(): void {
    for (const key of this.cursors.keys()) if (!this.hasSubscription(key)) this.cursors.delete(key);
  }
}
