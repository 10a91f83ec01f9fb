import { childPath } from './json-value.js';
import { InvalidEventPatternError } from './pattern-errors.js';

/**
 * "Numeric matching … is limited to values between -5.0e9 and +5.0e9 inclusive"
 * (EventBridge user guide, content filtering, numeric matching). Pattern operands outside it are
 * rejected and event values outside it never satisfy a numeric condition.
 */
export const NUMERIC_LIMIT = 5e9;

/** Rejects a numeric operand (of `numeric` or numeric `anything-but`) outside the documented range. */
export function assertNumericLimit(value: number, path: string): void {
  if (value < -NUMERIC_LIMIT || value > NUMERIC_LIMIT) {
    throw new InvalidEventPatternError('Value must be between -5.0E9 and 5.0E9, inclusive', path);
  }
}

function isWithinLimit(value: number): boolean {
  return value >= -NUMERIC_LIMIT && value <= NUMERIC_LIMIT;
}

function describe(value: unknown): string {
  return value === undefined ? 'end of array' : JSON.stringify(value);
}

function operand(terms: readonly unknown[], index: number, operator: string, path: string): number {
  const value = terms[index];
  const name = operator === '=' ? 'equals' : operator;
  if (typeof value !== 'number') {
    throw new InvalidEventPatternError(`Value of ${name} must be numeric`, childPath(path, index));
  }
  assertNumericLimit(value, childPath(path, index));
  return value;
}

function assertEnd(terms: readonly unknown[], length: number, reason: string, path: string): void {
  if (terms.length > length) throw new InvalidEventPatternError(reason, childPath(path, length));
}

function lowerBound(operator: string, bound: number): (value: number) => boolean {
  return operator === '>' ? (value) => value > bound : (value) => value >= bound;
}

function upperBound(operator: string, bound: number): (value: number) => boolean {
  return operator === '<' ? (value) => value < bound : (value) => value <= bound;
}

/**
 * Validates the array of a `numeric` expression — `["=", n]`, `[">", n]`, `[">=", n]`, `["<", n]`,
 * `["<=", n]`, or a range `[">"|">=", low, "<"|"<=", high]` with low < high — and compiles it into a
 * test over event numbers. Numbers are compared as IEEE-754 doubles, which keeps the documented
 * 15 significant digits.
 */
export function compileNumeric(terms: unknown, path: string): (value: number) => boolean {
  if (!Array.isArray(terms)) throw new InvalidEventPatternError('Value of numeric must be an array.', path);
  const operator: unknown = terms[0];
  if (typeof operator !== 'string') {
    throw new InvalidEventPatternError(
      `Invalid member in numeric match: ${describe(operator)}`,
      childPath(path, 0),
    );
  }
  switch (operator) {
    case '=': {
      const bound = operand(terms, 1, operator, path);
      assertEnd(terms, 2, 'Too many elements in numeric expression', path);
      // The bound is within the limit, so equality implies the value is too.
      return (value) => value === bound;
    }
    case '<':
    case '<=': {
      const below = upperBound(operator, operand(terms, 1, operator, path));
      assertEnd(terms, 2, 'Too many elements in numeric expression', path);
      return (value) => isWithinLimit(value) && below(value);
    }
    case '>':
    case '>=': {
      const low = operand(terms, 1, operator, path);
      const above = lowerBound(operator, low);
      if (terms.length === 2) return (value) => isWithinLimit(value) && above(value);
      const second: unknown = terms[2];
      if (typeof second !== 'string') {
        throw new InvalidEventPatternError(
          `Bad value in numeric range: ${describe(second)}`,
          childPath(path, 2),
        );
      }
      if (second !== '<' && second !== '<=') {
        throw new InvalidEventPatternError(`Bad numeric range operator: ${second}`, childPath(path, 2));
      }
      const high = operand(terms, 3, second, path);
      assertEnd(terms, 4, 'Too many terms in numeric range expression', path);
      if (!(low < high)) throw new InvalidEventPatternError('Bottom must be less than top', path);
      const below = upperBound(second, high);
      return (value) => isWithinLimit(value) && above(value) && below(value);
    }
    default:
      throw new InvalidEventPatternError(
        `Unrecognized numeric range operator: ${operator}`,
        childPath(path, 0),
      );
  }
}
