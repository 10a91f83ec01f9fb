import { EltError } from '../util/errors.js';

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

/**
 * A statement's `$name` parameters as positional ones (`$1`, `$2`, … in order of first use) with their
 * values, for drivers that bind only positional parameters (node-postgres, the Data API's `$n` here).
 */
export function bindNamed<V>(
  sql: string,
  values: Readonly<Record<string, V>>,
): { text: string; params: V[] } {
  const names = namedParameters(sql);
  const params = names.map((name) => {
    if (!(name in values)) throw new SqlTextError(`no value for the parameter $${name}`);
    return values[name] as V;
  });
  const text = sql.replace(/\$([a-z_][a-z0-9_]*)/g, (_all, name: string) => `$${names.indexOf(name) + 1}`);
  return { text, params };
}

/** The line of a load file where the shared insert (sql/warehouse/insert-raw-events.sql) runs. */
const INSERT_HERE = /^-- insert-raw-events\.sql runs here\.$/m;

/**
 * A backend's load file split where the shared insert runs: the statements that stage the objects in
 * raw_load, and those that follow the insert (the ledger rows, clean-up).
 */
export function loadStages(name: string, text: string): { stage: string[]; after: string[] } {
  const parts = text.split(INSERT_HERE);
  if (parts.length !== 2)
    throw new SqlTextError(`${name} must have one line "-- insert-raw-events.sql runs here."`);
  return { stage: splitStatements(parts[0]!), after: splitStatements(parts[1]!) };
}

/** A SQL file of the repository that does not have the shape its reader expects. */
export class SqlTextError extends EltError {}
