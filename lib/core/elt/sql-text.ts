/**
 * Splits a SQL file of the repository into statements: full-line `--` comments are dropped and
 * statements end with a `;` at the end of a line. Meant for the project's own files, which keep
 * semicolons out of string literals.
 */
export function splitStatements(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !/^\s*--/.test(line))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The `$name` parameters a statement uses. */
export function namedParameters(sql: string): string[] {
  return [...new Set([...sql.matchAll(/\$([a-z_][a-z0-9_]*)/g)].map((m) => m[1]!))];
}

/** The highest positional parameter (`$n`) a statement uses: how many values to bind to it. */
export function maxParameter(sql: string): number {
  return Math.max(0, ...[...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
}
