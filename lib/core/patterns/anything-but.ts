import { compileIgnoreCase } from './ignore-case.js';
import { childPath, isJsonObject, type ValueTest } from './json-value.js';
import { assertNumericLimit } from './numeric.js';
import { InvalidEventPatternError } from './pattern-errors.js';
import { compileWildcard, parseWildcard } from './wildcard.js';

const SINGLE_VALUE_REASON = 'Value of anything-but must be an array or single string/number value.';

/** The string operators `anything-but` can negate, with the reason given for a non-string operand. */
const NEGATABLE: Readonly<Record<string, string>> = {
  prefix: 'prefix/suffix match pattern must be a string',
  suffix: 'prefix/suffix match pattern must be a string',
  'equals-ignore-case':
    'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.',
  wildcard: 'wildcard match pattern must be a string',
};

function compileValueList(values: readonly unknown[], path: string): ValueTest {
  if (values.length === 0) {
    throw new InvalidEventPatternError('anything-but list must not be empty', path);
  }
  const strings = new Set<string>();
  const numbers = new Set<number>();
  values.forEach((value, index) => {
    if (typeof value === 'string') strings.add(value);
    else if (typeof value === 'number') {
      assertNumericLimit(value, childPath(path, index));
      numbers.add(value);
    } else {
      throw new InvalidEventPatternError(
        'Inside anything but list, start|null|boolean is not supported.',
        childPath(path, index),
      );
    }
  });
  if (strings.size > 0 && numbers.size > 0) {
    throw new InvalidEventPatternError(
      'Inside anything but list, either all values are number or string, mixed type is not supported',
      path,
    );
  }
  // Any value of another JSON type (null, a boolean, a number against strings) is "anything but" the list.
  return strings.size > 0
    ? (value) => typeof value !== 'string' || !strings.has(value)
    : (value) => typeof value !== 'number' || !numbers.has(value);
}

function negatedStringTest(
  operator: string,
  operands: readonly string[],
  path: string,
): (text: string) => boolean {
  switch (operator) {
    case 'prefix':
      return (text) => operands.some((prefix) => text.startsWith(prefix));
    case 'suffix':
      return (text) => operands.some((suffix) => text.endsWith(suffix));
    case 'equals-ignore-case':
      return compileIgnoreCase(operands, 'equals');
    default: {
      const matchers = operands.map((operand, index) =>
        compileWildcard(parseWildcard(operand, operands.length === 1 ? path : childPath(path, index))),
      );
      return (text) => matchers.some((matches) => matches(text));
    }
  }
}

function compileNegatedOperator(expression: Readonly<Record<string, unknown>>, path: string): ValueTest {
  const keys = Object.keys(expression);
  const operator = keys[0];
  if (operator === undefined)
    throw new InvalidEventPatternError('Anything-But expression name not found', path);
  const operatorPath = childPath(path, operator);
  const nonStringReason = NEGATABLE[operator];
  if (nonStringReason === undefined) {
    throw new InvalidEventPatternError(`Unsupported anything-but pattern: ${operator}`, operatorPath);
  }
  const operand = expression[operator];
  let operands: string[];
  if (typeof operand === 'string') {
    operands = [operand];
  } else if (Array.isArray(operand)) {
    operands = operand.map((item: unknown, index) => {
      if (typeof item !== 'string') {
        throw new InvalidEventPatternError(nonStringReason, childPath(operatorPath, index));
      }
      return item;
    });
  } else if (isJsonObject(operand) || operand === null || typeof operand === 'boolean') {
    throw new InvalidEventPatternError(SINGLE_VALUE_REASON, operatorPath);
  } else {
    throw new InvalidEventPatternError(nonStringReason, operatorPath);
  }
  // event-ruler 1.8.1 fails on an empty list here (a NullPointerException in Machine.addRule), so
  // EventBridge cannot hold such a rule: rejected like an empty anything-but value list.
  if (operands.length === 0) {
    throw new InvalidEventPatternError(`anything-but ${operator} list must not be empty`, operatorPath);
  }
  if ((operator === 'prefix' || operator === 'suffix') && operands.includes('')) {
    throw new InvalidEventPatternError('Null prefix/suffix not allowed', operatorPath);
  }
  if (keys.length > 1) {
    throw new InvalidEventPatternError('Only one key allowed in anything-but expression', path);
  }
  const excluded = negatedStringTest(operator, operands, operatorPath);
  // The negated operators only ever match strings, so every non-string value passes.
  return (value) => typeof value !== 'string' || !excluded(value);
}

/**
 * Validates the operand of `anything-but` and compiles it into a test over event leaf values.
 *
 * Accepted forms: a string, a number, a non-empty list of only strings or only numbers, or an object
 * with one of `prefix`, `suffix`, `equals-ignore-case`, `wildcard` holding a string or a list of strings.
 * A missing field never reaches this test (there is no leaf value to test), so `anything-but` does not
 * match a missing field, while it does match `null`.
 */
export function compileAnythingBut(operand: unknown, path: string): ValueTest {
  if (typeof operand === 'string' || typeof operand === 'number') return compileValueList([operand], path);
  if (Array.isArray(operand)) return compileValueList(operand, path);
  if (isJsonObject(operand)) return compileNegatedOperator(operand, path);
  throw new InvalidEventPatternError(SINGLE_VALUE_REASON, path);
}
