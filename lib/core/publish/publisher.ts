import { PUT_EVENTS_MAX_ENTRIES } from '../bus/put-events.js';
import type { PutEventsEntry } from '../events/envelope.js';
import type { Rejection, RejectionCode } from '../events/rejection.js';
import { quarantineRecord, writeQuarantine } from '../landing/quarantine.js';
import type { Bus, Clock, ObjectStore } from '../ports.js';
import { entryFromLine, entryFromValue } from './entry-input.js';
import { EltError } from '../util/errors.js';

/** One thing to publish: a raw NDJSON line or an already parsed value, with a reference for quarantine. */
export type PublishInput =
  | { readonly ref: string; readonly line: string }
  | { readonly ref: string; readonly value: unknown; readonly text?: string };

/**
 * NDJSON lines read together, without an input object per line: `ref(i)` names line i, and is called only
 * for a line that is quarantined.
 */
export interface PublishLines {
  readonly lines: readonly string[];
  readonly ref: (index: number) => string;
}

/** What a source yields: one input, a chunk of inputs or a chunk of lines (chunks avoid an await per input). */
export type PublishItem = PublishInput | readonly PublishInput[] | PublishLines;

/** Inputs one by one or in chunks. */
export type PublishSource = AsyncIterable<PublishItem> | Iterable<PublishItem>;

/** What a publish did. */
export interface PublishSummary {
  readonly read: number;
  readonly accepted: number;
  readonly quarantined: number;
  /** Quarantined inputs by rejection code. */
  readonly rejections: Readonly<Partial<Record<RejectionCode, number>>>;
  /** Entries sent again after a retryable per-entry failure. */
  readonly retriedEntries: number;
  readonly putEventsCalls: number;
  readonly quarantineKeys: readonly string[];
}

/** Options of {@link publishEvents}. */
export interface PublishOptions {
  readonly bus: Bus;
  readonly store: ObjectStore;
  readonly clock: Clock;
  /** PutEvents calls in flight at once. @default 4 */
  readonly maxInFlight?: number;
  /** Attempts for entries the bus fails with a retryable code (throttling, internal errors). @default 5 */
  readonly maxAttempts?: number;
  /** First retry delay; doubles each attempt, with full jitter. @default 100 */
  readonly baseDelayMs?: number;
  /** Quarantine records buffered before they are written as one object (also flushed at 8 MiB). @default 5000 */
  readonly quarantineFlushEvery?: number;
  readonly maxEntryBytes?: number;
  /** Called about every `progressEvery` inputs, and once at the end. */
  readonly onProgress?: (read: number, accepted: number, quarantined: number) => void;
  readonly progressEvery?: number;
}

