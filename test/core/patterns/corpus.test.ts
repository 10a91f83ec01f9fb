import { describe, expect, it } from 'vitest';
import { compilePattern, validateTestEvent } from '../../../lib/core/patterns/index.js';
import { corpus } from './corpus.js';

describe('pattern corpus', () => {
  it('holds at least 200 uniquely named cases, both matching and not', () => {
    const names = new Set(corpus.map((entry) => entry.name));

    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(names.size).toBe(corpus.length);
    expect(corpus.some((entry) => entry.expected)).toBe(true);
    expect(corpus.some((entry) => !entry.expected)).toBe(true);
  });

  it.each(corpus)('$name', ({ pattern, event, expected }) => {
    expect(validateTestEvent(event)).toBe(event);
    expect(compilePattern(pattern).matches(event)).toBe(expected);
  });
});
