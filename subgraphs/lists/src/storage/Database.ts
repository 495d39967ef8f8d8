/** A result set: rows as plain objects keyed by column name. */
export interface QueryResult<R> {
  readonly rows: R[];
}

/** What the lists store needs from a SQL connection: parameterised queries (`$1`, `$2`…). */
export interface SqlClient {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

/**
 * A PostgreSQL database, served by `pg` (a server) or PGlite (embedded): the same SQL runs on both.
 */
export interface Database extends SqlClient {
  /** `pg` or `pglite`, for logs and `/health`. */
  readonly kind: 'pg' | 'pglite';
  /** Runs several `;`-separated statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws (the error is rethrown).
   * @returns what `fn` returns.
   */
  transaction<T>(fn: (sql: SqlClient) => Promise<T>): Promise<T>;
  /** Closes the connections. */
  close(): Promise<void>;
}
