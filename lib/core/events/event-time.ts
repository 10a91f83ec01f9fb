import { formatEventTime } from './envelope.js';

// RFC 3339 date-time: what EventBridge accepts in an event's `time` and what its envelopes carry.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 timestamp strictly: the calendar date must exist (no 2026-02-30) and an offset is
 * required, so the result never depends on the machine's time zone. Returns undefined when invalid.
 */
export function parseEventTime(text: string): Date | undefined {
  if (isEnvelopeTime(text)) return parseCanonical(text);
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  // The wall-clock fields must name a real instant (no 2026-02-30, no 25:00) before the offset applies.
  if (!utcFields(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s))) return undefined;
  const date = new Date(text.replace(' ', 'T'));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The UTC instant of calendar fields, or undefined when a field is out of range (Date would roll it over).
 * Computed with integer arithmetic (days from the civil date, proleptic Gregorian) rather than Date's
 * setters: this runs for every event on the publish and landing paths, and the setters were most of it.
 */
function utcFields(y: number, mo: number, d: number, h: number, mi: number, s: number): Date | undefined {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!)) return undefined;
  return new Date(daysFromCivil(y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000);
}

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"). */
function daysFromCivil(y: number, mo: number, d: number): number {
  const year = mo <= 2 ? y - 1 : y;
  const era = Math.floor(year / 400);
  const yoe = year - era * 400;
  const doy = Math.floor((153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The Hive-style partition of an event time: `dt=YYYY-MM-DD/hour=HH`, UTC. */
export interface TimePartition {
  readonly dt: string;
  readonly hour: string;
}

/** Partition of a UTC time. */
export function timePartition(date: Date): TimePartition {
  const iso = formatEventTime(date);
  return { dt: iso.slice(0, 10), hour: iso.slice(11, 13) };
}

/** Partition of a valid event time, read straight from the text when it is already in envelope form. */
export function eventTimePartition(text: string, parsed: Date): TimePartition {
  return isEnvelopeTime(text) ? { dt: text.slice(0, 10), hour: text.slice(11, 13) } : timePartition(parsed);
}

/**
 * Whether a text has the shape EventBridge writes in envelopes, `YYYY-MM-DDTHH:MM:SSZ` (the field values
 * are not checked). By far the most common input, so it gets a parser without regular expressions or
 * Date string parsing: the landing hot path.
 */
export function isEnvelopeTime(t: string): boolean {
  return (
    t.length === 20 &&
    t.charCodeAt(4) === 45 &&
    t.charCodeAt(7) === 45 &&
    t.charCodeAt(10) === 84 &&
    t.charCodeAt(13) === 58 &&
    t.charCodeAt(16) === 58 &&
    t.charCodeAt(19) === 90
  );
}

function digits(t: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const d = t.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

function parseCanonical(t: string): Date | undefined {
  const y = digits(t, 0, 4);
  const h = digits(t, 11, 2);
  const mi = digits(t, 14, 2);
  const s = digits(t, 17, 2);
  if (y < 0 || h < 0 || mi < 0 || s < 0) return undefined;
  return utcFields(y, digits(t, 5, 2), digits(t, 8, 2), h, mi, s);
}