/** Raised when the bus keeps failing valid entries: they are not invalid, so they are not quarantined. */
export class PublishFailedError extends EltError {
  constructor(
    message: string,
    readonly summary: PublishSummary,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// Per-entry error codes worth retrying (PutEvents API reference: throttling and internal failures).
const RETRYABLE = new Set([
  'ThrottlingException',
  'InternalFailure',
  'InternalException',
  'ServiceUnavailable',
]);
const QUARANTINE_FLUSH_BYTES = 8 * 1024 * 1024;

/** An entry on its way, and where it came from: an input, or line `index` of a chunk of lines. */
interface Pending {
  readonly entry: PutEventsEntry;
  readonly from: PublishInput | PublishLines;
  readonly index: number;
}

/** The input an entry came from, made for a line of a chunk only when it is needed (for quarantine). */
const inputAt = (from: PublishInput | PublishLines, index: number): PublishInput =>
  'lines' in from ? { ref: from.ref(index), line: from.lines[index]! } : from;

/**
 * Publishes a stream of inputs to a bus: each input is checked and turned into an entry, entries go out
 * in PutEvents calls of up to 10, entries the bus fails with a retryable code are retried alone (never
 * the whole call), and every input that cannot be published is written to quarantine with its reason.
 * Valid entries the bus keeps failing are not quarantined (they are not invalid): the publish fails with
 * {@link PublishFailedError} instead.
 */
export async function publishEvents(inputs: PublishSource, options: PublishOptions): Promise<PublishSummary> {
  const maxInFlight = options.maxInFlight ?? 4;
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const flushEvery = options.quarantineFlushEvery ?? 5000;
  const progressEvery = options.progressEvery ?? 10_000;
  const counts: Partial<Record<RejectionCode, number>> = {};
  const quarantineKeys: string[] = [];
  let read = 0;
  let nextProgress = progressEvery;
  let accepted = 0;
  let quarantined = 0;
  let retriedEntries = 0;
  let putEventsCalls = 0;
  let pendingQuarantine: string[] = [];
  let pendingQuarantineBytes = 0;
  let fatal: Error | undefined;

  const summary = (): PublishSummary => ({
    read,
    accepted,
    quarantined,
    rejections: { ...counts },
    retriedEntries,
    putEventsCalls,
    quarantineKeys: [...quarantineKeys],
  });

  const flushQuarantine = async (): Promise<void> => {
    if (pendingQuarantine.length === 0) return;
    const lines = pendingQuarantine;
    pendingQuarantine = [];
    pendingQuarantineBytes = 0;
    quarantineKeys.push(await writeQuarantine(options.store, 'publish', lines, options.clock));
  };

  const quarantine = async (rejection: Rejection, input: PublishInput): Promise<void> => {
    counts[rejection.code] = (counts[rejection.code] ?? 0) + 1;
    quarantined++;
    const text = 'line' in input ? input.line : (input.text ?? safeStringify(input.value));
    // Serialized now: the line is a new string, so buffering it does not pin the input's read chunk.
    const line = JSON.stringify(quarantineRecord('publish', rejection, input.ref, text, options.clock.now()));
    pendingQuarantine.push(line);
    pendingQuarantineBytes += line.length;
    if (pendingQuarantine.length >= flushEvery || pendingQuarantineBytes >= QUARANTINE_FLUSH_BYTES) {
      await flushQuarantine();
    }
  };

  const send = async (batch: Pending[]): Promise<void> => {
    let todo = batch;
    for (let attempt = 1; todo.length > 0; attempt++) {
      let result;
      try {
        putEventsCalls++;
        result = await options.bus.putEvents(todo.map((p) => p.entry));
      } catch (error) {
        if (attempt >= maxAttempts) {
          throw new PublishFailedError(
            `the bus (${options.bus.describe()}) failed PutEvents ${attempt} times: ${(error as Error).message}`,
            summary(),
            { cause: error },
          );
        }
        await sleep(backoff(attempt, baseDelayMs));
        continue;
      }
      const retry: Pending[] = [];
      let lastRetryable = '';
      for (let i = 0; i < todo.length; i++) {
        const r = result.Entries[i];
        const p = todo[i] as Pending;
        if (r?.EventId) {
          accepted++;
        } else if (r?.ErrorCode && RETRYABLE.has(r.ErrorCode)) {
          retry.push(p);
          lastRetryable = `${r.ErrorCode}: ${r.ErrorMessage}`;
        } else {
          const why = r ? `${r.ErrorCode}: ${r.ErrorMessage}` : 'the bus returned no result for this entry';
          await quarantine(
            { code: 'BUS_REJECTED', reason: `the bus rejected the entry (${why})` },
            inputAt(p.from, p.index),
          );
        }
      }
      if (retry.length > 0 && attempt >= maxAttempts) {
        // Valid entries the bus keeps throttling are not invalid: they are not quarantined. The caller
        // decides (`elt publish` stops with the counts; the ingest API spools the request).
        throw new PublishFailedError(
          `the bus (${options.bus.describe()}) failed ${retry.length} entr${retry.length === 1 ? 'y' : 'ies'} ${attempt} times (${lastRetryable})`,
          summary(),
        );
      }
      retriedEntries += retry.length;
      todo = retry;
      if (todo.length > 0) await sleep(backoff(attempt, baseDelayMs));
    }
  };

  // Bounded in-flight PutEvents calls: a slow bus slows the reader instead of growing memory.
  const inFlight = new Set<Promise<void>>();
  const dispatch = (batch: Pending[]): Promise<void> | undefined => {
    const tracked: Promise<void> = send(batch)
      .catch((error: Error) => {
        fatal ??= error;
      })
      .finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    return inFlight.size >= maxInFlight ? Promise.race(inFlight) : undefined;
  };

  // take() returns a promise only when the caller must wait (a full dispatch window, a quarantine
  // flush): awaiting every input would cost a microtask turn per event on the hot path.
  let batch: Pending[] = [];
  const take = (from: PublishInput | PublishLines, index: number): Promise<void> | undefined => {
    read++;
    if (read >= nextProgress) {
      nextProgress += progressEvery;
      options.onProgress?.(read, accepted, quarantined);
    }
    const checked =
      'lines' in from
        ? entryFromLine(from.lines[index]!, options.maxEntryBytes)
        : 'line' in from
          ? entryFromLine(from.line, options.maxEntryBytes)
          : entryFromValue(from.value, options.maxEntryBytes);
    if (!checked.ok) return quarantine(checked.rejection, inputAt(from, index));
    batch.push({ entry: checked.entry, from, index });
    if (batch.length < PUT_EVENTS_MAX_ENTRIES) return undefined;
    const full = batch;
    batch = [];
    return dispatch(full);
  };

  for await (const item of inputs) {
    if (fatal) break;
    if (Array.isArray(item)) {
      for (const input of item as readonly PublishInput[]) {
        const wait = take(input, 0);
        if (wait) await wait;
        if (fatal) break;
      }
    } else if ('lines' in item) {
      for (let i = 0; i < item.lines.length; i++) {
        const wait = take(item, i);
        if (wait) await wait;
        if (fatal) break;
      }
    } else {
      const wait = take(item as PublishInput, 0);
      if (wait) await wait;
    }
  }
  if (batch.length > 0 && !fatal) dispatch(batch);
  await Promise.all(inFlight);
  await flushQuarantine();
  if (fatal) {
    throw fatal instanceof PublishFailedError
      ? fatal
      : new PublishFailedError(fatal.message, summary(), { cause: fatal });
  }
  options.onProgress?.(read, accepted, quarantined);
  return summary();
}

/** Exponential backoff with full jitter: a random delay up to base × 2^(attempt-1), capped at 20 s. */
function backoff(attempt: number, baseMs: number): number {
  return Math.random() * Math.min(20_000, baseMs * 2 ** (attempt - 1));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** JSON text of a value for quarantine, even one too deep to serialize. */
function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch (error) {
    return `<not serializable: ${(error as Error).message}>`;
  }
}
