import { describe, expect, it } from 'vitest';
import { EVENT_CATALOGUE } from '../../../lib/core/events/catalogue.js';
import { createEventValidator } from '../../../lib/core/events/validator.js';
import { NASTY_STRINGS } from '../../../lib/core/generator/workload.js';
import { envelope } from '../../support/envelopes.js';

const validator = createEventValidator();

function rejection(value: unknown) {
  const result = validator.validate(value);
  if (result.ok) throw new Error('expected a rejection');
  return result.rejection;
}

describe('event validator', () => {
  it('accepts every catalogue example wrapped in an envelope', () => {
    for (const type of EVENT_CATALOGUE) {
      const result = validator.validate(envelope(type.detailType));
      expect(result.ok, type.detailType).toBe(true);
    }
  });

  it('returns the catalogue entry and the parsed UTC time of a valid event', () => {
    const result = validator.validate(envelope('BidCreated', { time: '2026-11-01T23:59:59Z' }));
    expect(result.ok && result.eventType.detailType).toBe('BidCreated');
    expect(result.ok && result.time.toISOString()).toBe('2026-11-01T23:59:59.000Z');
  });

  it('rejects text that is not JSON as NOT_JSON', () => {
    const result = validator.validateText('{"id": "x",');
    expect(!result.ok && result.rejection.code).toBe('NOT_JSON');
  });

  it.each([[[1, 2]], ['a string'], [42], [null]])('rejects %j as NOT_AN_OBJECT', (value) => {
    expect(rejection(value).code).toBe('NOT_AN_OBJECT');
  });

  it('rejects an envelope without an id as MALFORMED_ENVELOPE naming the field', () => {
    const { id: _id, ...rest } = envelope('PageViewed');
    const r = rejection(rest);
    expect(r.code).toBe('MALFORMED_ENVELOPE');
    expect(r.reason).toContain('"id"');
  });

  it('rejects a missing detail as MALFORMED_DETAIL', () => {
    const { detail: _d, ...rest } = envelope('PageViewed');
    const r = rejection(rest);
    expect(r).toEqual({ code: 'MALFORMED_DETAIL', reason: 'detail is missing' });
  });

  it('rejects a detail that is an array as MALFORMED_DETAIL', () => {
    const r = rejection({ ...envelope('PageViewed'), detail: ['x'] });
    expect(r.code).toBe('MALFORMED_DETAIL');
    expect(r.reason).toContain('an array');
  });

  it.each(['yesterday', '2026-02-30T10:00:00Z', '2026-11-01T24:00:00Z', '2026-11-01T12:00:00'])(
    'rejects the time %s as INVALID_TIME',
    (time) => {
      expect(rejection(envelope('PageViewed', { time })).code).toBe('INVALID_TIME');
    },
  );

  it('rejects a detail nested deeper than 32 levels as NESTING_TOO_DEEP', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 40; i++) deep = { a: deep };
    const r = rejection(envelope('PageViewed', { detail: { extra: deep } }));
    expect(r.code).toBe('NESTING_TOO_DEEP');
  });

  it('accepts a detail nested within the limit', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 20; i++) deep = { a: deep };
    expect(validator.validate(envelope('PageViewed', { detail: { extra: deep } })).ok).toBe(true);
  });

  it('rejects an unknown detail-type as UNKNOWN_EVENT_TYPE naming source and type', () => {
    const r = rejection({ ...envelope('PageViewed'), 'detail-type': 'UserTeleported' });
    expect(r.code).toBe('UNKNOWN_EVENT_TYPE');
    expect(r.reason).toContain('"UserTeleported"');
    expect(r.reason).toContain('"marketplace.web"');
  });

  it('rejects a known detail-type from another source as UNKNOWN_EVENT_TYPE', () => {
    expect(rejection({ ...envelope('PageViewed'), source: 'marketplace.users' }).code).toBe(
      'UNKNOWN_EVENT_TYPE',
    );
  });

  it('rejects a detail without eventId as MISSING_EVENT_ID', () => {
    const e = envelope('PageViewed');
    const { eventId: _e, ...detail } = e.detail;
    expect(rejection({ ...e, detail }).code).toBe('MISSING_EVENT_ID');
  });

  it('rejects an unknown schemaVersion as UNKNOWN_SCHEMA_VERSION', () => {
    const r = rejection(envelope('PageViewed', { detail: { schemaVersion: 7 } }));
    expect(r.code).toBe('UNKNOWN_SCHEMA_VERSION');
    expect(r.reason).toContain('known: 1');
  });

  it.each([
    [{ durationMs: -5 }, 'detail.durationMs must be >= 0'],
    [{ durationMs: '12' }, 'detail.durationMs must be integer'],
    [{ path: 'no-slash' }, 'detail.path must match pattern'],
    [{ eventId: 'not-a-uuid' }, 'detail.eventId must match format "uuid"'],
  ])('names the field of a schema violation %j', (override, reason) => {
    const r = rejection(envelope('PageViewed', { detail: override }));
    expect(r.code).toBe('SCHEMA_VIOLATION');
    expect(r.reason).toContain(reason);
  });

  it('names a missing required field', () => {
    const e = envelope('BidCreated');
    const { amountMinor: _a, ...detail } = e.detail;
    expect(rejection({ ...e, detail }).reason).toBe('detail.amountMinor is required');
  });

  it('lists the allowed values of an enum field', () => {
    const r = rejection(envelope('BidCreated', { detail: { currency: 'DOGE' } }));
    expect(r.reason).toBe('detail.currency must be one of "USD", "EUR", "GBP"');
  });

  it('accepts extra detail fields the schema does not declare', () => {
    expect(validator.validate(envelope('PageViewed', { detail: { experiment: 'b' } })).ok).toBe(true);
  });

  it('accepts hostile strings in free-text fields', () => {
    for (const s of NASTY_STRINGS) {
      expect(validator.validate(envelope('ItemListed', { detail: { title: s } })).ok, s).toBe(true);
    }
  });
});

