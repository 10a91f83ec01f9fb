import { describe, expect, it } from 'vitest';
import {
  hasMalformedString,
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
