import { randomUUID } from 'node:crypto';
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
  type Field,
  type SqlParameter,
} from '@aws-sdk/client-redshift-data';
import { redshiftDialect, stringLiteral, type Dialect } from '../../core/elt/dialect.js';
import { renderTemplate } from '../../core/elt/models.js';
import { warehouseSql } from '../../core/elt/sql-sources.js';
import { maxParameter, splitStatements } from '../../core/elt/sql-text.js';
import { assertSafeKey } from '../../core/landing/object-keys.js';
import type { ObjectInfo, ObjectStore, Row, RunRecord, SqlValue, Warehouse } from '../../core/ports.js';
import { maskSecrets } from '../../core/util/mask-secrets.js';
import { isTransientAwsError, sleep, withRetry, type RetryPolicy } from '../../core/util/retry.js';
import { runHistorySql, runParams, runsFromRows } from './run-history.js';

/** Where statements run: a Serverless workgroup or a provisioned cluster. */
export type RedshiftTarget =
  | { readonly workgroupName: string }
  | { readonly clusterIdentifier: string; /** IAM auth as this database user. */ readonly dbUser?: string };

/** Where COPY reads landed objects from, and as whom. */
export interface RedshiftCopySource {
  /** The raw bucket (objects are `s3://<bucket>/<keyPrefix><key>`). */
  readonly bucket: string;
  /** @default '' */
  readonly keyPrefix?: string;
  /** The IAM role COPY assumes (attached to the namespace or cluster). */
  readonly roleArn: string;
  /** Where the adapter writes COPY manifests (the same bucket, under manifests/). */
  readonly manifestStore: ObjectStore;
}

