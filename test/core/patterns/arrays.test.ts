import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../../lib/core/patterns/index.js';
import { envelope, withDetail } from './event-envelope.js';

describe('arrays in events', () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
  const resources = {
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ],
  };

  it('matches when the pattern values and the event array intersect', () => {
    const event = envelope({
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    });

    expect(matchesPattern(resources, event)).toBe(true);
  });

  it('does not match when they do not intersect', () => {
    const event = envelope({ resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] });

    expect(matchesPattern(resources, event)).toBe(false);
  });

  // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/arrays_empty_null_NEG.json5 (AWS-validated)
  it('does not match [null] against an empty array', () => {
    expect(matchesPattern({ resources: [null] }, envelope({ resources: [] }))).toBe(false);
  });

  it('matches values in nested arrays', () => {
    expect(matchesPattern({ detail: { tags: ['b'] } }, withDetail({ tags: [['a'], ['b', 'c']] }))).toBe(true);
  });

  // https://github.com/aws/event-ruler#json-array-matching
  describe('objects inside arrays', () => {
    const employees = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };

    it('matches a field of any element, as if the array were not there', () => {
      expect(matchesPattern({ employees: { firstName: ['Anna'] } }, envelope(employees))).toBe(true);
    });

    it('requires all fields to match in the same element', () => {
      const annaJones = { employees: { firstName: ['Anna'], lastName: ['Jones'] } };
      const annaSmith = { employees: { firstName: ['Anna'], lastName: ['Smith'] } };

      expect(matchesPattern(annaJones, envelope(employees))).toBe(false);
      expect(matchesPattern(annaSmith, envelope(employees))).toBe(true);
    });

    it('crushes multi-level arrays of objects', () => {
      const nested = {
        employees: [[{ firstName: 'John' }, { firstName: 'Anna' }], [{ firstName: 'Peter' }]],
      };

      expect(matchesPattern({ employees: { firstName: ['Peter'] } }, envelope(nested))).toBe(true);
    });

    // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/list_within_dict.json5 (AWS-validated)
    it('matches exists: true when one element has the field', () => {
      const event = withDetail({
        automations: [{ key1: 'value1' }, { id: 'match-does-exist' }, { key2: 'value2' }],
      });

      expect(matchesPattern({ detail: { automations: { id: [{ exists: true }] } } }, event)).toBe(true);
    });

    it('does not match exists: false when any element has the field', () => {
      const event = withDetail({ automations: [{ key1: 'value1' }, { id: 'x' }] });

      expect(matchesPattern({ detail: { automations: { id: [{ exists: false }] } } }, event)).toBe(false);
    });

    it('checks exists: false in the element that satisfies the other fields', () => {
      const pattern = { detail: { items: { sku: ['A'], discontinued: [{ exists: false }] } } };

      expect(
        matchesPattern(pattern, withDetail({ items: [{ sku: 'A' }, { sku: 'B', discontinued: true }] })),
      ).toBe(true);
      expect(
        matchesPattern(pattern, withDetail({ items: [{ sku: 'A', discontinued: true }, { sku: 'B' }] })),
      ).toBe(false);
    });

    it('keeps elements of one array consistent across nested objects', () => {
      const pattern = { detail: { orders: { id: ['o-1'], customer: { tier: ['gold'] } } } };
      const event = withDetail({
        orders: [
          { id: 'o-1', customer: { tier: 'silver' } },
          { id: 'o-2', customer: { tier: 'gold' } },
        ],
      });

      expect(matchesPattern(pattern, event)).toBe(false);
    });

    it('lets elements of different arrays combine freely', () => {
      const pattern = { detail: { a: { x: ['1'] }, b: { y: ['2'] } } };
      const event = withDetail({ a: [{ x: '0' }, { x: '1' }], b: [{ y: '2' }, { y: '3' }] });

      expect(matchesPattern(pattern, event)).toBe(true);
    });
  });
});
