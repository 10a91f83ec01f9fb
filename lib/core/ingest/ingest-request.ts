import { createHash, timingSafeEqual } from 'node:crypto';
import type { PutEventsEntry } from '../events/envelope.js';
import { formatEventTime } from '../events/envelope.js';
import type { EventValidator } from '../events/validator.js';
import { jsonDepthExceeds } from '../events/json-checks.js';
import { EVENT_LIMITS } from '../events/rejection.js';
import { entryFromValue } from '../publish/entry-input.js';

/** An error answer, as RFC 9457 problem details (`application/problem+json`). */
export interface Problem {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  /** The field at fault, e.g. `entries[2].detail.amountMinor`. */
  readonly field?: string;
  /** Seconds the client should wait (429, 503). */
  readonly retryAfterSeconds?: number;
}

/** A problem; `type` URIs point at the docs section that explains it. */
export function problem(
  status: number,
  title: string,
  detail: string,
  extra: Partial<Pick<Problem, 'field' | 'retryAfterSeconds'>> = {},
): Problem {
  return { status, title, detail, ...extra };
}

// RFC 9457: type "about:blank" means the status code says it all; `docs` names where each is explained.
const PROBLEM_DOCS = 'docs/failure-modes.md#ingest-api-errors';

/** The JSON body of a problem answer, the same from the local server and the AWS function. */
export function problemBody(p: Problem): Record<string, unknown> {
  return {
    type: 'about:blank',
    docs: PROBLEM_DOCS,
    title: p.title,
    status: p.status,
    detail: p.detail,
    ...(p.field ? { field: p.field } : {}),
  };
}

/** The SHA-256 digest a bearer token is compared as. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Whether an `Authorization` header carries the bearer token whose digest is `expected`. Compared as
 * fixed-length digests, in constant time: neither the token's length nor its content leaks through timing.
 */
export function bearerTokenMatches(header: string | undefined, expected: Buffer): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  return timingSafeEqual(tokenDigest(m[1]!), expected);
}

/** Entries one request may carry. */
export const MAX_ENTRIES_PER_REQUEST = 500;

/** What an `Idempotency-Key` may look like: 1–255 visible ASCII characters, no spaces. */
const KEY_PATTERN = /^[A-Za-z0-9._:~+/=-]{1,255}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks the `Idempotency-Key` header: required for writes, one value, a safe token. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | Problem {
  if (header === undefined || header === '') {
    return problem(
      400,
      'Idempotency-Key required',
      'Send an Idempotency-Key header (a unique token per logical request, e.g. a UUID); a retry with the same key and body is answered with the first response and publishes nothing.',
    );
  }
  if (Array.isArray(header))
    return problem(400, 'Malformed Idempotency-Key', 'Send exactly one Idempotency-Key header.');
  if (!KEY_PATTERN.test(header)) {
    return problem(
      400,
      'Malformed Idempotency-Key',
      'The Idempotency-Key must be 1–255 characters of letters, digits and . _ : ~ + / = -',
    );
  }
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
  body: Buffer,
  contentType: string | undefined,
  key: string,
  validator: EventValidator,
  now: Date,
): IngestBatch | Problem {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    return problem(
      415,
      'Unsupported media type',
      `Send the body as application/json${type ? `, not ${type}` : ' (Content-Type is missing)'}.`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return problem(400, 'Malformed body', 'The body is not UTF-8 text.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // JSON.parse also throws (RangeError) on nesting deep enough to exhaust the stack.
    return problem(400, 'Malformed JSON', `The body is not valid JSON: ${(error as Error).message}`);
  }
  const list: unknown[] = Array.isArray(value)
    ? value
    : value !== null && typeof value === 'object' && Array.isArray((value as { entries?: unknown }).entries)
      ? (value as { entries: unknown[] }).entries
      : [value];
  const single =
    !Array.isArray(value) && !(value !== null && typeof value === 'object' && 'entries' in value);
  if (list.length === 0)
    return problem(422, 'No entries', 'The request has no entries.', { field: 'entries' });
  if (list.length > MAX_ENTRIES_PER_REQUEST) {
    return problem(
      413,
      'Too many entries',
      `The request has ${list.length} entries; send at most ${MAX_ENTRIES_PER_REQUEST} per request.`,
      { field: 'entries' },
    );
  }
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
          return problem(
            422,
            'Nesting too deep',
            `${name('detail')} nests deeper than ${EVENT_LIMITS.maxDetailNestingDepth} levels.`,
            { field: name('detail') },
          );
        }
        const id = eventIdFor(key, i, list.length);
        (raw as Record<string, unknown>).detail = { ...(detail as Record<string, unknown>), eventId: id };
      }
    }
    const checked = entryFromValue(raw);
    if (!checked.ok) {
      const field = /"([\w-]+)"/.exec(checked.rejection.reason)?.[1];
      return problem(422, 'Invalid entry', `${at ? `${at}: ` : ''}${checked.rejection.reason}`, {
        field: field ? name(field) : at || '$',
      });
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
      return problem(422, 'Schema violation', `${at ? `${at}: ` : ''}${verdict.rejection.reason}`, {
        field: name(path ?? 'detail'),
      });
    }
    entries.push(entry);
    values.push(raw as Record<string, unknown>);
    eventIds.push(eventId);
  }
  return { entries, values, eventIds };
}

/** Whether a parse result is a problem. */
export function isProblem(value: unknown): value is Problem {
  return value !== null && typeof value === 'object' && 'status' in value && 'title' in value;
}
