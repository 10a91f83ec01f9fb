/**
 * The SQL dialect layer: the few constructs that differ between the warehouses, so that each model and
 * each of the pipeline's own SQL files is written once and rendered for DuckDB, PostgreSQL or Redshift.
 * Every argument is an identifier or a JSON path checked against a whitelist before it is rendered; the
 * only values are the reader names a grant checks for, written by `sqlLiteral` (sql-values.ts).
 *
 * | construct              | DuckDB                         | PostgreSQL                    | Redshift                                  |
 * | ---------------------- | ------------------------------ | ----------------------------- | ----------------------------------------- |
 * | JSON column type       | JSON                           | JSONB                         | SUPER                                     |
 * | field as text          | json_extract_string(c, '$.a')  | c #>> '{a}'                   | CAST(c."a" AS VARCHAR(<width>))            |
 * | field as BIGINT        | TRY_CAST(… AS BIGINT)          | CASE WHEN … ~ digits THEN …   | CAST(c."a" AS BIGINT)                      |
 * | sub-document           | json_extract(c, '$.a')         | c #> '{a}'                    | c."a"                                      |
 * | UTC timestamp of text  | CAST(CAST(… AS TIMESTAMPTZ) …) | (…)::timestamptz AT TIME ZONE | CONVERT_TIMEZONE('UTC', CAST(… AS TIMESTAMPTZ)) |
 * | parse JSON text        | CAST(x AS JSON)                | CAST(x AS JSONB)              | JSON_PARSE(x)                             |
 * | (re)build a table      | CREATE OR REPLACE TABLE … AS   | DROP + CREATE TABLE … AS      | DROP + CREATE TABLE … [SORTKEY (…)] AS    |
 *
 * | grant SELECT to reader | (no grants)                    | GRANT … TO [GROUP] name       | GRANT … TO name / GROUP g / ROLE r         |
 *
 * Redshift navigates SUPER with case-sensitive, quoted names only when `enable_case_sensitive_identifier`
 * is on; the Redshift Data API adapter sets it for every statement it sends. A text field's width on
 * Redshift comes from the event catalogue (a VARCHAR is sized in bytes, and oversized ones cost memory in
 * every intermediate result: c_best-practices-smallest-column-size.html).
 */

import type { Reader } from './readers.js';
import { sqlLiteral, SqlValueError } from './sql-values.js';
import { EltError } from '../util/errors.js';

/** Names of the warehouses a model renders for. */
export type DialectName = 'duckdb' | 'postgres' | 'redshift';

/** Options of a table built from a SELECT. */
export interface TableOptions {
  /** Redshift-only: the sort key column. Ignored elsewhere. */
  readonly sortKey?: string;
}

/** What differs between warehouses. */
export interface Dialect {
  readonly name: DialectName;
  /** The column type that holds a JSON document. */
  readonly jsonType: string;
  /** A JSON field as text of at most `width` bytes (SQL NULL when absent). */
  jsonText(column: string, path: readonly string[], width: number): string;
  /** A JSON field as a 64-bit integer (SQL NULL when absent or not an integer). */
  jsonBigint(column: string, path: readonly string[]): string;
  /** A JSON sub-document, kept as JSON. */
  jsonValue(column: string, path: readonly string[]): string;
  /** An RFC 3339 text field as a TIMESTAMP in UTC. */
  jsonTimestamp(column: string, path: readonly string[]): string;
  /** JSON text (a bound parameter or a column) as the JSON column type. */
  parseJson(expression: string): string;
  /** The current time as a TIMESTAMP in UTC. */
  readonly nowUtc: string;
  /** A JSON column as JSON text. */
  jsonToText(expression: string): string;
  /** A TIMESTAMP (UTC) as ISO 8601 text with milliseconds and `Z`. */
  timestampText(expression: string): string;
  /** Statements that (re)build a table from a SELECT. */
  createTableAs(table: string, select: string, options?: TableOptions): string[];
  /** Drops a table when it exists. */
  dropTableIfExists(table: string): string;
  /** Renames a table (same schema). */
  renameTable(from: string, to: string): string;
  /** Drops a view when it exists. */
  dropViewIfExists(view: string): string;
  /** Creates a view of a SELECT. */
  createView(view: string, select: string): string;
  /** Grants SELECT on tables to a reader; undefined where the warehouse has no users (DuckDB). */
  grantSelect(tables: readonly string[], reader: Reader): string | undefined;
  /**
   * A query returning, in column `name`, which of these users, groups or roles exist (a GRANT to one
   * that does not fails the whole transaction); undefined where the warehouse has no users.
   */
  existingGrantees(kind: Reader['kind'], names: readonly string[]): string | undefined;
  /** Table options after `CREATE TABLE t (…)` that keep rows sorted by a column (Redshift `SORTKEY`). */
  sortKey(column: string): string;
}

