import { childPath, isJsonObject, type JsonObject, type ValueTest } from './json-value.js';
import { compileLeaf, type PatternLeaf } from './pattern-leaf.js';
import { InvalidEventPatternError } from './pattern-errors.js';

/** A condition on one field path of a branch: some leaf value passes `test`, or there is no leaf value. */
export type BranchCondition =
  { readonly kind: 'present'; readonly test: ValueTest } | { readonly kind: 'absent' };

/**
 * One alternative of a pattern once every `$or` is expanded: all its conditions must hold (AND). Keys are
 * field paths joined with "." — EventBridge itself joins with ".", which is why `{"a.b": […]}` and
 * `{"a": {"b": […]}}` are the same pattern.
 */
export type PatternBranch = ReadonlyMap<string, BranchCondition>;

/**
 * Upper bound on the alternatives a pattern may expand to. Sibling `$or`s multiply, so a 4 KB pattern
 * could otherwise expand to 2^100 branches; no realistic pattern comes near this bound.
 */
export const MAX_PATTERN_BRANCHES = 1000;

const OR = '$or';

// Field names event-ruler refuses inside "$or" objects, where they would read as operators.
const RESERVED_INSIDE_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

type MutableBranch = Map<string, PatternLeaf>;

function assertWithinBound(count: number, path: string): void {
  if (count > MAX_PATTERN_BRANCHES) {
    throw new InvalidEventPatternError(
      `Rule is too complex - its $or combinations expand to more than ${MAX_PATTERN_BRANCHES} alternatives`,
      path,
    );
  }
}

function expandOr(
  alternatives: unknown,
  fieldPath: readonly string[],
  path: string,
  branches: MutableBranch[],
): MutableBranch[] {
  if (!Array.isArray(alternatives)) {
    throw new InvalidEventPatternError('$or must be an array of at least 2 objects', path);
  }
  const expanded: MutableBranch[] = [];
  alternatives.forEach((alternative: unknown, index) => {
    const alternativePath = childPath(path, index);
    if (!isJsonObject(alternative)) {
      throw new InvalidEventPatternError(
        'Only JSON object is allowed in array of $or relationship.',
        alternativePath,
      );
    }
    const copies = branches.map((branch) => new Map(branch));
    expanded.push(...expandObject(alternative, fieldPath, alternativePath, copies, true));
    assertWithinBound(expanded.length, path);
  });
  if (alternatives.length < 2) {
    throw new InvalidEventPatternError('$or must be an array of at least 2 objects', path);
  }
  return expanded;
}

function expandObject(
  object: JsonObject,
  fieldPath: readonly string[],
  path: string,
  branches: MutableBranch[],
  insideOr: boolean,
): MutableBranch[] {
  const keys = Object.keys(object);
  if (keys.length === 0) throw new InvalidEventPatternError('Empty objects are not allowed', path);
  let current = branches;
  for (const key of keys) {
    const value = object[key];
    const valuePath = childPath(path, key);
    if (key === OR) {
      current = expandOr(value, fieldPath, valuePath, current);
      continue;
    }
    if (insideOr && RESERVED_INSIDE_OR.has(key)) {
      throw new InvalidEventPatternError(
        `"${key}" is a reserved keyword and cannot be a field name inside $or`,
        valuePath,
      );
    }
    if (Array.isArray(value)) {
      const leaf = compileLeaf(value, valuePath);
      const dottedPath = [...fieldPath, key].join('.');
      // A later reference to the same path replaces the earlier one, as EventBridge documents.
      for (const branch of current) branch.set(dottedPath, leaf);
    } else if (isJsonObject(value)) {
      current = expandObject(value, [...fieldPath, key], valuePath, current, insideOr);
    } else {
      throw new InvalidEventPatternError(`"${key}" must be an object or an array`, valuePath);
    }
  }
  return current;
}

/**
 * A leaf holding both `{"exists": false}` and other alternatives matches either way; splitting it into
 * two branches keeps each branch a plain conjunction, which the matcher needs to apply array
 * consistency to the positive conditions only.
 */
function splitAbsenceAlternatives(branch: MutableBranch): PatternBranch[] {
  let results: Map<string, BranchCondition>[] = [new Map()];
  for (const [fieldPath, leaf] of branch) {
    const present: BranchCondition | undefined = leaf.test && { kind: 'present', test: leaf.test };
    const absent: BranchCondition | undefined = leaf.matchesAbsence ? { kind: 'absent' } : undefined;
    if (present !== undefined && absent !== undefined) {
      results = results.flatMap((result) => [
        new Map(result).set(fieldPath, present),
        result.set(fieldPath, absent),
      ]);
    } else {
      const only = present ?? absent;
      // compileLeaf never yields a leaf with neither: its array is non-empty.
      if (only !== undefined) for (const result of results) result.set(fieldPath, only);
    }
    assertWithinBound(results.length, '$');
  }
  return results;
}

/**
 * Validates an event pattern and expands it into branches: the pattern matches an event when any
 * branch does. Throws {@link InvalidEventPatternError} naming the first problem found and its JSON path.
 */
export function expandPattern(pattern: unknown): PatternBranch[] {
  if (!isJsonObject(pattern)) throw new InvalidEventPatternError('Filter is not an object', '$');
  const branches = expandObject(pattern, [], '$', [new Map()], false).flatMap(splitAbsenceAlternatives);
  assertWithinBound(branches.length, '$');
  return branches;
}
