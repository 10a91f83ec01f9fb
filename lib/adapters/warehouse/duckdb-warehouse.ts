import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBInstance, listValue, type DuckDBResultReader, type DuckDBValue } from '@duckdb/node-api';
import { duckdbDialect } from '../../core/elt/dialect.js';
import { renderTemplate } from '../../core/elt/models.js';
import { maxParameter } from '../../core/elt/sql-text.js';
import { ledgerKeys } from './ledger.js';
import { runHistorySql, runParams, runsFromRows } from './run-history.js';
import { namedParameters, splitStatements } from '../../core/elt/sql-text.js';
import type { ObjectInfo, ObjectStore, Row, RunRecord, SqlValue, Warehouse } from '../../core/ports.js';
import { warehouseSql } from '../../core/elt/sql-sources.js';

/** The warehouse file is locked by another process (DuckDB allows one writer per file). */
export class WarehouseBusyError extends Error {
  constructor(path: string, detail: string) {
    super(
      `the DuckDB warehouse ${path} is in use by another process (${detail}); wait for it to finish or use another --data-dir`,
    );
    this.name = 'WarehouseBusyError';
  }
}

/**
 * The embedded warehouse: DuckDB in the process, one file. Loads read the landed gzip NDJSON objects in
 * place with `read_ndjson_objects` (one bulk INSERT per chunk of objects, never a row at a time).
 */
export class DuckDbWarehouse implements Warehouse {
  readonly dialect = duckdbDialect;
  private inTransaction = false;
  private readonly setupSql: string[];
  private readonly loadSql: string[];
  private readonly insertSql: string;
  private readonly runHistory = runHistorySql(duckdbDialect);

  private constructor(
    private readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {
    this.setupSql = splitStatements(renderTemplate('setup', warehouseSql('setup'), duckdbDialect));
    this.loadSql = splitStatements(warehouseSql('duckdb/load'));
    this.insertSql = renderTemplate('insert-raw-events', warehouseSql('insert-raw-events'), duckdbDialect, {
      sources: ['raw_load'],
    });
  }

  /** Opens (or creates) a DuckDB file; `:memory:` for a throwaway warehouse. */
  static async open(path: string): Promise<DuckDbWarehouse> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path);
    } catch (error) {
      const message = (error as Error).message;
      const lock = /Conflicting lock is held in (.*)/.exec(message);
      if (lock) throw new WarehouseBusyError(path, lock[1]!.trim());
      throw error;
    }
    const connection = await instance.connect();
    // Event times are UTC; casts and date_trunc must not depend on the machine's zone.
    await connection.run("SET TimeZone = 'UTC'");
    return new DuckDbWarehouse(path, instance, connection);
  }

  describe(): string {
    return `duckdb:${this.path}`;
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<void> {
    await this.connection.run(sql, params.map(toDuckValue));
  }

  async query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return rows(await this.connection.runAndReadAll(sql, params.map(toDuckValue)));
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn();
    await this.connection.run('BEGIN TRANSACTION');
    this.inTransaction = true;
    try {
      const result = await fn();
      await this.connection.run('COMMIT');
      return result;
    } catch (error) {
      await this.connection.run('ROLLBACK');
      throw error;
    } finally {
      this.inTransaction = false;
    }
  }

  async executeBatch(statements: readonly string[]): Promise<void> {
    await this.transaction(async () => {
      for (const statement of statements) await this.connection.run(statement);
    });
  }

  async ensureSchema(): Promise<void> {
    for (const statement of this.setupSql) await this.connection.run(statement);
  }

  async loadedObjectKeys(since?: Date): Promise<Set<string>> {
    return ledgerKeys((sql, params) => this.query(sql, params), since);
  }

  async loadObjects(objects: readonly ObjectInfo[], store: ObjectStore, runId: string): Promise<number> {
    if (objects.length === 0) return 0;
    // Read objects in place when the store is local; otherwise stage them in a temporary directory.
    let staging: string | undefined;
    let paths: string[];
    if (store.localPath) {
      paths = objects.map((o) => store.localPath!(o.key));
    } else {
      staging = await mkdtemp(join(tmpdir(), 'elt-load-'));
      paths = [];
      for (const [i, o] of objects.entries()) {
        const path = join(staging, `${i}.ndjson.gz`);
        await writeFile(path, await store.get(o.key));
        paths.push(path);
      }
    }
    try {
      const values: Record<string, DuckDBValue> = {
        paths: listValue(paths),
        keys: listValue(objects.map((o) => o.key)),
        sizes: listValue(objects.map((o) => o.size)),
        run_id: runId,
      };
      const named = (statement: string) =>
        Object.fromEntries(namedParameters(statement).map((n) => [n, values[n] as DuckDBValue]));
      // load.sql stages the objects in raw_load; the shared insert moves them into raw_events; the rest of
      // load.sql writes the ledger rows and drops the stage. One transaction for all of it.
      const [stage, ...ledger] = this.loadSql;
      return await this.transaction(async () => {
        await this.connection.run(stage!, named(stage!));
        const counted = await this.connection.runAndReadAll('SELECT COUNT(*) FROM raw_load');
        await this.connection.run(this.insertSql, [runId]);
        for (const statement of ledger) await this.connection.run(statement, named(statement));
        return Number(counted.getRows()[0]?.[0] ?? 0);
      });
    } finally {
      if (staging) await rm(staging, { recursive: true, force: true });
    }
  }

  async recordRun(run: RunRecord): Promise<void> {
    const params = runParams(run);
    await this.transaction(async () => {
      for (const statement of this.runHistory.record)
        await this.execute(statement, params.slice(0, maxParameter(statement)));
    });
  }

  async listRuns(limit: number): Promise<RunRecord[]> {
    return runsFromRows(await this.query(this.runHistory.list, [limit]));
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

function toDuckValue(value: SqlValue): DuckDBValue {
  return Array.isArray(value) ? listValue(value as (string | number)[]) : (value as DuckDBValue);
}

/** Rows as JSON-friendly objects; 64-bit integers become numbers when they are exact. */
function rows(result: DuckDBResultReader): Row[] {
  const types = result.columnTypes().map((t) => String(t));
  const names = result.columnNames();
  return result.getRowObjectsJson().map((row) => {
    const out: Row = {};
    for (const [i, name] of names.entries()) {
      const v = row[name];
      out[name] =
        /^(BIGINT|HUGEINT|UBIGINT)$/.test(types[i] ?? '') &&
        typeof v === 'string' &&
        Number.isSafeInteger(Number(v))
          ? Number(v)
          : v;
    }
    return out;
  });
}
