/**
 * Table extracts of the marketplace database into the landing's raw area: each page of rows becomes one
 * gzip NDJSON object under `raw/source=oltp/table=<table>/dt=<run date>/`, one line per row version.
 *
 * Incremental mode reads the rows whose `(updated_at, key)` is past the table's watermark, in that order,
 * page by page (keyset pagination). It relies on two properties of the writers:
 *
 * 1. every change sets `updated_at` to its transaction's time (PostgreSQL's `now()`), so a later change of
 *    a row has a later `updated_at`;
 * 2. a transaction commits less than `settleSeconds` after its start.
 *
 * A run reads only rows with `updated_at` at least `settleSeconds` before its clock: a transaction still
 * open then started later than that (2.), so every row at or below the bound is committed and visible,
 * and the watermark never passes a row that commits later. Rows above the bound are left for the next
 * run. What breaks otherwise: a change that keeps (or sets an older) `updated_at`, or a transaction that
 * commits more than `settleSeconds` after it started, can land at or below a watermark already written and
 * is then never extracted incrementally (a snapshot extract takes it). The bound is the extractor's clock
 * against the writers' (the database's): clock skew between them eats into `settleSeconds`.
 *
 * Snapshot mode reads whole tables in one REPEATABLE READ transaction (one consistent view of every table
 * extracted) and resets each watermark to the largest `(updated_at, key)` it read that is below the settle
 * bound: rows above it were read too but are read again by the next incremental run, since a transaction
 * open during the snapshot may still commit rows just below them.
 *
 * Durability: a page's object is written (durably) before the watermark moves past it. A crash between
 * the two leaves the old watermark, and the next run reads the same rows again and writes them under the
 * same key (the name hashes the table, mode, range and rows), so the store holds no copy and the ELT's
 * ledger, which loads a key once, loads them once. A line repeated across objects (a rerun that read more
 * rows, a snapshot) is the same version of the same row, with the same envelope id: consumers keep one
 * line per `(table, key, updated_at)` (the warehouse's stg_oltp_rows).
 *
 * Each line is an event envelope ({@link ExtractEnvelope}: source `oltp`, detail-type the table, time the
 * row's `updated_at` to the second, the row version as its detail), so the ELT loads extract objects into
 * raw_events with the bus's events, through the same ledger, on every warehouse.
 */
import { createHash } from 'node:crypto';
import { gzipNdjson } from '../landing/ndjson-gzip.js';
import { oltpExtractObjectKey, oltpExtractObjectName } from '../landing/object-keys.js';
import type { Clock, ObjectStore } from '../ports.js';
import { EltError } from '../util/errors.js';
import type { OltpDatabase, OltpSql } from './ports.js';

/** The tables an extract reads, with their keys: SQL names come from here only, never from input. */
export const EXTRACT_TABLES = {
  users: { key: 'user_id' },
  items: { key: 'item_id' },
  bids: { key: 'bid_id' },
} as const;

/** A table an extract reads. */
export type ExtractTable = keyof typeof EXTRACT_TABLES;

/** Every table, in the order an extract reads them (referenced tables first). */
export const EXTRACT_TABLE_NAMES: readonly ExtractTable[] = ['users', 'items', 'bids'];

/** Rows per page (one object each) unless told. */
export const DEFAULT_EXTRACT_BATCH_ROWS = 10_000;

/** How long before the run's clock a row must be to be extracted incrementally, unless told. */
export const DEFAULT_SETTLE_SECONDS = 5;

/** Where each table's watermark is kept in the store. */
export const EXTRACT_WATERMARK_PREFIX = 'state/oltp/extract/';

/** The key of a table's extract watermark. */
export function extractWatermarkKey(table: ExtractTable): string {
  return `${EXTRACT_WATERMARK_PREFIX}${table}.json`;
}

/** A table name that is not one the extract reads. */
export class ExtractTableUnknownError extends EltError {
  constructor(readonly table: string) {
    super(`unknown table ${JSON.stringify(table)}: the extract reads ${EXTRACT_TABLE_NAMES.join(', ')}`);
  }
}

/** The database has no such table (nothing created the marketplace schema there). */
export class ExtractSourceMissingError extends EltError {
  constructor(table: string, database: string) {
    super(`the marketplace database at ${database} has no table ${table}: its schema was never created`);
  }
}

/** A watermark object that cannot be read as one (incremental runs stop rather than guess). */
export class ExtractWatermarkInvalidError extends EltError {
  constructor(key: string, why: string) {
    super(
      `the extract watermark ${key} is not valid (${why}); run a snapshot extract (--snapshot) to reset it`,
    );
  }
}

