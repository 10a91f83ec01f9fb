import { mkdir } from 'node:fs/promises';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import pg from 'pg';
import type { OltpDatabase, OltpResult, OltpSql } from '../../core/oltp/ports.js';
import { EltError } from '../../core/util/errors.js';
import { maskSecrets } from '../../core/util/mask-secrets.js';
import { SQL_FILES } from '../../generated/sql-files.js';

/** The marketplace schema (sql/oltp/schema.sql). */
export const OLTP_SCHEMA_SQL = SQL_FILES['oltp/schema.sql']!;

/** The database argument is not one this product opens. */
export class OltpUrlError extends EltError {
  constructor(url: string, why: string) {
    super(
      `--database ${JSON.stringify(hidePassword(url))} is not valid: ${why}. Use pglite (in memory), pglite:<directory>, or postgres://user[:password]@host:port/db`,
    );
  }
}

/** The database cannot be reached or refused the connection; the message never shows the password. */
export class OltpUnavailableError extends EltError {
  constructor(target: string, cause: Error) {
    super(`cannot connect to the marketplace database at ${target}: ${cause.message}`, { cause });
  }
}

function hidePassword(url: string): string {
  return url.replace(/:[^:@/]*@/, ':****@');
}

// int8 as a number when exact (counts, sums, money in minor units), else as text: alike on both drivers.
const int8 = (v: string): number | string => (Number.isSafeInteger(Number(v)) ? Number(v) : v);

/**
 * Opens the marketplace database:
 * - `pglite`: PGlite in memory (the embedded default: PostgreSQL compiled to WebAssembly, no server);
 * - `pglite:<directory>`: PGlite keeping its data in a directory;
 * - `postgres://…` / `postgresql://…`: a PostgreSQL server (the repository's, or any user's).
 * The schema is not created here: call {@link OltpDatabase.migrate}.
 */
export async function openOltpDatabase(url: string): Promise<OltpDatabase> {
  if (url === 'pglite') return PgliteDatabase.open(undefined);
  if (url.startsWith('pglite:')) {
    const dir = url.slice('pglite:'.length);
    if (!dir) throw new OltpUrlError(url, 'no directory after pglite:');
    return PgliteDatabase.open(dir);
  }
  if (/^postgres(ql)?:\/\//.test(url)) return PostgresOltpDatabase.open(url);
  throw new OltpUrlError(url, 'unknown scheme');
}

/** PGlite: one in-process connection, so statements and transactions run one at a time. */
export class PgliteDatabase implements OltpDatabase {
  readonly kind = 'pglite' as const;

  private constructor(
    private readonly db: PGlite,
    readonly description: string,
  ) {}

  static async open(dir: string | undefined): Promise<PgliteDatabase> {
    if (dir) await mkdir(dir, { recursive: true });
    const db = new PGlite({ ...(dir ? { dataDir: dir } : {}), parsers: { [pgliteTypes.INT8]: int8 } });
    try {
      await db.waitReady;
    } catch (error) {
      throw new OltpUnavailableError(dir ? `pglite:${dir}` : 'pglite (in memory)', error as Error);
    }
    return new PgliteDatabase(db, dir ? `pglite:${dir}` : 'pglite (in memory)');
  }

  async query<Row>(text: string, params: readonly unknown[] = []): Promise<OltpResult<Row>> {
    return wrapPglite<Row>(await this.db.query<Row>(text, params as unknown[]));
  }

  async transaction<T>(work: (tx: OltpSql) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) =>
      work({
        query: async <Row>(text: string, params: readonly unknown[] = []) =>
          wrapPglite<Row>(await tx.query<Row>(text, params as unknown[])),
      }),
    );
  }

  async migrate(): Promise<void> {
    await this.db.exec(OLTP_SCHEMA_SQL);
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}

function wrapPglite<Row>(r: { rows: Row[]; affectedRows?: number }): OltpResult<Row> {
  return { rows: r.rows, rowCount: r.affectedRows ?? 0 };
}

/** A PostgreSQL server through a small pool; every connection runs in UTC. */
export class PostgresOltpDatabase implements OltpDatabase {
  readonly kind = 'postgres' as const;

  private constructor(
    private readonly pool: pg.Pool,
    readonly description: string,
  ) {}

  static async open(url: string, maxConnections = 4): Promise<PostgresOltpDatabase> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      // No cause: the URL parser's error carries the input, password and all.
      throw new OltpUrlError(url, 'not a URL');
    }
    const target = `postgres://${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
    const pool = new pg.Pool({
      connectionString: url,
      max: maxConnections,
      application_name: 'elt-oltp',
      connectionTimeoutMillis: 10_000,
      options: '-c TimeZone=UTC',
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          oid === 20 ? int8 : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client the server ends emits 'error' on the pool; unheard, it would end the process. The
    // next query gets a fresh connection (or a clear error).
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      client.release();
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw new OltpUnavailableError(
        target,
        new Error(maskSecrets((error as Error).message, [decodeURIComponent(parsed.password)])),
      );
    }
    return new PostgresOltpDatabase(pool, target);
  }

  async query<Row>(text: string, params: readonly unknown[] = []): Promise<OltpResult<Row>> {
    const r = await this.pool.query(text, params as unknown[]);
    return { rows: r.rows as Row[], rowCount: r.rowCount ?? 0 };
  }

  async transaction<T>(work: (tx: OltpSql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    // A checked-out client whose connection drops (the server restarted) emits 'error'; unheard, it would
    // end the process. The statement in flight rejects with the same error, and the client is discarded.
    const dropped = (): void => {
      broken = true;
    };
    client.on('error', dropped);
    try {
      await client.query('BEGIN');
      const result = await work({
        query: async <Row>(text: string, params: readonly unknown[] = []) => {
          const r = await client.query(text, params as unknown[]);
          return { rows: r.rows as Row[], rowCount: r.rowCount ?? 0 };
        },
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        // The connection is gone (server restarted): the transaction is rolled back with it.
        broken = true;
      }
      throw error;
    } finally {
      client.off('error', dropped);
      client.release(broken);
    }
  }

  async migrate(): Promise<void> {
    // Concurrent first starts (two relays) would race on CREATE … IF NOT EXISTS: serialize them.
    await this.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(1869378676)'); // "oltp"
      await tx.query(OLTP_SCHEMA_SQL);
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
