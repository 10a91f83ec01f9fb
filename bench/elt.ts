// One ELT measurement, run in a fresh process by bench/elt-measure.ts: `elt run`'s path (the ELT runner on
// a warehouse opened as `--warehouse` opens it) or a bare script that sends the same SQL files straight to
// DuckDB. Both start from an empty warehouse and read the same landed objects.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { DuckDBInstance, listValue, type DuckDBValue } from '@duckdb/node-api';
import { DuckDbWarehouse } from '../lib/adapters/warehouse/duckdb-warehouse.js';
import { openWarehouse } from '../lib/adapters/warehouse/open-warehouse.js';
import { FsObjectStore } from '../lib/adapters/store/fs-object-store.js';
import { duckdbDialect } from '../lib/core/elt/dialect.js';
import { orderModels, renderDataTest, renderModel, renderTemplate } from '../lib/core/elt/models.js';
import { runElt } from '../lib/core/elt/run-elt.js';
import { loadModels, warehouseSql } from '../lib/core/elt/sql-sources.js';
import { namedParameters, splitStatements } from '../lib/core/elt/sql-text.js';
import { OBJECT_SUFFIX, RAW_PREFIX, parseRawKey } from '../lib/core/landing/object-keys.js';
import { systemClock, type SqlRunner } from '../lib/core/ports.js';
import { MART_QUERIES } from '../test/support/marts.js';

/** Milliseconds spent in each step, as the table shows them. */
export interface EltPhases {
  /** Opening the warehouse, then the runner's plan (or the bare script's listing of the objects and setup.sql). */
  readonly plan: number;
  readonly load: number;
  readonly transform: number;
  /** The models' data tests (the same queries on both sides). */
  readonly test: number;
  /** The swap and the run record (runner only), then closing the warehouse. */
  readonly publish: number;
}

/** A mart's rows as MART_QUERIES reads them: how many, and a digest of their JSON. */
export interface MartDigest {
  readonly rows: number;
  readonly sha256: string;
}

/** What one ELT measurement reports. */
export interface EltMeasure {
  readonly side: 'run' | 'bare';
  readonly warehouse: 'duckdb' | 'postgres';
  readonly objects: number;
  readonly events: number;
  readonly totalMs: number;
  readonly phases: EltPhases;
  /** Each model's build, in build order (the runner's own figure includes its row count query). */
  readonly models: readonly { name: string; rows: number; ms: number }[];
  readonly marts: Readonly<Record<string, MartDigest>>;
  /** PostgreSQL only: peak RSS of the server process that served the run's connection. */
  readonly serverPeakRssMb?: number;
}

/** A progress message of the runner, with when it arrived (ms on the same clock as the run's start). */
export interface ProgressMark {
  readonly at: number;
  readonly message: string;
}

/**
 * Splits a runner's run into its steps from the progress messages it reports at the end of each one
 * (`plan: …`, `load: …` per chunk, `model: …` per model, `tests: …`): `start` is before the warehouse is
 * opened, `end` after it is closed.
 */
export function phasesFromProgress(marks: readonly ProgressMark[], start: number, end: number): EltPhases {
  const last = (prefix: string): number | undefined =>
    marks.findLast((m) => m.message.startsWith(prefix))?.at;
  const planned = marks.find((m) => m.message.startsWith('plan:'))?.at;
  const transformed = last('model:');
  const tested = last('tests:');
  if (planned === undefined || transformed === undefined || tested === undefined)
    throw new Error(
      `the runner's progress lacks a plan:, model: or tests: message (got ${marks.map((m) => JSON.stringify(m.message.split(' ')[0])).join(', ') || 'none'}): has runElt's reporting changed?`,
    );
  const loaded = last('load:') ?? planned;
  return {
    plan: planned - start,
    load: loaded - planned,
    transform: transformed - loaded,
    test: tested - transformed,
    publish: end - tested,
  };
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Reads every mart with MART_QUERIES (what the end-to-end tests compare), writes the rows to `out`. */
async function martDigests(warehouse: SqlRunner, out: string): Promise<Record<string, MartDigest>> {
  const digests: Record<string, MartDigest> = {};
  const all: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(MART_QUERIES)) {
    const rows = await warehouse.query(sql);
    all[name] = rows;
    digests[name] = {
      rows: rows.length,
      sha256: createHash('sha256').update(JSON.stringify(rows)).digest('hex'),
    };
  }
  await writeFile(out, JSON.stringify(all));
  return digests;
}

/** Maps one at a time: a DuckDB connection runs one query at once. */
async function sequential<T, U>(items: readonly T[], fn: (item: T) => Promise<U>): Promise<U[]> {
  const out: U[] = [];
  for (const item of items) out.push(await fn(item));
  return out;
}