/** A value the database returned in a form the extract does not expect. */
export class ExtractValueError extends EltError {}

/** How far a table has been extracted: every row at or below `(updatedAt, key)` was. */
export interface ExtractPosition {
  /** ISO-8601 UTC with microseconds, e.g. `2026-12-03T16:42:38.123456Z`. */
  readonly updatedAt: string;
  readonly key: string;
}

/** What a watermark object holds. */
export interface ExtractWatermark extends ExtractPosition {
  readonly table: ExtractTable;
  /** The mode of the run that wrote it (a snapshot resets it). */
  readonly mode: ExtractMode;
  /** When the run that wrote it started (same form as `updatedAt`). */
  readonly extractedAt: string;
}

export type ExtractMode = 'incremental' | 'snapshot';

/**
 * The detail of one line of an extract object ({@link ExtractEnvelope}), keys in this order, e.g.
 * `{"table":"items","op":"upsert","key":"i1","updated_at":"2026-12-03T10:01:10.000000Z","extracted_at":"2026-12-03T10:02:00.000000Z","mode":"incremental","row":{"item_id":"i1",…,"price_minor":1800,…}}`.
 */
export interface ExtractLine {
  readonly table: ExtractTable;
  /** `delete` when the row is soft-deleted (`deleted_at` set); the row still comes with it. */
  readonly op: 'upsert' | 'delete';
  readonly key: string;
  /** The row's `updated_at`, ISO-8601 UTC with microseconds. */
  readonly updated_at: string;
  /** When the run started (same form): the same on every line of a run. */
  readonly extracted_at: string;
  readonly mode: ExtractMode;
  /**
   * Every column by name, in table order: timestamps as ISO-8601 UTC with microseconds (null when unset),
   * bigint as JSON numbers (exact up to 2^53, which money in minor units stays below), text as strings.
   */
  readonly row: Record<string, unknown>;
}

/** The envelope `source` of extract lines (and the `source=` of their keys). */
export const EXTRACT_SOURCE = 'oltp';

/**
 * One line of an extract object as written: an event envelope with the row version as its detail, e.g.
 * `{"version":"0","id":"5f0c…","detail-type":"items","source":"oltp","account":"000000000000","time":"2026-12-03T10:01:10Z","region":"local","resources":[],"detail":{…}}`.
 */
