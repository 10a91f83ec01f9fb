import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { StringDecoder } from 'node:string_decoder';
import { postgresDialect } from '../../core/elt/dialect.js';
import { renderTemplate } from '../../core/elt/models.js';
import { warehouseSql } from '../../core/elt/sql-sources.js';
import { maxParameter, splitStatements } from '../../core/elt/sql-text.js';
import {
  EltRunInProgressError,
  WarehouseLostError,
  type ObjectInfo,
  type ObjectStore,
  type Row,
  type RunRecord,
  type SqlValue,
  type Warehouse,
} from '../../core/ports.js';
import { maskSecrets } from '../../core/util/mask-secrets.js';
import { ledgerKeys } from './ledger.js';
import { runHistorySql, runParams, runsFromRows } from './run-history.js';

/** The advisory lock key of ELT runs (any fixed number; "eltr" in ASCII). */
const RUN_LOCK_KEY = 0x656c7472;

/** The PostgreSQL server cannot be reached; the message names it without the password. */
export class WarehouseUnavailableError extends Error {
  constructor(target: string, cause: unknown) {
    super(`cannot connect to PostgreSQL at ${target}: ${(cause as Error).message}`, { cause });
    this.name = 'WarehouseUnavailableError';
  }
}

// Results as JSON-friendly values, alike across warehouses: 64-bit integers as numbers when exact,
// timestamps and dates as the server's text ('2026-11-01 12:34:00'), NUMERIC as text.
const types = {
  getTypeParser: (oid: number, format?: string) => {
    if (oid === 20) return (v: string) => (Number.isSafeInteger(Number(v)) ? Number(v) : v); // int8
    if (oid === 1114 || oid === 1184 || oid === 1082) return (v: string) => v; // timestamp, timestamptz, date
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as unknown as pg.CustomTypesConfig;

/** COPY text format: backslash, tab, newline and carriage return are escaped in a field. */
function copyField(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/**
 * A warehouse on PostgreSQL: JSONB for the raw events, bulk loads with COPY … FROM STDIN streamed
 * straight from the gzip objects (never a row at a time), one connection, every load and every publish
 * in a transaction.
 */
export class PostgresWarehouse implements Warehouse {
  readonly dialect = postgresDialect;
  private readonly setupSql = splitStatements(
    renderTemplate('setup', warehouseSql('setup'), postgresDialect),
  );
  private readonly loadSql = splitStatements(warehouseSql('postgres/load'));
  private readonly insertSql = renderTemplate(
    'insert-raw-events',
    warehouseSql('insert-raw-events'),
    postgresDialect,
    {
      sources: ['raw_load'],
    },
  );
  private readonly history = runHistorySql(postgresDialect);

  /** Why the connection ended while idle (the server ended it), reported by the next call. */
  private lostWhileIdle: Error | undefined;

  private constructor(
    private readonly client: pg.Client,
    private readonly target: string,
  ) {
    // An idle connection the server ends emits 'error' on the client; unheard, it would end the process.
    client.on('error', (error) => {
      this.lostWhileIdle = error;
    });
  }

  /** Connects to `postgres://user[:password]@host:port/db`. */
  static async open(url: string): Promise<PostgresWarehouse> {
    const parsed = new URL(url);
    const target = `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
    const client = new pg.Client({ connectionString: url, types, application_name: 'elt' });
    try {
      await client.connect();
      await client.query("SET TIME ZONE 'UTC'");
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new WarehouseUnavailableError(
        target,
        new Error(maskSecrets((error as Error).message, [parsed.password])),
      );
    }
    return new PostgresWarehouse(client, target);
  }

  describe(): string {
    return `postgres://${this.target}`;
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<void> {
    await this.guard(() => this.client.query(sql, params as unknown[]));
  }

  async query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return (await this.guard(() => this.client.query(sql, params as unknown[]))).rows as Row[];
  }

  async executeBatch(statements: readonly string[]): Promise<void> {
    await this.inTransaction(async () => {
      for (const s of statements) await this.client.query(s);
    });
  }

  async ensureSchema(): Promise<void> {
    await this.executeBatch(this.setupSql);
  }

  async loadedObjectKeys(since?: Date): Promise<Set<string>> {
    return ledgerKeys((sql, params) => this.query(sql, params), since);
  }

  async loadObjects(objects: readonly ObjectInfo[], store: ObjectStore, runId: string): Promise<number> {
    if (objects.length === 0) return 0;
    const [stage, ledger] = this.loadSql;
    return this.inTransaction(async () => {
      await this.client.query(stage!);
      // Each object's lines go through COPY as (object_key, event) rows, decompressed on the way.
      async function* rows(): AsyncGenerator<string> {
        for (const object of objects) {
          const key = copyField(object.key);
          let rest = '';
          // A chunk can end inside a multi-byte character: the decoder carries it over to the next.
          const decoder = new StringDecoder('utf8');
          for await (const chunk of Readable.from([await store.get(object.key)]).pipe(createGunzip())) {
            const lines = (rest + decoder.write(chunk as Buffer)).split('\n');
            rest = lines.pop() ?? '';
            yield lines
              .filter((l) => l.length > 0)
              .map((l) => `${key}\t${copyField(l)}\n`)
              .join('');
          }
          rest += decoder.end();
          if (rest.length > 0) yield `${key}\t${copyField(rest)}\n`;
        }
      }
      await pipeline(
        Readable.from(rows()),
        this.client.query(copyFrom('COPY raw_load (object_key, event) FROM STDIN')),
      );
      const inserted = await this.client.query(this.insertSql, [runId]);
      await this.client.query(
        ledger!,
        [runId, objects.map((o) => o.key), objects.map((o) => o.size)].slice(0, maxParameter(ledger!)),
      );
      return inserted.rowCount ?? 0;
    });
  }

  async recordRun(run: RunRecord): Promise<void> {
    const params = runParams(run);
    await this.inTransaction(async () => {
      for (const s of this.history.record)
        await this.client.query(s, params.slice(0, maxParameter(s)) as unknown[]);
    });
  }

  async listRuns(limit: number): Promise<RunRecord[]> {
    return runsFromRows(await this.query(this.history.list, [limit]));
  }

  async acquireRunLock(): Promise<void> {
    // A session-level advisory lock: held until this connection ends, however the run ends.
    const rows = await this.query('SELECT pg_try_advisory_lock($1) AS locked', [RUN_LOCK_KEY]);
    if (rows[0]?.locked !== true) throw new EltRunInProgressError(this.describe());
  }

  async close(): Promise<void> {
    await this.client.end();
  }

  private async inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.guard(async () => {
      await this.client.query('BEGIN');
      try {
        const result = await fn();
        await this.client.query('COMMIT');
        return result;
      } catch (error) {
        await this.client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  /** Runs `fn`, reporting a lost connection as {@link WarehouseLostError}. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    if (this.lostWhileIdle) throw new WarehouseLostError(this.describe(), { cause: this.lostWhileIdle });
    try {
      return await fn();
    } catch (error) {
      if (isConnectionLoss(error)) throw new WarehouseLostError(this.describe(), { cause: error });
      throw error;
    }
  }
}

/**
 * Whether a pg error means the connection is gone: the server ended it (SQLSTATE 57P01–57P03, class 08
 * connection exceptions), the socket failed, or the client says it can no longer be used (node-postgres
 * raises those without a code).
 */
function isConnectionLoss(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (/^(57P0[123]|08...)$/.test(code)) return true;
    if (['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(code)) return true;
  }
  return /Connection terminated|is not queryable|Client was closed/i.test((error as Error)?.message ?? '');
}
