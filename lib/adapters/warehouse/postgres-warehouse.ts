import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { StringDecoder } from 'node:string_decoder';
import { postgresDialect } from '../../core/elt/dialect.js';
import { SessionRunLock } from '../../core/elt/run-lock.js';
import { warehouseStatement } from '../../core/elt/sql-sources.js';
import { bindNamed, maxParameter } from '../../core/elt/sql-text.js';
import type { RunId } from '../../core/elt/sql-values.js';
import * as port from '../../core/ports.js';
import { EltError } from '../../core/util/errors.js';
import { maskSecrets } from '../../core/util/mask-secrets.js';
import { pipelineSql } from './pipeline-sql.js';
import { PipelineWarehouse } from './pipeline-warehouse.js';
import { runParams } from './run-history.js';

/** The advisory lock key of ELT runs (any fixed number; "eltr" in ASCII). */
const RUN_LOCK_KEY = 0x656c7472;

/** The PostgreSQL server cannot be reached; the message names it without the password. */
export class WarehouseUnavailableError extends EltError {
  constructor(target: string, cause: unknown) {
    super(`cannot connect to PostgreSQL at ${target}: ${(cause as Error).message}`, { cause });
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
export class PostgresWarehouse extends PipelineWarehouse {
  readonly dialect = postgresDialect;
  readonly maxStatementsPerTransaction = Infinity;
  readonly runLock: port.RunLock;
  protected readonly sql = pipelineSql(postgresDialect, 'postgres/load');

  /** Why the connection ended while idle (the server ended it), reported by the next call. */
  private lostWhileIdle: Error | undefined;

  private constructor(
    private readonly client: pg.Client,
    private readonly target: string,
  ) {
    super();
    // An idle connection the server ends emits 'error' on the client; unheard, it would end the process.
    client.on('error', (error) => {
      this.lostWhileIdle = error;
    });
    // A session-level advisory lock: held until this connection ends, however the run ends.
    this.runLock = new SessionRunLock(this.describe(), async () => {
      const [row] = await this.query(warehouseStatement('postgres/run-lock'), [RUN_LOCK_KEY]);
      return row?.locked === true;
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
      // The connection failed: ending it can fail too, and the error to report is the first one.
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

  async execute(sql: string, params: readonly port.SqlValue[] = []): Promise<void> {
    await this.guard(() => this.client.query(sql, params as unknown[]));
  }

  async query(sql: string, params: readonly port.SqlValue[] = []): Promise<port.Row[]> {
    return (await this.guard(() => this.client.query(sql, params as unknown[]))).rows as port.Row[];
  }

  async executeBatch(statements: readonly string[]): Promise<void> {
    await this.inTransaction(async () => {
      for (const s of statements) await this.client.query(s);
    });
  }

  protected async load(
    objects: readonly port.ObjectInfo[],
    store: port.ObjectStore,
    runId: RunId,
  ): Promise<number> {
    // load.sql: the stage table, then the COPY … FROM STDIN that fills it; after the insert, the ledger.
    const [stage, copy] = this.sql.load.stage;
    const values = { run_id: runId, keys: objects.map((o) => o.key), sizes: objects.map((o) => o.size) };
    const bound = (sql: string) => bindNamed(sql, values);
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
      await pipeline(Readable.from(rows()), this.client.query(copyFrom(copy!)));
      const insert = bound(this.sql.insertRawEvents);
      const inserted = await this.client.query(insert.text, insert.params);
      for (const statement of this.sql.load.after) {
        const { text, params } = bound(statement);
        await this.client.query(text, params);
      }
      return inserted.rowCount ?? 0;
    });
  }

  async recordRun(run: port.RunRecord): Promise<void> {
    const params = runParams(run);
    await this.inTransaction(async () => {
      for (const s of this.sql.recordRun)
        await this.client.query(s, params.slice(0, maxParameter(s)) as unknown[]);
    });
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
        // The error to report is the statement's: a ROLLBACK on a lost connection fails too (`guard` says so).
        await this.client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  /** Runs `fn`, reporting a lost connection as {@link WarehouseLostError}. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    if (this.lostWhileIdle) throw new port.WarehouseLostError(this.describe(), { cause: this.lostWhileIdle });
    try {
      return await fn();
    } catch (error) {
      if (isConnectionLoss(error)) throw new port.WarehouseLostError(this.describe(), { cause: error });
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