export interface ExtractEnvelope {
  readonly version: '0';
  /** UUID-shaped, from sha256 of (table, key, updated_at): the same row version always has the same id. */
  readonly id: string;
  readonly 'detail-type': ExtractTable;
  readonly source: typeof EXTRACT_SOURCE;
  readonly account: string;
  /** The row's `updated_at` truncated to whole seconds, as envelopes write time: `YYYY-MM-DDTHH:MM:SSZ`. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly [];
  readonly detail: ExtractLine;
}

/** The envelope account of extract lines unless told. */
export const DEFAULT_EXTRACT_ACCOUNT = '000000000000';
/** The envelope region of extract lines unless told. */
export const DEFAULT_EXTRACT_REGION = 'local';

/** The envelope id of a row version: sha256 of (table, key, updated_at), written as a UUID. */
export function extractLineId(table: string, key: string, updatedAt: string): string {
  const h = createHash('sha256')
    .update(table)
    .update('\n')
    .update(key)
    .update('\n')
    .update(updatedAt)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Options of {@link extractTables}. */
export interface ExtractOptions {
  /** The tables to read; all when absent. Each must be one of {@link EXTRACT_TABLE_NAMES}. */
  readonly tables?: readonly string[];
  readonly mode: ExtractMode;
  readonly clock: Clock;
  /** Rows per page (one object each). @default 10_000 */
  readonly batchRows?: number;
  /** Rows changed less than this long before the run's clock wait for the next run. @default 5 */
  readonly settleSeconds?: number;
  /** Progress lines, one per object written. */
  readonly onProgress?: (message: string) => void;
  /** The envelope `account` of the lines. @default '000000000000' */
  readonly account?: string;
  /** The envelope `region` of the lines. @default 'local' */
  readonly region?: string;
}

/** What an extract did for one table. */
export interface TableExtractReport {
  readonly table: ExtractTable;
  readonly mode: ExtractMode;
  /** Lines written (row versions). */
  readonly rows: number;
  /** Lines with op `delete`. */
  readonly deletes: number;
  readonly objects: number;
  readonly objectKeys: readonly string[];
  readonly watermarkBefore: ExtractPosition | null;
  readonly watermarkAfter: ExtractPosition | null;
  /** Rows changed after this (the settle bound) were left for the next run (incremental), or not counted in the watermark (snapshot). */
  readonly settledBefore: string;
  readonly seconds: number;
}

/** What an extract did. */
export interface ExtractReport {
  readonly mode: ExtractMode;
  /** When the run started (each line's `extracted_at`). */
  readonly extractedAt: string;
  readonly tables: readonly TableExtractReport[];
  readonly seconds: number;
}

/** Checks table names against the fixed list; all tables when none are given. */
export function resolveExtractTables(tables: readonly string[] | undefined): ExtractTable[] {
  if (!tables || tables.length === 0) return [...EXTRACT_TABLE_NAMES];
  const wanted = new Set<ExtractTable>();
  for (const t of tables) {
    if (!Object.hasOwn(EXTRACT_TABLES, t)) throw new ExtractTableUnknownError(t);
    wanted.add(t as ExtractTable);
  }
  // Referenced tables first, whatever order they were asked in.
  return EXTRACT_TABLE_NAMES.filter((t) => wanted.has(t));
}

/**
 * Extracts tables of the marketplace database into `store` (see the module comment for the guarantees).
 * Returns a report per table.
 */
export async function extractTables(
  db: OltpDatabase,
  store: ObjectStore,
  options: ExtractOptions,
): Promise<ExtractReport> {
  const tables = resolveExtractTables(options.tables);
  const batchRows = options.batchRows ?? DEFAULT_EXTRACT_BATCH_ROWS;
  const settleSeconds = options.settleSeconds ?? DEFAULT_SETTLE_SECONDS;
  if (!Number.isInteger(batchRows) || batchRows < 1)
    throw new EltError(`batchRows must be a positive integer, got ${batchRows}`);
  if (!Number.isFinite(settleSeconds) || settleSeconds < 0)
    throw new EltError(`settleSeconds must be 0 or more, got ${settleSeconds}`);
  const started = performance.now();
  const runAt = options.clock.now();
  const run: Run = {
    db,
    store,
    mode: options.mode,
    runAt,
    extractedAt: microsTime(runAt),
    settledBefore: microsTime(new Date(runAt.getTime() - Math.round(settleSeconds * 1000))),
    batchRows,
    onProgress: options.onProgress ?? (() => undefined),
    account: options.account ?? DEFAULT_EXTRACT_ACCOUNT,
    region: options.region ?? DEFAULT_EXTRACT_REGION,
  };
  await assertTablesExist(db, tables);
  const reports: TableExtractReport[] = [];
  if (options.mode === 'incremental') {
    for (const table of tables) reports.push(await extractIncremental(run, table));
  } else {
    // One transaction for every table: one consistent view (an item's seller is in the users read).
    await db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      await tx.query(`SET LOCAL TimeZone = 'UTC'`);
      for (const table of tables) reports.push(await extractSnapshot(run, tx, table));
    });
  }
  return {
    mode: options.mode,
    extractedAt: run.extractedAt,
    tables: reports,
    seconds: seconds(started),
  };
}

/** Reads a table's watermark; undefined when there is none. */
export async function readExtractWatermark(
  store: ObjectStore,
  table: ExtractTable,
): Promise<ExtractWatermark | undefined> {
  const key = extractWatermarkKey(table);
  let body: Uint8Array;
  try {
    body = await store.get(key);
  } catch (error) {
    // Missing (no run yet) or unreadable: only a listing tells the two apart on every store.
    for await (const o of store.list(key)) if (o.key === key) throw error;
    return undefined;
  }
  let mark: Partial<ExtractWatermark>;
  try {
    mark = JSON.parse(Buffer.from(body).toString('utf8')) as Partial<ExtractWatermark>;
  } catch {
    throw new ExtractWatermarkInvalidError(key, 'not JSON');
  }
  if (mark.table !== table) throw new ExtractWatermarkInvalidError(key, `its table is not ${table}`);
  if (typeof mark.updatedAt !== 'string' || !MICROS_TIME.test(mark.updatedAt))
    throw new ExtractWatermarkInvalidError(key, 'updatedAt is not an ISO-8601 UTC time with microseconds');
  if (typeof mark.key !== 'string') throw new ExtractWatermarkInvalidError(key, 'key is not text');
  return mark as ExtractWatermark;
}

