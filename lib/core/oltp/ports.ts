/**
 * The marketplace's database (the system of record), as the OLTP path sees it: PostgreSQL by URL, or PGlite
 * (PostgreSQL compiled to WebAssembly, in process) as the embedded default. Both run sql/oltp/schema.sql
 * unchanged and speak PostgreSQL's SQL, with `$1`-style parameters.
 */

/** One statement's result. */
export interface OltpResult<Row> {
  readonly rows: Row[];
  /** Rows changed by INSERT / UPDATE / DELETE (0 for SELECT on some drivers). */
  readonly rowCount: number;
}

/** Runs statements: a connection, or a transaction in progress. */
export interface OltpSql {
  /** One statement with `$n` parameters; event data only ever travels as parameters. */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<OltpResult<Row>>;
}

/** A database the OLTP path writes to (the workload), relays from (the outbox) and extracts from. */
export interface OltpDatabase extends OltpSql {
  /** `pglite` (embedded) or `postgres` (a server by URL). */
  readonly kind: 'pglite' | 'postgres';
  /** Where it is, without credentials (for messages and reports). */
  readonly description: string;
  /**
   * Runs `work` in one transaction (BEGIN … COMMIT; ROLLBACK and rethrow when it throws). Statements on
   * `tx` belong to the transaction; on PostgreSQL it holds one pooled connection until it ends.
   */
  transaction<T>(work: (tx: OltpSql) => Promise<T>): Promise<T>;
  /** Creates the tables when missing (sql/oltp/schema.sql). Idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}
