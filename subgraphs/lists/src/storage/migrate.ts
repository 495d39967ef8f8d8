import type { Database } from './Database';

/** One schema migration: applied once, in `version` order, in its own transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The lists schema, the same SQL on PostgreSQL and PGlite.
 * - `changes`: the append-only log; `seq` (server-assigned, monotonic in commit order because pushes hold
 *   one advisory lock) is the pull cursor; `(client_id, change_id)` is unique, so a change is stored once.
 * - `clients`: per device, the last applied change id, written in the push transaction.
 * - `lists`, `list_access`: the projection of the log (each list's merged state, who can see it).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'change log, clients, list projection',
    sql: `
      CREATE TABLE changes (
        seq bigserial PRIMARY KEY,
        client_id text NOT NULL,
        change_id integer NOT NULL,
        user_id text NOT NULL,
        list_id text NOT NULL,
        hlc text NOT NULL,
        op jsonb NOT NULL,
        outcome text NOT NULL,
        UNIQUE (client_id, change_id)
      );
      CREATE INDEX changes_list_seq ON changes (list_id, seq);
      CREATE TABLE clients (
        client_id text PRIMARY KEY,
        user_id text NOT NULL,
        last_change_id integer NOT NULL
      );
      CREATE TABLE lists (
        list_id text PRIMARY KEY,
        owner_id text NOT NULL,
        state jsonb NOT NULL,
        last_seq bigint NOT NULL
      );
      CREATE TABLE list_access (
        list_id text NOT NULL,
        user_id text NOT NULL,
        PRIMARY KEY (user_id, list_id)
      );
    `,
  },
];

/**
 * Brings the schema up to the last {@link MIGRATIONS} version. Safe to run from several processes at once
 * (an advisory lock serialises them) and again on every start.
 * @returns the versions applied now (empty when up to date).
 */
export async function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
  const applied: number[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (sql) => {
      await sql.query('SELECT pg_advisory_xact_lock(761300)');
      const { rows } = await sql.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (rows.length > 0) return false;
      for (const statement of m.sql
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean))
        await sql.query(statement);
      await sql.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}
