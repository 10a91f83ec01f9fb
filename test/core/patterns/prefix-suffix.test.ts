import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../../lib/core/patterns/index.js';
import { envelope, withDetail } from './event-envelope.js';

describe('prefix matching', () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html#eb-filtering-prefix-matching
  const byDay = { time: [{ prefix: '2017-10-02' }] };

  it('matches a string that starts with the prefix', () => {
    expect(matchesPattern(byDay, envelope({ time: '2017-10-02T18:43:48Z' }))).toBe(true);
  });

  it('does not match a string that starts otherwise', () => {
    expect(matchesPattern(byDay, envelope({ time: '2017-10-03T18:43:48Z' }))).toBe(false);
  });

  it('is case-sensitive', () => {
    expect(matchesPattern({ region: [{ prefix: 'us-' }] }, envelope({ region: 'US-east-1' }))).toBe(false);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html#eb-filtering-prefix-matching ("for string values")
  it('does not match a number that starts with the digits', () => {
    expect(matchesPattern({ detail: { code: [{ prefix: '12' }] } }, withDetail({ code: 123 }))).toBe(false);
  });

  // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/content_prefix_empty.json5 (AWS-validated)
  it('matches any string with an empty prefix', () => {
    expect(matchesPattern({ source: [{ prefix: '' }] }, envelope({ source: 'anything' }))).toBe(true);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html (Begins with (ignore case))
  describe('with equals-ignore-case', () => {
    const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] } };

    it('matches a prefix in any casing', () => {
      expect(matchesPattern(pattern, withDetail({ service: 'EventBridge' }))).toBe(true);
      expect(matchesPattern(pattern, withDetail({ service: 'EVENTBRIDGE' }))).toBe(true);
    });

    it('does not match another prefix', () => {
      expect(matchesPattern(pattern, withDetail({ service: 'Eventarc' }))).toBe(false);
    });
  });
});

describe('suffix matching', () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html#eb-filtering-suffix-matching
  const png = { FileName: [{ suffix: '.png' }] };

  it('matches a string that ends with the suffix', () => {
    expect(matchesPattern(png, envelope({ FileName: 'image.png' }))).toBe(true);
  });

  it('does not match a string that ends otherwise', () => {
    expect(matchesPattern(png, envelope({ FileName: 'image.jpg' }))).toBe(false);
  });

  it('is case-sensitive', () => {
    expect(matchesPattern(png, envelope({ FileName: 'image.PNG' }))).toBe(false);
  });

  // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/content_suffix_empty.json5 (AWS-validated)
  it('matches any string with an empty suffix', () => {
    expect(matchesPattern({ source: [{ suffix: '' }] }, envelope())).toBe(true);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html#eb-filtering-suffix-matching (ignore case)
  describe('with equals-ignore-case', () => {
    const pattern = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };

    it('matches a suffix in any casing', () => {
      expect(matchesPattern(pattern, withDetail({ FileName: 'image.PNG' }))).toBe(true);
    });

    it('does not match another suffix', () => {
      expect(matchesPattern(pattern, withDetail({ FileName: 'image.jpg' }))).toBe(false);
    });
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html (Ends with (ignore case): "tbridge")
  it('matches the operator-table example "tbridge" against "EventBridge"', () => {
    const pattern = { service: [{ suffix: { 'equals-ignore-case': 'tbridge' } }] };

    expect(matchesPattern(pattern, envelope({ service: 'EventBridge' }))).toBe(true);
    expect(matchesPattern(pattern, envelope({ service: 'EventBus' }))).toBe(false);
  });
});
