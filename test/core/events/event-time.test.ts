import { describe, expect, it } from 'vitest';
import { formatEventTime } from '../../../lib/core/events/envelope.js';
import {
  eventTimePartition,
  isEnvelopeTime,
  parseEventTime,
  timePartition,
} from '../../../lib/core/events/event-time.js';

describe('parseEventTime', () => {
  it.each([
    ['2026-11-01T12:00:00Z', '2026-11-01T12:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2026-11-01T12:00:00.250Z', '2026-11-01T12:00:00.250Z'],
    ['2026-11-01T12:00:00+02:00', '2026-11-01T10:00:00.000Z'],
    ['2026-11-01t12:00:00z', '2026-11-01T12:00:00.000Z'],
    ['0050-01-01T00:00:00Z', '0050-01-01T00:00:00.000Z'],
  ])('parses %s', (text, iso) => {
    expect(parseEventTime(text)?.toISOString()).toBe(iso);
  });

  it.each([
    'yesterday',
    '2026-02-30T10:00:00Z',
    '2025-02-29T10:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-11-01T24:00:00Z',
    '2026-11-01T12:60:00Z',
    '2026-11-01T12:00:00',
    '2026-11-01',
    '1700000000',
    '2026-11-01T12:00:0xZ',
  ])('rejects %s', (text) => {
    expect(parseEventTime(text)).toBeUndefined();
  });

  it.each(['1900-02-29T00:00:00Z', '2100-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-11-00T00:00:00Z'])(
    'rejects %s, a day its month does not have',
    (text) => {
      expect(parseEventTime(text)).toBeUndefined();
    },
  );

  it('agrees with Date over years 0 to 2500, a day and an hour apart, and at the ends of the range', () => {
    const day = 86_400_000;
    const mismatches: string[] = [];
    // Steps of a day, 1 hour, 2 minutes and 3 seconds: through every month and every time of day.
    for (
      let t = Date.parse('0000-01-01T00:00:00Z');
      t < Date.parse('2500-01-01T00:00:00Z');
      t += day + 3_723_000
    ) {
      const expected = new Date(Math.floor(t / 1000) * 1000);
      const text = `${expected.toISOString().slice(0, 19)}Z`;
      if (parseEventTime(text)?.getTime() !== expected.getTime()) mismatches.push(text);
    }
    for (const text of ['0000-01-01T00:00:00Z', '2000-02-29T23:59:59Z', '9999-12-31T23:59:59Z']) {
      if (parseEventTime(text)?.toISOString() !== text.replace('Z', '.000Z')) mismatches.push(text);
    }
    expect(mismatches).toEqual([]);
  });
});

describe('partitions', () => {
  it('partitions by UTC date and hour', () => {
    expect(timePartition(new Date('2026-11-01T23:30:00-02:00'))).toEqual({ dt: '2026-11-02', hour: '01' });
  });

  it('reads the partition from envelope-form text without a Date round trip', () => {
    expect(isEnvelopeTime('2026-11-01T05:06:07Z')).toBe(true);
    expect(eventTimePartition('2026-11-01T05:06:07Z', new Date(0))).toEqual({ dt: '2026-11-01', hour: '05' });
  });

  it('falls back to the parsed time for other forms', () => {
    const text = '2026-11-01T05:06:07+01:00';
    expect(eventTimePartition(text, parseEventTime(text)!)).toEqual({ dt: '2026-11-01', hour: '04' });
  });

  it('formats envelope times with second precision in UTC', () => {
    expect(formatEventTime(new Date('2026-11-01T05:06:07.999Z'))).toBe('2026-11-01T05:06:07Z');
  });
});
