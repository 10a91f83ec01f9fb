import { createHash } from 'node:crypto';
import { isReservedSource } from '../events/catalogue.js';
import type { PutEventsEntry } from '../events/envelope.js';
import { formatEventTime } from '../events/envelope.js';
import { isUuidText, jsonDepthExceeds } from '../events/json-checks.js';
import { EVENT_LIMITS } from '../events/rejection.js';
import type { EventValidator } from '../events/validator.js';
import { ENTRY_FIELDS, entryFromValue } from '../publish/entry-input.js';
import { ingestProblems, type Problem } from './problems.js';

/** Entries one request may carry. */
export const MAX_ENTRIES_PER_REQUEST = 500;

/** What an `Idempotency-Key` may look like: 1–255 visible ASCII characters, no spaces. */
const KEY_PATTERN = /^[A-Za-z0-9._:~+/=-]{1,255}$/;
/** The members a `{"entries": [...]}` body may have. */
const BATCH_FIELDS: readonly string[] = ['entries'];

/**
 * The one rule for comparing `Idempotency-Key`s: a UUID key is a UUID, so it compares case-insensitively
 * (lowercased, as event ids are written); any other key is compared exactly as sent. The key store holds
 * keys and the event ids are derived from keys in this form only.
 */
export function normalizeIdempotencyKey(key: string): string {
  return isUuidText(key) ? key.toLowerCase() : key;
}

/** Checks the `Idempotency-Key` header (required for writes, one value, a safe token) and normalizes it. */
export function parseIdempotencyKey(header: string | readonly string[] | undefined): string | Problem {
  if (header === undefined || header === '') return ingestProblems.idempotencyKeyRequired();
  if (typeof header !== 'string') return ingestProblems.idempotencyKeyRepeated();
  if (!KEY_PATTERN.test(header)) return ingestProblems.idempotencyKeyMalformed();
  return normalizeIdempotencyKey(header);
}

/** Checks the `Content-Type` of a write: `application/json`, any parameters (charset) allowed. */
export function checkContentType(contentType: string | undefined): Problem | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' ? undefined : ingestProblems.unsupportedMediaType(type);
}

/**
 * The `detail.eventId` of entry `index` of a request: a name-based UUID (RFC 4122 version 5 layout) of the
 * normalized key, the index and the SHA-256 of the entry's canonical JSON (keys sorted, `detail.eventId`
 * left out). So the same request always gives the same ids (a retry, even one that gets through after the
 * key expired, is deduplicated downstream: nothing lost), while another body under a reused key gets other
 * ids (it lands instead of being dropped as a duplicate). `entry` must be a checked entry (bounded depth).
 */
export function eventIdFor(key: string, index: number, entry: unknown): string {
  const content = createHash('sha256')
    .update(canonicalJson(withoutEventId(entry)))
    .digest('hex');
  const h = createHash('sha256')
    .update(`${normalizeIdempotencyKey(key)}\u0000${index}\u0000${content}`)
    .digest('hex');
  // Shaped as an RFC 4122 name-based UUID (version 5 bits, variant 10).
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** The entry without the `detail.eventId` the API sets (whatever the client sent there is replaced). */
function withoutEventId(entry: unknown): unknown {
  if (!isObject(entry) || !isObject(entry.detail)) return entry;
  const { eventId: _set, ...detail } = entry.detail;
  return { ...entry, detail };
}

/** JSON with every object's keys sorted: equal values, equal text, whatever order they were sent in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isObject(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

/** A checked request: the entries to publish, with their event ids. */
export interface IngestBatch {
  readonly entries: readonly PutEventsEntry[];
  /** The entries as JSON values (`{source, detail-type, detail, …}`, eventId set), to publish or spool. */
  readonly values: readonly Record<string, unknown>[];
  readonly eventIds: readonly string[];
}

/**
 * Parses and checks a `POST /v1/events` body (its content type checked before): one entry, an array of
 * entries, or `{"entries": [...]}`, each `{source, detail-type, detail, time?, resources?}` and nothing
 * else. Before anything walks a value recursively, every field's nesting is bounded (the catalogue's
 * detail depth, {@link EVENT_LIMITS}); sources of the pipeline's own events are refused; the key and the
 * entry become its `detail.eventId` ({@link eventIdFor}); every entry must then pass the catalogue's
 * schema. The first problem found is returned, naming the field.
 */
export function parseIngestBody(
  body: Uint8Array,
  key: string,
  validator: EventValidator,
  now: Date,
): IngestBatch | Problem {
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
  const batch = isObject(value) && 'entries' in value ? value : undefined;
  if (batch) {
    const extra = Object.keys(batch).find((k) => !BATCH_FIELDS.includes(k));
    if (extra !== undefined) return ingestProblems.unknownField(extra, extra, BATCH_FIELDS);
    if (!Array.isArray(batch.entries)) {
      return ingestProblems.invalidEntry('', '"entries" is not an array', 'entries');
    }
  }
  const list: unknown[] = Array.isArray(value) ? value : batch ? (batch.entries as unknown[]) : [value];
  const single = !Array.isArray(value) && !batch;
  if (list.length === 0) return ingestProblems.noEntries();
  if (list.length > MAX_ENTRIES_PER_REQUEST)
    return ingestProblems.tooManyEntries(list.length, MAX_ENTRIES_PER_REQUEST);
  const entries: PutEventsEntry[] = [];
  const values: Record<string, unknown>[] = [];
  const eventIds: string[] = [];
  for (const [i, raw] of list.entries()) {
    const at = single ? '' : `entries[${i}]`;
    const name = (field: string): string => (at ? `${at}.${field}` : field);
    if (isObject(raw)) {
      const bounded = checkEntryShape(raw, name);
      if (bounded) return bounded;
      if (isObject(raw.detail)) raw.detail = { ...raw.detail, eventId: eventIdFor(key, i, raw) };
    }
    const checked = entryFromValue(raw);
    if (!checked.ok) {
      const field = /"([\w-]+)"/.exec(checked.rejection.reason)?.[1];
      return ingestProblems.invalidEntry(at, checked.rejection.reason, field ? name(field) : at || '$');
    }
    const entry = checked.entry;
    const item = raw as Record<string, unknown>;
    const source = item.source as string;
    if (isReservedSource(source)) return ingestProblems.reservedSource(name('source'), source);
    const eventId = (item.detail as Record<string, unknown>).eventId as string;
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
      detail: item.detail,
    });
    if (!verdict.ok) {
      const path = /(detail[\w.[\]/-]*)/.exec(verdict.rejection.reason)?.[1];
      return ingestProblems.schemaViolation(at, verdict.rejection.reason, name(path ?? 'detail'));
    }
    entries.push(entry);
    values.push(item);
    eventIds.push(eventId);
  }
  return { entries, values, eventIds };
}

/**
 * The checks made on an entry before anything walks it recursively (serializing, hashing, the schema):
 * only the entry fields, none nested deeper than the catalogue's detail depth.
 */
function checkEntryShape(raw: Record<string, unknown>, name: (field: string) => string): Problem | undefined {
  for (const field of Object.keys(raw)) {
    if (!ENTRY_FIELDS.includes(field)) return ingestProblems.unknownField(name(field), field, ENTRY_FIELDS);
  }
  const maxDepth = EVENT_LIMITS.maxDetailNestingDepth;
  for (const field of ENTRY_FIELDS) {
    if (jsonDepthExceeds(raw[field], maxDepth)) return ingestProblems.nestingTooDeep(name(field), maxDepth);
  }
  return undefined;
}