/** Options of {@link RedshiftDataWarehouse}. */
export interface RedshiftDataWarehouseOptions {
  readonly target: RedshiftTarget;
  readonly database: string;
  /** Secrets Manager secret with the database credentials; without it, IAM authentication. */
  readonly secretArn?: string;
  /** Where COPY reads landed objects. Without it the warehouse can be queried but not loaded. */
  readonly copy?: RedshiftCopySource;
  /** @default a client from the default credential chain; `AWS_ENDPOINT_URL` is honoured */
  readonly client?: RedshiftDataClient;
  /**
   * The SQL dialect statements are written in. Redshift in production; `postgres` against a local Data
   * API endpoint backed by PostgreSQL, which speaks the same wire protocol but runs PostgreSQL SQL.
   * @default redshiftDialect
   */
  readonly dialect?: Dialect;
  /** Throttling and 5xx retries. @default 6 attempts, 200 ms base, full jitter */
  readonly retry?: RetryPolicy;
  /** How long one statement may run before it is reported as timed out. @default 15 minutes */
  readonly statementTimeoutMs?: number;
  /** After the deadline the statement is canceled; how long it may take to stop. @default 30 s */
  readonly cancelGraceMs?: number;
  /** DescribeStatement polling: first delay, doubled up to the maximum. @default 50 / 2000 ms */
  readonly pollInitialMs?: number;
  readonly pollMaxMs?: number;
  /** Injected for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A statement the warehouse rejected or cancelled. The message is the database's, secrets masked. */
export class StatementFailedError extends Error {
  constructor(
    readonly statementId: string,
    readonly status: string,
    message: string,
  ) {
    super(`statement ${statementId} ${status.toLowerCase()}: ${message}`);
    this.name = 'StatementFailedError';
  }
}

/**
 * A statement still running at its deadline. It was canceled (`canceled`), or it could not be stopped and
 * may still finish: then the warehouse can change after the run reported failing, and the next run must
 * start from what the warehouse holds (the ledger and the live tables), which it does.
 */
export class StatementTimeoutError extends Error {
  constructor(
    readonly statementId: string,
    ms: number,
    readonly canceled: boolean,
  ) {
    super(
      `statement ${statementId} did not finish within ${Math.round(ms / 1000)} s ${
        canceled ? 'and was canceled' : 'and could not be canceled: it may still finish'
      }`,
    );
    this.name = 'StatementTimeoutError';
  }
}

// A Data API batch runs as one transaction and takes at most 40 statements (BatchExecuteStatement).
export const MAX_BATCH_STATEMENTS = 40;
// Data API rate limits are per account; the statement follow-ups are the most called.
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const RUN_ID = /^run-[0-9A-Za-z-]{1,64}$/;

/**
 * A warehouse on Amazon Redshift (Serverless or provisioned) through the Redshift Data API: no
 * connections or drivers, IAM or Secrets Manager auth. Every call carries a `ClientToken` so a retried
 * request is not run twice; throttling and server errors are retried with full jitter; a statement is
 * polled with backoff until it finishes, fails (a typed error with the database's message, secrets
 * masked) or reaches its deadline; results are read page by page. Loads are COPY from S3 with a
 * manifest, one load at a time.
 */
export class RedshiftDataWarehouse implements Warehouse {
  readonly dialect: Dialect;
  private readonly client: RedshiftDataClient;
  private readonly retry: RetryPolicy;
  private readonly wait: (ms: number) => Promise<void>;
  private readonly timeoutMs: number;
  private readonly pollInitialMs: number;
  private readonly pollMaxMs: number;
  private readonly history: ReturnType<typeof runHistorySql>;
  private readonly setupSql: string[];
  private readonly insertSql: string;
  private loading: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: RedshiftDataWarehouseOptions) {
    this.dialect = options.dialect ?? redshiftDialect;
    // Retries are this adapter's: it knows which calls are idempotent (all carry a ClientToken).
    this.client = options.client ?? new RedshiftDataClient({ maxAttempts: 1 });
    this.retry = options.retry ?? {};
    this.wait = options.sleep ?? sleep;
    this.timeoutMs = options.statementTimeoutMs ?? 15 * 60_000;
    this.pollInitialMs = options.pollInitialMs ?? 50;
    this.pollMaxMs = options.pollMaxMs ?? 2000;
    if (options.copy) {
      const { roleArn, bucket, keyPrefix } = options.copy;
      if (!ROLE_ARN.test(roleArn)) throw new Error(`not an IAM role ARN: ${roleArn}`);
      if (!BUCKET.test(bucket)) throw new Error(`not an S3 bucket name: ${bucket}`);
      if (keyPrefix) assertSafeKey(keyPrefix.replace(/\/$/, ''));
    }
    this.history = runHistorySql(this.dialect);
    this.setupSql = splitStatements(renderTemplate('setup', warehouseSql('setup'), this.dialect));
    this.insertSql = renderTemplate('insert-raw-events', warehouseSql('insert-raw-events'), this.dialect, {
      sources: ['raw_load'],
    });
  }

  describe(): string {
    const t = this.options.target;
    return `redshift-data:${'workgroupName' in t ? `workgroup/${t.workgroupName}` : `cluster/${t.clusterIdentifier}`}/${this.options.database}`;
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<void> {
    await this.run(sql, params);
  }

  async query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    const id = await this.run(sql, params);
    return this.results(id);
  }

  async executeBatch(statements: readonly string[]): Promise<void> {
    if (statements.length === 0) return;
    if (statements.length + this.sessionSettings().length > MAX_BATCH_STATEMENTS) {
      throw new Error(
        `a transaction of ${statements.length} statements exceeds the Data API batch limit of ${MAX_BATCH_STATEMENTS}`,
      );
    }
    await this.runBatch(statements);
  }

  async ensureSchema(): Promise<void> {
    await this.executeBatch(this.setupSql);
  }

  async loadedObjectKeys(): Promise<Set<string>> {
    const rows = await this.query('SELECT object_key FROM elt_loaded_objects');
    return new Set(rows.map((r) => String(r.object_key)));
  }

