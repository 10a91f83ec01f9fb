import { randomUUID } from 'node:crypto';
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  GetStatementResultCommand,
  ListStatementsCommand,
  RedshiftDataClient,
  type Field,
  type SqlParameter,
} from '@aws-sdk/client-redshift-data';
import { redshiftDialect, stringLiteral, type Dialect } from '../../core/elt/dialect.js';
import { renderTemplate } from '../../core/elt/models.js';
import { warehouseSql } from '../../core/elt/sql-sources.js';
import { splitStatements } from '../../core/elt/sql-text.js';
import { assertSafeKey } from '../../core/landing/object-keys.js';
import {
  ObjectsLoadedMeanwhileError,
  type ObjectInfo,
  type ObjectStore,
  type Row,
  type RunRecord,
  type SqlValue,
  type Warehouse,
} from '../../core/ports.js';
import { maskSecrets } from '../../core/util/mask-secrets.js';
import { isTransientAwsError, sleep, withRetry, type RetryPolicy } from '../../core/util/retry.js';
import { ledgerKeys } from './ledger.js';
import { runHistorySql, runParams, runsFromRows, sqlTimestamp } from './run-history.js';

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
  /**
   * The time (epoch ms) every statement must have ended by, whatever `statementTimeoutMs` says: a Lambda
   * function's end less the cancel grace, so a statement is canceled (and seen to stop) while the
   * function still runs, instead of running on after the function was stopped. @default none
   */
  readonly deadline?: number;
  /** After the deadline the statement is canceled; how long it may take to stop. @default 20 s */
  readonly cancelGraceMs?: number;
  /**
   * `StatementName` of every statement sent (the ELT run id), so that the run's statements can be found
   * and stopped later, from another process (ListStatements). @default none
   */
  readonly statementName?: string;
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
 * The pipeline's tables belong to another database user than the one this connection runs as: a run would
 * fail to replace their tables, and the tables it made could not be replaced by the owner's runs.
 */
export class WarehouseOwnerError extends Error {
  constructor(
    readonly warehouse: string,
    readonly owner: string,
    readonly user: string,
  ) {
    super(
      `the pipeline's tables on ${warehouse} belong to database user "${owner}", but this connection runs as "${user}": a run as "${user}" could not replace their tables, and the tables it made could not be replaced by the scheduled runs. Run the ELT as its owner: start the deployed workflow with \`npx elt run --state-machine <StateMachineArn>\` (or \`npx elt run --outputs <cdk outputs file>\`)`,
    );
    this.name = 'WarehouseOwnerError';
  }
}

