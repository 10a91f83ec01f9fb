/** Where a case-insensitive literal must sit in the event string. */
export type IgnoreCaseAnchor = 'equals' | 'prefix' | 'suffix';

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

function escapeRegex(text: string): string {
  return text.replace(REGEX_SPECIAL, '\\$&');
}

/**
 * Regex source accepting, for each UTF-16 unit of the literal, its lower-case or its upper-case form.
 * Per-unit folding (not `a.toLowerCase() === b.toLowerCase()`) is how event-ruler defines
 * equals-ignore-case; the two differ on characters such as the Kelvin sign, which lower-cases to "k"
 * but is not the upper case of "k".
 */
function foldedSource(literal: string): string {
  let source = '';
  for (let i = 0; i < literal.length; i++) {
    const unit = literal.charAt(i);
    const lower = unit.toLowerCase();
    const upper = unit.toUpperCase();
    source += lower === upper ? escapeRegex(lower) : `(?:${escapeRegex(lower)}|${escapeRegex(upper)})`;
  }
  return source;
}

/**
 * Compiles case-insensitive literals into one test over strings: true when the string equals, starts
 * with or ends with (per `anchor`) any of the literals, ignoring case.
 */
export function compileIgnoreCase(
  literals: readonly string[],
  anchor: IgnoreCaseAnchor,
): (text: string) => boolean {
  const alternatives = literals.map(foldedSource).join('|');
  const start = anchor === 'suffix' ? '' : '^';
  const end = anchor === 'prefix' ? '' : '$';
  // No `u` flag: the source is built per UTF-16 unit, exactly like the input is compared.
  const regex = new RegExp(`${start}(?:${alternatives})${end}`);
  return (text) => regex.test(text);
}
