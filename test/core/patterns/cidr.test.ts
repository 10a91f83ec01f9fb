import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../../lib/core/patterns/index.js';
import { withDetail } from './event-envelope.js';

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html#eb-filtering-ip-matching
describe('IP address (cidr) matching', () => {
  describe('IPv4', () => {
    const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };

    it('matches addresses 10.0.0.0 to 10.0.0.255', () => {
      expect(matchesPattern(pattern, withDetail({ sourceIPAddress: '10.0.0.0' }))).toBe(true);
      expect(matchesPattern(pattern, withDetail({ sourceIPAddress: '10.0.0.255' }))).toBe(true);
    });

    it('does not match an address outside the block', () => {
      expect(matchesPattern(pattern, withDetail({ sourceIPAddress: '10.0.1.0' }))).toBe(false);
    });

    // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/content_ip_address_NEG.json5 (AWS-validated)
    it('does not match a string that is not an address', () => {
      expect(matchesPattern(pattern, withDetail({ sourceIPAddress: '10.0.0.256' }))).toBe(false);
      expect(matchesPattern(pattern, withDetail({ sourceIPAddress: 'ten.zero' }))).toBe(false);
    });

    // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/content_ip_address_bad_type_NEG.json5 (AWS-validated)
    it('does not match a number', () => {
      expect(matchesPattern(pattern, withDetail({ sourceIPAddress: 123 }))).toBe(false);
    });

    it('honours mask bits that do not fall on a byte boundary', () => {
      const narrow = { detail: { ip: [{ cidr: '192.168.0.0/22' }] } };

      expect(matchesPattern(narrow, withDetail({ ip: '192.168.3.254' }))).toBe(true);
      expect(matchesPattern(narrow, withDetail({ ip: '192.168.4.1' }))).toBe(false);
    });

    it('does not match an IPv6 address', () => {
      expect(matchesPattern(pattern, withDetail({ sourceIPAddress: '::a00:1' }))).toBe(false);
    });
  });

  // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/content_ip_address_v6.json5 (AWS-validated)
  describe('IPv6', () => {
    const pattern = { detail: { sourceIPAddress: [{ cidr: '2001:db8:1234:1a00::/64' }] } };

    it('matches an address inside the block, written in full', () => {
      const address = '2001:0db8:1234:1a00:0000:0000:0000:0000';

      expect(matchesPattern(pattern, withDetail({ sourceIPAddress: address }))).toBe(true);
    });

    it('matches an address inside the block, written compressed', () => {
      expect(matchesPattern(pattern, withDetail({ sourceIPAddress: '2001:db8:1234:1a00::beef' }))).toBe(true);
    });

    it('does not match an address outside the block', () => {
      const address = '2001:0db8:123f:1a01:0000:0000:0000:0000';

      expect(matchesPattern(pattern, withDetail({ sourceIPAddress: address }))).toBe(false);
    });
  });
});
