import { Pool } from 'pg';
import type { Database, QueryResult, SqlClient } from './Database';

/**
 * A {@link Database} on a PostgreSQL server through a `pg` pool.
 * @param connectionString - `postgres://user@host:port/db`.
 * @param maxConnections - pool size; @default 10
 */
export function openPgDatabase(connectionString: string, maxConnections = 10): Database {
  const pool = new Pool({ connectionString, max: maxConnections });
  // An idle client's error (the server restarted) must not crash the process: the pool replaces it.
  pool.on('error', () => undefined);
  const query = async <R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
    const result = await pool.query(text, params as unknown[] | undefined);
    return { rows: result.rows as R[] };
  };
  return {
    kind: 'pg',
    query,
    async exec(sql) {
      await pool.query(sql);
    },
    async transaction(fn) {
      const client = await pool.connect();
      let broken = false;
      // A connection dropped while checked out (the server restarted) emits 'error' on the client: without a
      // listener that would crash the process. The pending query rejects anyway; the client is then discarded.
      const onError = (): void => {
        broken = true;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const sql: SqlClient = { query: async <R>(text: string, params?: readonly unknown[]) => ({ rows: (await client.query(text, params as unknown[] | undefined)).rows as R[] }) };
        const result = await fn(sql);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
