import type { EventEnvelope, PutEventsEntry } from '../events/envelope.js';
import { formatEventTime } from '../events/envelope.js';
import { jsonDepthExceeds } from '../events/json-checks.js';
import { EVENT_LIMITS, type Rejection } from '../events/rejection.js';
import { PutEventsRequestError } from './bus-errors.js';

/** At most this many entries in one PutEvents call (PutEvents API reference). */
export const PUT_EVENTS_MAX_ENTRIES = 10;

/** Throws {@link PutEventsRequestError}, in EventBridge's words, unless a request has 1 to 10 entries. */
export function checkPutEventsRequest(entries: readonly unknown[]): void {
  if (entries.length === 0 || entries.length > PUT_EVENTS_MAX_ENTRIES) {
    throw new PutEventsRequestError(
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${PUT_EVENTS_MAX_ENTRIES} (got ${entries.length})`,
    );
  }
}

/**
 * The size EventBridge charges an entry against its limit: Time counts 14 bytes when set; Source,
 * DetailType, Detail and each Resource count their UTF-8 bytes.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 */
export function putEventsEntrySize(entry: PutEventsEntry): number {
  let size = entry.Time ? 14 : 0;
  size += Buffer.byteLength(entry.Source ?? '', 'utf8');
  size += Buffer.byteLength(entry.DetailType ?? '', 'utf8');
  if (entry.Detail !== undefined) size += Buffer.byteLength(entry.Detail, 'utf8');
  for (const r of entry.Resources ?? []) size += Buffer.byteLength(r, 'utf8');
  return size;
}

/**
 * The entry's size ({@link putEventsEntrySize}) when it is over `maxBytes`, or undefined when it is within.
 * A UTF-16 code unit is at most 3 bytes of UTF-8, so an entry of few enough characters is within without
 * counting its bytes (nearly every event: the count was a scan of every entry on the publish path).
 */
export function entrySizeOver(entry: PutEventsEntry, maxBytes: number): number | undefined {
  let chars = (entry.Source?.length ?? 0) + (entry.DetailType?.length ?? 0) + (entry.Detail?.length ?? 0);
  for (const r of entry.Resources ?? []) chars += r.length;
  if (14 + 3 * chars <= maxBytes) return undefined;
  const size = putEventsEntrySize(entry);
  return size > maxBytes ? size : undefined;
}

/**
 * An in-process shortcut. A publisher that already checked an entry the way the bus would (size, depth,
 * time) and made `Detail` with `JSON.stringify(detail)` attaches what it knows under this symbol; the
 * in-process bus then skips parsing `Detail` again. Other buses never see it: a symbol-keyed property is
 * not serialized.
 */
export const CHECKED_ENTRY: unique symbol = Symbol('checkedEntry');

/** What a publisher attaches under {@link CHECKED_ENTRY}. */
export interface CheckedEntryFacts {
  /** The parsed value `Detail` was serialized from. */
  readonly detail: object;
  /** `Time` in envelope form (`YYYY-MM-DDTHH:MM:SSZ`), when the entry has one. */
  readonly time?: string;
}

/** An entry that may carry {@link CHECKED_ENTRY}. */
export type MaybeCheckedEntry = PutEventsEntry & { readonly [CHECKED_ENTRY]?: CheckedEntryFacts };

/** An entry the bus accepted: the envelope it will deliver and that envelope as compact JSON text. */
export interface AcceptedEntry {
  readonly ok: true;
  readonly envelope: EventEnvelope;
  /** The envelope serialized once, as targets receive it (an SQS message body). Single line. */
  readonly body: string;
}

/** An entry the bus rejected, with the error EventBridge would report and our rejection code. */
export interface RejectedEntry {
  readonly ok: false;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly rejection: Rejection;
}

/** Where the bus runs: the values it stamps on every envelope. */
export interface BusContext {
  readonly account: string;
  readonly region: string;
  /** Entry size limit in bytes. @default EVENT_LIMITS.maxEntryBytes */
  readonly maxEntryBytes?: number;
}

function rejected(
  errorCode: string,
  errorMessage: string,
  code: Rejection['code'],
  reason: string,
): RejectedEntry {
  return { ok: false, errorCode, errorMessage, rejection: { code, reason } };
}

const MISSING_SOURCE = rejected(
  'InvalidArgument',
  'Parameter Source is not valid. Reason: Source is a required argument.',
  'MISSING_FIELD',
  'source is missing',
);
const MISSING_DETAIL_TYPE = rejected(
  'InvalidArgument',
  'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
  'MISSING_FIELD',
  'detail-type is missing',
);
const MISSING_DETAIL = rejected(
  'InvalidArgument',
  'Parameter Detail is not valid. Reason: Detail is a required argument.',
  'MALFORMED_DETAIL',
  'detail is missing',
);
const INVALID_TIME = rejected(
  'InvalidArgument',
  'Parameter Time is not valid.',
  'INVALID_TIME',
  'time is not a valid timestamp',
);
const DETAIL_NOT_JSON = rejected(
  'MalformedDetail',
  'Detail is malformed.',
  'MALFORMED_DETAIL',
  'detail is not valid JSON',
);
const DETAIL_NOT_OBJECT = rejected(
  'MalformedDetail',
  'Detail is malformed.',
  'MALFORMED_DETAIL',
  'detail is not a JSON object',
);
const DETAIL_TOO_DEEP = rejected(
  'MalformedDetail',
  'Detail is malformed.',
  'NESTING_TOO_DEEP',
  `detail nests deeper than ${EVENT_LIMITS.maxBusNestingDepth} levels, the most PutEvents processes`,
);

/**
 * Checks PutEvents entries as EventBridge does and builds the envelopes targets receive. Error codes and
 * messages follow the service (InvalidArgument, MalformedDetail, …). Prepared once per bus: the parts of
 * the envelope that never change are serialized once.
 */
export class EntryAcceptor {
  private readonly maxEntryBytes: number;
  private readonly accountRegion: { account: string; region: string };
  private readonly middle: string;
  private readonly jsonCache = new Map<string, string>();

  constructor(ctx: BusContext) {
    this.maxEntryBytes = ctx.maxEntryBytes ?? EVENT_LIMITS.maxEntryBytes;
    this.accountRegion = { account: ctx.account, region: ctx.region };
    this.middle = `,"account":${JSON.stringify(ctx.account)},"time":"`;
    this.regionPart = `","region":${JSON.stringify(ctx.region)},"resources":`;
  }

  private readonly regionPart: string;

  /** Accepts or rejects one entry; `id` is the event id the bus assigns. */
  accept(entry: MaybeCheckedEntry, id: string, now: Date): AcceptedEntry | RejectedEntry {
    if (!entry.Source) return MISSING_SOURCE;
    if (!entry.DetailType) return MISSING_DETAIL_TYPE;
    if (entry.Detail === undefined || entry.Detail === '') return MISSING_DETAIL;
    const checked = entry[CHECKED_ENTRY];
    let detail: unknown;
    let time: string;
    if (checked) {
      detail = checked.detail;
      time = checked.time ?? formatEventTime(now);
    } else {
      const size = entrySizeOver(entry, this.maxEntryBytes);
      if (size !== undefined) {
        return rejected(
          'ValidationException',
          `Entry size ${size} bytes exceeds the PutEvents limit of ${this.maxEntryBytes} bytes.`,
          'ENTRY_TOO_LARGE',
          `entry is ${size} bytes; the PutEvents limit is ${this.maxEntryBytes} bytes`,
        );
      }
      if (entry.Time !== undefined && Number.isNaN(entry.Time.getTime())) return INVALID_TIME;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        return DETAIL_NOT_JSON;
      }
      if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) return DETAIL_NOT_OBJECT;
      if (jsonDepthExceeds(detail, EVENT_LIMITS.maxBusNestingDepth)) return DETAIL_TOO_DEEP;
      time = formatEventTime(entry.Time ?? now);
    }
    const resources = entry.Resources ?? [];
    const envelope: EventEnvelope = {
      version: '0',
      id,
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: this.accountRegion.account,
      time,
      region: this.accountRegion.region,
      resources,
      detail: detail as Record<string, unknown>,
    };
    // The body is built around the producer's Detail text instead of re-serializing the parsed detail:
    // it is already JSON, and this is the hot path. Raw line breaks can only be insignificant whitespace
    // in JSON text, but a body must stay on one line (it becomes an NDJSON line): only then re-serialize.
    const detailText =
      entry.Detail.includes('\n') || entry.Detail.includes('\r') ? JSON.stringify(detail) : entry.Detail;
    // Joined rather than concatenated: a `+` chain leaves a rope of string nodes per body, which triples
    // the memory of every queued message. Ids are UUIDs the bus makes: nothing to escape.
    const body = [
      '{"version":"0","id":"',
      id,
      '","detail-type":',
      this.json(entry.DetailType),
      ',"source":',
      this.json(entry.Source),
      this.middle,
      time,
      this.regionPart,
      resources.length === 0 ? '[]' : JSON.stringify(resources),
      ',"detail":',
      detailText,
      '}',
    ].join('');
    return { ok: true, envelope, body };
  }

  /** JSON of a short string that repeats on every event (a source, a detail-type), memoized. */
  private json(value: string): string {
    let text = this.jsonCache.get(value);
    if (text === undefined) {
      text = JSON.stringify(value);
      if (this.jsonCache.size < 1000) this.jsonCache.set(value, text);
    }
    return text;
  }
}
