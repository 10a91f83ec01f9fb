import { CHECKED_ENTRY, entrySizeOver, type MaybeCheckedEntry } from '../bus/put-events.js';
import type { PutEventsEntry } from '../events/envelope.js';
import { formatEventTime } from '../events/envelope.js';
import { isEnvelopeTime, parseEventTime } from '../events/event-time.js';
import { jsonDepthExceeds } from '../events/json-checks.js';
import { echoed, EVENT_LIMITS, type Rejection } from '../events/rejection.js';
import { describeJsonType } from '../events/validator.js';

/** An entry ready for PutEvents, or the reason it cannot be sent. */
export type EntryInput =
  | { readonly ok: true; readonly entry: PutEventsEntry }
  | { readonly ok: false; readonly rejection: Rejection };

const reject = (code: Rejection['code'], reason: string): EntryInput => ({
  ok: false,
  rejection: { code, reason },
});

/** The fields of a publish input; anything else is not sent to the bus. */
export const ENTRY_FIELDS: readonly string[] = ['source', 'detail-type', 'detail', 'time', 'resources'];

/**
 * Turns one publish input (`{"source", "detail-type", "detail", "time"?, "resources"?}`) into a
 * PutEvents entry, checking on the client side what the service would reject, so each rejection gets a
 * specific reason instead of a bare error code. `textLength`, when known, is the length of the JSON text the
 * value was parsed from: it bounds how deep the value can nest.
 */
export function entryFromValue(
  value: unknown,
  maxEntryBytes: number = EVENT_LIMITS.maxEntryBytes,
  textLength?: number,
): EntryInput {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return reject('NOT_AN_OBJECT', `the entry is ${describeJsonType(value)}, not a JSON object`);
  }
  const v = value as Record<string, unknown>;
  if (typeof v.source !== 'string' || v.source === '') {
    return reject(
      'MISSING_FIELD',
      `"source" is ${v.source === undefined ? 'missing' : 'not a non-empty string'}`,
    );
  }
  const detailType = v['detail-type'];
  if (typeof detailType !== 'string' || detailType === '') {
    return reject(
      'MISSING_FIELD',
      `"detail-type" is ${detailType === undefined ? 'missing' : 'not a non-empty string'}`,
    );
  }
  const detail = v.detail;
  if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
    return reject(
      'MALFORMED_DETAIL',
      detail === undefined
        ? '"detail" is missing'
        : `"detail" is ${describeJsonType(detail)}, not a JSON object`,
    );
  }
  let time: Date | undefined;
  if (v.time !== undefined) {
    time = typeof v.time === 'string' ? parseEventTime(v.time) : undefined;
    if (!time) {
      // Never JSON.stringify the value itself: a deeply nested one overflows the stack, a long one floods.
      const shown = typeof v.time === 'string' ? JSON.stringify(echoed(v.time)) : describeJsonType(v.time);
      return reject('INVALID_TIME', `"time" ${shown} is not an RFC 3339 timestamp`);
    }
  }
  let resources: string[] | undefined;
  if (v.resources !== undefined) {
    if (!Array.isArray(v.resources) || !v.resources.every((r) => typeof r === 'string')) {
      return reject('MISSING_FIELD', '"resources" must be an array of strings');
    }
    resources = v.resources as string[];
  }
  // Checked before serializing: JSON.stringify recurses and overflows the stack on very deep values. A value
  // parsed from a text of n characters nests at most n deep (each level opens with a bracket): short texts,
  // nearly every event, need no walk.
  if (
    (textLength === undefined || textLength > EVENT_LIMITS.maxBusNestingDepth) &&
    jsonDepthExceeds(detail, EVENT_LIMITS.maxBusNestingDepth)
  ) {
    return reject(
      'NESTING_TOO_DEEP',
      `"detail" nests deeper than ${EVENT_LIMITS.maxBusNestingDepth} levels, the most PutEvents processes`,
    );
  }
  const entry: MaybeCheckedEntry = {
    Source: v.source,
    DetailType: detailType,
    Detail: JSON.stringify(detail),
    Time: time,
    Resources: resources,
    [CHECKED_ENTRY]: {
      detail,
      // The envelope carries whole seconds in UTC: reuse the input's text when it is already that.
      time:
        time === undefined
          ? undefined
          : isEnvelopeTime(v.time as string)
            ? (v.time as string)
            : formatEventTime(time),
    },
  };
  const size = entrySizeOver(entry, maxEntryBytes);
  if (size !== undefined) {
    return reject('ENTRY_TOO_LARGE', `entry is ${size} bytes; the PutEvents limit is ${maxEntryBytes} bytes`);
  }
  return { ok: true, entry };
}

/** Parses one NDJSON line and checks it with {@link entryFromValue}. */
export function entryFromLine(line: string, maxEntryBytes?: number): EntryInput {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return reject('NOT_JSON', `not valid JSON: ${(error as Error).message}`);
  }
  return entryFromValue(value, maxEntryBytes, line.length);
}