  /**
   * COPYs the objects with a manifest into a staging table, moves the rows into raw_events and writes
   * the ledger rows, all in one transaction. Redshift allows one COPY per table at a time, so loads on
   * this adapter are serialized.
   */
  async loadObjects(objects: readonly ObjectInfo[], _store: ObjectStore, runId: string): Promise<number> {
    if (objects.length === 0) return 0;
    if (!RUN_ID.test(runId)) throw new Error(`not a run id: ${runId}`);
    const previous = this.loading;
    let release!: () => void;
    this.loading = new Promise<void>((r) => (release = r));
    await previous;
    try {
      return await this.copy(objects, runId);
    } finally {
      release();
    }
  }

  /**
   * Replaces the run's row: a DELETE then an INSERT, each with bound parameters (a batch would have to
   * write the values into the SQL text). Between the two the row is briefly missing; the next call of
   * the run writes it again.
   */
  async recordRun(run: RunRecord): Promise<void> {
    const params = runParams(run);
    for (const statement of this.history.record)
      await this.run(statement, params.slice(0, maxParameter(statement)));
  }

  async listRuns(limit: number): Promise<RunRecord[]> {
    return runsFromRows(await this.query(this.history.list, [limit]));
  }

  /**
   * One transaction (a batch): lock the lock table, which makes a concurrent claim wait for this one,
   * drop an expired holder, and claim the lock when nobody holds it; then read who holds it. A batch takes
   * no parameters, so the run id (checked against a strict pattern) and the times (formatted here, from
   * the caller's clock) are literals.
   */
  async claimRunLock(runId: string, now: Date, expiresAt: Date): Promise<string> {
    const run = stringLiteral(runIdOrThrow(runId));
    const at = stringLiteral(sqlTimestamp(now));
    await this.executeBatch([
      'LOCK elt_run_lock',
      `DELETE FROM elt_run_lock WHERE expires_at < ${at}`,
      `INSERT INTO elt_run_lock (run_id, acquired_at, expires_at) SELECT ${run}, ${at}, ${stringLiteral(sqlTimestamp(expiresAt))} WHERE NOT EXISTS (SELECT 1 FROM elt_run_lock)`,
    ]);
    const rows = await this.query('SELECT run_id FROM elt_run_lock');
    const holder = rows[0]?.run_id;
    // Nobody holds it only if the lock expired between the two calls: report the claim as lost.
    return typeof holder === 'string' ? holder : '(expired)';
  }

