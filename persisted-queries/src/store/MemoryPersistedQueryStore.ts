import { compareScopes, parseScopeToken, scopeToken } from './scopeToken';
import {
  ConflictingOperationError,
  type ClientScope,
  type LookupResult,
  type PersistedOperationInput,
  type PersistedQueryStore,
  type PushResult,
  type RevocationListener,
  type StoredOperation,
} from './types';

interface Entry {
  readonly op: PersistedOperationInput;
  readonly tokens: Set<string>;
}

/**
 * The embedded store: everything in this process's memory, lost on exit. Used when `REDIS_URL` is
 * unset (one gateway, `npm start`). Revocations reach listeners of this instance only.
 */
export class MemoryPersistedQueryStore implements PersistedQueryStore {
  private readonly operations = new Map<string, Entry>();
  private readonly automatic = new Map<string, { body: string; expiresAt: number }>();
  private readonly listeners = new Set<RevocationListener>();

  async lookup(id: string): Promise<LookupResult> {
    const entry = this.operations.get(id);
    const auto = this.automatic.get(id);
    if (auto && auto.expiresAt <= Date.now()) this.automatic.delete(id);
    const automaticBody = auto && auto.expiresAt > Date.now() ? auto.body : undefined;
    return { ...(entry ? { operation: toStored(entry) } : {}), ...(automaticBody !== undefined ? { automaticBody } : {}) };
  }

  async push(operations: readonly PersistedOperationInput[], scope: ClientScope = {}): Promise<PushResult> {
    for (const op of operations) {
      const existing = this.operations.get(op.id);
      if (existing && existing.op.body !== op.body) throw new ConflictingOperationError(`Operation ${op.id} is already registered with a different text.`);
    }
    let added = 0;
    const token = scopeToken(scope);
    for (const op of operations) {
      const existing = this.operations.get(op.id);
      if (existing) existing.tokens.add(token);
      else {
        added++;
        this.operations.set(op.id, { op: { id: op.id, body: op.body, ...(op.name ? { name: op.name } : {}), ...(op.type ? { type: op.type } : {}) }, tokens: new Set([token]) });
      }
    }
    const ids = [...new Set(operations.map((o) => o.id))];
    this.emit(ids);
    return { added, existing: ids.length - added };
  }

  async putAutomatic(id: string, body: string, ttlSeconds: number): Promise<void> {
    this.automatic.set(id, { body, expiresAt: ttlSeconds > 0 ? Date.now() + ttlSeconds * 1000 : Number.POSITIVE_INFINITY });
  }

  async list(filter: { readonly clientName?: string } = {}): Promise<StoredOperation[]> {
    return [...this.operations.values()]
      .map(toStored)
      .filter((op) => filter.clientName === undefined || op.clients.some((c) => c.clientName === filter.clientName))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async revoke(id: string): Promise<boolean> {
    const removed = this.operations.delete(id) || this.automatic.delete(id);
    this.automatic.delete(id);
    if (removed) this.emit([id]);
    return removed;
  }

  async revokeClient(clientName: string, clientVersion?: string): Promise<string[]> {
    const affected: string[] = [];
    for (const [id, entry] of this.operations) {
      let hit = false;
      for (const token of [...entry.tokens]) {
        const s = parseScopeToken(token);
        if (s.clientName === clientName && (clientVersion === undefined || s.clientVersion === clientVersion)) {
          entry.tokens.delete(token);
          hit = true;
        }
      }
      if (!hit) continue;
      affected.push(id);
      if (entry.tokens.size === 0) this.operations.delete(id);
    }
    affected.sort();
    if (affected.length > 0) this.emit(affected);
    return affected;
  }

  async onRevoke(listener: RevocationListener): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    return async () => {
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  private emit(ids: readonly string[]): void {
    for (const listener of this.listeners) listener(ids);
  }
}

function toStored(entry: Entry): StoredOperation {
  return { ...entry.op, clients: [...entry.tokens].map(parseScopeToken).sort(compareScopes) };
}
