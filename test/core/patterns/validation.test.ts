import { describe, expect, it } from 'vitest';
import {
  compilePattern,
  InvalidEventPatternError,
  MAX_PATTERN_BRANCHES,
  parsePattern,
} from '../../../lib/core/patterns/index.js';

/** Compiles `pattern` and returns the validation error it must raise. */
function rejection(pattern: unknown): InvalidEventPatternError {
  try {
    compilePattern(pattern);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(pattern)} to be rejected`);
}

// Reasons below are EventBridge's own, as recorded against AWS in
// https://github.com/localstack/localstack/blob/main/tests/aws/services/events/test_events_patterns.snapshot.json
describe('event pattern validation', () => {
  describe('pattern structure', () => {
    it('rejects a pattern that is not a JSON object', () => {
      const error = rejection(['not', 'a', 'dict']);

      expect(error).toBeInstanceOf(InvalidEventPatternError);
      expect(error.reason).toBe('Filter is not an object');
      expect(error.path).toBe('$');
    });

    it('rejects an empty pattern object', () => {
      expect(rejection({}).message).toContain('Empty objects are not allowed');
    });

    it('rejects an empty nested object and names its path', () => {
      const error = rejection({ detail: {} });

      expect(error.reason).toBe('Empty objects are not allowed');
      expect(error.path).toBe('$.detail');
    });

    it('rejects a leaf that is not an array', () => {
      const error = rejection({ detail: { string: 'my-value' } });

      expect(error.message).toContain(
        'Event pattern is not valid. Reason: "string" must be an object or an array',
      );
      expect(error.path).toBe('$.detail.string');
    });

    it('rejects a number leaf that is not in an array', () => {
      expect(rejection({ int: 42 }).reason).toBe('"int" must be an object or an array');
    });

    it('rejects an empty leaf array', () => {
      const error = rejection({ resources: [] });

      expect(error.reason).toBe('Empty arrays are not allowed');
      expect(error.path).toBe('$.resources');
    });

    it('rejects an array nested in a leaf array', () => {
      const error = rejection({ source: [['aws.ec2']] });

      expect(error.reason).toBe('Match value must be String, number, true, false, or null');
      expect(error.path).toBe('$.source[0]');
    });

    it('rejects values that are not JSON', () => {
      expect(rejection({ source: [undefined] }).reason).toBe(
        'Match value must be String, number, true, false, or null',
      );
      expect(rejection({ source: [Number.NaN] }).reason).toBe(
        'Match value must be String, number, true, false, or null',
      );
    });

    it('rejects text that is not JSON and keeps the parser error as cause', () => {
      let caught: unknown;
      try {
        parsePattern("{'bad': 'quotation'}");
      } catch (error) {
        caught = error;
      }

      expect(caught).toBeInstanceOf(InvalidEventPatternError);
      expect((caught as InvalidEventPatternError).reason).toMatch(/^Pattern is not valid JSON/);
      expect((caught as InvalidEventPatternError).cause).toBeInstanceOf(SyntaxError);
    });

    it('names paths with quoted keys where a key is not an identifier', () => {
      expect(rejection({ 'detail-type': [{ prefix: 1 }] }).path).toBe('$["detail-type"][0].prefix');
    });
  });

  describe('operators', () => {
    it('rejects an unknown operator', () => {
      const error = rejection({ detail: { state: [{ contains: 'x' }] } });

      expect(error.reason).toBe('Unrecognized match type contains');
      expect(error.path).toBe('$.detail.state[0].contains');
    });

    it('rejects an operator in the wrong case', () => {
      expect(rejection({ my_key: [{ EXISTS: true }] }).reason).toBe('Unrecognized match type EXISTS');
    });

    it("rejects event-ruler's undocumented exactly operator", () => {
      expect(rejection({ source: [{ exactly: 'aws.ec2' }] }).reason).toBe('Unrecognized match type exactly');
    });

    it('rejects an empty operator object', () => {
      expect(rejection({ source: [{}] }).reason).toBe('Match expression name not found');
    });

    it('rejects an operator object with two operators', () => {
      expect(rejection({ source: [{ prefix: 'a', suffix: 'b' }] }).reason).toMatch(
        /^Only one key allowed in match expression/,
      );
    });

    it('rejects a prefix that is a number', () => {
      const error = rejection({ time: [{ prefix: 123 }] });

      expect(error.reason).toBe('prefix match pattern must be a string');
      expect(error.path).toBe('$.time[0].prefix');
    });

    it('rejects a prefix that is a list', () => {
      expect(rejection({ time: [{ prefix: ['2022-07-13'] }] }).reason).toBe(
        'prefix match pattern must be a string',
      );
    });

    it('rejects a suffix that is a number', () => {
      expect(rejection({ FileName: [{ suffix: 123 }] }).reason).toBe('suffix match pattern must be a string');
    });

    it('rejects a prefix object other than equals-ignore-case', () => {
      expect(rejection({ s: [{ prefix: { wildcard: 'a*' } }] }).reason).toBe(
        'Unsupported prefix pattern: wildcard',
      );
    });

    it('rejects equals-ignore-case with a non-string', () => {
      const reason = 'equals-ignore-case match pattern must be a string';

      expect(rejection({ s: [{ 'equals-ignore-case': ['ec2'] }] }).reason).toBe(reason);
      expect(rejection({ s: [{ 'equals-ignore-case': { prefix: 'ec2' } }] }).reason).toBe(reason);
      expect(rejection({ s: [{ suffix: { 'equals-ignore-case': 1 } }] }).reason).toBe(reason);
    });

    it('rejects exists with a non-boolean', () => {
      const error = rejection({ detail: { state: [{ exists: 'true' }] } });

      expect(error.reason).toBe('exists match pattern must be either true or false.');
      expect(error.path).toBe('$.detail.state[0].exists');
    });
  });

  describe('numeric', () => {
    it('rejects a numeric operand that is not an array', () => {
      expect(rejection({ c: [{ numeric: 10 }] }).reason).toBe('Value of numeric must be an array.');
    });

    it('rejects an unknown operator', () => {
      expect(rejection({ c: [{ numeric: ['!=', 1] }] }).reason).toBe(
        'Unrecognized numeric range operator: !=',
      );
    });

    it('rejects an array that does not start with an operator', () => {
      expect(rejection({ c: [{ numeric: [1, '<', 2] }] }).reason).toBe('Invalid member in numeric match: 1');
      expect(rejection({ c: [{ numeric: [] }] }).reason).toBe(
        'Invalid member in numeric match: end of array',
      );
    });

    it('rejects a non-numeric bound', () => {
      const error = rejection({ c: [{ numeric: ['>', '5'] }] });

      expect(error.reason).toBe('Value of > must be numeric');
      expect(error.path).toBe('$.c[0].numeric[1]');
      expect(rejection({ c: [{ numeric: ['=', null] }] }).reason).toBe('Value of equals must be numeric');
    });

    it('rejects a range missing its upper bound', () => {
      expect(rejection({ c: [{ numeric: ['>', 0, '<'] }] }).reason).toBe('Value of < must be numeric');
    });

    it('rejects a second lower bound', () => {
      expect(rejection({ c: [{ numeric: ['>', 0, '>', 0] }] }).reason).toBe('Bad numeric range operator: >');
    });

    it('rejects an upper bound written first', () => {
      expect(rejection({ c: [{ numeric: ['<', 5, '>', 0] }] }).reason).toBe(
        'Too many elements in numeric expression',
      );
    });

    it('rejects a range whose bottom is not below its top', () => {
      expect(rejection({ c: [{ numeric: ['>', 5, '<', 1] }] }).reason).toBe('Bottom must be less than top');
      expect(rejection({ c: [{ numeric: ['>=', 5, '<=', 5] }] }).reason).toBe('Bottom must be less than top');
    });

    it('rejects trailing terms after a range', () => {
      expect(rejection({ c: [{ numeric: ['>', 0, '<', 5, 6] }] }).reason).toBe(
        'Too many terms in numeric range expression',
      );
    });

    it('rejects bounds outside the documented ±5.0e9', () => {
      expect(rejection({ c: [{ numeric: ['>', 5e9 + 1] }] }).reason).toBe(
        'Value must be between -5.0E9 and 5.0E9, inclusive',
      );
    });
  });

  describe('wildcard', () => {
    it('rejects consecutive wildcard characters, at the position EventBridge reports', () => {
      const error = rejection({ EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:**:event-bus/*' }] });

      expect(error.reason).toBe('Consecutive wildcard characters at pos 26');
      expect(error.path).toBe('$.EventBusArn[0].wildcard');
    });

    it('rejects a backslash that escapes neither * nor \\', () => {
      expect(rejection({ f: [{ wildcard: 'a\\b*' }] }).reason).toBe('Invalid escape character at pos 2');
    });

    it('rejects a non-string wildcard', () => {
      expect(rejection({ f: [{ wildcard: 123 }] }).reason).toBe('wildcard match pattern must be a string');
    });
  });

  describe('cidr', () => {
    it('rejects a block without a slash', () => {
      expect(rejection({ ip: [{ cidr: 'bad-filter' }] }).reason).toBe("Malformed CIDR, one '/' required");
    });

    it('rejects non-integer mask bits', () => {
      expect(rejection({ ip: [{ cidr: 'bad-/64filter' }] }).reason).toBe(
        'Malformed CIDR, mask bits must be an integer',
      );
    });

    it('rejects an address that is not an IP address', () => {
      expect(rejection({ ip: [{ cidr: 'xx.11.xx/8' }] }).reason).toBe('Nonstandard IP address: xx.11.xx');
      expect(rejection({ ip: [{ cidr: 'xxxx:db8:1234:1a00::/64' }] }).reason).toBe(
        'Nonstandard IP address: xxxx:db8:1234:1a00::',
      );
    });

    it('rejects an IP-shaped address that is out of range', () => {
      expect(rejection({ ip: [{ cidr: '10.0.0.256/24' }] }).reason).toBe('Invalid IP address: 10.0.0.256');
    });

    it('rejects mask bits beyond the address width', () => {
      expect(rejection({ ip: [{ cidr: '10.0.0.1/32' }] }).reason).toBe('IPv4 mask bits must be < 32');
      expect(rejection({ ip: [{ cidr: '::1/128' }] }).reason).toBe('IPv6 mask bits must be < 128');
    });

    it('rejects a non-string cidr', () => {
      expect(rejection({ ip: [{ cidr: ['10.0.0.0/24'] }] }).reason).toBe(
        'cidr match pattern must be a string',
      );
    });
  });

  describe('anything-but', () => {
    it('rejects an empty list', () => {
      expect(rejection({ s: [{ 'anything-but': [] }] }).reason).toBe('anything-but list must not be empty');
    });

    // event-ruler 1.8.1 throws a NullPointerException adding such a rule (found by the Event Ruler differential).
    it('rejects an empty list in its prefix, suffix, wildcard and equals-ignore-case forms', () => {
      for (const operator of ['prefix', 'suffix', 'wildcard', 'equals-ignore-case']) {
        const error = rejection({ s: [{ 'anything-but': { [operator]: [] } }] });

        expect(error.reason).toBe(`anything-but ${operator} list must not be empty`);
        expect(error.path).toBe(
          `$.s[0]["anything-but"]${operator === 'equals-ignore-case' ? '["equals-ignore-case"]' : `.${operator}`}`,
        );
      }
    });

    it('rejects a list mixing strings and numbers', () => {
      expect(rejection({ s: [{ 'anything-but': ['a', 1] }] }).reason).toBe(
        'Inside anything but list, either all values are number or string, mixed type is not supported',
      );
    });

    it('rejects null in a list', () => {
      const error = rejection({ s: [{ 'anything-but': ['stopped', null] }] });

      expect(error.reason).toBe('Inside anything but list, start|null|boolean is not supported.');
      expect(error.path).toBe('$.s[0]["anything-but"][1]');
    });

    it('rejects null and booleans as the single value', () => {
      const reason = 'Value of anything-but must be an array or single string/number value.';

      expect(rejection({ s: [{ 'anything-but': null }] }).reason).toBe(reason);
      expect(rejection({ s: [{ 'anything-but': true }] }).reason).toBe(reason);
    });

    it('rejects a nested anything-but', () => {
      expect(rejection({ s: [{ 'anything-but': { 'anything-but': 'x' } }] }).reason).toBe(
        'Unsupported anything-but pattern: anything-but',
      );
    });

    it('rejects operators it cannot negate', () => {
      expect(rejection({ s: [{ 'anything-but': { exists: true } }] }).reason).toBe(
        'Unsupported anything-but pattern: exists',
      );
      expect(rejection({ s: [{ 'anything-but': { numeric: ['>', 1] } }] }).reason).toBe(
        'Unsupported anything-but pattern: numeric',
      );
    });

    it('rejects an empty object', () => {
      expect(rejection({ s: [{ 'anything-but': {} }] }).reason).toBe(
        'Anything-But expression name not found',
      );
    });

    it('rejects an empty prefix or suffix', () => {
      expect(rejection({ s: [{ 'anything-but': { prefix: '' } }] }).reason).toBe(
        'Null prefix/suffix not allowed',
      );
      expect(rejection({ s: [{ 'anything-but': { suffix: '' } }] }).reason).toBe(
        'Null prefix/suffix not allowed',
      );
    });

    it('rejects prefix with equals-ignore-case inside anything-but', () => {
      expect(
        rejection({ s: [{ 'anything-but': { prefix: { 'equals-ignore-case': 'file' } } }] }).reason,
      ).toBe('Value of anything-but must be an array or single string/number value.');
    });

    it('rejects non-string operands of the negated operators', () => {
      expect(rejection({ s: [{ 'anything-but': { prefix: 123 } }] }).reason).toBe(
        'prefix/suffix match pattern must be a string',
      );
      expect(rejection({ s: [{ 'anything-but': { suffix: [123, '.txt'] } }] }).reason).toBe(
        'prefix/suffix match pattern must be a string',
      );
      expect(rejection({ s: [{ 'anything-but': { 'equals-ignore-case': 123 } }] }).reason).toBe(
        'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.',
      );
      expect(rejection({ s: [{ 'anything-but': { wildcard: [123, '*/dir/*'] } }] }).reason).toBe(
        'wildcard match pattern must be a string',
      );
    });

    it('rejects an invalid wildcard inside anything-but', () => {
      expect(rejection({ s: [{ 'anything-but': { wildcard: 'a**' } }] }).reason).toBe(
        'Consecutive wildcard characters at pos 2',
      );
    });

    it('rejects numbers outside the documented ±5.0e9', () => {
      expect(rejection({ s: [{ 'anything-but': [6e9] }] }).reason).toBe(
        'Value must be between -5.0E9 and 5.0E9, inclusive',
      );
    });
  });

  describe('$or', () => {
    it('rejects $or that is not an array', () => {
      const error = rejection({ $or: { a: ['1'] } });

      expect(error.reason).toBe('$or must be an array of at least 2 objects');
      expect(error.path).toBe('$.$or');
    });

    it('rejects $or with a single alternative', () => {
      expect(rejection({ detail: { $or: [{ a: ['1'] }] } }).reason).toBe(
        '$or must be an array of at least 2 objects',
      );
    });

    it('rejects alternatives that are not objects', () => {
      const error = rejection({ $or: [{ a: ['1'] }, ['b']] });

      expect(error.reason).toBe('Only JSON object is allowed in array of $or relationship.');
      expect(error.path).toBe('$.$or[1]');
    });

    it('rejects an empty alternative', () => {
      expect(rejection({ $or: [{ a: ['1'] }, {}] }).reason).toBe('Empty objects are not allowed');
    });

    it('rejects an operator keyword used as a field name inside $or', () => {
      expect(rejection({ $or: [{ numeric: [123] }, { prefix: ['abc'] }] }).reason).toBe(
        '"numeric" is a reserved keyword and cannot be a field name inside $or',
      );
    });

    it('rejects a pattern whose $or combinations exceed the expansion bound', () => {
      const siblings = Object.fromEntries(
        Array.from({ length: 11 }, (_, i) => [`f${i}`, { $or: [{ a: ['1'] }, { b: ['1'] }] }]),
      );

      expect(2 ** 11).toBeGreaterThan(MAX_PATTERN_BRANCHES);
      expect(rejection(siblings).reason).toMatch(/^Rule is too complex/);
    });
  });

  describe('accepted edge cases', () => {
    it('accepts an empty prefix, suffix, equals-ignore-case and wildcard', () => {
      expect(() =>
        compilePattern({
          a: [{ prefix: '' }],
          b: [{ suffix: '' }],
          c: [{ 'equals-ignore-case': '' }],
          d: [{ wildcard: '' }],
          e: [{ 'anything-but': { wildcard: '' } }],
        }),
      ).not.toThrow();
    });

    it('accepts a list of prefixes inside anything-but', () => {
      expect(() => compilePattern({ s: [{ 'anything-but': { prefix: ['init', 'test'] } }] })).not.toThrow();
    });

    it('accepts several operators in one leaf array', () => {
      expect(() =>
        compilePattern({ s: [{ exists: true }, { prefix: 'a' }, 'b', 1, null, true] }),
      ).not.toThrow();
    });
  });
});
