import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  applyChange,
  type Change,
  type ChangeOp,
  changeOpFields,
  encodeHlc,
  type Hlc,
  type ListState,
  type ListView,
  observedItemTags,
  observedMemberTags,
  parseChangeOp,
  type ChangeOpFields,
  parseHlc,
  receiveHlc,
  tickHlc,
  UnknownListError,
  viewOf,
} from '@roam/subgraph-lists/dist/crdt';
import type { LocalStore, PendingChange, SyncMeta } from './LocalStore';
import { LIST_CHANGES, PULL_CHANGES, PUSH_CHANGES, type PullData, type PushData } from './operations';
import { type FetchLike, isRetryable, type PersistedMode, persistedQueryExtension, postGraphQL, SyncRequestError } from './transport';

/** Sync status of one list on this device. */
export type ListSyncStatus = 'synced' | 'pending' | 'conflict';

/** Options of {@link SyncEngine}. */
export interface SyncEngineOptions {
  /** The gateway's GraphQL URL, e.g. `http://127.0.0.1:4000/graphql`. */
  readonly url: string;
  readonly store: LocalStore;
  /** The signed-in user (owner of lists created here); @default "1" */
  readonly userId?: string;
  /** Transport; @default the global `fetch` */
  readonly fetch?: FetchLike;
  /** Wall clock in ms; @default Date.now */
  readonly nowMs?: () => number;
  /** Most changes per push request; @default 500 */
  readonly pushBatchSize?: number;
  /** Changes per pull page; @default 500 */
  readonly pullPageSize?: number;
  /** Attempts per request before `sync()` rejects; @default 5 */
  readonly attempts?: number;
  /** First retry delay in ms, doubled per attempt (with ±50% jitter); @default 100 */
  readonly retryBaseDelayMs?: number;
  /** Longest retry delay in ms; @default 5000 */
  readonly retryMaxDelayMs?: number;
  /** Period of the periodic trigger started by `start()`, in ms; @default 30000 */
  readonly syncIntervalMs?: number;
  /** `hash` sends persisted ids (APQ, or the gateway's safelist after `roam-pq push clients/sync/persisted-operations.json`); @default "text" */
  readonly persistedQueries?: PersistedMode;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The client sync engine: local edits apply at once (optimistically) and queue as changes with gap-free ids;
 * `sync()` pushes the queue (retrying with backoff, resending the same ids, which the server applies once) and
 * pulls the server log from the stored cursor into the confirmed state; what a list shows is the confirmed state
 * with the still-pending changes replayed on top (rebase). The server's log order decides, so every device that
 * has pulled everything shows the same lists.
 *
 * Triggers: `start()` syncs at once and every `syncIntervalMs`; call `online()` when the network comes back and
 * `poke()` on a live notification (`watch()` subscribes to `listChanges` over graphql-ws and pokes).
 */
export class SyncEngine {
  private readonly store: LocalStore;
  private readonly fetchFn: FetchLike;
  private readonly nowMs: () => number;
  private readonly userId: string;
  private meta: SyncMeta;
  private confirmed: Map<string, ListState>;
  private pendingChanges: PendingChange[];
  /** Highest id the server acknowledged in a push (not yet dropped: dropped when a pull shows its effect). */
  private pushedThrough = 0;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SyncEngineOptions) {
    this.store = options.store;
    this.fetchFn = options.fetch ?? ((url, init) => fetch(url, init));
    this.nowMs = options.nowMs ?? Date.now;
    this.userId = options.userId ?? '1';
    const stored = this.store.meta();
    this.meta = stored ?? { clientId: randomUUID(), nextChangeId: 1, cursor: 0, lastHlc: undefined };
    if (!stored) this.store.saveMeta(this.meta);
    this.confirmed = this.store.confirmed();
    this.pendingChanges = this.store.pending();
  }

  /** This device's id. */
  get clientId(): string {
    return this.meta.clientId;
  }

  /** Changes made here and not yet acknowledged, oldest first. */
  pending(): readonly PendingChange[] {
    return this.pendingChanges;
  }

