import { describe, expect, it } from 'vitest';
import { matchesPattern, parsePattern } from '../../../lib/core/patterns/index.js';
import { envelope, withDetail } from './event-envelope.js';

describe('numeric matching', () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html#filtering-numeric-matching
  const documented = {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  };

  it('matches when every field is within its range', () => {
    expect(matchesPattern(documented, withDetail({ 'c-count': 5, 'd-count': 9, 'x-limit': 301.8 }))).toBe(
      true,
    );
  });

  it('does not match when one field is out of its range', () => {
    expect(matchesPattern(documented, withDetail({ 'c-count': 42, 'd-count': 9, 'x-limit': 301.8 }))).toBe(
      false,
    );
  });

  it('excludes the open bound and includes the closed one', () => {
    const pattern = { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } };

    expect(matchesPattern(pattern, withDetail({ 'c-count': 0 }))).toBe(false);
    expect(matchesPattern(pattern, withDetail({ 'c-count': 5 }))).toBe(true);
    expect(matchesPattern(pattern, withDetail({ 'c-count': 0.000001 }))).toBe(true);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html (Numeric (equals) and (range))
  it('matches the operator-table price examples', () => {
    expect(matchesPattern({ Price: [{ numeric: ['=', 100] }] }, envelope({ Price: 100 }))).toBe(true);
    expect(matchesPattern({ Price: [{ numeric: ['>', 10, '<=', 20] }] }, envelope({ Price: 20 }))).toBe(true);
    expect(matchesPattern({ Price: [{ numeric: ['>', 10, '<=', 20] }] }, envelope({ Price: 10 }))).toBe(
      false,
    );
  });

  it('supports >= and <', () => {
    const pattern = { n: [{ numeric: ['>=', 200, '<', 500] }] };

    expect(matchesPattern(pattern, envelope({ n: 200 }))).toBe(true);
    expect(matchesPattern(pattern, envelope({ n: 500 }))).toBe(false);
  });

  // "Numeric matching works with values that are JSON numbers" (numeric matching section)
  // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/numeric-string_NEG.json5 (AWS-validated)
  it('does not match a numeric string', () => {
    expect(matchesPattern({ number: [{ numeric: ['>', 100] }] }, envelope({ number: '300' }))).toBe(false);
  });

  // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/numeric-null_NEG.json5 (AWS-validated)
  it('does not match null', () => {
    expect(matchesPattern({ number: [{ numeric: ['>', 100] }] }, envelope({ number: null }))).toBe(false);
  });

  // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/numeric-int-float.json5 (AWS-validated)
  it('compares integers and decimals by value', () => {
    expect(
      parsePattern('{"number": [{"numeric": [">", 100]}]}').matches(JSON.parse('{"number": 101.0}')),
    ).toBe(true);
  });

  it('reads exponents as numbers', () => {
    expect(
      matchesPattern(documented, JSON.parse('{"detail": {"c-count": 1, "d-count": 1, "x-limit": 301.8e0}}')),
    ).toBe(true);
  });

  it('matches any element of an array of numbers', () => {
    expect(matchesPattern({ n: [{ numeric: ['<', 10] }] }, envelope({ n: [50, 5] }))).toBe(true);
  });

  // "It is limited to values between -5.0e9 and +5.0e9 inclusive" (numeric matching section)
  describe('documented limits', () => {
    it('matches values at the limits', () => {
      expect(matchesPattern({ n: [{ numeric: ['>=', -5e9] }] }, envelope({ n: -5e9 }))).toBe(true);
      expect(matchesPattern({ n: [{ numeric: ['<=', 5e9] }] }, envelope({ n: 5e9 }))).toBe(true);
    });

    it('does not match event values beyond the limits', () => {
      expect(matchesPattern({ n: [{ numeric: ['>', 0] }] }, envelope({ n: 5e9 + 1 }))).toBe(false);
      expect(matchesPattern({ n: [{ numeric: ['<', 0] }] }, envelope({ n: -6e9 }))).toBe(false);
    });

    it('keeps the precision of six decimals', () => {
      expect(matchesPattern({ n: [{ numeric: ['>', 1.000001] }] }, envelope({ n: 1.000002 }))).toBe(true);
      expect(matchesPattern({ n: [{ numeric: ['>', 1.000001] }] }, envelope({ n: 1.000001 }))).toBe(false);
    });
  });
});
