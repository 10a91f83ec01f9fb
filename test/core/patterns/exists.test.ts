import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../../lib/core/patterns/index.js';
import { envelope, withDetail } from './event-envelope.js';

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html#eb-filtering-exists-matching
describe('exists matching', () => {
  describe('exists: true', () => {
    const pattern = { detail: { state: [{ exists: true }] } };

    it('matches the documented event that has detail.state', () => {
      const event = envelope({
        id: '7bf73129-1428-4cd3-a780-95db273d1602',
        time: '2015-11-11T21:29:54Z',
        region: 'us-east-1',
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
        detail: { 'instance-id': 'i-abcd1111', state: 'pending' },
      });

      expect(matchesPattern(pattern, event)).toBe(true);
    });

    it('does not match the documented event without detail.state', () => {
      expect(matchesPattern(pattern, withDetail({ 'c-count': { c1: 100 } }))).toBe(false);
    });

    it('matches a field whose value is null', () => {
      expect(matchesPattern(pattern, withDetail({ state: null }))).toBe(true);
    });

    it('does not match a field whose value is an object, which is not a leaf', () => {
      expect(matchesPattern(pattern, withDetail({ state: { name: 'pending' } }))).toBe(false);
    });

    // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/exists_list_empty_NEG.json5 (AWS-validated)
    it('does not match an empty array', () => {
      expect(matchesPattern({ resources: [{ exists: true }] }, envelope({ resources: [] }))).toBe(false);
    });

    it('matches a non-empty array of values', () => {
      expect(matchesPattern({ resources: [{ exists: true }] }, envelope())).toBe(true);
    });

    // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/exists_dynamodb.json5 (AWS-validated)
    it('matches a leaf below an intermediate node, not the intermediate node itself', () => {
      const event = envelope({ dynamodb: { id: { S: 'test1234' }, presentKey: { S: 'test123' } } });

      expect(matchesPattern({ dynamodb: { presentKey: { S: [{ exists: true }] } } }, event)).toBe(true);
      expect(matchesPattern({ dynamodb: { presentKey: [{ exists: true }] } }, event)).toBe(false);
    });
  });

  describe('exists: false', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };

    it('matches an event without the field', () => {
      expect(matchesPattern(pattern, withDetail({ state: ['initializing', 'running'] }))).toBe(true);
    });

    it('matches when the field holds an object, because that is not a leaf node', () => {
      expect(matchesPattern(pattern, withDetail({ state: 'running', 'c-count': { c1: 100 } }))).toBe(true);
    });

    it('does not match when the field holds a value', () => {
      expect(matchesPattern(pattern, withDetail({ 'c-count': 5 }))).toBe(false);
    });

    it('does not match when the field holds null', () => {
      expect(matchesPattern(pattern, withDetail({ 'c-count': null }))).toBe(false);
    });

    it('matches an empty array', () => {
      expect(matchesPattern(pattern, withDetail({ 'c-count': [] }))).toBe(true);
    });

    it('matches when an intermediate object is missing altogether', () => {
      expect(matchesPattern(pattern, envelope({ detail: undefined }))).toBe(true);
    });

    // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/content_exists_false_NEG.json5 (AWS-validated)
    it('does not match a deep field that is present', () => {
      const deep = { detail: { level1: { level2: { level3: { level4: [{ exists: false }] } } } } };

      expect(
        matchesPattern(deep, withDetail({ level1: { level2: { level3: { level4: 'l4 value' } } } })),
      ).toBe(false);
      expect(matchesPattern(deep, withDetail({ level1: { level2: 'l2 value' } }))).toBe(true);
    });
  });

  // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/or-exists.json5 (AWS-validated)
  describe('exists: false next to other alternatives', () => {
    const pattern = {
      dynamodb: { NewImage: { homemade: { S: [{ 'anything-but': ['roses'] }, { exists: false }] } } },
    };

    it('matches through the other alternative when the field is present', () => {
      expect(matchesPattern(pattern, envelope({ dynamodb: { NewImage: { homemade: { S: 'ABCD' } } } }))).toBe(
        true,
      );
    });

    it('matches through exists: false when the field is absent', () => {
      expect(matchesPattern(pattern, envelope({ dynamodb: { NewImage: { homemade: { N: '789' } } } }))).toBe(
        true,
      );
    });

    it('does not match when the present value fails the other alternative', () => {
      expect(
        matchesPattern(pattern, envelope({ dynamodb: { NewImage: { homemade: { S: 'roses' } } } })),
      ).toBe(false);
    });
  });
});
