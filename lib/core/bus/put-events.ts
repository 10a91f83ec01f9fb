import type { EventEnvelope, PutEventsEntry } from '../events/envelope.js';
import { formatEventTime } from '../events/envelope.js';
import { jsonDepthExceeds } from '../events/json-depth.js';
import { EVENT_LIMITS, type Rejection } from '../events/rejection.js';

/** At most this many entries in one PutEvents call (PutEvents API reference). */
export const PUT_EVENTS_MAX_ENTRIES = 10;

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
 * An in-process shortcut: a publisher that made `Detail` with `JSON.stringify(value)` (after checking the
 * value's depth) can attach the value under this symbol, and the in-process bus uses it instead of parsing
 * `Detail` again. Other buses never see it (a symbol key is not serialized).
 */
export const PARSED_DETAIL: unique symbol = Symbol('parsedDetail');

/** An entry that may carry the {@link PARSED_DETAIL} shortcut. */
export interface ParsedDetailHint {
  readonly [PARSED_DETAIL]?: unknown;
}

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

/**
 * Checks one PutEvents entry as EventBridge does and, when it passes, builds the envelope targets
 * receive. Error codes and messages follow the service (InvalidArgument, MalformedDetail, …).
 */
export function acceptEntry(
  entry: PutEventsEntry,
  id: string,
  now: Date,
  ctx: BusContext,
): AcceptedEntry | RejectedEntry {
  if (!entry.Source) {
    return rejected(
      'InvalidArgument',
      'Parameter Source is not valid. Reason: Source is a required argument.',
      'MISSING_FIELD',
      'source is missing',
    );
  }
  if (!entry.DetailType) {
    return rejected(
      'InvalidArgument',
      'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
      'MISSING_FIELD',
      'detail-type is missing',
    );
  }
  if (entry.Detail === undefined || entry.Detail === '') {
    return rejected(
      'InvalidArgument',
      'Parameter Detail is not valid. Reason: Detail is a required argument.',
      'MALFORMED_DETAIL',
      'detail is missing',
    );
  }
  const limit = ctx.maxEntryBytes ?? EVENT_LIMITS.maxEntryBytes;
  const size = putEventsEntrySize(entry);
  if (size > limit) {
    return rejected(
      'ValidationException',
      `Entry size ${size} bytes exceeds the PutEvents limit of ${limit} bytes.`,
      'ENTRY_TOO_LARGE',
      `entry is ${size} bytes; the PutEvents limit is ${limit} bytes`,
    );
  }
  if (entry.Time !== undefined && Number.isNaN(entry.Time.getTime())) {
    return rejected(
      'InvalidArgument',
      'Parameter Time is not valid.',
      'INVALID_TIME',
      'time is not a valid timestamp',
    );
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail);
  } catch {
    return rejected(
      'MalformedDetail',
      'Detail is malformed.',
      'MALFORMED_DETAIL',
      'detail is not valid JSON',
    );
  }
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
    return rejected(
      'MalformedDetail',
      'Detail is malformed.',
      'MALFORMED_DETAIL',
      'detail is not a JSON object',
    );
  }
  if (jsonDepthExceeds(detail, EVENT_LIMITS.maxBusNestingDepth)) {
    return rejected(
      'MalformedDetail',
      'Detail is malformed.',
      'NESTING_TOO_DEEP',
      `detail nests deeper than ${EVENT_LIMITS.maxBusNestingDepth} levels, the most PutEvents processes`,
    );
  }
  const time = formatEventTime(entry.Time ?? now);
  const resources = entry.Resources ?? [];
  const envelope: EventEnvelope = {
    version: '0',
    id,
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: ctx.account,
    time,
    region: ctx.region,
    resources,
    detail: detail as Record<string, unknown>,
  };
  // Build the body around the producer's Detail text instead of re-serializing the parsed detail: it is
  // already JSON, and this is the hot path. Raw line breaks can only be insignificant whitespace in JSON
  // text, but a body must stay on one line (it becomes an NDJSON line), so only then re-serialize.
  const detailText =
    entry.Detail.includes('\n') || entry.Detail.includes('\r') ? JSON.stringify(detail) : entry.Detail;
  // Joined rather than concatenated: a `+` chain leaves a rope of ~17 string nodes per body, which
  // triples the memory of every queued message.
  const body = [
    '{"version":"0","id":',
    JSON.stringify(id),
    ',"detail-type":',
    JSON.stringify(entry.DetailType),
    ',"source":',
    JSON.stringify(entry.Source),
    ',"account":',
    JSON.stringify(ctx.account),
    ',"time":"',
    time,
    '","region":',
    JSON.stringify(ctx.region),
    ',"resources":',
    JSON.stringify(resources),
    ',"detail":',
    detailText,
    '}',
  ].join('');
  return { ok: true, envelope, body };
}

function rejected(
  errorCode: string,
  errorMessage: string,
  code: Rejection['code'],
  reason: string,
): RejectedEntry {
  return { ok: false, errorCode, errorMessage, rejection: { code, reason } };
}
