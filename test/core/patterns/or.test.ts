import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../../lib/core/patterns/index.js';
import { envelope, withDetail } from './event-envelope.js';

describe('$or matching', () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html#eb-filtering-complex-example-or
  describe('inside detail', () => {
    const pattern = {
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
        ],
      },
    };

    it('matches when any one alternative matches', () => {
      expect(matchesPattern(pattern, withDetail({ 'c-count': 0, 'd-count': 0, 'x-limit': 901.8 }))).toBe(
        true,
      );
    });

    it('does not match when no alternative matches', () => {
      expect(matchesPattern(pattern, withDetail({ 'c-count': 0, 'd-count': 10, 'x-limit': 901.8 }))).toBe(
        false,
      );
    });
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html (Or (multiple fields))
  describe('at the top level, next to other fields', () => {
    const pattern = { source: ['aws.ec2'], $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] };

    it('matches the other fields and one alternative', () => {
      expect(matchesPattern(pattern, envelope({ Day: 'Monday' }))).toBe(true);
      expect(matchesPattern(pattern, envelope({ Location: 'New York', Day: 'Sunday' }))).toBe(true);
    });

    it('does not match when the fields outside $or fail', () => {
      expect(matchesPattern(pattern, envelope({ source: 'aws.s3', Day: 'Monday' }))).toBe(false);
    });
  });

  // https://github.com/aws/event-ruler#the-or-primitive ("Or" has an "And" inside, nested "Or" and "And")
  describe('nested and combined with AND', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        {
          metricType: ['MetricType'],
          namespace: ['AWS/EC2', 'AWS/ES'],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
        { scope: ['Service'] },
      ],
    };
    const cloudwatch = (fields: Record<string, unknown>) => envelope({ source: 'aws.cloudwatch', ...fields });

    it('matches the AND alternative when its inner $or also matches', () => {
      expect(
        matchesPattern(pattern, cloudwatch({ metricType: 'MetricType', namespace: 'AWS/ES', spaceId: 1000 })),
      ).toBe(true);
    });

    it('does not match the AND alternative when its inner $or fails', () => {
      expect(
        matchesPattern(pattern, cloudwatch({ metricType: 'MetricType', namespace: 'AWS/ES', spaceId: 1 })),
      ).toBe(false);
    });

    it('does not match the AND alternative when one of its fields fails', () => {
      expect(
        matchesPattern(pattern, cloudwatch({ metricType: 'Other', namespace: 'AWS/ES', metricId: 1234 })),
      ).toBe(false);
    });

    it('matches another alternative on its own', () => {
      expect(matchesPattern(pattern, cloudwatch({ scope: 'Service' }))).toBe(true);
    });
  });

  // https://docs.aws.amazon.com/notifications/latest/userguide/common-usecases.html (EC2 state change using $or)
  it('matches alternatives on the same field', () => {
    const pattern = { detail: { $or: [{ state: ['running'] }, { state: ['terminated'] }] } };

    expect(matchesPattern(pattern, withDetail({ state: 'terminated' }))).toBe(true);
    expect(matchesPattern(pattern, withDetail({ state: 'stopped' }))).toBe(false);
  });

  it('evaluates sibling $or groups independently, as an AND of ORs', () => {
    const pattern = {
      $or: [{ a: ['1'] }, { b: ['1'] }],
      detail: { $or: [{ c: ['1'] }, { d: ['1'] }] },
    };

    expect(matchesPattern(pattern, envelope({ b: '1', detail: { c: '1' } }))).toBe(true);
    expect(matchesPattern(pattern, envelope({ b: '1', detail: { e: '1' } }))).toBe(false);
  });

  it('lets a field after $or override the same field inside every alternative', () => {
    const pattern = { $or: [{ a: ['x'] }, { b: ['y'] }], a: ['z'] };

    expect(matchesPattern(pattern, envelope({ a: 'z', b: 'y' }))).toBe(true);
    expect(matchesPattern(pattern, envelope({ a: 'x' }))).toBe(false);
  });
});
