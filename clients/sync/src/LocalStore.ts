import type { ChangeOp, ListState } from '@roam/subgraph-lists/dist/crdt';

/** A change made on this device and not yet acknowledged by the server. */
export interface PendingChange {
  readonly id: number;
  readonly listId: string;
  readonly hlc: string;
  readonly op: ChangeOp;
}

/** What a device keeps between runs. */
export interface SyncMeta {
  /** This device's id (also its HLC replica id). */
  readonly clientId: string;
  /** The id the next local change gets (1 for a new device). */
  readonly nextChangeId: number;
  /** Where the next pull starts (server log position; 0 = from the start). */
  readonly cursor: number;
  /** Encoded HLC of the latest local or received event. */
  readonly lastHlc: string | undefined;
}

/**
 * A device's persistent sync state: the confirmed lists (the server log replayed up to `cursor`), the queue of
 * pending local changes and {@link SyncMeta}. Every write is atomic: a crash leaves either the old or the new state.
 */
export interface LocalStore {
  /** @returns the stored meta, or undefined on a new device. */
  meta(): SyncMeta | undefined;
  /** @returns every confirmed list state, by id. */
  confirmed(): Map<string, ListState>;
  /** @returns the pending changes, oldest first. */
  pending(): PendingChange[];
  /** Appends a local change and saves `meta` (with its advanced `nextChangeId`) atomically. */
  enqueue(change: PendingChange, meta: SyncMeta): void;
  /**
   * Saves pulled state atomically: `lists` replace confirmed states of the same id, pending changes with
   * `id <= acknowledgedThrough` are dropped, `meta` is saved.
   */
  applyPull(lists: readonly ListState[], acknowledgedThrough: number, meta: SyncMeta): void;
  /** Saves `meta` alone (a new device). */
  saveMeta(meta: SyncMeta): void;
  close(): void;
}