  async releaseRunLock(runId: string): Promise<void> {
    await this.execute('DELETE FROM elt_run_lock WHERE run_id = $1', [runIdOrThrow(runId)]);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async copy(objects: readonly ObjectInfo[], runId: string): Promise<number> {
    if (!this.options.copy) {
      throw new Error(
        'loading into Redshift needs the raw bucket and the COPY role: add bucket=<raw bucket>&copyRole=<role ARN> to the warehouse URL',
      );
    }
    const { bucket, roleArn, manifestStore } = this.options.copy;
    const prefix = this.options.copy.keyPrefix ?? '';
    const tag = `${runId}/load-${randomUUID().slice(0, 8)}`;
    const manifestKey = `manifests/${tag}.manifest`;
    const ledgerKey = `manifests/${tag}.ledger.ndjson`;
    for (const o of objects) assertSafeKey(o.key);
    // A COPY manifest names every object, so COPY loads exactly the planned ones (never a prefix match).
    const manifest = {
      entries: objects.map((o) => ({
        url: `s3://${bucket}/${prefix}${o.key}`,
        mandatory: true,
        meta: { content_length: o.size },
      })),
    };
    await manifestStore.put(manifestKey, Buffer.from(JSON.stringify(manifest)), {
      contentType: 'application/json',
    });
    await manifestStore.put(
      ledgerKey,
      Buffer.from(objects.map((o) => JSON.stringify({ object_key: o.key, size_bytes: o.size })).join('\n')),
      { contentType: 'application/x-ndjson' },
    );
    const url = (key: string): string => `'s3://${bucket}/${prefix}${key}'`;
    const role = `'${roleArn}'`;
    const d = this.dialect;
    // Every literal here is the pipeline's own: a validated bucket, role ARN, run id and safe keys.
    const statements = [
      `CREATE TEMP TABLE raw_load_input (event ${d.jsonType})`,
      `COPY raw_load_input FROM ${url(manifestKey)} IAM_ROLE ${role} FORMAT JSON 'noshred' GZIP MANIFEST`,
      `CREATE TEMP TABLE raw_load AS SELECT CAST('${manifestKey}' AS VARCHAR(1024)) AS object_key, event FROM raw_load_input`,
      this.insertSql.replace('$1', `'${runId}'`),
      'CREATE TEMP TABLE ledger_load (object_key VARCHAR(1024), size_bytes BIGINT)',
      `COPY ledger_load FROM ${url(ledgerKey)} IAM_ROLE ${role} FORMAT JSON 'auto'`,
      `INSERT INTO elt_loaded_objects (object_key, size_bytes, events, run_id, loaded_at) SELECT object_key, size_bytes, NULL, '${runId}', ${d.nowUtc} FROM ledger_load`,
      'DROP TABLE raw_load_input',
      'DROP TABLE raw_load',
      'DROP TABLE ledger_load',
    ];
    const description = await this.runBatch(statements);
    const insert = description.SubStatements?.[this.sessionSettings().length + 3];
    return insert?.ResultRows ?? 0;
  }

  private sessionSettings(): string[] {
    // SUPER navigation by quoted, case-sensitive names (detail."userId") needs this setting.
    return this.dialect.name === 'redshift' ? ['SET enable_case_sensitive_identifier TO true'] : [];
  }

  private targetInput(): Record<string, string> {
    const t = this.options.target;
    return {
      Database: this.options.database,
      ...('workgroupName' in t
        ? { WorkgroupName: t.workgroupName }
        : { ClusterIdentifier: t.clusterIdentifier }),
      ...('dbUser' in t && t.dbUser ? { DbUser: t.dbUser } : {}),
      ...(this.options.secretArn ? { SecretArn: this.options.secretArn } : {}),
    };
  }

  /** A Data API call, retried on throttling and 5xx (every call here is safe to repeat). */
  private retried<T>(call: () => Promise<T>): Promise<T> {
    return withRetry(call, isTransientAwsError, this.retry);
  }

  private async run(sql: string, params: readonly SqlValue[]): Promise<string> {
    const { text, parameters } = namedParams(sql, params);
    const token = randomUUID();
    const out = await this.retried(() =>
      this.client.send(
        new ExecuteStatementCommand({
          ...this.targetInput(),
          Sql: text,
          ...(parameters.length > 0 ? { Parameters: parameters } : {}),
          ClientToken: token,
        }),
      ),
    );
    await this.waitFor(out.Id!);
    return out.Id!;
  }

  private async runBatch(
    statements: readonly string[],
  ): Promise<{ Id?: string; SubStatements?: { ResultRows?: number }[] }> {
    const token = randomUUID();
    const out = await this.retried(() =>
      this.client.send(
        new BatchExecuteStatementCommand({
          ...this.targetInput(),
          Sqls: [...this.sessionSettings(), ...statements],
          ClientToken: token,
        }),
      ),
    );
    return this.waitFor(out.Id!);
  }

  private async waitFor(id: string): Promise<{ Id?: string; SubStatements?: { ResultRows?: number }[] }> {
    const started = Date.now();
    let delay = this.pollInitialMs;
    for (;;) {
      const d = await this.retried(() => this.client.send(new DescribeStatementCommand({ Id: id })));
      if (d.Status === 'FINISHED') return d;
      if (d.Status === 'FAILED' || d.Status === 'ABORTED') {
        const failed = d.SubStatements?.find((s) => s.Status === 'FAILED' || s.Status === 'ABORTED');
        const message = failed?.Error ?? d.Error ?? 'no error message';
        throw new StatementFailedError(id, d.Status, maskSecrets(message, [this.options.secretArn]));
      }
      if (Date.now() - started > this.timeoutMs) return this.cancelAtDeadline(id);
      await this.wait(delay);
      delay = Math.min(this.pollMaxMs, delay * 2);
    }
  }

  /**
   * A statement past its deadline is canceled rather than left running, so a run that reports failing does
   * not publish later: the statement's final status decides. One that finished meanwhile counts as done.
   */
  private async cancelAtDeadline(
    id: string,
  ): Promise<{ Id?: string; SubStatements?: { ResultRows?: number }[] }> {
    try {
      await this.client.send(new CancelStatementCommand({ Id: id }));
    } catch {
      // Already finished, or the cancel was refused: the status below decides.
    }
    const until = Date.now() + (this.options.cancelGraceMs ?? 30_000);
    for (;;) {
      const d = await this.retried(() => this.client.send(new DescribeStatementCommand({ Id: id })));
      if (d.Status === 'FINISHED') return d;
      if (d.Status === 'ABORTED' || d.Status === 'FAILED')
        throw new StatementTimeoutError(id, this.timeoutMs, true);
      if (Date.now() > until) throw new StatementTimeoutError(id, this.timeoutMs, false);
      await this.wait(this.pollInitialMs);
    }
  }

  private async results(id: string): Promise<Row[]> {
    const rows: Row[] = [];
    let token: string | undefined;
    do {
      const page = await this.retried(() =>
        this.client.send(new GetStatementResultCommand({ Id: id, ...(token ? { NextToken: token } : {}) })),
      );
      const names = (page.ColumnMetadata ?? []).map((c) => c.name ?? c.label ?? '?');
      for (const record of page.Records ?? []) {
        const row: Row = {};
        record.forEach((field, i) => (row[names[i] ?? `col${i}`] = fieldValue(field)));
        rows.push(row);
      }
      token = page.NextToken;
    } while (token);
    return rows;
  }
}

/** A Data API field as a JSON-friendly value. */
function fieldValue(field: Field): unknown {
  if (field.isNull) return null;
  if (field.stringValue !== undefined) return field.stringValue;
  if (field.longValue !== undefined) return field.longValue;
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.booleanValue !== undefined) return field.booleanValue;
  if (field.blobValue !== undefined) return Buffer.from(field.blobValue).toString('base64');
  return null;
}

