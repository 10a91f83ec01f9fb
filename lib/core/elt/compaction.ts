// Compaction of closed raw partitions: the objects of an hour partition, written one per landing batch,
// merged into few objects of a target size. The ledger (elt_loaded_objects, elt_compacted_objects) learns
// which originals a compacted object replaces before the object exists, and the originals are removed only
// after it is durable, so a crash at any step leaves a state the next compaction and the next ELT run handle:
//
//   1. record  one transaction: every original gets a ledger row (the loaded ones have it already) and a row
//              naming the compacted object that replaces it; the compacted object gets a ledger row only when
//              every original was loaded (its events are in the warehouse through them), else none: the
//              next ELT run loads it, and skips the originals.
//   2. write   the compacted object (one gzip member of every original's lines, in key order).
//   3. delete  the originals, one by one.
//
// A crash after 1 leaves originals the ledger calls replaced by an object that is not there: the next
// compaction writes that object again from exactly those originals (its name is a hash of their keys).
// A crash after 2 or during 3 leaves originals beside their compacted object: the next compaction deletes
// them, and no ELT run loads them (the ledger has them). Compaction holds the warehouse's run lock, so no
// load runs while it reads and writes the ledger.
import { createGzip, gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { timePartition } from '../events/event-time.js';
import { linesDigest, OBJECT_SUFFIX, RAW_PREFIX, parseRawKey } from '../landing/object-keys.js';
import { DEFAULT_GZIP_LEVEL } from '../landing/ndjson-gzip.js';
import type { Clock, EltWarehouse, ObjectInfo, ObjectStore } from '../ports.js';
import { EltError } from '../util/errors.js';
import { newRunId } from './elt-steps.js';
import { COMPACTED_LOADED_PREFIX, COMPACTED_PREFIX } from './raw-listing.js';
import { warehouseStatement } from './sql-sources.js';
import { parseObjectKey, sqlLiteral, sqlTimestamp, type RunId } from './sql-values.js';

const gunzipAsync = promisify(gunzip);

/** The default most compressed bytes of one compacted object: 128 MiB (Redshift COPY reads 1 MB–1 GB files best). */
export const DEFAULT_COMPACTION_TARGET_BYTES = 128 * 1024 * 1024;
/** Most originals one compacted object replaces: bounds the record transaction (a Data API statement is ≤ 100 KB). */
export const MAX_ORIGINALS_PER_OBJECT = 1000;
/** Originals named in one INSERT of the record transaction (about 110 bytes of SQL each). */
const ORIGINALS_PER_STATEMENT = 250;
/** How long compaction may hold the run lock when it claims a lock row (Redshift). */
const COMPACTION_LOCK_TTL_MS = 30 * 60_000;

/** The steps of one compacted object, for {@link CompactionOptions.onStep} (tests stop a compaction at each). */
export type CompactionStep = 'recorded' | 'written' | 'deleted';

export interface CompactionOptions {
  readonly store: ObjectStore;
  readonly warehouse: EltWarehouse;
  readonly clock: Clock;
  /**
   * How late an event may land and still be filed under its own hour (the ELT's `latenessHours`): an hour
   * partition is closed, and compacted, this many hours after it ends. @default 1
   */
  readonly latenessHours?: number;
  /** Most compressed bytes of one compacted object. @default {@link DEFAULT_COMPACTION_TARGET_BYTES} */
  readonly targetBytes?: number;
  /**
   * Only partitions of the last this many hours are listed (what an hourly schedule needs); unset: all of
   * `raw/` (a local directory). @default unset
   */
  readonly lookbackHours?: number;
  /**
   * The time (epoch ms) by which to stop: no further object is started after it less the time the slowest
   * took (a Lambda function's end less a reserve); the next compaction goes on from there. @default none
   */
  readonly deadline?: number;
  /** Report what would be done, change nothing. @default false */
  readonly dryRun?: boolean;
  readonly onProgress?: (message: string) => void;
  /**
   * Called after each step of each compacted object, with the object's key. Tests kill the process here;
   * an error it throws stops the compaction where it is, as a crash would.
   */
  readonly onStep?: (step: CompactionStep, key: string) => void | Promise<void>;
}

/** What one compaction did (or, with `dryRun`, would do). */
export interface CompactionReport {
  readonly compactionId: string;
  /** Hour partitions listed, and of them the closed ones. */
  readonly partitions: number;
  readonly closedPartitions: number;
  /** Closed partitions that got a new compacted object. */
  readonly compactedPartitions: number;
  /** Objects in the listed partitions before and after. */
  readonly objectsBefore: number;
  readonly objectsAfter: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  /** Compacted objects written, the originals they replace, and the events in them. */
  readonly compactedObjects: number;
  readonly originalsReplaced: number;
  readonly events: number;
  /** Originals an earlier, interrupted compaction left beside their durable compacted object: deleted. */
  readonly leftoversRemoved: number;
  /** Compacted objects an interrupted compaction had recorded but not written: written now. */
  readonly resumed: number;
  /** Requests to the store: object reads, writes, deletes. */
  readonly gets: number;
  readonly puts: number;
  readonly deletes: number;
  /** Partitions left as they were, each with why (an original that cannot be read, an original missing). */
  readonly problems: readonly string[];
  /** The deadline came before every closed partition was compacted: the next compaction goes on. */
  readonly complete: boolean;
  /** Another run held the warehouse's run lock: nothing was done. */
  readonly lockedBy?: string;
  readonly dryRun: boolean;
  readonly durationMs: number;
}

/** A compaction could not go on (an original that is not gzip NDJSON, an original missing). */
export class CompactionError extends EltError {}

/** The compacted object replacing these originals: a hash of their sorted keys, so a retry names it the same. */
export function compactedKey(partitionPrefix: string, originals: readonly string[], loaded: boolean): string {
  const digest = linesDigest([...originals].sort());
  const key = `${partitionPrefix}${loaded ? COMPACTED_LOADED_PREFIX : COMPACTED_PREFIX}${digest.slice(0, 32)}${OBJECT_SUFFIX}`;
  parseObjectKey(key);
  return key;
}

/** The partition prefix of a raw key (`raw/source=…/detail_type=…/dt=…/hour=HH/`). */
function partitionOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

/** When an hour partition's hour ends (ms). */
function partitionEnd(key: string): number {
  const p = parseRawKey(key)!;
  return Date.parse(`${p.dt}T${p.hour}:00:00Z`) + 3600_000;
}

/** Upper bound of the keys under a prefix ending in `/`: every key under it sorts below this. */
const prefixEnd = (prefix: string): string => `${prefix.slice(0, -1)}0`;

/**
 * Compacts every closed hour partition under `raw/` (of the last `lookbackHours` when set). Holds the
 * warehouse's run lock throughout; stops having done nothing when an ELT run holds it.
 */
export async function compactRaw(options: CompactionOptions): Promise<CompactionReport> {
  const started = Date.now();
  const now = options.clock.now();
  const id = newRunId(now);
  const lateness = options.latenessHours ?? 1;
  const target = options.targetBytes ?? DEFAULT_COMPACTION_TARGET_BYTES;
  if (!(target > 0))
    throw new CompactionError(`the target size must be a positive number of bytes, not ${target}`);
  const counts = {
    partitions: 0,
    closedPartitions: 0,
    compactedPartitions: 0,
    objectsBefore: 0,
    objectsAfter: 0,
    bytesBefore: 0,
    bytesAfter: 0,
    compactedObjects: 0,
    originalsReplaced: 0,
    events: 0,
    leftoversRemoved: 0,
    resumed: 0,
    gets: 0,
    puts: 0,
    deletes: 0,
  };
  const problems: string[] = [];
  const stopped = { at: '', slowestMs: 0 };
  const report = (extra: Partial<CompactionReport> = {}): CompactionReport => ({
    compactionId: id,
    ...counts,
    problems,
    complete: !stopped.at,
    dryRun: Boolean(options.dryRun),
    durationMs: Date.now() - started,
    ...extra,
  });
  const { warehouse, store } = options;
  await warehouse.ensureSchema();
  const holder = await warehouse.runLock.claim(id, now, new Date(now.getTime() + COMPACTION_LOCK_TTL_MS));
  if (holder !== id) {
    options.onProgress?.(`compact: run ${holder} holds the run lock; stopping`);
    return report({ lockedBy: holder });
  }
  try {
    for await (const range of typeRanges(store, now, options.lookbackHours, lateness)) {
      const partitions = new Map<string, ObjectInfo[]>();
      for await (const o of store.list(
        range.prefix,
        range.startAfter ? { startAfter: range.startAfter } : {},
      )) {
        if (range.startAfter && o.key <= range.startAfter) continue;
        if (!o.key.endsWith(OBJECT_SUFFIX) || !parseRawKey(o.key)) continue;
        const p = partitionOf(o.key);
        const list = partitions.get(p);
        if (list) list.push(o);
        else partitions.set(p, [o]);
      }
      if (partitions.size === 0) continue;
      const ledger = await ledgerOf(warehouse, range);
      for (const [prefix, objects] of [...partitions].sort(([a], [b]) => (a < b ? -1 : 1))) {
        counts.partitions++;
        const before = objects.length;
        const bytes = objects.reduce((n, o) => n + o.size, 0);
        counts.objectsBefore += before;
        counts.bytesBefore += bytes;
        if (partitionEnd(objects[0]!.key) + lateness * 3600_000 > now.getTime()) {
          counts.objectsAfter += before;
          counts.bytesAfter += bytes;
          continue;
        }
        counts.closedPartitions++;
        const t0 = Date.now();
        if (
          stopped.at ||
          (options.deadline !== undefined &&
            t0 + Math.max(stopped.slowestMs * 1.5, 30_000) > options.deadline)
        ) {
          stopped.at ||= prefix;
          counts.objectsAfter += before;
          counts.bytesAfter += bytes;
          continue;
        }
        let after: { objects: number; bytes: number };
        try {
          after = await compactPartition(options, id, target, prefix, objects, ledger, counts);
          stopped.slowestMs = Math.max(stopped.slowestMs, Date.now() - t0);
        } catch (error) {
          if (!(error instanceof CompactionError)) throw error;
          // Nothing of the failed group was recorded or written: the partition stays as it was.
          problems.push(`${prefix}: ${error.message}`);
          options.onProgress?.(`compact: leaving ${prefix} as it is: ${error.message}`);
          after = { objects: before, bytes };
        }
        counts.objectsAfter += after.objects;
        counts.bytesAfter += after.bytes;
      }
    }
  } finally {
    await warehouse.runLock
      .release(id)
      .catch((error: unknown) =>
        options.onProgress?.(`compact: could not release the run lock of ${id}: ${(error as Error).message}`),
      );
  }
  if (stopped.at)
    options.onProgress?.(
      `compact: stopping before ${stopped.at} for the deadline; the next compaction goes on`,
    );
  const r = report();
  options.onProgress?.(
    `compact: ${r.compactedObjects} compacted object(s) replace ${r.originalsReplaced} original(s) in ${r.compactedPartitions} of ${r.closedPartitions} closed partition(s); objects ${r.objectsBefore} → ${r.objectsAfter}${r.leftoversRemoved ? `, ${r.leftoversRemoved} leftover(s) removed` : ''}${r.resumed ? `, ${r.resumed} interrupted compaction(s) finished` : ''}`,
  );
  return r;
}

/** One source/detail-type prefix to list, from `startAfter` on when only recent partitions are wanted. */
async function* typeRanges(
  store: ObjectStore,
  now: Date,
  lookbackHours: number | undefined,
  lateness: number,
): AsyncGenerator<{ prefix: string; startAfter?: string; since?: Date }> {
  if (lookbackHours === undefined || !store.listPrefixes) {
    const types = new Set<string>();
    for await (const o of store.list(RAW_PREFIX)) {
      const p = parseRawKey(o.key);
      if (p) types.add(`${RAW_PREFIX}source=${p.source}/detail_type=${p.detailType}/`);
    }
    for (const prefix of [...types].sort()) yield { prefix };
    return;
  }
  const floorDay = timePartition(new Date(now.getTime() - (lookbackHours + lateness + 1) * 3600_000)).dt;
  // An object of a partition was written (and so loaded) after the partition began, less clock skew and
  // events stamped ahead of their landing: a day before its first partition bounds the ledger rows read.
  const since = new Date(Date.parse(`${floorDay}T00:00:00Z`) - 24 * 3600_000);
  for await (const source of store.listPrefixes(RAW_PREFIX))
    for await (const type of store.listPrefixes(source))
      yield { prefix: type, startAfter: `${type}dt=${floorDay}`, since };
}

/** What the warehouse knows of the keys in a range: loaded ones, and which compacted object replaces which. */
interface LedgerView {
  readonly loaded: ReadonlySet<string>;
  /** Original → the compacted objects recorded as replacing it. */
  readonly replacedBy: ReadonlyMap<string, readonly string[]>;
  /** Compacted object → the originals recorded for it. */
  readonly originalsOf: ReadonlyMap<string, readonly string[]>;
}

async function ledgerOf(
  warehouse: EltWarehouse,
  range: { readonly prefix: string; readonly startAfter?: string; readonly since?: Date },
): Promise<LedgerView> {
  const params = [
    sqlTimestamp(range.since ?? new Date(0)),
    range.startAfter ?? range.prefix,
    prefixEnd(range.prefix),
  ];
  const loadedRows = await warehouse.query(warehouseStatement('compaction-loaded-keys'), params);
  const replacedRows = await warehouse.query(warehouseStatement('compaction-replaced-keys'), params);
  const replacedBy = new Map<string, string[]>();
  const originalsOf = new Map<string, string[]>();
  for (const r of replacedRows) {
    const original = String(r.object_key);
    const compacted = String(r.compacted_key);
    replacedBy.set(original, [...(replacedBy.get(original) ?? []), compacted]);
    originalsOf.set(compacted, [...(originalsOf.get(compacted) ?? []), original]);
  }
  return { loaded: new Set(loadedRows.map((r) => String(r.object_key))), replacedBy, originalsOf };
}

type Counts = {
  -readonly [
    K in keyof Omit<
      CompactionReport,
      'compactionId' | 'problems' | 'complete' | 'lockedBy' | 'dryRun' | 'durationMs'
    >
  ]: number;
};

/** Compacts one closed partition; returns the objects and bytes it holds afterwards. */
async function compactPartition(
  options: CompactionOptions,
  id: RunId,
  target: number,
  prefix: string,
  objects: readonly ObjectInfo[],
  ledger: LedgerView,
  counts: Counts,
): Promise<{ objects: number; bytes: number }> {
  const { store } = options;
  const present = new Map(objects.map((o) => [o.key, o]));
  let remaining = new Map(present);
  // Leftovers of an interrupted compaction: originals whose compacted object is there (durable).
  for (const o of objects) {
    const by = ledger.replacedBy.get(o.key)?.find((k) => present.has(k));
    if (by === undefined) continue;
    if (!options.dryRun) {
      await store.delete(o.key);
      counts.deletes++;
    }
    counts.leftoversRemoved++;
    remaining.delete(o.key);
  }
  let compacted = false;
  // Compactions recorded but never written: write them from the very originals they name.
  for (const [key, originals] of ledger.originalsOf) {
    if (partitionOf(key) !== prefix || present.has(key)) continue;
    const here = originals.filter((k) => remaining.has(k));
    if (here.length === 0) continue; // written and since compacted again, or an orphan of a changed group
    if (here.length !== originals.length)
      throw new CompactionError(
        `${key} was recorded for ${originals.length} original(s) and ${originals.length - here.length} of them are gone`,
      );
    const loaded = key.slice(prefix.length).startsWith(COMPACTED_LOADED_PREFIX);
    const group = here.map((k) => remaining.get(k)!);
    remaining = await compactGroup(options, id, prefix, group, loaded, counts, remaining);
    counts.resumed++;
    compacted = true;
  }
  // New groups: the loaded originals and the unloaded ones apart, each in key order up to the target size.
  const candidates = [...remaining.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  for (const loaded of [true, false]) {
    const pool = candidates.filter((o) => remaining.has(o.key) && ledger.loaded.has(o.key) === loaded);
    for (const group of groups(pool, target)) {
      if (group.length < 2) continue;
      remaining = await compactGroup(options, id, prefix, group, loaded, counts, remaining);
      compacted = true;
    }
  }
  if (compacted) counts.compactedPartitions++;
  return tally(remaining);
}

const tally = (objects: ReadonlyMap<string, ObjectInfo>): { objects: number; bytes: number } => ({
  objects: objects.size,
  bytes: [...objects.values()].reduce((n, o) => n + o.size, 0),
});

/** Consecutive runs of objects, each up to `target` bytes and {@link MAX_ORIGINALS_PER_OBJECT} objects. */
function groups(objects: readonly ObjectInfo[], target: number): ObjectInfo[][] {
  const out: ObjectInfo[][] = [];
  let current: ObjectInfo[] = [];
  let bytes = 0;
  for (const o of objects) {
    if (current.length > 0 && (bytes + o.size > target || current.length >= MAX_ORIGINALS_PER_OBJECT)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(o);
    bytes += o.size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Records, writes and deletes one group: steps 1–3 of the module comment. Returns what remains. */
async function compactGroup(
  options: CompactionOptions,
  id: RunId,
  prefix: string,
  group: readonly ObjectInfo[],
  loaded: boolean,
  counts: Counts,
  remaining: Map<string, ObjectInfo>,
): Promise<Map<string, ObjectInfo>> {
  const { store, warehouse } = options;
  const keys = group.map((o) => o.key).sort();
  const key = compactedKey(prefix, keys, loaded);
  const next = new Map(remaining);
  for (const k of keys) next.delete(k);
  if (options.dryRun) {
    next.set(key, { key, size: group.reduce((n, o) => n + o.size, 0) });
    counts.compactedObjects++;
    counts.originalsReplaced += keys.length;
    return next;
  }
  const { body, events } = await merge(store, keys, counts);
  await warehouse.executeBatch(recordStatements(warehouse, id, key, body.length, group, loaded));
  await options.onStep?.('recorded', key);
  await store.put(key, body, { contentType: 'application/x-ndjson', contentEncoding: 'gzip' });
  counts.puts++;
  await options.onStep?.('written', key);
  for (const k of keys) {
    await store.delete(k);
    counts.deletes++;
    await options.onStep?.('deleted', k);
  }
  counts.compactedObjects++;
  counts.originalsReplaced += keys.length;
  counts.events += events;
  next.set(key, { key, size: body.length });
  options.onProgress?.(`compact: ${key} (${keys.length} objects, ${events} events, ${body.length} bytes)`);
  return next;
}

/** The originals' lines, in key order, as one gzip member; and how many lines (events) they hold. */
async function merge(
  store: ObjectStore,
  keys: readonly string[],
  counts: Counts,
): Promise<{ body: Buffer; events: number }> {
  const gz = createGzip({ level: DEFAULT_GZIP_LEVEL });
  const chunks: Buffer[] = [];
  gz.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    gz.on('end', resolve);
    gz.on('error', reject);
  });
  let events = 0;
  for (const key of keys) {
    let text: Buffer;
    try {
      text = await gunzipAsync(await store.get(key));
    } catch (error) {
      throw new CompactionError(`cannot read ${key} as gzip NDJSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
    counts.gets++;
    if (text.length === 0) continue;
    for (let i = text.indexOf(10); i !== -1; i = text.indexOf(10, i + 1)) events++;
    const whole = text[text.length - 1] === 10 ? text : Buffer.concat([text, Buffer.from('\n')]);
    if (whole !== text) events++;
    if (!gz.write(whole)) await new Promise((resolve) => gz.once('drain', resolve));
  }
  gz.end();
  await done;
  return { body: Buffer.concat(chunks), events };
}

/**
 * The record transaction of one compacted object (step 1). A Data API batch takes no parameters: keys are
 * checked ({@link parseObjectKey}) and written through {@link sqlLiteral}. Every statement is idempotent,
 * so a compaction resumed after a crash records the same object again harmlessly.
 */
export function recordStatements(
  warehouse: Pick<EltWarehouse, 'dialect'>,
  id: RunId,
  key: string,
  size: number,
  originals: readonly ObjectInfo[],
  allLoaded: boolean,
): string[] {
  const now = warehouse.dialect.nowUtc;
  const k = sqlLiteral(parseObjectKey(key));
  const statements: string[] = [];
  // Redshift keeps the ledger's key as information only: the same lock a load takes keeps them apart.
  if (warehouse.dialect.name === 'redshift') statements.push('LOCK elt_loaded_objects');
  statements.push(`DELETE FROM elt_compacted_objects WHERE compacted_key = ${k}`);
  for (let i = 0; i < originals.length; i += ORIGINALS_PER_STATEMENT) {
    const rows = originals
      .slice(i, i + ORIGINALS_PER_STATEMENT)
      .map((o, j) =>
        j === 0
          ? `SELECT CAST(${sqlLiteral(parseObjectKey(o.key))} AS VARCHAR(1024)) AS object_key, CAST(${sqlLiteral(o.size)} AS BIGINT) AS size_bytes`
          : `SELECT ${sqlLiteral(parseObjectKey(o.key))}, ${sqlLiteral(o.size)}`,
      )
      .join(' UNION ALL ');
    // An unloaded original gets a ledger row with no events: its events arrive through the compacted object.
    statements.push(
      `INSERT INTO elt_loaded_objects (object_key, size_bytes, events, run_id, loaded_at) SELECT v.object_key, v.size_bytes, 0, ${sqlLiteral(id)}, ${now} FROM (${rows}) v WHERE NOT EXISTS (SELECT 1 FROM elt_loaded_objects l WHERE l.object_key = v.object_key)`,
      `INSERT INTO elt_compacted_objects (object_key, compacted_key, compacted_at) SELECT v.object_key, ${k}, ${now} FROM (${rows}) v`,
    );
  }
  if (allLoaded)
    statements.push(
      `INSERT INTO elt_loaded_objects (object_key, size_bytes, events, run_id, loaded_at) SELECT ${k}, ${sqlLiteral(size)}, 0, ${sqlLiteral(id)}, ${now} WHERE NOT EXISTS (SELECT 1 FROM elt_loaded_objects WHERE object_key = ${k})`,
    );
  return statements;
}