/** A database user, group or role name as a quoted identifier (names such as `IAM:alice` need quotes). */
function quotedName(name: string): string {
  if (name.includes('"') || name.length === 0 || name.length > 127)
    throw new SqlIdentifierError('database name', name);
  return `"${name}"`;
}

const tableList = (tables: readonly string[]): string => tables.map((t) => identifier(t)).join(', ');

/** An identifier or JSON path segment that does not fit the whitelist. */
export class SqlIdentifierError extends EltError {
  constructor(what: string, value: string) {
    super(
      `${what} ${JSON.stringify(value)} is not allowed: use letters, digits and underscores, starting with a letter or underscore`,
    );
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
// JSON keys of envelopes include `detail-type`: a hyphen is allowed inside a path segment.
const PATH_SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;

/** Returns the identifier if it is on the whitelist pattern, else throws. */
export function identifier(value: string, what = 'identifier'): string {
  if (!IDENTIFIER.test(value)) throw new SqlIdentifierError(what, value);
  return value;
}

/** Splits and checks a dotted JSON path such as `detail.userId`. */
export function jsonPath(path: string): string[] {
  return path.split('.').map((p) => {
    if (!PATH_SEGMENT.test(p)) throw new SqlIdentifierError('JSON path segment', p);
    return p;
  });
}

const checked = (path: readonly string[]): readonly string[] => path.map((p) => jsonPath(p)[0]!);
const duckPath = (path: readonly string[]): string =>
  `'$.${checked(path)
    .map((p) => (IDENTIFIER.test(p) ? p : `"${p}"`))
    .join('.')}'`;
const pgPath = (path: readonly string[]): string => `'{${checked(path).join(',')}}'`;
const superPath = (column: string, path: readonly string[]): string =>
  `${identifier(column)}.${checked(path)
    .map((p) => `"${p}"`)
    .join('.')}`;

/** DuckDB: JSON type and `json_extract*` functions. */
export const duckdbDialect: Dialect = {
  name: 'duckdb',
  jsonType: 'JSON',
  jsonText: (column, path) => `json_extract_string(${identifier(column)}, ${duckPath(path)})`,
  jsonBigint: (column, path) =>
    `TRY_CAST(json_extract_string(${identifier(column)}, ${duckPath(path)}) AS BIGINT)`,
  jsonValue: (column, path) => `json_extract(${identifier(column)}, ${duckPath(path)})`,
  jsonTimestamp: (column, path) =>
    `CAST(CAST(json_extract_string(${identifier(column)}, ${duckPath(path)}) AS TIMESTAMPTZ) AS TIMESTAMP)`,
  parseJson: (expression) => `CAST(${expression} AS JSON)`,
  nowUtc: 'CAST(now() AS TIMESTAMP)',
  jsonToText: (expression) => `CAST(${expression} AS VARCHAR)`,
  timestampText: (expression) => `strftime(${expression}, '%Y-%m-%dT%H:%M:%S.%gZ')`,
  createTableAs: (table, select) => [`CREATE OR REPLACE TABLE ${identifier(table)} AS\n${select}`],
  dropTableIfExists: (table) => `DROP TABLE IF EXISTS ${identifier(table)}`,
  renameTable: (from, to) => `ALTER TABLE ${identifier(from)} RENAME TO ${identifier(to)}`,
  dropViewIfExists: (view) => `DROP VIEW IF EXISTS ${identifier(view)}`,
  createView: (view, select) => `CREATE VIEW ${identifier(view)} AS\n${select}`,
  grantSelect: () => undefined,
  existingGrantees: () => undefined,
  sortKey: () => '',
};

/** PostgreSQL: JSONB and its path operators. */
export const postgresDialect: Dialect = {
  name: 'postgres',
  jsonType: 'JSONB',
  jsonText: (column, path) => `(${identifier(column)} #>> ${pgPath(path)})`,
  jsonBigint: (column, path) => {
    const text = `(${identifier(column)} #>> ${pgPath(path)})`;
    return `(CASE WHEN ${text} ~ '^-?[0-9]{1,18}$' THEN CAST(${text} AS BIGINT) END)`;
  },
  jsonValue: (column, path) => `(${identifier(column)} #> ${pgPath(path)})`,
  jsonTimestamp: (column, path) =>
    `(CAST((${identifier(column)} #>> ${pgPath(path)}) AS TIMESTAMPTZ) AT TIME ZONE 'UTC')`,
  parseJson: (expression) => `CAST(${expression} AS JSONB)`,
  nowUtc: "(now() AT TIME ZONE 'UTC')",
  jsonToText: (expression) => `CAST(${expression} AS TEXT)`,
  timestampText: (expression) => `to_char(${expression}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  createTableAs: (table, select) => [
    `DROP TABLE IF EXISTS ${identifier(table)}`,
    `CREATE TABLE ${identifier(table)} AS\n${select}`,
  ],
  dropTableIfExists: (table) => `DROP TABLE IF EXISTS ${identifier(table)}`,
  renameTable: (from, to) => `ALTER TABLE ${identifier(from)} RENAME TO ${identifier(to)}`,
  dropViewIfExists: (view) => `DROP VIEW IF EXISTS ${identifier(view)}`,
  createView: (view, select) => `CREATE VIEW ${identifier(view)} AS\n${select}`,
  // Users, groups and roles are all roles on PostgreSQL; it accepts GROUP as a noise word.
  grantSelect: (tables, reader) =>
    `GRANT SELECT ON ${tableList(tables)} TO ${reader.kind === 'group' ? 'GROUP ' : ''}${quotedName(reader.name)}`,
  existingGrantees: (_kind, names) =>
    `SELECT rolname AS name FROM pg_roles WHERE rolname IN (${names.map(sqlLiteral).join(', ')})`,
  sortKey: () => '',
};

/** Redshift: SUPER with PartiQL navigation; sort keys on built tables. */
export const redshiftDialect: Dialect = {
  name: 'redshift',
  jsonType: 'SUPER',
  jsonText: (column, path, width) => `CAST(${superPath(column, path)} AS VARCHAR(${varcharWidth(width)}))`,
  jsonBigint: (column, path) => `CAST(${superPath(column, path)} AS BIGINT)`,
  jsonValue: (column, path) => superPath(column, path),
  jsonTimestamp: (column, path) =>
    `CONVERT_TIMEZONE('UTC', CAST(CAST(${superPath(column, path)} AS VARCHAR(64)) AS TIMESTAMPTZ))`,
  parseJson: (expression) => `JSON_PARSE(${expression})`,
  nowUtc: 'GETDATE()',
  jsonToText: (expression) => `JSON_SERIALIZE(${expression})`,
  timestampText: (expression) => `TO_CHAR(${expression}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  createTableAs: (table, select, options) => [
    `DROP TABLE IF EXISTS ${identifier(table)}`,
    `CREATE TABLE ${identifier(table)}${options?.sortKey ? ` SORTKEY (${identifier(options.sortKey)})` : ''} AS\n${select}`,
  ],
  dropTableIfExists: (table) => `DROP TABLE IF EXISTS ${identifier(table)}`,
  renameTable: (from, to) => `ALTER TABLE ${identifier(from)} RENAME TO ${identifier(to)}`,
  dropViewIfExists: (view) => `DROP VIEW IF EXISTS ${identifier(view)}`,
  createView: (view, select) => `CREATE VIEW ${identifier(view)} AS\n${select}`,
  // r_GRANT.html: TO { username | GROUP group_name | ROLE role_name }.
  grantSelect: (tables, reader) =>
    `GRANT SELECT ON ${tableList(tables)} TO ${reader.kind === 'group' ? 'GROUP ' : reader.kind === 'role' ? 'ROLE ' : ''}${quotedName(reader.name)}`,
  // Catalogs: pg_user and pg_group (r_PG_USER, r_PG_GROUP), SVV_ROLES for roles.
  existingGrantees: (kind, names) => {
    const [column, table] = {
      user: ['usename', 'pg_user'],
      group: ['groname', 'pg_group'],
      role: ['role_name', 'svv_roles'],
    }[kind];
    return `SELECT ${column} AS name FROM ${table} WHERE ${column} IN (${names.map(sqlLiteral).join(', ')})`;
  },
  sortKey: (column) => `SORTKEY (${identifier(column)})`,
};

/** A VARCHAR width Redshift takes: 1 to 65,535 bytes. */
function varcharWidth(width: number): number {
  if (!Number.isInteger(width) || width < 1 || width > 65_535)
    throw new SqlValueError('a text width of 1 to 65535 bytes', String(width));
  return width;
}

/** A dialect name that is not one of the warehouses'. */
export class UnknownDialectError extends EltError {
  constructor(readonly dialect: string) {
    super(`unknown SQL dialect "${dialect}" (known: duckdb, postgres, redshift)`);
  }
}

/** The dialect of a warehouse by name. */
export function dialectNamed(name: string): Dialect {
  const d = { duckdb: duckdbDialect, postgres: postgresDialect, redshift: redshiftDialect }[name];
  if (!d) throw new UnknownDialectError(name);
  return d;
}