describe('event validator and warehouse-hostile text', () => {
  it('quarantines an unpaired surrogate (JSON.parse accepts it; DuckDB and PostgreSQL do not), naming the field', () => {
    const body = JSON.stringify(envelope('ItemListed')).replace('"title":"', '"title":"lone \\ud800 ');
    const result = validator.validateText(body);
    expect(!result.ok && result.rejection).toEqual({
      code: 'MALFORMED_STRING',
      reason: 'event.detail.title contains an unpaired UTF-16 surrogate, which warehouse JSON parsers reject',
    });
  });

  it('quarantines a NUL character, which PostgreSQL text and JSONB reject', () => {
    const body = JSON.stringify(envelope('ItemListed')).replace('"title":"', '"title":"nul \\u0000 ');
    const result = validator.validateText(body);
    expect(!result.ok && result.rejection.code).toBe('MALFORMED_STRING');
    expect(!result.ok && result.rejection.reason).toContain('NUL character');
  });

  it('rejects integers beyond what JavaScript and BIGINT hold exactly', () => {
    const body = JSON.stringify(envelope('BidCreated')).replace(
      /"amountMinor":\d+/,
      '"amountMinor":100000000000000000000',
    );
    const result = validator.validateText(body);
    expect(!result.ok && result.rejection).toEqual({
      code: 'SCHEMA_VIOLATION',
      reason: 'detail.amountMinor must be <= 9007199254740991',
    });
  });

  it('accepts a 300 KB string in a free-text field (it fits the 1 MiB entry)', () => {
    expect(
      validator.validate(
        envelope('ItemListed', { detail: { title: 'x'.repeat(300), note: 'y'.repeat(300 * 1024) } }),
      ).ok,
    ).toBe(true);
  });

  it('quarantines an unpaired surrogate in the text itself, not escaped', () => {
    const body = JSON.stringify(envelope('ItemListed')).replace('"title":"', '"title":"lone \ud800 ');
    expect(body.isWellFormed()).toBe(false);
    const result = validator.validateText(body);
    expect(!result.ok && result.rejection.code).toBe('MALFORMED_STRING');
  });

  it('quarantines a NUL in a key', () => {
    const body = JSON.stringify(envelope('ItemListed')).replace('"title":"', '"ti\\u0000tle":"x","title":"');
    const result = validator.validateText(body);
    expect(!result.ok && result.rejection.reason).toContain('has a key that contains a NUL character');
  });

  it('accepts text with an escaped backslash before a u', () => {
    const body = JSON.stringify(envelope('ItemListed', { detail: { title: 'C:\\users' } }));
    expect(body).toContain('\\\\users');
    expect(validator.validateText(body).ok).toBe(true);
  });

  it('accepts a correctly paired surrogate written as escapes', () => {
    const body = JSON.stringify(envelope('ItemListed')).replace('"title":"', '"title":"\\ud83c\\udf89 ');
    expect(validator.validateText(body).ok).toBe(true);
  });
});
