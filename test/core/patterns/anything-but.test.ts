import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../../lib/core/patterns/index.js';
import { envelope, withDetail } from './event-envelope.js';

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html#eb-filtering-anything-but
describe('anything-but matching', () => {
  describe('a single string', () => {
    const pattern = { detail: { state: [{ 'anything-but': 'initializing' }] } };

    it('matches any other string', () => {
      expect(matchesPattern(pattern, withDetail({ state: 'pending' }))).toBe(true);
    });

    it('does not match the excluded string', () => {
      expect(matchesPattern(pattern, withDetail({ state: 'initializing' }))).toBe(false);
    });

    // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/content_anything_but_string_missing_NEG.json5 (AWS-validated)
    it('does not match when the field is missing', () => {
      expect(matchesPattern(pattern, withDetail({}))).toBe(false);
    });

    // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/content_anything_but_string_null.json5 (AWS-validated)
    it('matches a null value', () => {
      expect(matchesPattern(pattern, withDetail({ state: null }))).toBe(true);
    });

    it('matches a value of another JSON type', () => {
      expect(matchesPattern(pattern, withDetail({ state: 7 }))).toBe(true);
    });

    it('does not match an object, which is not a leaf value', () => {
      expect(matchesPattern(pattern, withDetail({ state: { name: 'pending' } }))).toBe(false);
    });
  });

  describe('a single number', () => {
    const pattern = { detail: { 'x-limit': [{ 'anything-but': 123 }] } };

    it('matches any other number', () => {
      expect(matchesPattern(pattern, withDetail({ 'x-limit': 789 }))).toBe(true);
    });

    it('does not match the excluded number', () => {
      expect(matchesPattern(pattern, withDetail({ 'x-limit': 123 }))).toBe(false);
    });

    it('matches the excluded number written as a string', () => {
      expect(matchesPattern(pattern, withDetail({ 'x-limit': '123' }))).toBe(true);
    });
  });

  describe('a list of strings', () => {
    const pattern = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };

    it('matches a string outside the list', () => {
      expect(matchesPattern(pattern, withDetail({ state: 'pending' }))).toBe(true);
    });

    it('does not match a listed string', () => {
      expect(matchesPattern(pattern, withDetail({ state: 'stopped' }))).toBe(false);
    });
  });

  describe('a list of numbers', () => {
    const pattern = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };

    it('matches a number outside the list', () => {
      expect(matchesPattern(pattern, withDetail({ 'x-limit': 999 }))).toBe(true);
    });

    it('does not match a listed number', () => {
      expect(matchesPattern(pattern, withDetail({ 'x-limit': 100 }))).toBe(false);
    });
  });

  describe('a prefix', () => {
    const pattern = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };

    it('matches a string without the prefix', () => {
      expect(matchesPattern(pattern, withDetail({ state: 'post-init' }))).toBe(true);
    });

    it('does not match a string with the prefix', () => {
      expect(matchesPattern(pattern, withDetail({ state: 'init-prefix' }))).toBe(false);
    });

    // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/content_anything_prefix_int_value.json5 (AWS-validated)
    it('matches a number', () => {
      expect(matchesPattern(pattern, withDetail({ state: 12 }))).toBe(true);
    });

    // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/content_anything_prefix_list_NEG.json5 (AWS-validated)
    it('does not match a string with any prefix of a list', () => {
      const list = { detail: { state: [{ 'anything-but': { prefix: ['init', 'post'] } }] } };

      expect(matchesPattern(list, withDetail({ state: 'post-init' }))).toBe(false);
      expect(matchesPattern(list, withDetail({ state: 'running' }))).toBe(true);
    });
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html (Anything-but (ends with))
  describe('a suffix', () => {
    const pattern = { FileName: [{ 'anything-but': { suffix: '.png' } }] };

    it('matches a file with another extension', () => {
      expect(matchesPattern(pattern, envelope({ FileName: 'image.jpg' }))).toBe(true);
    });

    it('does not match a .png file', () => {
      expect(matchesPattern(pattern, envelope({ FileName: 'image.png' }))).toBe(false);
    });
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html (Anything-but (ignore case))
  describe('equals-ignore-case', () => {
    const pattern = { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } };

    it('matches another value', () => {
      expect(matchesPattern(pattern, withDetail({ state: 'pending' }))).toBe(true);
    });

    it('does not match the excluded value in another casing', () => {
      expect(matchesPattern(pattern, withDetail({ state: 'INITIALIZING' }))).toBe(false);
    });

    // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/content_anything_but_ignorecase_list_NEG.json5 (AWS-validated)
    it('does not match any value of a list in another casing', () => {
      const list = {
        detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['initializing', 'stopped'] } }] },
      };

      expect(matchesPattern(list, withDetail({ state: 'Stopped' }))).toBe(false);
    });
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html (Anything-but using a wildcard)
  describe('a wildcard', () => {
    const pattern = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };

    it('matches a path outside /lib/', () => {
      expect(matchesPattern(pattern, envelope({ FilePath: 'src/main/app.ts' }))).toBe(true);
    });

    it('does not match a path inside /lib/', () => {
      expect(matchesPattern(pattern, envelope({ FilePath: 'src/lib/app.ts' }))).toBe(false);
    });

    // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/content_anything_wildcard_int.json5 (AWS-validated)
    it('matches a number', () => {
      expect(matchesPattern(pattern, envelope({ FilePath: 123 }))).toBe(true);
    });
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
  describe('on an array in the event', () => {
    const pattern = { detail: { state: [{ 'anything-but': 'stopped' }] } };

    it('matches when some element is not excluded', () => {
      expect(matchesPattern(pattern, withDetail({ state: ['stopped', 'running'] }))).toBe(true);
    });

    it('does not match when every element is excluded', () => {
      expect(matchesPattern(pattern, withDetail({ state: ['stopped', 'stopped'] }))).toBe(false);
    });

    it('does not match an empty array', () => {
      expect(matchesPattern(pattern, withDetail({ state: [] }))).toBe(false);
    });
  });
});
