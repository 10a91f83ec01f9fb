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

  // event-ruler reads addresses with java.net.InetAddress, which turns an IPv4-mapped IPv6 address into the
  // IPv4 address it carries (found by the Event Ruler differential, test/e2e/event-ruler-differential.test.ts).
  describe('IPv4-mapped IPv6 addresses', () => {
    const v4 = { detail: { ip: [{ cidr: '10.0.0.0/24' }] } };
    const v6 = { detail: { ip: [{ cidr: '::/1' }] } };

    it('fall in the IPv4 block of the address they carry, in any spelling', () => {
      for (const ip of ['::ffff:a00:5', '::FFFF:A00:5', '0:0:0:0:0:ffff:a00:5', '0000::ffff:0a00:0005']) {
        expect(matchesPattern(v4, withDetail({ ip })), ip).toBe(true);
      }
      expect(matchesPattern(v4, withDetail({ ip: '::ffff:a00:105' }))).toBe(false);
    });

    it('are not IPv6 addresses any more', () => {
      expect(matchesPattern(v6, withDetail({ ip: '::ffff:a00:5' }))).toBe(false);
      expect(matchesPattern(v6, withDetail({ ip: '::a00:5' }))).toBe(true);
    });

    it('are plain strings in their dotted form, as in event-ruler', () => {
      expect(matchesPattern(v4, withDetail({ ip: '::ffff:10.0.0.5' }))).toBe(false);
    });

    it('make an IPv4 block in a pattern, whose mask must be < 32', () => {
      const mapped = { detail: { ip: [{ cidr: '::ffff:a00:0/24' }] } };

      expect(matchesPattern(mapped, withDetail({ ip: '10.0.0.9' }))).toBe(true);
      expect(() => matchesPattern({ ip: [{ cidr: '::ffff:0:0/96' }] }, withDetail({}))).toThrow(
        'IPv4 mask bits must be < 32',
      );
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
