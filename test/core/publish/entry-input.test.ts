import { describe, expect, it } from 'vitest';
import { CHECKED_ENTRY } from '../../../lib/core/bus/put-events.js';
import { entryFromLine, entryFromValue } from '../../../lib/core/publish/entry-input.js';

const valid = {
  source: 'marketplace.web',
  'detail-type': 'PageViewed',
  detail: { eventId: 'e', userId: 'u' },
};

function code(line: string): string | undefined {
  const r = entryFromLine(line);
  return r.ok ? undefined : r.rejection.code;
}

describe('entryFromLine', () => {
  it('turns a line into a PutEvents entry with Detail as JSON text', () => {
    const r = entryFromLine(JSON.stringify({ ...valid, time: '2026-11-01T10:00:00Z', resources: ['arn:a'] }));
    if (!r.ok) throw new Error(r.rejection.reason);
    expect(r.entry).toMatchObject({
      Source: 'marketplace.web',
      DetailType: 'PageViewed',
      Detail: '{"eventId":"e","userId":"u"}',
      Time: new Date('2026-11-01T10:00:00Z'),
      Resources: ['arn:a'],
    });
  });

  it('attaches the checked detail and envelope time for the in-process bus', () => {
    const r = entryFromLine(JSON.stringify({ ...valid, time: '2026-11-01T10:00:00.900+01:00' }));
    const facts = r.ok
      ? (r.entry as { [CHECKED_ENTRY]?: { detail: unknown; time?: string } })[CHECKED_ENTRY]
      : undefined;
    expect(facts?.detail).toEqual(valid.detail);
    expect(facts?.time).toBe('2026-11-01T09:00:00Z');
  });

  it('names the parse error of a line that is not JSON', () => {
    const r = entryFromLine('{"source": "x",');
    expect(!r.ok && r.rejection.code).toBe('NOT_JSON');
    expect(!r.ok && r.rejection.reason).toMatch(/^not valid JSON: /);
  });

  it.each(['[1,2]', '"text"', '42', 'null', 'true'])('rejects %s as NOT_AN_OBJECT', (line) => {
    expect(code(line)).toBe('NOT_AN_OBJECT');
  });

  it('rejects a missing source or detail-type as MISSING_FIELD naming it', () => {
    const { source: _s, ...noSource } = valid;
    const r = entryFromLine(JSON.stringify(noSource));
    expect(!r.ok && r.rejection).toEqual({ code: 'MISSING_FIELD', reason: '"source" is missing' });
    expect(code(JSON.stringify({ ...valid, 'detail-type': 5 }))).toBe('MISSING_FIELD');
  });

  it.each([
    [undefined, '"detail" is missing'],
    ['text', '"detail" is a string, not a JSON object'],
    [[1], '"detail" is an array, not a JSON object'],
  ])('rejects detail %j as MALFORMED_DETAIL', (detail, reason) => {
    const r = entryFromValue({ ...valid, detail });
    expect(!r.ok && r.rejection).toEqual({ code: 'MALFORMED_DETAIL', reason });
  });

  it.each(['yesterday', '2026-02-30T00:00:00Z', 1700000000])('rejects time %j as INVALID_TIME', (time) => {
    expect(code(JSON.stringify({ ...valid, time }))).toBe('INVALID_TIME');
  });

  it('rejects resources that are not strings', () => {
    expect(code(JSON.stringify({ ...valid, resources: [1] }))).toBe('MISSING_FIELD');
  });

  it('rejects detail deeper than 1100 levels before serializing it', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    const r = entryFromValue({ ...valid, detail: { deep } });
    expect(!r.ok && r.rejection.code).toBe('NESTING_TOO_DEEP');
  });

  it('checks the nesting of a line’s detail to the level: 1,100 levels pass, 1,101 do not', () => {
    // detail = {"a": [[…]]}: the object is one level, each array one more.
    const line = (arrays: number) =>
      JSON.stringify({ ...valid, detail: {} }).replace(
        '"detail":{}',
        `"detail":{"a":${'['.repeat(arrays)}${']'.repeat(arrays)}}`,
      );
    expect(entryFromLine(line(1099)).ok).toBe(true);
    const r = entryFromLine(line(1100));
    expect(!r.ok && r.rejection.code).toBe('NESTING_TOO_DEEP');
  });

  it('rejects an entry over the size limit, counting UTF-8 bytes', () => {
    const r = entryFromValue({ ...valid, detail: { s: '€'.repeat(400) } }, 1000);
    expect(!r.ok && r.rejection.code).toBe('ENTRY_TOO_LARGE');
    expect(entryFromValue({ ...valid, detail: { s: '€'.repeat(300) } }, 1000).ok).toBe(true);
  });
});
