import { InvalidEventPatternError } from './pattern-errors.js';

const utf8 = new TextEncoder();

/**
 * EventBridge reports wildcard syntax errors at a UTF-8 byte position counted from the opening quote
 * of the JSON string ("Consecutive wildcard characters at pos 26"); we report the same number.
 */
function reportedPosition(text: string, index: number): number {
  return utf8.encode(text.slice(0, index)).length + 1;
}

/**
 * Splits a wildcard pattern into its literal segments (one more than the number of `*`), resolving the
 * escapes `\*` (a literal asterisk) and `\\` (a literal backslash). Throws on `**` and on any other
 * backslash, as EventBridge does.
 */
export function parseWildcard(text: string, path: string): string[] {
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charAt(i);
    if (unit === '*') {
      if (text.charAt(i + 1) === '*') {
        throw new InvalidEventPatternError(
          `Consecutive wildcard characters at pos ${reportedPosition(text, i)}`,
          path,
        );
      }
      segments.push(current);
      current = '';
    } else if (unit === '\\') {
      const next = text.charAt(i + 1);
      if (next !== '*' && next !== '\\') {
        throw new InvalidEventPatternError(
          `Invalid escape character at pos ${reportedPosition(text, i)}`,
          path,
        );
      }
      current += next;
      i++;
    } else {
      current += unit;
    }
  }
  segments.push(current);
  return segments;
}

/**
 * Compiles parsed wildcard segments into a string test. Matching anchors the first and last segments and
 * finds the middle ones left to right, which is linear in the input: no regex, so no backtracking blow-up
 * on patterns such as `*:*:*:*:*:event-bus/*`.
 */
export function compileWildcard(segments: readonly string[]): (text: string) => boolean {
  const first = segments[0] ?? '';
  if (segments.length === 1) return (text) => text === first;
  const last = segments[segments.length - 1] ?? '';
  const middle = segments.slice(1, -1);
  const fixedLength = first.length + last.length;
  return (text) => {
    if (text.length < fixedLength || !text.startsWith(first) || !text.endsWith(last)) return false;
    const end = text.length - last.length;
    let position = first.length;
    for (const segment of middle) {
      const found = text.indexOf(segment, position);
      if (found < 0 || found + segment.length > end) return false;
      position = found + segment.length;
    }
    return true;
  };
}
