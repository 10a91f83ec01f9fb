import { gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copySources, CopyStatementError, isCopy, parseCopy } from './copy-statement.js';
import { withInformationalConstraints } from './informational-constraints.js';
import { checkResultSize, DEFAULT_MAX_RESULT_BYTES } from './result-limits.js';
import { changesSessionUser, endsTransaction } from './session-statements.js';
import { positional, type DataApiParameter } from './sql-parameters.js';
import { EltError } from '../../core/util/errors.js';

/** A Data API field value. */
export type DataApiField =
  | { isNull: true }
  | { stringValue: string }
  | { longValue: number }
  | { doubleValue: number }
  | { booleanValue: boolean };

/** Column metadata in the shape GetStatementResult returns. */
export interface DataApiColumn {
  readonly name: string;
  readonly label: string;
  readonly typeName: string;
  readonly nullable: number;
  readonly isCaseSensitive: boolean;
  readonly isCurrency: boolean;
  readonly isSigned: boolean;
  readonly precision: number;
  readonly scale: number;
  readonly schemaName: string;
  readonly tableName: string;
}

/** What one SQL statement produced. */
export interface StatementOutcome {
  readonly rowCount: number;
  readonly columns?: readonly DataApiColumn[];
  readonly records?: readonly DataApiField[][];
  /** The bytes of the result: the text of every value (see {@link checkResultSize}). */
  readonly resultBytes?: number;
}

/** Options of {@link StatementRunner}. */
export interface StatementRunnerOptions {
  /** A result set larger than this fails its statement. @default DEFAULT_MAX_RESULT_BYTES (100 MB) */
  readonly maxResultBytes?: number;
}

/** A statement the endpoint refuses to run; the message says why. */
export class StatementRefusedError extends EltError {
  constructor(message: string) {
    super(message);
  }
}

/** Reads the S3 objects a COPY names: from an S3 endpoint or directories standing in for buckets. */
export interface ObjectReader {
  read(bucket: string, key: string): Promise<Uint8Array>;
  list(bucket: string, prefix: string): Promise<string[]>;
}

// PostgreSQL type OIDs and the Redshift type names the Data API reports for them.
const TYPE_NAMES: Record<number, string> = {
  16: 'bool',
  20: 'int8',
  21: 'int2',
  23: 'int4',
  25: 'varchar',
  114: 'super',
  700: 'float4',
  701: 'float8',
  1043: 'varchar',
  1082: 'date',
  1114: 'timestamp',
  1184: 'timestamptz',
  1700: 'numeric',
  3802: 'super',
};

// Every value comes back as the server's text; conversion to Data API fields happens below, by type.
const rawTypes = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

function field(value: string | null, oid: number): DataApiField {
  if (value === null) return { isNull: true };
  switch (oid) {
    case 16:
      return { booleanValue: value === 't' || value === 'true' };
    case 20:
    case 21:
    case 23:
      return { longValue: Number(value) };
    case 700:
    case 701:
      return { doubleValue: Number(value) };
    default:
      return { stringValue: value };
  }
}

/** Statements a PostgreSQL server cannot run but Redshift sessions commonly send: accepted, no effect. */
const REDSHIFT_ONLY_SETTINGS =
  /^\s*SET\s+(enable_case_sensitive_identifier|enable_case_sensitive_super_attribute|query_group|statement_timeout|search_path\s+TO\s+'?\$user'?)\b/i;

/**
 * Runs Data API statements on PostgreSQL: plain SQL as is (parameters `:name` bound positionally, CREATE
 * TABLE without the PRIMARY KEY and UNIQUE constraints Redshift does not enforce), and COPY from S3 played
 * by reading the objects and streaming their JSON lines into the table. Results over the Data API's size
 * limits fail their statement, as on the service.
 */
export class StatementRunner {
  private readonly maxResultBytes: number;

  constructor(
    private readonly objects: ObjectReader,
    options: StatementRunnerOptions = {},
  ) {
    this.maxResultBytes = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
  }

