import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { Database } from './Database';
import { openPgDatabase } from './PgDatabase';
import { openPgliteDatabase } from './PgliteDatabase';

/** A database for one test run and how to throw it away. */
export interface TestDatabase {
  readonly name: 'pglite' | 'postgres';
  readonly db: Database;
  /** `postgres://…` of the database, for a subgraph process; undefined for PGlite. */
  readonly url: string | undefined;
  /** Closes and (PostgreSQL) drops the database. */
  drop(): Promise<void>;
}

/**
 * Creates a fresh PostgreSQL database `roam_lists_test_<random>` on `adminUrl` (trust auth).
 * @returns the database, or undefined when the server is not reachable within 2 s.
 */
export async function createPostgresTestDatabase(adminUrl = 'postgres://postgres@127.0.0.1:5432/postgres'): Promise<TestDatabase | undefined> {
  const admin = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch {
    return undefined;
  }
  const name = `roam_lists_test_${randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = adminUrl.replace(/\/[^/]*$/, `/${name}`);
  const db = openPgDatabase(url);
  return {
    name: 'postgres',
    db,
    url,
    async drop() {
      await db.close();
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** @returns a fresh in-memory PGlite database. */
export async function createPgliteTestDatabase(): Promise<TestDatabase> {
  const db = await openPgliteDatabase();
  return { name: 'pglite', db, url: undefined, drop: () => db.close() };
}
