import { compileAnythingBut } from './anything-but.js';
import { compileCidr } from './cidr.js';
import { compileIgnoreCase, type IgnoreCaseAnchor } from './ignore-case.js';
import { childPath, isJsonObject, type ValueTest } from './json-value.js';
import { compileNumeric } from './numeric.js';
import { InvalidEventPatternError } from './pattern-errors.js';
import { compileWildcard, parseWildcard } from './wildcard.js';

/** A compiled `{ "operator": operand }` object from a pattern leaf array. */
export type MatchExpression =
  { readonly kind: 'test'; readonly test: ValueTest } | { readonly kind: 'exists'; readonly exists: boolean };

const IGNORE_CASE = 'equals-ignore-case';

function stringTest(test: (text: string) => boolean): MatchExpression {
  return { kind: 'test', test: (value) => typeof value === 'string' && test(value) };
}

/** `prefix` / `suffix`: a string, or `{ "equals-ignore-case": string }`. */
function compileAffix(operator: 'prefix' | 'suffix', operand: unknown, path: string): MatchExpression {
  if (typeof operand === 'string') {
    return stringTest(
      operator === 'prefix' ? (text) => text.startsWith(operand) : (text) => text.endsWith(operand),
    );
  }
  if (!isJsonObject(operand)) {
    throw new InvalidEventPatternError(`${operator} match pattern must be a string`, path);
  }
  const keys = Object.keys(operand);
  const inner = keys[0];
  const label = operator === 'prefix' ? 'Prefix' : 'Suffix';
  if (inner === undefined) throw new InvalidEventPatternError(`${label} expression name not found`, path);
  if (inner !== IGNORE_CASE) {
    throw new InvalidEventPatternError(`Unsupported ${operator} pattern: ${inner}`, childPath(path, inner));
  }
  const literal = operand[inner];
  if (typeof literal !== 'string') {
    throw new InvalidEventPatternError(
      `${IGNORE_CASE} match pattern must be a string`,
      childPath(path, inner),
    );
  }
  if (keys.length > 1) throw new InvalidEventPatternError('Only one key allowed in match expression', path);
  const anchor: IgnoreCaseAnchor = operator;
  return stringTest(compileIgnoreCase([literal], anchor));
}

function compileOperator(operator: string, operand: unknown, path: string): MatchExpression {
  switch (operator) {
    case 'prefix':
    case 'suffix':
      return compileAffix(operator, operand, path);
    case IGNORE_CASE:
      if (typeof operand !== 'string') {
        throw new InvalidEventPatternError(`${IGNORE_CASE} match pattern must be a string`, path);
      }
      return stringTest(compileIgnoreCase([operand], 'equals'));
    case 'wildcard':
      if (typeof operand !== 'string') {
        throw new InvalidEventPatternError('wildcard match pattern must be a string', path);
      }
      return stringTest(compileWildcard(parseWildcard(operand, path)));
    case 'anything-but':
      return { kind: 'test', test: compileAnythingBut(operand, path) };
    case 'numeric': {
      const inRange = compileNumeric(operand, path);
      return { kind: 'test', test: (value) => typeof value === 'number' && inRange(value) };
    }
    case 'cidr':
      if (typeof operand !== 'string')
        throw new InvalidEventPatternError('cidr match pattern must be a string', path);
      return stringTest(compileCidr(operand, path));
    case 'exists':
      if (typeof operand !== 'boolean') {
        throw new InvalidEventPatternError('exists match pattern must be either true or false.', path);
      }
      return { kind: 'exists', exists: operand };
    default:
      // Operator names are case-sensitive ("NUMERIC" is rejected), and event-ruler's undocumented
      // operators (e.g. "exactly") are deliberately not accepted: see docs/event-patterns.md.
      throw new InvalidEventPatternError(`Unrecognized match type ${operator}`, path);
  }
}

/**
 * Validates one operator object of a pattern leaf array (e.g. `{ "prefix": "us-" }`) and compiles it.
 * The object must have exactly one key naming a documented operator.
 */
export function compileMatchExpression(
  expression: Readonly<Record<string, unknown>>,
  path: string,
): MatchExpression {
  const keys = Object.keys(expression);
  const operator = keys[0];
  if (operator === undefined) throw new InvalidEventPatternError('Match expression name not found', path);
  const compiled = compileOperator(operator, expression[operator], childPath(path, operator));
  if (keys.length > 1) {
    throw new InvalidEventPatternError(
      `Only one key allowed in match expression, found: ${keys.join(', ')}`,
      path,
    );
  }
  return compiled;
}
