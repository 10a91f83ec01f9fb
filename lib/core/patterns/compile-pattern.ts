import { compileBranch } from './branch-matcher.js';
import { isJsonObject } from './json-value.js';
import { expandPattern } from './pattern-branches.js';
import { InvalidEventPatternError } from './pattern-errors.js';

/** An event pattern validated and compiled once, to be matched against any number of events. */
export interface CompiledPattern {
  /**
   * Whether the event matches, with EventBridge semantics. An event that is not a JSON object never
   * matches; the event is not validated otherwise (see `validateTestEvent` for that).
   */
  matches(event: unknown): boolean;
}

/**
 * Validates an EventBridge event pattern, given as a parsed JSON value, and compiles it into a matcher.
 *
 * @throws InvalidEventPatternError when EventBridge would reject the pattern; the message names the
 *   reason and the JSON path of the offending part.
 */
export function compilePattern(pattern: unknown): CompiledPattern {
  const branches = expandPattern(pattern).map(compileBranch);
  const [only] = branches;
  if (branches.length === 1 && only !== undefined) {
    return { matches: (event) => isJsonObject(event) && only(event) };
  }
  return { matches: (event) => isJsonObject(event) && branches.some((branch) => branch(event)) };
}

/**
 * Parses an event pattern from JSON text (as given to `PutRule` or `TestEventPattern`) and compiles it.
 * When a key repeats in one object, the last occurrence wins, as EventBridge documents.
 *
 * @throws InvalidEventPatternError when the text is not JSON or the pattern is not valid.
 */
export function parsePattern(text: string): CompiledPattern {
  let pattern: unknown;
  try {
    pattern = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new InvalidEventPatternError(`Pattern is not valid JSON: ${detail}`, '$', { cause: error });
  }
  return compilePattern(pattern);
}

/**
 * Whether `event` matches `pattern`. Compiles the pattern on every call: on a hot path, compile once
 * with {@link compilePattern} and reuse the result.
 *
 * @throws InvalidEventPatternError when the pattern is not valid.
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  return compilePattern(pattern).matches(event);
}
