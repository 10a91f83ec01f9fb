import { createHash } from 'node:crypto';
import type { PutEventsEntry } from '../events/envelope.js';
import { formatEventTime } from '../events/envelope.js';
import type { EventValidator } from '../events/validator.js';
import { jsonDepthExceeds } from '../events/json-checks.js';
import { EVENT_LIMITS } from '../events/rejection.js';
import { entryFromValue } from '../publish/entry-input.js';
import { ingestProblems, type Problem } from './problems.js';

/** Entries one request may carry. */
export const MAX_ENTRIES_PER_REQUEST = 500;

/** What an `Idempotency-Key` may look like: 1–255 visible ASCII characters, no spaces. */
const KEY_PATTERN = /^[A-Za-z0-9._:~+/=-]{1,255}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks the `Idempotency-Key` header: required for writes, one value, a safe token. */
export function parseIdempotencyKey(header: string | readonly string[] | undefined): string | Problem {
  if (header === undefined || header === '') return ingestProblems.idempotencyKeyRequired();
  if (typeof header !== 'string') return ingestProblems.idempotencyKeyRepeated();
  if (!KEY_PATTERN.test(header)) return ingestProblems.idempotencyKeyMalformed();
  return header;
}

/**
 * The `detail.eventId` of entry `index` of a request: the key itself when it is a UUID and the request has
 * one entry, else a UUID derived from the key and the index (the same request always gives the same ids,
 * so a retry after a lost response is deduplicated downstream even if it were published twice).
 */
export function eventIdFor(key: string, index: number, count: number): string {
  if (count === 1 && UUID.test(key)) return key.toLowerCase();
  const h = createHash('sha256').update(`${key}\u0000${index}`).digest('hex');
  // Shaped as an RFC 4122 name-based UUID (version 5 bits, variant 10).
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A checked request: the entries to publish, with their event ids. */
export interface IngestBatch {
  readonly entries: readonly PutEventsEntry[];
  /** The entries as JSON values (`{source, detail-type, detail, …}`, eventId set), to publish or spool. */
  readonly values: readonly Record<string, unknown>[];
  readonly eventIds: readonly string[];
}

/**
 * Parses and checks a `POST /v1/events` body: one entry, an array of entries, or `{"entries": [...]}`, each
 * `{source, detail-type, detail, time?, resources?}`. The key becomes each entry's `detail.eventId`; every
 * entry must then pass the catalogue's schema. The first problem found is returned, naming the field.
 */
export function parseIngestBody(
  body: Uint8Array,
  contentType: string | undefined,
  key: string,
  validator: EventValidator,
  now: Date,
): IngestBatch | Problem {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return ingestProblems.unsupportedMediaType(type);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return ingestProblems.bodyNotUtf8();
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // JSON.parse also throws (RangeError) on nesting deep enough to exhaust the stack.
    return ingestProblems.malformedJson((error as Error).message);
  }
  const list: unknown[] = Array.isArray(value)
    ? value
    : value !== null && typeof value === 'object' && Array.isArray((value as { entries?: unknown }).entries)
      ? (value as { entries: unknown[] }).entries
      : [value];
  const single =
    !Array.isArray(value) && !(value !== null && typeof value === 'object' && 'entries' in value);
  if (list.length === 0) return ingestProblems.noEntries();
  if (list.length > MAX_ENTRIES_PER_REQUEST)
    return ingestProblems.tooManyEntries(list.length, MAX_ENTRIES_PER_REQUEST);
  const entries: PutEventsEntry[] = [];
  const values: Record<string, unknown>[] = [];
  const eventIds: string[] = [];
  for (const [i, raw] of list.entries()) {
    const at = single ? '' : `entries[${i}]`;
    const name = (field: string): string => (at ? `${at}.${field}` : field);
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      const detail = (raw as Record<string, unknown>).detail;
      if (detail !== null && typeof detail === 'object' && !Array.isArray(detail)) {
        if (jsonDepthExceeds(detail, EVENT_LIMITS.maxDetailNestingDepth)) {
          return ingestProblems.nestingTooDeep(name('detail'), EVENT_LIMITS.maxDetailNestingDepth);
        }
        const id = eventIdFor(key, i, list.length);
        (raw as Record<string, unknown>).detail = { ...(detail as Record<string, unknown>), eventId: id };
      }
    }
    const checked = entryFromValue(raw);
    if (!checked.ok) {
      const field = /"([\w-]+)"/.exec(checked.rejection.reason)?.[1];
      return ingestProblems.invalidEntry(at, checked.rejection.reason, field ? name(field) : at || '$');
    }
    const entry = checked.entry;
    const eventId = ((raw as Record<string, unknown>).detail as Record<string, unknown>).eventId as string;
    // The catalogue check landing would make, made now so the producer hears about it.
    const verdict = validator.validate({
      version: '0',
      id: eventId,
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: '000000000000',
      time: formatEventTime(entry.Time ?? now),
      region: 'local',
      resources: entry.Resources ?? [],
      detail: (raw as Record<string, unknown>).detail,
    });
    if (!verdict.ok) {
      const path = /(detail[\w.[\]/-]*)/.exec(verdict.rejection.reason)?.[1];
      return ingestProblems.schemaViolation(at, verdict.rejection.reason, name(path ?? 'detail'));
    }
    entries.push(entry);
    values.push(raw as Record<string, unknown>);
    eventIds.push(eventId);
  }
  return { entries, values, eventIds };
}
