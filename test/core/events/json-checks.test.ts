import { describe, expect, it } from 'vitest';
import {
  hasMalformedString,
  isUuidText,
  jsonDepthExceeds,
  malformedStringPath,
} from '../../../lib/core/events/json-checks.js';

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

describe('jsonDepthExceeds', () => {
  it('treats scalars as depth 0 and {} as depth 1', () => {
    expect(jsonDepthExceeds('x', 0)).toBe(false);
    expect(jsonDepthExceeds({}, 0)).toBe(true);
    expect(jsonDepthExceeds({}, 1)).toBe(false);
  });

  it('counts objects and arrays alike', () => {
    expect(jsonDepthExceeds(nested(10), 10)).toBe(false);
    expect(jsonDepthExceeds(nested(11), 10)).toBe(true);
  });

  it('finds the deep branch among shallow ones', () => {
    expect(jsonDepthExceeds({ a: 1, b: [1, 2], c: { d: nested(5) } }, 6)).toBe(true);
  });

  it('handles a value far deeper than the call stack allows without throwing', () => {
    expect(jsonDepthExceeds(nested(200_000), 1100)).toBe(true);
  });
});

describe('malformed strings', () => {
  it('finds an unpaired surrogate in a value, an array element or a key, and names where', () => {
    expect(hasMalformedString({ a: ['ok', 'emoji 🎉'] })).toBe(false);
    expect(hasMalformedString(JSON.parse('{"a":{"b":["x","lone \\ud800"]}}'))).toBe(true);
    expect(malformedStringPath(JSON.parse('{"a":{"b":["x","lone \\ud800"]}}'), 'event')).toBe(
      'event.a.b[1] contains an unpaired UTF-16 surrogate, which warehouse JSON parsers reject',
    );
    expect(hasMalformedString(JSON.parse('{"\\udc00":1}'))).toBe(true);
    expect(malformedStringPath(JSON.parse('{"k":{"\\udc00":1}}'))).toBe(
      '$.k has a key that contains an unpaired UTF-16 surrogate, which warehouse JSON parsers reject',
    );
  });

  it('finds a NUL character, which PostgreSQL rejects', () => {
    expect(hasMalformedString(JSON.parse('{"a":"x\\u0000y"}'))).toBe(true);
    expect(malformedStringPath(JSON.parse('{"a":"x\\u0000y"}'), 'event')).toBe(
      'event.a contains a NUL character (\\u0000), which PostgreSQL text and JSONB reject',
    );
  });
});

describe('isUuidText', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  it('matches exactly what the UUID pattern matches', () => {
    const samples = [
      '3a0a5bd5-802e-4d78-b091-4e9cd00f68de',
      '3A0A5BD5-802E-4D78-B091-4E9CD00F68DE',
      '3a0a5bd5-802e-4d78-b091-4e9cd00f68d',
      '3a0a5bd5-802e-4d78-b091-4e9cd00f68dee',
      '3a0a5bd5_802e-4d78-b091-4e9cd00f68de',
      '3a0a5bd5-802e-4d78-b091-4e9cd00f68dg',
      '3a0a5bd5-802e-4d78-b091-4e9cd00f68d:',
      '3a0a5bd5-802e-4d78-b091-4e9cd00f68d/',
      '3a0a5bd5-802e-4d78-b091-4e9cd00f68d@',
      '3a0a5bd5-802e-4d78-b091-4e9cd00f68d`',
      '3a0a5bd5-802e-4d78-b0914-e9cd00f68de',
      '',
      'e1',
    ];
    // And every character in every position of a valid one.
    const base = samples[0]!;
    for (let i = 0; i < base.length; i++) {
      for (let c = 0; c < 128; c++)
        samples.push(base.slice(0, i) + String.fromCharCode(c) + base.slice(i + 1));
    }
    const differ = samples.filter((s) => isUuidText(s) !== UUID.test(s));
    expect(differ).toEqual([]);
    // The two valid samples, 22 hex digits at each of 32 places and the dash at each of 4.
    expect(samples.filter((s) => isUuidText(s)).length).toBe(2 + 32 * 22 + 4);
  });
});
