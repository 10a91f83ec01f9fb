import { describe, expect, it } from 'vitest';
import {
  CHECKED_ENTRY,
  EntryAcceptor,
  entrySizeOver,
  putEventsEntrySize,
} from '../../../lib/core/bus/put-events.js';
import type { PutEventsEntry } from '../../../lib/core/events/envelope.js';

const acceptor = new EntryAcceptor({ account: '123456789012', region: 'eu-west-1', maxEntryBytes: 1000 });
const now = new Date('2026-11-25T10:00:00.500Z');
const id = '0e0e0e0e-1111-4222-8333-444444444444';
const entry: PutEventsEntry = {
  Source: 'marketplace.web',
  DetailType: 'PageViewed',
  Detail: '{"eventId":"e1","userId":"u_1"}',
};

describe('putEventsEntrySize', () => {
  // eb-putevent-size.html: Time 14 bytes when set; Source, DetailType, Detail, Resources in UTF-8 bytes.
  it('counts as the EventBridge user guide describes', () => {
    expect(putEventsEntrySize({ Source: 'ab', DetailType: 'cd', Detail: '{}' })).toBe(6);
    expect(putEventsEntrySize({ Source: 'ab', DetailType: 'cd', Detail: '{}', Time: new Date() })).toBe(20);
    expect(
      putEventsEntrySize({ Source: 'é', DetailType: 'x', Detail: '{"a":"🎉"}', Resources: ['r1', 'r2'] }),
    ).toBe(2 + 1 + 12 + 4);
  });
});

describe('entrySizeOver', () => {
  const sized = (detail: string, resources: string[] = []): PutEventsEntry => ({
    Source: 'ab',
    DetailType: 'cd',
    Detail: detail,
    Time: new Date(),
    Resources: resources,
  });

  it('is undefined for an entry within the limit, however its characters encode', () => {
    // 4 + 10 characters: at most 14 + 3 × 14 = 56 bytes.
    expect(entrySizeOver(sized('{"a":"€€"}'), 56)).toBeUndefined();
    // Past the 3-bytes-a-character bound, counted: 14 + 4 + 8 + 2 × 3 = 32 bytes.
    expect(entrySizeOver(sized('{"a":"€€"}'), 32)).toBeUndefined();
  });

  it('is the exact size of an entry over the limit, resources included', () => {
    expect(entrySizeOver(sized('{"a":"€€"}'), 31)).toBe(32);
    expect(entrySizeOver(sized('{}', ['r'.repeat(100)]), 100)).toBe(14 + 4 + 2 + 100);
  });
});

describe('EntryAcceptor', () => {
  it('builds the envelope EventBridge delivers, stamped with the bus account and region', () => {
    const r = acceptor.accept(entry, id, now);
    expect(r.ok && r.envelope).toEqual({
      version: '0',
      id,
      'detail-type': 'PageViewed',
      source: 'marketplace.web',
      account: '123456789012',
      time: '2026-11-25T10:00:00Z',
      region: 'eu-west-1',
      resources: [],
      detail: { eventId: 'e1', userId: 'u_1' },
    });
  });

  it('serializes the body as one line of JSON equal to the envelope', () => {
    const r = acceptor.accept({ ...entry, Resources: ['arn:x'] }, id, now);
    if (!r.ok) throw new Error('rejected');
    expect(r.body).not.toContain('\n');
    expect(JSON.parse(r.body)).toEqual(r.envelope);
  });

  it('uses the entry time, truncated to seconds, when given', () => {
    const r = acceptor.accept({ ...entry, Time: new Date('2026-01-02T03:04:05.678Z') }, id, now);
    expect(r.ok && r.envelope.time).toBe('2026-01-02T03:04:05Z');
  });

  it('re-serializes a pretty-printed detail so the body stays on one line', () => {
    const r = acceptor.accept({ ...entry, Detail: '{\n  "eventId": "e1"\n}' }, id, now);
    if (!r.ok) throw new Error('rejected');
    expect(r.body).not.toMatch(/[\r\n]/);
    expect(JSON.parse(r.body).detail).toEqual({ eventId: 'e1' });
  });

  it('escapes sources and detail-types in the body', () => {
    const r = acceptor.accept({ ...entry, Source: 'a"b\\c', DetailType: 'x\ny' }, id, now);
    if (!r.ok) throw new Error('rejected');
    expect(JSON.parse(r.body)).toMatchObject({ source: 'a"b\\c', 'detail-type': 'x\ny' });
  });

  it.each([
    [
      { Source: undefined },
      'InvalidArgument',
      'Parameter Source is not valid. Reason: Source is a required argument.',
    ],
    [
      { DetailType: '' },
      'InvalidArgument',
      'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
    ],
    [
      { Detail: undefined },
      'InvalidArgument',
      'Parameter Detail is not valid. Reason: Detail is a required argument.',
    ],
    [{ Detail: 'detail' }, 'MalformedDetail', 'Detail is malformed.'],
    [{ Detail: '"a string"' }, 'MalformedDetail', 'Detail is malformed.'],
    [{ Detail: '[1]' }, 'MalformedDetail', 'Detail is malformed.'],
    [{ Time: new Date('nope') }, 'InvalidArgument', 'Parameter Time is not valid.'],
  ])('rejects %j as EventBridge does', (override, code, message) => {
    const r = acceptor.accept({ ...entry, ...override }, id, now);
    expect(r.ok).toBe(false);
    expect(!r.ok && [r.errorCode, r.errorMessage]).toEqual([code, message]);
  });

  it('rejects an entry over the size limit with its size', () => {
    const r = acceptor.accept({ ...entry, Detail: JSON.stringify({ pad: 'x'.repeat(1000) }) }, id, now);
    expect(!r.ok && r.rejection.code).toBe('ENTRY_TOO_LARGE');
    expect(!r.ok && r.rejection.reason).toMatch(/^entry is \d+ bytes; the PutEvents limit is 1000 bytes$/);
  });

  it('rejects detail nested deeper than PutEvents processes (1100 levels)', () => {
    const big = new EntryAcceptor({ account: '1', region: 'r' });
    const deep = '{"a":'.repeat(1101) + '1' + '}'.repeat(1101);
    const r = big.accept({ ...entry, Detail: deep }, id, now);
    expect(!r.ok && r.rejection.code).toBe('NESTING_TOO_DEEP');
    const ok = big.accept({ ...entry, Detail: '{"a":'.repeat(1099) + '1' + '}'.repeat(1099) }, id, now);
    expect(ok.ok).toBe(true);
  });

  it('uses the facts a publisher attached instead of parsing the detail again', () => {
    const facts = { detail: { eventId: 'from-facts' }, time: '2026-05-05T05:05:05Z' };
    const r = acceptor.accept({ ...entry, [CHECKED_ENTRY]: facts }, id, now);
    expect(r.ok && r.envelope.detail).toBe(facts.detail);
    expect(r.ok && r.envelope.time).toBe('2026-05-05T05:05:05Z');
  });
});
