/**
 * EventBridge event pattern engine: validation, compilation and matching, with no AWS dependency.
 * Semantics, supported operators and deliberate divergences: docs/event-patterns.md.
 */
export { compilePattern, matchesPattern, parsePattern, type CompiledPattern } from './compile-pattern.js';
export { MAX_PATTERN_BRANCHES } from './pattern-branches.js';
export { NUMERIC_LIMIT } from './numeric.js';
export { InvalidEventError, InvalidEventPatternError } from './pattern-errors.js';
export {
  parseTestEvent,
  REQUIRED_EVENT_FIELDS,
  validateTestEvent,
  type RequiredEventField,
  type TestEvent,
} from './test-event.js';