async function writeExtractWatermark(store: ObjectStore, mark: ExtractWatermark): Promise<void> {
  await store.put(extractWatermarkKey(mark.table), Buffer.from(`${JSON.stringify(mark)}\n`), {
    contentType: 'application/json',
  });
}

interface Run {
  readonly db: OltpDatabase;
  readonly store: ObjectStore;
  readonly mode: ExtractMode;
  readonly runAt: Date;
  readonly extractedAt: string;
  readonly settledBefore: string;
  readonly batchRows: number;
  readonly onProgress: (message: string) => void;
  readonly account: string;
  readonly region: string;
}

/** One row as the page query returns it. */
interface PageRow {
  /** updated_at, ISO-8601 UTC with microseconds. */
  readonly u: string;
  readonly k: string;
  /** The whole row as JSON text (column order, session time zone UTC). */
  readonly r: string;
}

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ`: the form of every timestamp the extract writes from the database. */
const MICROS_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const MICROS_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;
/** Before every row: the start of a first incremental run. */
const ORIGIN: ExtractPosition = { updatedAt: '-infinity', key: '' };

/**
 * The page statement of a table: rows past a position, not after a bound, in `(updated_at, key)` order.
 * Names come from {@link EXTRACT_TABLES}; every value is a parameter.
 */
function pageSql(table: ExtractTable): string {
  const key = EXTRACT_TABLES[table].key;
  return `SELECT to_char(t.updated_at AT TIME ZONE 'UTC', ${MICROS_FORMAT}) AS u, t.${key}::text AS k, to_json(t)::text AS r
FROM ${table} AS t
WHERE (t.updated_at, t.${key}) > ($1::timestamptz, $2::text) AND t.updated_at <= $3::timestamptz
ORDER BY t.updated_at, t.${key}
LIMIT $4`;
}

/** The timestamptz columns of each table (to write them as UTC with microseconds). */
async function timestampColumns(sql: OltpSql, table: ExtractTable): Promise<ReadonlySet<string>> {
  const r = await sql.query<{ name: string }>(
    `SELECT attname::text AS name FROM pg_attribute
     WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped AND atttypid = 'timestamptz'::regtype`,
    [table],
  );
  return new Set(r.rows.map((c) => c.name));
}

async function assertTablesExist(db: OltpDatabase, tables: readonly ExtractTable[]): Promise<void> {
  for (const table of tables) {
    const r = await db.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [table]);
    if (!r.rows[0]?.found) throw new ExtractSourceMissingError(table, db.description);
  }
}

async function extractIncremental(run: Run, table: ExtractTable): Promise<TableExtractReport> {
  const started = performance.now();
  const before = await readExtractWatermark(run.store, table);
  const tzColumns = await timestampColumns(run.db, table);
  const tally = newTally();
  let position: ExtractPosition = before ?? ORIGIN;
  for (;;) {
    // A short transaction per page: no snapshot is held while objects are written.
    const rows = await run.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL TimeZone = 'UTC'`);
      return (
        await tx.query<PageRow>(pageSql(table), [
          position.updatedAt,
          position.key,
          run.settledBefore,
          run.batchRows,
        ])
      ).rows;
    });
    if (rows.length === 0) break;
    await writePage(run, table, tzColumns, rows, tally);
    const last = rows.at(-1)!;
    position = { updatedAt: last.u, key: last.k };
    // Only once the object is durable: a crash before this line leaves the old watermark.
    await writeExtractWatermark(run.store, {
      table,
      ...position,
      mode: run.mode,
      extractedAt: run.extractedAt,
    });
    if (rows.length < run.batchRows) break;
  }
  return report(run, table, tally, before ?? null, position === ORIGIN ? null : position, started);
}

async function extractSnapshot(run: Run, tx: OltpSql, table: ExtractTable): Promise<TableExtractReport> {
  const started = performance.now();
  const before = await readExtractWatermark(run.store, table).catch((error: unknown) => {
    // A snapshot resets the watermark: one that cannot be read is replaced.
    if (error instanceof ExtractWatermarkInvalidError) return undefined;
    throw error;
  });
  const tzColumns = await timestampColumns(tx, table);
  const tally = newTally();
  let position: ExtractPosition = ORIGIN;
  let settled: ExtractPosition | null = null;
  for (;;) {
    const rows = (
      await tx.query<PageRow>(pageSql(table), [position.updatedAt, position.key, 'infinity', run.batchRows])
    ).rows;
    if (rows.length === 0) break;
    await writePage(run, table, tzColumns, rows, tally);
    const last = rows.at(-1)!;
    position = { updatedAt: last.u, key: last.k };
    for (const row of rows) {
      // Texts of one ISO form (4-digit years) compare as the instants they name.
      if (row.u <= run.settledBefore) settled = { updatedAt: row.u, key: row.k };
    }
    if (rows.length < run.batchRows) break;
  }
  // Every page is durable: reset the watermark to what the snapshot settled (or to none).
  if (settled)
    await writeExtractWatermark(run.store, {
      table,
      ...settled,
      mode: run.mode,
      extractedAt: run.extractedAt,
    });
  else await run.store.delete(extractWatermarkKey(table));
  return report(run, table, tally, before ?? null, settled, started);
}

