/**
 * The values the pipeline writes into SQL text, by kind: each kind has one parser that checks it and
 * returns a branded type, and {@link sqlLiteral} is the one function that turns a value into a SQL
 * literal. Values are bound as parameters wherever the backend takes them; a literal is written only
 * where it cannot be (a Redshift COPY, a Data API batch, which takes no parameters here), and then
 * through {@link sqlLiteral} or {@link inlineValues}, never by string interpolation.
 */
import { RUN_ID_PATTERN_SOURCE } from '../events/catalogue.js';
import { assertSafeKey } from '../landing/object-keys.js';
import { EltError } from '../util/errors.js';

/** A run id as the ELT makes them: `run-20261126T031500Z-a1b2c3`. */
export type RunId = string & { readonly __brand: 'RunId' };
/** A safe, relative object key (see object-keys.ts). */
export type ObjectKey = string & { readonly __brand: 'ObjectKey' };
/** An IAM role ARN. */
export type RoleArn = string & { readonly __brand: 'RoleArn' };
/** An S3 URL of a safe object key in a valid bucket: `s3://bucket/key`. */
export type S3Url = string & { readonly __brand: 'S3Url' };
/** A time as `YYYY-MM-DD HH:MM:SS.mmm` (UTC), which every warehouse casts to TIMESTAMP the same way. */
export type SqlTimestamp = string & { readonly __brand: 'SqlTimestamp' };

/** A value that is not of the kind it was given as; the message names the kind. */
export class SqlValueError extends EltError {
  constructor(
    readonly kind: string,
    readonly value: string,
    options?: { cause?: unknown },
  ) {
    super(`not ${kind}: ${JSON.stringify(value)}`, options);
  }
}

/** The pattern of a run id: the event catalogue's `runId`. */
export const RUN_ID_PATTERN = new RegExp(RUN_ID_PATTERN_SOURCE);
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Checks a run id. */
export function parseRunId(value: string): RunId {
  if (!RUN_ID_PATTERN.test(value)) throw new SqlValueError('a run id', value);
  return value as RunId;
}

/** Checks an object key (every segment safe, no `..`). */
export function parseObjectKey(value: string): ObjectKey {
  try {
    assertSafeKey(value);
  } catch (error) {
    throw new SqlValueError('a safe object key', value, { cause: error });
  }
  return value as ObjectKey;
}

/** Checks an IAM role ARN. */
export function parseRoleArn(value: string): RoleArn {
  if (!ROLE_ARN.test(value)) throw new SqlValueError('an IAM role ARN', value);
  return value as RoleArn;
}

/** Checks an S3 bucket name. */
export function parseBucket(value: string): string {
  if (!BUCKET.test(value)) throw new SqlValueError('an S3 bucket name', value);
  return value;
}

/** The S3 URL of an object: a checked bucket, and a key prefix and key that together are a safe key. */
export function s3Url(bucket: string, key: string): S3Url {
  return `s3://${parseBucket(bucket)}/${parseObjectKey(key)}` as S3Url;
}

/** A time as {@link SqlTimestamp}. */
export function sqlTimestamp(time: Date): SqlTimestamp {
  return time.toISOString().replace('T', ' ').replace('Z', '') as SqlTimestamp;
}

/** What {@link sqlLiteral} takes: a checked value, a number, or any text (which it escapes). */
export type SqlLiteralValue = RunId | ObjectKey | RoleArn | S3Url | SqlTimestamp | string | number;

/**
 * The SQL literal of a value: text in single quotes with each quote doubled, a finite number as itself.
 * The only place the pipeline turns a value into SQL text.
 */
export function sqlLiteral(value: SqlLiteralValue): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new SqlValueError('a finite number', String(value));
    return String(value);
  }
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * A statement with its `$name` placeholders replaced by the literals of `values`, for statements that
 * cannot take bound parameters (a Data API batch, a Redshift COPY). A placeholder without a value is an
 * error, so no statement goes out with one left in it.
 */
export function inlineValues(sql: string, values: Readonly<Record<string, SqlLiteralValue>>): string {
  return sql.replace(/\$([a-z_][a-z0-9_]*)/g, (_all, name: string) => {
    const value = values[name];
    if (value === undefined) throw new SqlValueError('a placeholder with a value', `$${name}`);
    return sqlLiteral(value);
  });
}
