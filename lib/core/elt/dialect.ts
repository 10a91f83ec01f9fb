/**
 * The SQL dialect layer: the few constructs that differ between warehouses, rendered from one model
 * source. Every argument is an identifier or a JSON path checked against a whitelist pattern before it is
 * rendered; values never pass through here (they are bound as parameters).
 */

/** Names of the warehouses a model renders for. */
export type DialectName = 'duckdb' | 'postgres' | 'redshift';

/** What differs between warehouses. */
export interface Dialect {
  readonly name: DialectName;
  /** A JSON field as text (SQL NULL when absent). */
  jsonText(column: string, path: readonly string[]): string;
  /** A JSON field as a 64-bit integer (SQL NULL when absent or not an integer). */
  jsonBigint(column: string, path: readonly string[]): string;
  /** A JSON sub-document, kept as JSON. */
  jsonValue(column: string, path: readonly string[]): string;
  /** Statements that (re)build a table from a SELECT, atomically inside the run's transaction. */
  createTableAs(table: string, select: string): string[];
}

/** An identifier or JSON path segment that does not fit the whitelist. */
export class SqlIdentifierError extends Error {
  constructor(what: string, value: string) {
    super(
      `${what} ${JSON.stringify(value)} is not allowed: use letters, digits and underscores, starting with a letter or underscore`,
    );
    this.name = 'SqlIdentifierError';
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Returns the identifier if it is on the whitelist pattern, else throws. */
export function identifier(value: string, what = 'identifier'): string {
  if (!IDENTIFIER.test(value)) throw new SqlIdentifierError(what, value);
  return value;
}

/** Splits and checks a dotted JSON path such as `detail.userId`. */
export function jsonPath(path: string): string[] {
  return path.split('.').map((p) => identifier(p, 'JSON path segment'));
}

/** DuckDB: JSON type and `json_extract*` functions. */
export const duckdbDialect: Dialect = {
  name: 'duckdb',
  jsonText: (column, path) =>
    `json_extract_string(${identifier(column)}, '$.${path.map((p) => identifier(p)).join('.')}')`,
  jsonBigint: (column, path) =>
    `TRY_CAST(json_extract_string(${identifier(column)}, '$.${path.map((p) => identifier(p)).join('.')}') AS BIGINT)`,
  jsonValue: (column, path) =>
    `json_extract(${identifier(column)}, '$.${path.map((p) => identifier(p)).join('.')}')`,
  createTableAs: (table, select) => [`CREATE OR REPLACE TABLE ${identifier(table)} AS\n${select}`],
};
