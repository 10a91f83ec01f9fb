/**
 * Why an input was not accepted. Every rejected input ends in quarantine with one of these codes and a
 * human-readable reason naming what is wrong; nothing is dropped silently.
 */
export type RejectionCode =
  /** A line or message body that is not JSON at all. */
  | 'NOT_JSON'
  /** JSON, but not an object (an array, a string, a number, null). */
  | 'NOT_AN_OBJECT'
  /** A required PutEvents field (source, detail-type) is missing or empty. */
  | 'MISSING_FIELD'
  /** `detail` is missing or is not a JSON object. */
  | 'MALFORMED_DETAIL'
  /** The entry is larger than the PutEvents entry size limit. */
  | 'ENTRY_TOO_LARGE'
  /** `time` is not an RFC 3339 timestamp. */
  | 'INVALID_TIME'
  /** JSON nested deeper than the limit. */
  | 'NESTING_TOO_DEEP'
  /** A string holds an unpaired UTF-16 surrogate or a NUL: valid for JSON.parse, rejected by warehouses. */
  | 'MALFORMED_STRING'
  /** The body is JSON but not an EventBridge envelope (a required envelope field is missing or mistyped). */
  | 'MALFORMED_ENVELOPE'
  /** No catalogue entry for this source and detail-type. */
  | 'UNKNOWN_EVENT_TYPE'
  /** The catalogue has the type, but not the `schemaVersion` the detail declares. */
  | 'UNKNOWN_SCHEMA_VERSION'
  /** `detail.eventId`, the idempotency key, is missing or empty. */
  | 'MISSING_EVENT_ID'
  /** `detail` does not match the type's JSON Schema; the reason names the field. */
  | 'SCHEMA_VIOLATION'
  /** The bus refused an entry the publisher's own checks let through (its error code is in the reason). */
  | 'BUS_REJECTED';

/** A rejected input: a code for counting and a reason for people. */
export interface Rejection {
  readonly code: RejectionCode;
  readonly reason: string;
}

/** Limits that apply to every event, with where they come from. */
export const EVENT_LIMITS = {
  /**
   * PutEvents entry size, computed as EventBridge does (Time 14 bytes + UTF-8 bytes of Source, DetailType,
   * Detail and each Resource). 1 MiB since 2026-01-29 (AWS Compute Blog, "payloads up to 1 MB" for
   * EventBridge, SQS and async Lambda); it was 256 KB before. Source: eb-putevent-size.html; checked 2026-11-25.
   */
  maxEntryBytes: 1024 * 1024,
  /** "PutEvents will only process nested JSON up to 1100 levels deep" (PutEvents API reference). */
  maxBusNestingDepth: 1100,
  /**
   * The landing stage is stricter: no catalogue schema nests more than a few levels, and deeper JSON
   * breaks recursive serializers and warehouse JSON parsers. Deeper details are quarantined.
   */
  maxDetailNestingDepth: 32,
} as const;

/** The most characters of an input a message repeats (a problem answer, a quarantine reason). */
export const MAX_ECHOED_CHARS = 200;

/**
 * An input's text as a message may repeat it: at most `max` characters, cut with an ellipsis (never in the
 * middle of a surrogate pair), so a 1 MB value never makes a 1 MB message.
 */
export function echoed(text: string, max: number = MAX_ECHOED_CHARS): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}