  /**
   * Runs one statement on a client, as whichever user the client is set to; `parameters` are the Data
   * API's named string parameters; `inBatch` when the statement is part of a BatchExecuteStatement.
   */
  async run(
    client: pg.PoolClient,
    sql: string,
    parameters: readonly DataApiParameter[] = [],
    { inBatch = false }: { inBatch?: boolean } = {},
  ): Promise<StatementOutcome> {
    if (changesSessionUser(sql)) {
      throw new StatementRefusedError(
        "the local Data API endpoint runs every statement as the caller's database user: SET ROLE, RESET ROLE, SET SESSION AUTHORIZATION and DISCARD ALL would change it, and are refused",
      );
    }
    if (inBatch && endsTransaction(sql)) {
      throw new StatementRefusedError(
        'a BatchExecuteStatement runs as one transaction: the local Data API endpoint refuses COMMIT, END, ABORT and ROLLBACK inside it',
      );
    }
    if (REDSHIFT_ONLY_SETTINGS.test(sql)) return { rowCount: 0 };
    if (isCopy(sql)) return { rowCount: await this.copy(client, sql) };
    const { text, values } = positional(withInformationalConstraints(sql), parameters);
    const result = await client.query({ text, values, rowMode: 'array', types: rawTypes });
    const fields = result.fields ?? [];
    if (fields.length === 0) return { rowCount: result.rowCount ?? 0 };
    const rows = result.rows as (string | null)[][];
    const resultBytes = checkResultSize(rows, this.maxResultBytes);
    const columns: DataApiColumn[] = fields.map((f) => ({
      name: f.name,
      label: f.name,
      typeName: TYPE_NAMES[f.dataTypeID] ?? 'varchar',
      nullable: 1,
      isCaseSensitive: true,
      isCurrency: false,
      isSigned: [20, 21, 23, 700, 701, 1700].includes(f.dataTypeID),
      precision: 0,
      scale: 0,
      schemaName: '',
      tableName: '',
    }));
    const records = rows.map((row) => row.map((v, i) => field(v, fields[i]!.dataTypeID)));
    return { rowCount: records.length, columns, records, resultBytes };
  }

  private async copy(client: pg.PoolClient, sql: string): Promise<number> {
    const copy = parseCopy(sql);
    const sources = await copySources(
      copy,
      (b, k) => this.objects.read(b, k),
      (b, p) => this.objects.list(b, p),
    );
    const columns = copy.columns ?? (await tableColumns(client, copy.table));
    if (copy.jsonMode === 'noshred' && columns.length !== 1) {
      throw new CopyStatementError(
        `COPY with FORMAT JSON 'noshred' needs a table with exactly one column; ${copy.table} has ${columns.length}`,
      );
    }
    let count = 0;
    const objects = this.objects;
    async function* rows(): AsyncGenerator<string> {
      for (const s of sources) {
        const raw = await objects.read(s.bucket, s.key);
        const text = (copy.gzip ? gunzipSync(raw) : Buffer.from(raw)).toString('utf8');
        const out: string[] = [];
        for (const line of text.split('\n')) {
          if (line.trim() === '') continue;
          count++;
          if (copy.jsonMode === 'noshred') {
            out.push(copyField(line));
          } else {
            const obj = JSON.parse(line) as Record<string, unknown>;
            const lower = Object.fromEntries(Object.entries(obj).map(([k, v]) => [k.toLowerCase(), v]));
            out.push(
              columns
                .map((c) => {
                  const v = lower[c.toLowerCase()];
                  return v === undefined || v === null
                    ? '\\N'
                    : copyField(typeof v === 'object' ? JSON.stringify(v) : String(v));
                })
                .join('\t'),
            );
          }
        }
        yield out.length > 0 ? `${out.join('\n')}\n` : '';
      }
    }
    await pipeline(
      Readable.from(rows()),
      client.query(copyFrom(`COPY ${copy.table} (${columns.join(', ')}) FROM STDIN`)),
    );
    return count;
  }
}

async function tableColumns(client: pg.PoolClient, table: string): Promise<string[]> {
  const result = await client.query<{ attname: string }>(
    `SELECT attname FROM pg_attribute WHERE attrelid = CAST($1 AS regclass) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [table],
  );
  return result.rows.map((r) => r.attname);
}

/** COPY text format: backslash, tab, newline and carriage return are escaped in a field. */
function copyField(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}
