import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../../lib/core/patterns/index.js';
import { envelope, withDetail } from './event-envelope.js';

describe('equals-ignore-case matching', () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html#eb-filtering-equals-ignore-case-matching
  const pattern = { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] };

  it('matches the value in another casing', () => {
    expect(
      matchesPattern(pattern, envelope({ 'detail-type': 'EC2 Instance State-change Notification' })),
    ).toBe(true);
  });

  it('does not match a different value', () => {
    expect(matchesPattern(pattern, envelope({ 'detail-type': 'EC2 Instance Launch Successful' }))).toBe(
      false,
    );
  });

  it('does not match a value that only starts with the literal', () => {
    const event = envelope({ 'detail-type': 'EC2 Instance State-change Notifications' });

    expect(matchesPattern(pattern, event)).toBe(false);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html (Equals (ignore case): "alice")
  it('matches "Alice" with "alice"', () => {
    expect(matchesPattern({ Name: [{ 'equals-ignore-case': 'alice' }] }, envelope({ Name: 'Alice' }))).toBe(
      true,
    );
  });

  // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/content_ignorecase_empty.json5 (AWS-validated)
  it('matches only the empty string with an empty literal', () => {
    const empty = { detail: { value: [{ 'equals-ignore-case': '' }] } };

    expect(matchesPattern(empty, withDetail({ value: '' }))).toBe(true);
    expect(matchesPattern(empty, withDetail({ value: 'test-value' }))).toBe(false);
  });

  it('folds each character to its own lower or upper case, so "ß" matches "SS"', () => {
    expect(
      matchesPattern({ city: [{ 'equals-ignore-case': 'straße' }] }, envelope({ city: 'STRASSE' })),
    ).toBe(true);
  });

  it('does not treat the Kelvin sign as the letter k', () => {
    expect(matchesPattern({ unit: [{ 'equals-ignore-case': 'k' }] }, envelope({ unit: '\u212A' }))).toBe(
      false,
    );
  });

  it('does not match numbers', () => {
    expect(
      matchesPattern({ detail: { code: [{ 'equals-ignore-case': '42' }] } }, withDetail({ code: 42 })),
    ).toBe(false);
  });
});
