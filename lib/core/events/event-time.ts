import { formatEventTime } from './envelope.js';

// RFC 3339 date-time: what EventBridge accepts in an event's `time` and what its envelopes carry.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 timestamp strictly: the calendar date must exist (no 2026-02-30) and an offset is
 * required, so the result never depends on the machine's time zone. Returns undefined when invalid.
 */
export function parseEventTime(text: string): Date | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const date = new Date(text.replace(' ', 'T'));
  if (Number.isNaN(date.getTime())) return undefined;
  // Date.parse rolls 2026-02-30 over to March; reject dates whose fields do not survive a round trip.
  const local = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  if (
    local.getUTCFullYear() !== Number(y) ||
    local.getUTCMonth() !== Number(mo) - 1 ||
    local.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  ) {
    return undefined;
  }
  return date;
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
