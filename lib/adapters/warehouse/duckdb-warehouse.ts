import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBInstance, listValue, type DuckDBResultReader, type DuckDBValue } from '@duckdb/node-api';
import { duckdbDialect } from '../../core/elt/dialect.js';
import { namedParameters, splitStatements } from '../../core/elt/sql-text.js';
import type { ObjectInfo, ObjectStore, Row, RunRecord, SqlValue, Warehouse } from '../../core/ports.js';
import { warehouseSqlDir } from '../../package-paths.js';

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

  private constructor(
    private readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {
    const dir = warehouseSqlDir('duckdb');
    this.setupSql = splitStatements(readFileSync(join(dir, 'setup.sql'), 'utf8'));
    this.loadSql = splitStatements(readFileSync(join(dir, 'load.sql'), 'utf8'));
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

  async ensureSchema(): Promise<void> {
    for (const statement of this.setupSql) await this.connection.run(statement);
  }

  async loadedObjectKeys(): Promise<Set<string>> {
    const result = await this.connection.runAndReadAll('SELECT object_key FROM elt_loaded_objects');
    return new Set(result.getRows().map((r) => String(r[0])));
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
      const before = await this.count(runId);
      const values: Record<string, DuckDBValue> = {
        paths: listValue(paths),
        keys: listValue(objects.map((o) => o.key)),
        sizes: listValue(objects.map((o) => o.size)),
        run_id: runId,
      };
      await this.transaction(async () => {
        for (const statement of this.loadSql) {
          const used = Object.fromEntries(
            namedParameters(statement).map((n) => [n, values[n] as DuckDBValue]),
          );
          await this.connection.run(statement, used);
        }
      });
      return (await this.count(runId)) - before;
    } finally {
      if (staging) await rm(staging, { recursive: true, force: true });
    }
  }

  async recordRun(run: RunRecord): Promise<void> {
    await this.connection.run(
      `INSERT OR REPLACE INTO elt_runs
       VALUES ($1, $2, CAST($3 AS TIMESTAMPTZ), CAST($4 AS TIMESTAMPTZ), $5, $6, $7, CAST($8 AS JSON), CAST($9 AS JSON), $10)`,
      [
        run.runId,
        run.status,
        run.startedAt,
        run.finishedAt ?? null,
        run.durationMs ?? null,
        run.objectsLoaded,
        run.eventsLoaded,
        JSON.stringify(run.models),
        JSON.stringify(run.tests),
        run.error ?? null,
      ],
    );
  }

  async listRuns(limit: number): Promise<RunRecord[]> {
    const result = await this.query(
      `SELECT run_id, status, strftime(started_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS started_at,
              strftime(finished_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS finished_at, duration_ms, objects_loaded,
              events_loaded, models, tests, error
       FROM elt_runs ORDER BY started_at DESC, run_id DESC LIMIT $1`,
      [limit],
    );
    return result.map((r) => ({
      runId: String(r.run_id),
      status: r.status as RunRecord['status'],
      startedAt: String(r.started_at),
      ...(r.finished_at ? { finishedAt: String(r.finished_at) } : {}),
      ...(r.duration_ms !== null ? { durationMs: Number(r.duration_ms) } : {}),
      objectsLoaded: Number(r.objects_loaded),
      eventsLoaded: Number(r.events_loaded),
      models: JSON.parse(String(r.models)) as RunRecord['models'],
      tests: JSON.parse(String(r.tests)) as RunRecord['tests'],
      ...(r.error ? { error: String(r.error) } : {}),
    }));
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async count(runId: string): Promise<number> {
    const r = await this.connection.runAndReadAll('SELECT COUNT(*) FROM raw_events WHERE run_id = $1', [
      runId,
    ]);
    return Number(r.getRows()[0]?.[0] ?? 0);
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
