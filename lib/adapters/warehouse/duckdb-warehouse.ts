import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBInstance, listValue, type DuckDBResultReader, type DuckDBValue } from '@duckdb/node-api';
import { duckdbDialect } from '../../core/elt/dialect.js';
import { SessionRunLock } from '../../core/elt/run-lock.js';
import { maxParameter, namedParameters } from '../../core/elt/sql-text.js';
import type { RunId } from '../../core/elt/sql-values.js';
import type * as port from '../../core/ports.js';
import { EltError } from '../../core/util/errors.js';
import { pipelineSql } from './pipeline-sql.js';
import { PipelineWarehouse } from './pipeline-warehouse.js';
import { runParams } from './run-history.js';

/** The warehouse file is locked by another process (DuckDB allows one writer per file). */
export class WarehouseBusyError extends EltError {
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super(
      `the DuckDB warehouse ${path} is in use by another process (${detail}); wait for it to finish or use another --data-dir`,
      options,
    );
  }
}

/**
 * The embedded warehouse: DuckDB in the process, one file. Loads read the landed gzip NDJSON objects in
 * place with `read_ndjson_objects` (one bulk INSERT per chunk of objects, never a row at a time).
 */
/** How much of the machine the DuckDB warehouse may use. */
export interface DuckDbLimits {
  /** DuckDB's memory_limit, MB: past it, operators spill to the temp directory. */
  readonly memoryMb: number;
  /** Worker threads. */
  readonly threads: number;
}

/**
 * The default memory limit, MB: `elt run` measured at 0.78–0.96 GB peak RSS for a million events with
 * 256–512 MB (1.32 GB without a limit), 2026-12-03 on 2 cores; the process itself adds about 0.4 GB.
 * Without insertion order kept (see {@link DuckDbWarehouse.open}), 0.68 GB at 384 MB (`npm run bench --
 * --only scaling --scale-events 1000000`, 2026-12-03).
 */
export const DEFAULT_DUCKDB_MEMORY_MB = 384;

/** A DuckDB limit given in the environment that is not a whole number in range. */
export class DuckDbLimitError extends EltError {}

/**
 * The DuckDB limits from the environment: ELT_DUCKDB_MEMORY_MB (64–1,048,576, default
 * {@link DEFAULT_DUCKDB_MEMORY_MB}) and ELT_DUCKDB_THREADS (1–256, default the machine's parallelism).
 */
export function duckDbLimits(env: NodeJS.ProcessEnv = process.env): DuckDbLimits {
  const read = (name: string, min: number, max: number, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min || v > max)
      throw new DuckDbLimitError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
    return v;
  };
  return {
    memoryMb: read('ELT_DUCKDB_MEMORY_MB', 64, 1_048_576, DEFAULT_DUCKDB_MEMORY_MB),
    threads: read('ELT_DUCKDB_THREADS', 1, 256, availableParallelism()),
  };
}

export class DuckDbWarehouse extends PipelineWarehouse {
  readonly dialect = duckdbDialect;
  readonly maxStatementsPerTransaction = Infinity;
  /**
   * A chunk big enough that its rows usually fill DuckDB row groups (122,880 rows), which a commit then
   * writes straight to the file; smaller appends go through the WAL and are written again at the next
   * checkpoint. 24 MiB of gzip NDJSON is about 300,000 events at ~82 bytes an event; the staged JSON of one
   * chunk (~100 MB) stays under the default memory limit, and spills past it.
   */
  readonly loadChunk = { maxObjects: 5000, maxBytes: 24 * 1024 * 1024 };
  readonly runLock: port.RunLock;
  private inTransaction = false;
  protected readonly sql = pipelineSql(duckdbDialect, 'duckdb/load');

  private constructor(
    private readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {
    super();
    // DuckDB allows one writing process per file: the file lock taken at open is the run lock.
    this.runLock = new SessionRunLock(this.describe(), async () => true);
  }

  /**
   * Opens (or creates) a DuckDB file; `:memory:` for a throwaway warehouse. Memory and threads come from
   * `limits` ({@link duckDbLimits}: ELT_DUCKDB_MEMORY_MB, ELT_DUCKDB_THREADS).
   */
  static async open(path: string, limits: DuckDbLimits = duckDbLimits()): Promise<DuckDbWarehouse> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path);
    } catch (error) {
      const message = (error as Error).message;
      const lock = /Conflicting lock is held in (.*)/.exec(message);
      if (lock) throw new WarehouseBusyError(path, lock[1]!.trim(), { cause: error });
      throw error;
    }
    try {
      const connection = await instance.connect();
      // Event times are UTC; casts and date_trunc must not depend on the machine's zone.
      await connection.run("SET TimeZone = 'UTC'");
      // Bounded memory at any volume: the buffer manager spills past the limit (to <file>.tmp, or the
      // system temp directory for an in-memory warehouse) instead of growing with the load.
      await connection.run(`SET memory_limit = '${limits.memoryMb}MB'`);
      await connection.run(`SET threads = ${limits.threads}`);
      // No statement relies on a table's row order (every model orders what it ranks, every reader sorts):
      // loads and builds then write in parallel without buffering rows to keep their order, which also
      // takes less memory under the limit.
      await connection.run('SET preserve_insertion_order = false');
      if (path === ':memory:') {
        const spill = join(tmpdir(), `elt-duckdb-${process.pid}`).replaceAll("'", "''");
        await connection.run(`SET temp_directory = '${spill}'`);
      }
      return new DuckDbWarehouse(path, instance, connection);
    } catch (error) {
      instance.closeSync();
      throw error;
    }
  }

  describe(): string {
    return `duckdb:${this.path}`;
  }

  async execute(sql: string, params: readonly port.SqlValue[] = []): Promise<void> {
    await this.connection.run(sql, params.map(toDuckValue));
  }

  async query(sql: string, params: readonly port.SqlValue[] = []): Promise<port.Row[]> {
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
      // The statement's error is the one to report: a ROLLBACK refused after it must not replace it.
      await this.connection.run('ROLLBACK').catch(() => undefined);
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

  /** Runs setup.sql a statement at a time. */
  override async ensureSchema(): Promise<void> {
    for (const statement of this.sql.setup) await this.connection.run(statement);
  }

  protected async load(
    objects: readonly port.ObjectInfo[],
    store: port.ObjectStore,
    runId: RunId,
  ): Promise<number> {
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
      const { stage, after } = this.sql.load;
      const insert = this.sql.insertRawEvents;
      return await this.transaction(async () => {
        for (const statement of stage) await this.connection.run(statement, named(statement));
        const inserted = await this.connection.run(insert, named(insert));
        for (const statement of after) await this.connection.run(statement, named(statement));
        return inserted.rowsChanged;
      });
    } finally {
      if (staging) await rm(staging, { recursive: true, force: true });
    }
  }

  async recordRun(run: port.RunRecord): Promise<void> {
    const params = runParams(run);
    await this.transaction(async () => {
      for (const statement of this.sql.recordRun)
        await this.execute(statement, params.slice(0, maxParameter(statement)));
    });
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

function toDuckValue(value: port.SqlValue): DuckDBValue {
  return Array.isArray(value) ? listValue(value as (string | number)[]) : (value as DuckDBValue);
}

/** Rows as JSON-friendly objects; 64-bit integers become numbers when they are exact. */
function rows(result: DuckDBResultReader): port.Row[] {
  const types = result.columnTypes().map((t) => String(t));
  const names = result.columnNames();
  return result.getRowObjectsJson().map((row) => {
    const out: port.Row = {};
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