/**
 * Positional `$n` parameters as the Data API's named `:pn` ones. The Data API takes values as text and
 * has no NULL parameter, so a NULL is written as the literal NULL (which carries no data).
 */
export function namedParams(
  sql: string,
  params: readonly SqlValue[],
): { text: string; parameters: SqlParameter[] } {
  const parameters: SqlParameter[] = [];
  const text = sql.replace(/\$(\d+)/g, (all, n: string) => {
    const i = Number(n) - 1;
    if (i >= params.length) return all;
    const v = params[i];
    if (v === null || v === undefined) return 'NULL';
    if (Array.isArray(v)) throw new Error('the Redshift Data API takes no array parameters');
    if (!parameters.some((p) => p.name === `p${n}`)) parameters.push({ name: `p${n}`, value: String(v) });
    return `:p${n}`;
  });
  return { text, parameters };
}

/** A run id as the ELT makes them (`run-20261126T031500Z-a1b2c3`); anything else is refused. */
function runIdOrThrow(runId: string): string {
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(runId)) throw new Error(`not a run id: ${JSON.stringify(runId)}`);
  return runId;
}

/** `YYYY-MM-DD HH:MM:SS.mmm` in UTC, the literal form of a TIMESTAMP on Redshift and PostgreSQL. */
function sqlTimestamp(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}
