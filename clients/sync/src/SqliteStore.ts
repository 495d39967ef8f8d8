import Database from 'better-sqlite3';
import type { ListState } from '@roam/subgraph-lists/dist/crdt';
import type { LocalStore, PendingChange, SyncMeta } from './LocalStore';

/**
 * A {@link LocalStore} in a SQLite file through `better-sqlite3` (synchronous; each write is one transaction,
 * WAL journal), so queued changes survive the app being killed.
 * @param path - database file, or `:memory:`.
 */
export class SqliteStore implements LocalStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS lists (id TEXT PRIMARY KEY, state TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY, change TEXT NOT NULL);
    `);
  }

  meta(): SyncMeta | undefined {
    const row = this.db.prepare('SELECT v FROM meta WHERE k = ?').get('meta') as { v: string } | undefined;
    return row ? (JSON.parse(row.v) as SyncMeta) : undefined;
  }

  confirmed(): Map<string, ListState> {
    const rows = this.db.prepare('SELECT state FROM lists').all() as { state: string }[];
    return new Map(
      rows.map((r) => {
        const s = JSON.parse(r.state) as ListState;
        return [s.id, s];
      }),
    );
  }

  pending(): PendingChange[] {
    return (this.db.prepare('SELECT change FROM pending ORDER BY id').all() as { change: string }[]).map((r) => JSON.parse(r.change) as PendingChange);
  }

  enqueue(change: PendingChange, meta: SyncMeta): void {
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO pending (id, change) VALUES (?, ?)').run(change.id, JSON.stringify(change));
      this.writeMeta(meta);
    })();
  }

  applyPull(lists: readonly ListState[], acknowledgedThrough: number, meta: SyncMeta): void {
    this.db.transaction(() => {
      const put = this.db.prepare('INSERT INTO lists (id, state) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state');
      for (const list of lists) put.run(list.id, JSON.stringify(list));
      this.db.prepare('DELETE FROM pending WHERE id <= ?').run(acknowledgedThrough);
      this.writeMeta(meta);
    })();
  }

  saveMeta(meta: SyncMeta): void {
    this.writeMeta(meta);
  }

  close(): void {
    this.db.close();
  }

  private writeMeta(meta: SyncMeta): void {
    this.db.prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v').run('meta', JSON.stringify(meta));
  }
}