  /** @returns the lists as this device shows them (confirmed + pending), including deleted ones, sorted by id. */
  lists(): ListView[] {
    return [...this.localStates().values()].map(viewOf).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** @returns one list as shown here, or undefined. */
  list(listId: string): ListView | undefined {
    const state = this.localStates().get(listId);
    return state && viewOf(state);
  }

  /** @returns `conflict` when the list has unresolved note conflicts, else `pending` while it has unacknowledged changes, else `synced`. */
  status(listId: string): ListSyncStatus {
    if ((this.list(listId)?.conflicts.length ?? 0) > 0) return 'conflict';
    return this.pendingChanges.some((c) => c.listId === listId) ? 'pending' : 'synced';
  }

  /** Creates a list owned by the signed-in user. @returns its new id. */
  createList(title: string, listId: string = randomUUID()): string {
    this.mutate(listId, { kind: 'CREATE_LIST', title });
    return listId;
  }
  setTitle(listId: string, title: string): void {
    this.mutate(listId, { kind: 'SET_TITLE', title });
  }
  setArchived(listId: string, archived: boolean): void {
    this.mutate(listId, { kind: 'SET_ARCHIVED', archived });
  }
  deleteList(listId: string): void {
    this.mutate(listId, { kind: 'DELETE_LIST' });
  }
  addItem(listId: string, upc: string, quantity = 1): void {
    this.mutate(listId, { kind: 'ADD_ITEM', upc, quantity });
  }
  /** Removes the item as seen here (a concurrent add elsewhere survives). */
  removeItem(listId: string, upc: string): void {
    const state = this.localStates().get(listId);
    this.mutate(listId, { kind: 'REMOVE_ITEM', upc, observed: state ? observedItemTags(state, upc) : [] });
  }
  incrementQuantity(listId: string, upc: string, delta: number): void {
    this.mutate(listId, { kind: 'INCREMENT_QUANTITY', upc, delta });
  }
  setChecked(listId: string, upc: string, checked: boolean): void {
    this.mutate(listId, { kind: 'SET_CHECKED', upc, checked });
  }
  /** Replaces the note; merged three-way on the server against the note shown here now. */
  editNote(listId: string, text: string): void {
    this.mutate(listId, { kind: 'EDIT_NOTE', base: this.list(listId)?.note ?? '', text });
  }
  resolveConflict(listId: string, conflictId: string, text: string): void {
    this.mutate(listId, { kind: 'RESOLVE_CONFLICT', conflictId, text });
  }
  addMember(listId: string, userId: string): void {
    this.mutate(listId, { kind: 'ADD_MEMBER', userId });
  }
  removeMember(listId: string, userId: string): void {
    const state = this.localStates().get(listId);
    this.mutate(listId, { kind: 'REMOVE_MEMBER', userId, observed: state ? observedMemberTags(state, userId) : [] });
  }

  /**
   * Pushes every pending change, then pulls until the log is exhausted. Concurrent calls share one run (and one
   * more run follows when a call arrives during a run).
   * @throws the last error when a request still fails after `attempts` tries, or at once for a final refusal.
   */
  sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<void> => {
      do {
        this.again = false;
        await this.withRetry(() => this.push());
        await this.withRetry(() => this.pull());
      } while (this.again);
    };
    this.running = run().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Starts the triggers: a sync now and every `syncIntervalMs` (errors are left for the next trigger). */
  start(): void {
    this.stop();
    void this.sync().catch(() => undefined);
    this.timer = setInterval(() => void this.sync().catch(() => undefined), this.options.syncIntervalMs ?? 30_000);
    this.timer.unref();
  }

  /** Trigger: the network is back. @returns the sync. */
  online(): Promise<void> {
    return this.sync();
  }

  /** Trigger: a live notification said the server has news. @returns the sync. */
  poke(): Promise<void> {
    return this.sync();
  }

  /** Stops the periodic trigger. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Trigger: subscribes to `listChanges` from the current cursor over graphql-ws (the gateway's WebSocket) and
   * syncs on every event (the event only says "pull now", as Replicache's poke). graphql-ws reconnects on its own;
   * each reconnect resubscribes from the cursor then stored.
   * @param wsUrl - e.g. `ws://127.0.0.1:4000/graphql`.
   * @returns a function that ends the subscription and closes the socket.
   */
  watch(wsUrl: string): () => Promise<void> {
    const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: Infinity, lazy: false });
    let stopped = false;
    const subscribe = (): void => {
      if (stopped) return;
      client.subscribe(
        { query: LIST_CHANGES, variables: { since: String(this.meta.cursor) }, ...(this.options.persistedQueries === 'hash' ? { extensions: persistedQueryExtension(LIST_CHANGES) } : {}) },
        {
          next: () => void this.poke().catch(() => undefined),
          error: () => setTimeout(subscribe, 1000).unref(),
          complete: () => undefined,
        },
      );
    };
    subscribe();
    return async () => {
      stopped = true;
      await client.dispose();
    };
  }

  /** One push pass: every pending change not yet acknowledged, in batches. */
  private async push(): Promise<void> {
    const batchSize = this.options.pushBatchSize ?? 500;
    for (;;) {
      const batch = this.pendingChanges.filter((c) => c.id > this.pushedThrough).slice(0, batchSize);
      if (batch.length === 0) return;
      const changes = batch.map((c) => ({ id: c.id, listId: c.listId, hlc: c.hlc, ...changeOpFields(c.op) }));
      let data: PushData;
      try {
        data = await postGraphQL<PushData>(this.fetchFn, this.options.url, PUSH_CHANGES, { clientId: this.meta.clientId, changes }, this.options.persistedQueries);
      } catch (error) {
        // The server is missing changes it acknowledged before (e.g. lost in a database crash): the retry resends
        // the whole queue (still held until a pull shows each change), and the server skips what it has.
        if (error instanceof SyncRequestError && error.code === 'CHANGE_ID_GAP') this.pushedThrough = 0;
        throw error;
      }
      this.pushedThrough = Math.max(this.pushedThrough, data.pushChanges.lastChangeId);
    }
  }

  /** Pulls pages from the stored cursor until `hasMore` is false, saving each page atomically. */
  private async pull(): Promise<void> {
    for (;;) {
      const since = this.meta.cursor;
      const { pullChanges: page } = await postGraphQL<PullData>(
        this.fetchFn,
        this.options.url,
        PULL_CHANGES,
        { clientId: this.meta.clientId, since: String(since), limit: this.options.pullPageSize ?? 500 },
        this.options.persistedQueries,
      );
      if (this.meta.cursor !== since) continue; // another pull moved on meanwhile
      const touched = new Map<string, ListState>();
      let ownThrough = 0;
      let hlc = this.meta.lastHlc ? parseHlc(this.meta.lastHlc) : undefined;
      for (const wire of page.changes) {
        const change: Change = { clientId: wire.clientId, changeId: wire.id, userId: wire.userId, listId: wire.listId, hlc: wire.hlc, op: parseChangeOp(wire as unknown as ChangeOpFields) };
        try {
          const next = applyChange(touched.get(change.listId) ?? this.confirmed.get(change.listId), change).state;
          touched.set(change.listId, next);
        } catch (error) {
          if (!(error instanceof UnknownListError)) throw error; // a list shared with us mid-history: its start is not ours to see
        }
        if (change.clientId === this.meta.clientId) ownThrough = Math.max(ownThrough, change.changeId);
        hlc = hlc ? receiveHlc(hlc, parseHlc(change.hlc), Math.max(this.nowMs(), parseHlc(change.hlc).wallMs), Number.MAX_SAFE_INTEGER) : { ...parseHlc(change.hlc), replica: this.meta.clientId };
      }
      const acknowledged = page.hasMore ? ownThrough : Math.max(ownThrough, page.lastChangeId);
      this.meta = { ...this.meta, cursor: Number(page.cursor), lastHlc: hlc ? encodeHlc({ ...hlc, replica: this.meta.clientId }) : this.meta.lastHlc };
      this.store.applyPull([...touched.values()], acknowledged, this.meta);
      for (const [id, state] of touched) this.confirmed.set(id, state);
      this.pendingChanges = this.pendingChanges.filter((c) => c.id > acknowledged);
      if (!page.hasMore) return;
    }
  }

  private async withRetry(fn: () => Promise<void>): Promise<void> {
    const attempts = this.options.attempts ?? 5;
    const base = this.options.retryBaseDelayMs ?? 100;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (attempt >= attempts || !isRetryable(error)) throw error;
        await sleep(Math.min(this.options.retryMaxDelayMs ?? 5000, base * 2 ** (attempt - 1)) * (0.5 + Math.random()));
      }
    }
  }

  private mutate(listId: string, op: ChangeOp): void {
    const last: Hlc = this.meta.lastHlc ? parseHlc(this.meta.lastHlc) : { wallMs: 0, counter: 0, replica: this.meta.clientId };
    const hlc = encodeHlc(tickHlc({ ...last, replica: this.meta.clientId }, this.nowMs()));
    const change: PendingChange = { id: this.meta.nextChangeId, listId, hlc, op };
    this.meta = { ...this.meta, nextChangeId: change.id + 1, lastHlc: hlc };
    this.store.enqueue(change, this.meta);
    this.pendingChanges.push(change);
  }

  /** Confirmed states with the pending changes replayed on top. */
  private localStates(): Map<string, ListState> {
    const states = new Map(this.confirmed);
    for (const c of this.pendingChanges) {
      try {
        states.set(c.listId, applyChange(states.get(c.listId), { clientId: this.meta.clientId, changeId: c.id, userId: this.userId, listId: c.listId, hlc: c.hlc, op: c.op }).state);
      } catch (error) {
        if (!(error instanceof UnknownListError)) throw error;
      }
    }
    return states;
  }
}