/** The process's deadline passed before a statement was sent: it was not sent. */
export class DeadlinePassedError extends Error {
  constructor(deadline: number) {
    super(
      `the deadline (${new Date(deadline).toISOString()}) passed before the statement was sent; it was not sent`,
    );
    this.name = 'DeadlinePassedError';
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
/**
 * Settings every batch starts with, because each Data API call is a session of its own: SUPER navigation
 * by quoted, case-sensitive names (`detail."itemId"`) needs both, or Redshift folds the name to lower case
 * and the field reads as NULL (r_enable_case_sensitive_identifier.html,
 * r_enable_case_sensitive_super_attribute.html). Every statement here is sent in a batch with them, even
 * a single query, so `elt query` sees fields as the models do.
 */
export const SESSION_SETTINGS = [
  'SET enable_case_sensitive_identifier TO true',
  'SET enable_case_sensitive_super_attribute TO true',
] as const;
/** Statuses of a statement that has not ended. */
const RUNNING = new Set(['SUBMITTED', 'PICKED', 'STARTED']);
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
  readonly maxStatementsPerTransaction = MAX_BATCH_STATEMENTS - SESSION_SETTINGS.length;
  private readonly client: RedshiftDataClient;
  private readonly retry: RetryPolicy;
  private readonly wait: (ms: number) => Promise<void>;
  private readonly timeoutMs: number;
  private readonly graceMs: number;
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
    this.graceMs = options.cancelGraceMs ?? 20_000;
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

  /**
   * The same warehouse (client, target, credentials) for one run in one process: its statements carry
   * the run id as `StatementName` and end by the process's deadline.
   */
  forRun(run: { readonly statementName: string; readonly deadline?: number }): RedshiftDataWarehouse {
    if (!RUN_ID.test(run.statementName)) throw new Error(`not a run id: ${run.statementName}`);
    return new RedshiftDataWarehouse({
      ...this.options,
      client: this.client,
      statementName: run.statementName,
      ...(run.deadline !== undefined ? { deadline: run.deadline } : {}),
    });
  }

  describe(): string {
    const t = this.options.target;
    return `redshift-data:${'workgroupName' in t ? `workgroup/${t.workgroupName}` : `cluster/${t.clusterIdentifier}`}/${this.options.database}`;
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<void> {
    await this.runBatch([sql], params);
  }

  async query(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    const { Id } = await this.runBatch([sql], params);
    // A batch's own results are its sub-statements': the query is the one after the session settings.
    return this.results(`${Id!}:${SESSION_SETTINGS.length + 1}`);
  }

  async executeBatch(statements: readonly string[]): Promise<void> {
    if (statements.length === 0) return;
    if (statements.length > this.maxStatementsPerTransaction) {
      throw new Error(
        `a transaction of ${statements.length} statements exceeds the Data API batch limit of ${MAX_BATCH_STATEMENTS} (${SESSION_SETTINGS.length} of them are the session settings)`,
      );
    }
    await this.runBatch(statements, []);
  }

  /**
   * Creates the pipeline's tables when missing — after checking that this connection's database user owns
   * them when they exist: on Redshift only the owner may drop or alter a table (r_Privileges.html), and
   * the Data API runs as the caller's identity (`IAMR:<role>`, `IAM:<user>`) or a secret's user, so a run
   * from a workstation as someone else would break the scheduled runs' tables.
   */
  async ensureSchema(): Promise<void> {
    const [who] = await this.query(
      "SELECT current_user AS me, (SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'elt_runs') AS owner",
    );
    const me = String(who?.me ?? '');
    const owner = who?.owner;
    if (typeof owner === 'string' && owner !== me) throw new WarehouseOwnerError(this.describe(), owner, me);
    await this.executeBatch(this.setupSql);
  }

  async loadedObjectKeys(since?: Date): Promise<Set<string>> {
    return ledgerKeys((sql, params) => this.query(sql, params), since);
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

  /** Replaces the run's row: a DELETE then an INSERT with bound parameters, in one transaction. */
  async recordRun(run: RunRecord): Promise<void> {
    await this.runBatch(this.history.record, runParams(run));
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

  releaseRunLockSql(runId: string): string {
    return `DELETE FROM elt_run_lock WHERE run_id = ${stringLiteral(runIdOrThrow(runId))}`;
  }

  /**
   * Finds the run's statements that have not ended (ListStatements by StatementName, every statement of
   * the caller's IAM role), cancels each, and waits until they end or `until`. A Data API statement runs
   * on after the function that sent it was stopped; only cancelling, or waiting, ends it.
   */
  async stopRunStatements(runId: string, until: Date): Promise<number> {
    let running = await this.runningStatements(runIdOrThrow(runId));
    for (const id of running) {
      await this.client.send(new CancelStatementCommand({ Id: id })).catch(() => undefined);
    }
    while (running.length > 0 && Date.now() < until.getTime()) {
      await this.wait(Math.min(this.pollMaxMs, Math.max(0, until.getTime() - Date.now())));
      const still: string[] = [];
      for (const id of running) {
        const d = await this.retried(() => this.client.send(new DescribeStatementCommand({ Id: id })));
        if (RUNNING.has(d.Status ?? '')) still.push(id);
      }
      running = still;
    }
    return running.length;
  }

  private async runningStatements(name: string): Promise<string[]> {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.retried(() =>
        this.client.send(
          new ListStatementsCommand({
            StatementName: name,
            Status: 'ALL',
            RoleLevel: true,
            MaxResults: 100,
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      );
      for (const st of page.Statements ?? [])
        if (st.Id && st.StatementName === name && RUNNING.has(st.Status ?? '')) ids.push(st.Id);
      token = page.NextToken;
    } while (token);
    return ids;
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
    // Redshift keeps PRIMARY KEY as information only, so the ledger cannot refuse a second row for an
    // object. Under an exclusive lock on it, nothing of this batch is written when any of its objects is
    // already there (a load of an earlier run that outlived its function); the caller replans.
    const unseen =
      'NOT EXISTS (SELECT 1 FROM ledger_load n JOIN elt_loaded_objects l ON l.object_key = n.object_key)';
    // Every literal here is the pipeline's own: a validated bucket, role ARN, run id and safe keys.
    const statements = [
      'LOCK elt_loaded_objects',
      'CREATE TEMP TABLE ledger_load (object_key VARCHAR(1024), size_bytes BIGINT)',
      `COPY ledger_load FROM ${url(ledgerKey)} IAM_ROLE ${role} FORMAT JSON 'auto'`,
      `CREATE TEMP TABLE raw_load_input (event ${d.jsonType})`,
      `COPY raw_load_input FROM ${url(manifestKey)} IAM_ROLE ${role} FORMAT JSON 'noshred' GZIP MANIFEST`,
      `CREATE TEMP TABLE raw_load AS SELECT CAST('${manifestKey}' AS VARCHAR(1024)) AS object_key, event FROM raw_load_input WHERE ${unseen}`,
      this.insertSql.replace('$1', `'${runId}'`),
      `INSERT INTO elt_loaded_objects (object_key, size_bytes, events, run_id, loaded_at) SELECT object_key, size_bytes, NULL, '${runId}', ${d.nowUtc} FROM ledger_load WHERE ${unseen}`,
      'DROP TABLE raw_load_input',
      'DROP TABLE raw_load',
      'DROP TABLE ledger_load',
    ];
    const description = await this.runBatch(statements, []);
    const rows = (i: number): number =>
      description.SubStatements?.[SESSION_SETTINGS.length + i]?.ResultRows ?? 0;
    const [rawInsert, ledgerInsert] = [6, 7];
    if (rows(ledgerInsert) === 0) throw new ObjectsLoadedMeanwhileError(objects.length);
    return rows(rawInsert);
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

  /**
   * Sends statements as one batch (one transaction, one session) after the session settings, with bound
   * parameters, and waits for it to end.
   */
  private async runBatch(
    statements: readonly string[],
    params: readonly SqlValue[],
  ): Promise<{ Id?: string; SubStatements?: { ResultRows?: number }[] }> {
    const named = statements.map((sql) => namedParams(sql, params));
    const parameters = [...new Map(named.flatMap((n) => n.parameters).map((p) => [p.name, p])).values()];
    this.checkDeadline();
    const token = randomUUID();
    const out = await this.retried(() =>
      this.client.send(
        new BatchExecuteStatementCommand({
          ...this.targetInput(),
          Sqls: [...SESSION_SETTINGS, ...named.map((n) => n.text)],
          ...(parameters.length > 0 ? { Parameters: parameters } : {}),
          ...(this.options.statementName ? { StatementName: this.options.statementName } : {}),
          ClientToken: token,
        }),
      ),
    );
    return this.waitFor(out.Id!);
  }

  /** No statement is sent after the deadline: it could not be waited for, nor canceled in time. */
  private checkDeadline(): void {
    const deadline = this.options.deadline;
    if (deadline !== undefined && Date.now() >= deadline) throw new DeadlinePassedError(deadline);
  }

  private async waitFor(id: string): Promise<{ Id?: string; SubStatements?: { ResultRows?: number }[] }> {
    const started = Date.now();
    const deadline = Math.min(started + this.timeoutMs, this.options.deadline ?? Infinity);
    let delay = this.pollInitialMs;
    for (;;) {
      const d = await this.retried(() => this.client.send(new DescribeStatementCommand({ Id: id })));
      if (d.Status === 'FINISHED') return d;
      if (d.Status === 'FAILED' || d.Status === 'ABORTED') {
        const failed = d.SubStatements?.find((s) => s.Status === 'FAILED' || s.Status === 'ABORTED');
        const message = failed?.Error ?? d.Error ?? 'no error message';
        throw new StatementFailedError(id, d.Status, maskSecrets(message, [this.options.secretArn]));
      }
      if (Date.now() >= deadline) return this.cancelAtDeadline(id, Date.now() - started);
      await this.wait(Math.min(delay, Math.max(1, deadline - Date.now())));
      delay = Math.min(this.pollMaxMs, delay * 2);
    }
  }

  /**
   * A statement past its deadline is canceled rather than left running, so a run that reports failing does
   * not publish later: the statement's final status decides. One that finished meanwhile counts as done.
   */
  private async cancelAtDeadline(
    id: string,
    ranMs: number,
  ): Promise<{ Id?: string; SubStatements?: { ResultRows?: number }[] }> {
    try {
      await this.client.send(new CancelStatementCommand({ Id: id }));
    } catch {
      // Already finished, or the cancel was refused: the status below decides.
    }
    const until = Date.now() + this.graceMs;
    for (;;) {
      const d = await this.retried(() => this.client.send(new DescribeStatementCommand({ Id: id })));
      if (d.Status === 'FINISHED') return d;
      if (d.Status === 'ABORTED' || d.Status === 'FAILED') throw new StatementTimeoutError(id, ranMs, true);
      if (Date.now() > until) throw new StatementTimeoutError(id, ranMs, false);
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
 * Positional `$n` parameters as the Data API's named `:pn` ones. The Data API takes values as text of at
 * least one character and has no NULL parameter, so a NULL is written as the literal NULL and an empty
 * string as '' (neither carries data).
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
    if (v === '') return "''";
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
