import { describe, expect, it } from 'vitest';
import { matchesPattern, parsePattern } from '../../../lib/core/patterns/index.js';
import { envelope } from './event-envelope.js';

describe('wildcard matching', () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html#eb-filtering-wildcard-matching
  const busArn = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };

  it('matches an ARN of any account and any bus', () => {
    const event = envelope({ EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/myEventBus' });

    expect(matchesPattern(busArn, event)).toBe(true);
  });

  it('does not match an ARN in another region', () => {
    const event = envelope({ EventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/myEventBus' });

    expect(matchesPattern(busArn, event)).toBe(false);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html (Wildcard: "dir/*.png")
  describe('the operator-table example "dir/*.png"', () => {
    const pattern = { FileName: [{ wildcard: 'dir/*.png' }] };

    it('matches a .png file in dir', () => {
      expect(matchesPattern(pattern, envelope({ FileName: 'dir/image.png' }))).toBe(true);
    });

    it('lets * match nothing', () => {
      expect(matchesPattern(pattern, envelope({ FileName: 'dir/.png' }))).toBe(true);
    });

    it('does not match a .png file elsewhere', () => {
      expect(matchesPattern(pattern, envelope({ FileName: 'other/image.png' }))).toBe(false);
    });
  });

  // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/content_wildcard_nonrepeating.json5 (AWS-validated)
  it('lets one * span several path segments', () => {
    const pattern = { FileName: [{ wildcard: '/Users/*/doc.txt' }] };

    expect(
      matchesPattern(pattern, envelope({ FileName: '/Users/ls_user/dir/dir/dir/dir/dir/doc.txt' })),
    ).toBe(true);
    expect(matchesPattern(pattern, envelope({ FileName: '/Users/ls_user/dir/notmatchingdoc.txt' }))).toBe(
      false,
    );
  });

  it('requires the middle literals in order', () => {
    const pattern = { path: [{ wildcard: '*a*b*' }] };

    expect(matchesPattern(pattern, envelope({ path: 'xaxbx' }))).toBe(true);
    expect(matchesPattern(pattern, envelope({ path: 'xbxax' }))).toBe(false);
  });

  it('does not let the leading and trailing literals overlap', () => {
    expect(matchesPattern({ word: [{ wildcard: 'ab*ba' }] }, envelope({ word: 'aba' }))).toBe(false);
    expect(matchesPattern({ word: [{ wildcard: 'ab*ba' }] }, envelope({ word: 'abba' }))).toBe(true);
  });

  // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/content_wildcard_empty_NEG.json5 (AWS-validated)
  it('matches only the empty string with an empty wildcard', () => {
    const arn = 'arn:aws:events:us-east-1:123456789012:event-bus/myEventBus';

    expect(matchesPattern({ EventBusArn: [{ wildcard: '' }] }, envelope({ EventBusArn: arn }))).toBe(false);
    expect(matchesPattern({ EventBusArn: [{ wildcard: '' }] }, envelope({ EventBusArn: '' }))).toBe(true);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html#eb-filtering-wildcard-matching
  // ("\*" is a literal asterisk, "\\" a literal backslash)
  describe('escapes', () => {
    it('matches a literal asterisk written as \\*', () => {
      const compiled = parsePattern(String.raw`{"note": [{"wildcard": "5 \\* 3 = *"}]}`);

      expect(compiled.matches(envelope({ note: '5 * 3 = 15' }))).toBe(true);
      expect(compiled.matches(envelope({ note: '5 x 3 = 15' }))).toBe(false);
    });

    it('matches a literal backslash written as \\\\', () => {
      const compiled = parsePattern(String.raw`{"path": [{"wildcard": "C:\\\\*"}]}`);

      expect(compiled.matches(envelope({ path: 'C:\\Windows' }))).toBe(true);
    });
  });

  it('does not match numbers', () => {
    expect(matchesPattern({ code: [{ wildcard: '*' }] }, envelope({ code: 42 }))).toBe(false);
  });
});