interface Tally {
  rows: number;
  deletes: number;
  readonly objectKeys: string[];
}

function newTally(): Tally {
  return { rows: 0, deletes: 0, objectKeys: [] };
}

/** Writes one page as one object, named by its content. */
async function writePage(
  run: Run,
  table: ExtractTable,
  tzColumns: ReadonlySet<string>,
  rows: readonly PageRow[],
  tally: Tally,
): Promise<void> {
  const lines: string[] = [];
  const rowTexts: string[] = [];
  let deletes = 0;
  for (const r of rows) {
    const row = normalizeRow(table, JSON.parse(r.r) as Record<string, unknown>, tzColumns);
    const op = row.deleted_at !== null && row.deleted_at !== undefined ? 'delete' : 'upsert';
    if (op === 'delete') deletes++;
    const line: ExtractLine = {
      table,
      op,
      key: r.k,
      updated_at: r.u,
      extracted_at: run.extractedAt,
      mode: run.mode,
      row,
    };
    const envelope: ExtractEnvelope = {
      version: '0',
      id: extractLineId(table, r.k, r.u),
      'detail-type': table,
      source: EXTRACT_SOURCE,
      account: run.account,
      time: `${r.u.slice(0, 19)}Z`,
      region: run.region,
      resources: [],
      detail: line,
    };
    const rowText = JSON.stringify(row);
    rowTexts.push(rowText);
    lines.push(JSON.stringify(envelope));
  }
  const first = rows[0]!;
  const last = rows.at(-1)!;
  const name = oltpExtractObjectName([
    table,
    run.mode,
    first.u,
    first.k,
    last.u,
    last.k,
    String(rows.length),
    ...rowTexts,
  ]);
  const key = oltpExtractObjectKey(table, run.runAt, name);
  await run.store.put(key, await gzipNdjson(lines), {
    contentType: 'application/x-ndjson',
    contentEncoding: 'gzip',
  });
  tally.rows += rows.length;
  tally.deletes += deletes;
  tally.objectKeys.push(key);
  run.onProgress(
    `${table}: ${tally.rows.toLocaleString('en-US')} rows in ${tally.objectKeys.length} object(s), up to ${last.u}`,
  );
}

/** Writes the row's timestamps as ISO-8601 UTC with microseconds (the session's time zone is UTC). */
function normalizeRow(
  table: ExtractTable,
  row: Record<string, unknown>,
  tzColumns: ReadonlySet<string>,
): Record<string, unknown> {
  for (const column of tzColumns) {
    const value = row[column];
    if (value === null || value === undefined) continue;
    const m =
      typeof value === 'string'
        ? /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?\+00(?::00)?$/.exec(value)
        : null;
    if (!m)
      throw new ExtractValueError(
        `${table}.${column} of a row is not a UTC timestamp in ISO form (${typeof value === 'string' ? value.slice(0, 40) : typeof value})`,
      );
    row[column] = `${m[1]}.${(m[2] ?? '').padEnd(6, '0')}Z`;
  }
  return row;
}

function report(
  run: Run,
  table: ExtractTable,
  tally: Tally,
  before: ExtractPosition | null,
  after: ExtractPosition | null,
  started: number,
): TableExtractReport {
  return {
    table,
    mode: run.mode,
    rows: tally.rows,
    deletes: tally.deletes,
    objects: tally.objectKeys.length,
    objectKeys: tally.objectKeys,
    watermarkBefore: before ? { updatedAt: before.updatedAt, key: before.key } : null,
    watermarkAfter: after ? { updatedAt: after.updatedAt, key: after.key } : null,
    settledBefore: run.settledBefore,
    seconds: seconds(started),
  };
}

/** A time in the extract's form, `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
function microsTime(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000Z`;
}

function seconds(since: number): number {
  return Math.round(performance.now() - since) / 1000;
}
