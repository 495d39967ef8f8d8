import type { ListState } from '@roam/subgraph-lists/dist/crdt';
import type { LocalStore, PendingChange, SyncMeta } from './LocalStore';

/** A {@link LocalStore} in memory (tests, and apps that persist elsewhere); lost when the process exits. */
export class MemoryStore implements LocalStore {
  private storedMeta: SyncMeta | undefined;
  private readonly lists = new Map<string, ListState>();
  private queue: PendingChange[] = [];

  meta(): SyncMeta | undefined {
    return this.storedMeta;
  }

  confirmed(): Map<string, ListState> {
    return new Map(this.lists);
  }

  pending(): PendingChange[] {
    return [...this.queue];
  }

  enqueue(change: PendingChange, meta: SyncMeta): void {
    this.queue.push(change);
    this.storedMeta = meta;
  }

  applyPull(lists: readonly ListState[], acknowledgedThrough: number, meta: SyncMeta): void {
    for (const list of lists) this.lists.set(list.id, list);
    this.queue = this.queue.filter((c) => c.id > acknowledgedThrough);
    this.storedMeta = meta;
  }

  saveMeta(meta: SyncMeta): void {
    this.storedMeta = meta;
  }

  close(): void {}
}
