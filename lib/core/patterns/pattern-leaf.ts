import { childPath, isJsonObject, type ValueTest } from './json-value.js';
import { compileMatchExpression } from './match-expression.js';
import { InvalidEventPatternError } from './pattern-errors.js';

/** The compiled array at the end of a pattern path: the alternatives one field may satisfy. */
export interface PatternLeaf {
  /**
   * Passes when one leaf value found at the path satisfies any exact value or operator of the array;
   * undefined when the array holds nothing but `{ "exists": false }`.
   */
  readonly test: ValueTest | undefined;
  /** True when the array holds `{ "exists": false }`: having no leaf value at the path also matches. */
  readonly matchesAbsence: boolean;
}

const anyValue: ValueTest = () => true;

function combine(
  strings: ReadonlySet<string>,
  numbers: ReadonlySet<number>,
  literals: ReadonlySet<boolean | null>,
  tests: readonly ValueTest[],
): ValueTest | undefined {
  if (numbers.size === 0 && literals.size === 0 && tests.length === 0) {
    // The overwhelmingly common leaf, e.g. "source": ["aws.ec2"]: one hash lookup per value.
    return strings.size === 0 ? undefined : (value) => typeof value === 'string' && strings.has(value);
  }
  return (value) => {
    if (typeof value === 'string') {
      if (strings.has(value)) return true;
    } else if (typeof value === 'number') {
      // Set membership uses SameValueZero: 300, 300.0 and 3e2 parse to the same number and match.
      if (numbers.has(value)) return true;
    } else if (literals.has(value)) {
      return true;
    }
    for (const test of tests) {
      if (test(value)) return true;
    }
    return false;
  };
}

/**
 * Validates a pattern leaf array — a non-empty array of strings, numbers, booleans, nulls and operator
 * objects — and compiles it. The elements are alternatives: the field matches when any one does.
 */
export function compileLeaf(values: readonly unknown[], path: string): PatternLeaf {
  if (values.length === 0) throw new InvalidEventPatternError('Empty arrays are not allowed', path);
  const strings = new Set<string>();
  const numbers = new Set<number>();
  const literals = new Set<boolean | null>();
  const tests: ValueTest[] = [];
  let matchesAnyValue = false;
  let matchesAbsence = false;
  values.forEach((value, index) => {
    if (typeof value === 'string') strings.add(value);
    else if (typeof value === 'number' && Number.isFinite(value)) numbers.add(value);
    else if (value === null || typeof value === 'boolean') literals.add(value);
    else if (isJsonObject(value)) {
      const expression = compileMatchExpression(value, childPath(path, index));
      if (expression.kind === 'test') tests.push(expression.test);
      else if (expression.exists) matchesAnyValue = true;
      else matchesAbsence = true;
    } else {
      throw new InvalidEventPatternError(
        'Match value must be String, number, true, false, or null',
        childPath(path, index),
      );
    }
  });
  const test = matchesAnyValue ? anyValue : combine(strings, numbers, literals, tests);
  return { test, matchesAbsence };
}