/** Peak resident memory of a process, from /proc (undefined when it cannot be read). */
async function vmHwmMb(pid: number): Promise<number | undefined> {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `elt run` on an empty warehouse (`duckdb:<file>` or `postgres://…`, opened as `--warehouse` opens it):
 * the ELT runner with the repository's models, every step, over the landed objects in `storeDir`.
 */
export async function measureEltRun(url: string, storeDir: string, martsOut?: string): Promise<EltMeasure> {
  const store = new FsObjectStore(storeDir);
  const marks: ProgressMark[] = [];
  const t0 = now();
  const warehouse = await openWarehouse(url, '');
  // Closed on failure here; on success below, where the close is timed.
  const run = await runElt({
    warehouse,
    store,
    clock: systemClock,
    models: loadModels(),
    onProgress: (message) => marks.push({ at: now(), message }),
  }).catch(async (error: unknown) => {
    await warehouse.close();
    throw error;
  });
  const ran = now();
  const postgres = url.startsWith('postgres');
  let serverPeakRssMb: number | undefined;
  if (postgres) {
    const [row] = await warehouse.query('SELECT pg_backend_pid() AS pid');
    serverPeakRssMb = await vmHwmMb(Number(row?.pid));
  }
  const c0 = now();
  await warehouse.close();
  const end = ran + (now() - c0);
  const reopened = await openWarehouse(url, '');
  try {
    return {
      side: 'run',
      warehouse: postgres ? 'postgres' : 'duckdb',
      objects: run.objectsLoaded,
      events: run.eventsLoaded,
      totalMs: end - t0,
      phases: phasesFromProgress(marks, t0, end),
      models: run.models,
      // Without a file to write them to (the scaling benchmark), the marts are not read back: the peak RSS
      // is then the run's own.
      marts: martsOut === undefined ? {} : await martDigests(reopened, martsOut),
      ...(serverPeakRssMb === undefined ? {} : { serverPeakRssMb }),
    };
  } finally {
    await reopened.close();
  }
}

/**
 * The same work without the runner, on one DuckDB connection: list the raw objects, the repository's
 * setup.sql, duckdb/load.sql (without its ledger rows) around insert-raw-events.sql for every raw object at
 * once, each model's rendered SELECT as `CREATE OR REPLACE TABLE <model> AS …` in dependency order, then the
 * models' data tests, the same queries the runner sends (a failing one fails the measurement). No plan
 * file, ledger, run history, chunking, transactions, `__build` tables, row counts or swap; DuckDB's own
 * default memory limit and threads.
 */
export async function measureBareDuckDb(
  file: string,
  storeDir: string,
  martsOut: string,
): Promise<EltMeasure> {
  const store = new FsObjectStore(storeDir);
  const d = duckdbDialect;
  const setup = splitStatements(renderTemplate('setup', warehouseSql('setup'), d));
  const [stage, ...rest] = splitStatements(warehouseSql('duckdb/load')).filter(
    (s) => !/elt_loaded_objects/.test(s),
  );
  const insert = renderTemplate('insert-raw-events', warehouseSql('insert-raw-events'), d, {
    sources: ['raw_load'],
  });
  const ordered = orderModels(loadModels());
  const known = new Set(ordered.map((m) => m.name));
  const tests = ordered.flatMap((model) =>
    model.tests.map((test) => ({ test, sql: renderDataTest(model.name, test, d) })),
  );

  const t0 = now();
  // Finding the objects is part of the work: the runner's plan lists the same store.
  const keys: string[] = [];
  for await (const o of store.list(RAW_PREFIX)) {
    if (o.key.endsWith(OBJECT_SUFFIX) && parseRawKey(o.key)) keys.push(o.key);
  }
  keys.sort();
  const values: Record<string, DuckDBValue> = {
    paths: listValue(keys.map((k) => store.localPath(k))),
    keys: listValue(keys),
  };
  const named = (sql: string): Record<string, DuckDBValue> =>
    Object.fromEntries(namedParameters(sql).map((p) => [p, values[p]!]));
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  await connection.run("SET TimeZone = 'UTC'");
  for (const s of setup) await connection.run(s);
  const setUp = now();
  await connection.run(stage!, named(stage!));
  await connection.run(insert, ['bare']);
  for (const s of rest) await connection.run(s, named(s));
  const loaded = now();
  const modelMs: { name: string; ms: number }[] = [];
  for (const model of ordered) {
    const m0 = now();
    for (const s of d.createTableAs(model.name, renderModel(model, d, known))) await connection.run(s);
    modelMs.push({ name: model.name, ms: now() - m0 });
  }
  const transformed = now();
  const failing: string[] = [];
  for (const { test, sql } of tests) {
    const failures = Number((await connection.runAndReadAll(sql)).getRows()[0]?.[0] ?? 0);
    if (failures > 0 && test.kind !== 'freshness') failing.push(`${sql}: ${failures}`);
  }
  if (failing.length > 0) throw new Error(`data tests failed on the bare side: ${failing.join('; ')}`);
  const tested = now();
  connection.closeSync();
  instance.closeSync();
  const end = now();

  const warehouse = await DuckDbWarehouse.open(file);
  try {
    const count = async (table: string): Promise<number> =>
      Number((await warehouse.query(`SELECT COUNT(*) AS n FROM ${table}`))[0]?.n ?? 0);
    return {
      side: 'bare',
      warehouse: 'duckdb',
      objects: keys.length,
      events: await count('raw_events'),
      totalMs: end - t0,
      phases: {
        plan: setUp - t0,
        load: loaded - setUp,
        transform: transformed - loaded,
        test: tested - transformed,
        publish: end - tested,
      },
      models: await sequential(modelMs, async (m) => ({ ...m, rows: await count(m.name) })),
      marts: await martDigests(warehouse, martsOut),
    };
  } finally {
    await warehouse.close();
  }
}
