import { createHash } from 'node:crypto';
import { ELT_EVENT_SOURCE } from '../events/catalogue.js';
import { timePartition } from '../events/event-time.js';
import { OBJECT_SUFFIX, RAW_PREFIX, isRawLoadKey, parseRawKey } from '../landing/object-keys.js';
import type { ObjectInfo, ObjectStore } from '../ports.js';

/**
 * Where published runs leave their watermarks: every raw object written before one (less
 * {@link WATERMARK_MARGIN_MS}) was planned by a published run. Not under `manifests/`, whose objects
 * expire after 30 days: a pipeline quiet for longer must not lose its watermark.
 */
export const WATERMARK_PREFIX = 'state/';

/**
 * The watermark of one warehouse: a watermark says what *that* warehouse has loaded, and one bucket or data
 * directory can feed several (DuckDB and PostgreSQL on the same data directory, a recreated Redshift
 * namespace on a retained bucket). `scope` names the warehouse.
 */
export function watermarkKey(scope: string): string {
  return `${WATERMARK_PREFIX}elt-watermark-${createHash('sha256').update(scope).digest('hex').slice(0, 16)}.json`;
}

/**
 * Objects written this close before the watermark still count as new: a write can finish (and be listed)
 * a little after the timestamp it carries, and the clocks of S3, the functions and the warehouse differ
 * by a little.
 */
export const WATERMARK_MARGIN_MS = 15 * 60_000;

/** What a published run leaves for the next plan. */
export interface Watermark {
  /** ISO time: objects written before it (less the margin) were planned by a published run. */
  readonly watermark: string;
  /** The run that published it: the plan checks that the warehouse has it before trusting the mark. */
  readonly runId: string;
  /** The warehouse it belongs to, for people reading the bucket. */
  readonly scope: string;
  /**
   * Keys written inside the margin before the watermark that the run saw and loaded (or found loaded):
   * the next plan lists them again but must not count them as new, or every burst of data would wake
   * the warehouse once more after it was loaded.
   */
  readonly recent: readonly string[];
}

/** Most keys a watermark remembers; past this the next plan may run once more for nothing. */
export const MAX_RECENT_KEYS = 10_000;

/** The watermark the last published run left, or undefined when there is none (or it cannot be read). */
export async function readWatermark(
  store: ObjectStore,
  scope: string,
): Promise<{ at: Date; runId: string; recent: ReadonlySet<string> } | undefined> {
  let body: Uint8Array;
  try {
    body = await store.get(watermarkKey(scope));
  } catch {
    return undefined;
  }
  try {
    const mark = JSON.parse(Buffer.from(body).toString('utf8')) as Partial<Watermark>;
    const at = Date.parse(mark.watermark ?? '');
    if (!Number.isFinite(at) || typeof mark.runId !== 'string') return undefined;
    return {
      at: new Date(at),
      runId: mark.runId,
      recent: new Set(Array.isArray(mark.recent) ? mark.recent : []),
    };
  } catch {
    return undefined;
  }
}

/** Writes the watermark a published run leaves. */
export async function writeWatermark(store: ObjectStore, mark: Watermark): Promise<void> {
  await store.put(watermarkKey(mark.scope), Buffer.from(JSON.stringify(mark)), {
    contentType: 'application/json',
  });
}

/** Options of {@link listRawCandidates}. */
export interface RawListingOptions {
  /** Only objects written at or after this time; all when absent (the first run, a full refresh). */
  readonly since?: Date;
  /** Keys not to return: those the last published run already saw (the watermark's `recent`). */
  readonly seen?: ReadonlySet<string>;
  /**
   * How late, by event time, an object may land and still be under its own partition (landing files a
   * later event under the partition this many hours before it lands). With `since`, only partitions from
   * `since` less this are listed: the listing costs what landed in that window, not the whole history.
   */
  readonly latenessHours?: number;
}

/**
 * The raw objects a plan considers: those written since the watermark (all without one), less those the
 * last published run already saw, which are returned apart (`seen`): they are still inside the margin, and
 * the watermark this plan leaves must remember them too, or the plan after it counts them as new. Table
 * extract objects (`raw/source=oltp/table=…/dt=…/`) are candidates too. With a lateness
 * bound it lists, per source and detail-type (or table), only the partitions from `since − lateness` on (S3
 * `StartAfter` on the key, so partitions of future event times are listed too); otherwise all of `raw/`.
 */
export async function listRawCandidates(
  store: ObjectStore,
  options: RawListingOptions,
): Promise<{ objects: ObjectInfo[]; seen: ObjectInfo[]; listed: number }> {
  const { since, latenessHours } = options;
  const objects: ObjectInfo[] = [];
  const seen: ObjectInfo[] = [];
  let listed = 0;
  const keep = (o: ObjectInfo): void => {
    listed++;
    if (!o.key.endsWith(OBJECT_SUFFIX) || !isRawLoadKey(o.key)) return;
    // An object whose time the store does not know is always a candidate: the ledger decides.
    if (since && o.lastModified && o.lastModified.getTime() < since.getTime()) return;
    if (options.seen?.has(o.key)) seen.push(o);
    else objects.push(o);
  };
  if (!since || latenessHours === undefined || !store.listPrefixes) {
    for await (const o of store.list(RAW_PREFIX)) keep(o);
    return { objects, seen, listed };
  }
  const floorDay = timePartition(new Date(since.getTime() - latenessHours * 3600_000)).dt;
  for await (const source of store.listPrefixes(RAW_PREFIX)) {
    for await (const type of store.listPrefixes(source)) {
      // `…/dt=2026-11-29` sorts before every key of that day and after every key of the day before.
      const startAfter = `${type}dt=${floorDay}`;
      for await (const o of store.list(type, { startAfter })) if (o.key > startAfter) keep(o);
    }
  }
  return { objects, seen, listed };
}

/**
 * Whether a raw object holds product data, not the pipeline's own events (ELT run outcomes): product
 * events, or a table extract of the marketplace database.
 */
export function isProductObject(key: string): boolean {
  const parsed = parseRawKey(key);
  if (parsed) return parsed.source !== ELT_EVENT_SOURCE;
  return isRawLoadKey(key);
}

/** The prefix of a compacted object's name (lib/core/elt/compaction.ts); the rest hashes the keys it replaces. */
export const COMPACTED_PREFIX = 'compacted-';
/** The prefix of a compacted object made only of loaded originals: it holds no event the warehouse lacks. */
export const COMPACTED_LOADED_PREFIX = 'compacted-loaded-';

/** Whether a raw key is a compacted object made of loaded originals (never new data for a warehouse that made it). */
export function isCompactedLoaded(key: string): boolean {
  return parseRawKey(key)?.name.startsWith(COMPACTED_LOADED_PREFIX) ?? false;
}
