import { randomUUID } from 'node:crypto';
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  GetStatementResultCommand,
  ListStatementsCommand,
  RedshiftDataClient,
  type DescribeStatementCommandOutput,
  type Field,
  type SqlParameter,
} from '@aws-sdk/client-redshift-data';
import { redshiftDialect, type Dialect } from '../../core/elt/dialect.js';
import { LockRowRunLock } from '../../core/elt/run-lock.js';
import { warehouseStatement } from '../../core/elt/sql-sources.js';
import {
  inlineValues,
  parseBucket,
  parseObjectKey,
  parseRoleArn,
  parseRunId,
  s3Url,
  type RunId,
} from '../../core/elt/sql-values.js';
import * as port from '../../core/ports.js';
import { EltError } from '../../core/util/errors.js';
import { maskSecrets } from '../../core/util/mask-secrets.js';
import { isTransientAwsError, sleep, withRetry, type RetryPolicy } from '../../core/util/retry.js';
import { pipelineSql } from './pipeline-sql.js';
import { PipelineWarehouse } from './pipeline-warehouse.js';
import { runParams } from './run-history.js';

/** Where statements run: a Serverless workgroup or a provisioned cluster. */
export type RedshiftTarget =
  | { readonly workgroupName: string }
  | { readonly clusterIdentifier: string; /** IAM auth as this database user. */ readonly dbUser?: string };

/**
 * Where COPY reads landed objects from, and as whom. The store a load is given is this bucket and prefix
 * (the one the objects were listed in): the adapter writes the load's COPY manifests into it, under
 * manifests/.
 */
export interface RedshiftCopySource {
  /** The raw bucket (objects are `s3://<bucket>/<keyPrefix><key>`). */
  readonly bucket: string;
  /** @default '' */
  readonly keyPrefix?: string;
  /** The IAM role COPY assumes (attached to the namespace or cluster). */
  readonly roleArn: string;
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
  /** The Data API endpoint of the default client, when not the Region's. */
  readonly endpoint?: string;
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
  /**
   * Where the adapter reports what it could not do but need not fail for (a cancel the service refused).
   * @default console.warn
   */
  readonly warn?: (message: string) => void;
}

/** A statement the warehouse rejected or cancelled. The message is the database's, secrets masked. */
export class StatementFailedError extends EltError {
  constructor(
    readonly statementId: string,
    readonly status: string,
    message: string,
  ) {
    super(`statement ${statementId} ${status.toLowerCase()}: ${message}`);
  }
}

/**
 * The pipeline's tables belong to another database user than the one this connection runs as: a run would
 * fail to replace their tables, and the tables it made could not be replaced by the owner's runs.
 */
export class WarehouseOwnerError extends EltError {
  constructor(
    readonly warehouse: string,
    readonly owner: string,
    readonly user: string,
  ) {
    super(
      `the pipeline's tables on ${warehouse} belong to database user "${owner}", but this connection runs as "${user}": a run as "${user}" could not replace their tables, and the tables it made could not be replaced by the scheduled runs. Run the ELT as its owner: start the deployed workflow with \`npx elt run --state-machine <StateMachineArn>\` (or \`npx elt run --outputs <cdk outputs file>\`)`,
    );
  }
}

/** The process's deadline passed before a statement was sent: it was not sent. */
export class DeadlinePassedError extends EltError {
  constructor(deadline: number) {
    super(
      `the deadline (${new Date(deadline).toISOString()}) passed before the statement was sent; it was not sent`,
    );
  }
}

/**
 * A statement still running at its deadline. It was canceled (`canceled`), or it could not be stopped and
 * may still finish: then the warehouse can change after the run reported failing, and the next run must
 * start from what the warehouse holds (the ledger and the live tables), which it does.
 */
export class StatementTimeoutError extends EltError {
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
  }
}

/** What this adapter cannot do as asked: a batch over the Data API's bound, a load without a COPY source, … */
export class RedshiftDataUsageError extends EltError {}

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
/** What the Data API says of a statement (DescribeStatement). */
type StatementDescription = Pick<DescribeStatementCommandOutput, 'Id' | 'SubStatements'>;

/**
 * A warehouse on Amazon Redshift (Serverless or provisioned) through the Redshift Data API: no
 * connections or drivers, IAM or Secrets Manager auth. Every call carries a `ClientToken` so a retried
 * request is not run twice; throttling and server errors are retried with full jitter; a statement is
 * polled with backoff until it finishes, fails (a typed error with the database's message, secrets
 * masked) or reaches its deadline; results are read page by page. Loads are COPY from S3 with a
 * manifest, one load at a time.
 */
export class RedshiftDataWarehouse extends PipelineWarehouse {
  readonly dialect: Dialect;
  readonly maxStatementsPerTransaction = MAX_BATCH_STATEMENTS - SESSION_SETTINGS.length;
  /**
   * A lock row: the steps of a run on AWS run in separate Lambda invocations, and a Data API call is a
   * session of its own, so no session outlives a step.
   */
  readonly runLock: port.RunLock;
  private readonly client: RedshiftDataClient;
  private readonly retry: RetryPolicy;
  private readonly wait: (ms: number) => Promise<void>;
  private readonly timeoutMs: number;
  private readonly graceMs: number;
  private readonly pollInitialMs: number;
  private readonly pollMaxMs: number;
  private readonly warn: (message: string) => void;
  protected readonly sql: ReturnType<typeof pipelineSql>;
  private loading: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: RedshiftDataWarehouseOptions) {
    super();
    this.dialect = options.dialect ?? redshiftDialect;
    // Retries are this adapter's: it knows which calls are idempotent (all carry a ClientToken).
    this.client =
      options.client ??
      new RedshiftDataClient({ maxAttempts: 1, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
    this.retry = options.retry ?? {};
    this.wait = options.sleep ?? sleep;
    this.timeoutMs = options.statementTimeoutMs ?? 15 * 60_000;
    this.graceMs = options.cancelGraceMs ?? 20_000;
    this.pollInitialMs = options.pollInitialMs ?? 50;
    this.pollMaxMs = options.pollMaxMs ?? 2000;
    this.warn = options.warn ?? ((message) => console.warn(message));
    if (options.copy) {
      const { roleArn, bucket, keyPrefix } = options.copy;
      parseRoleArn(roleArn);
      parseBucket(bucket);
      if (keyPrefix) parseObjectKey(keyPrefix.replace(/\/$/, ''));
    }
    this.sql = pipelineSql(this.dialect, 'redshift/load');
    this.runLock = new LockRowRunLock(this, (runId, until) => this.stopRunStatements(runId, until));
  }

  /**
   * The same warehouse (client, target, credentials) for one run in one process: its statements carry
   * the run id as `StatementName` and end by the process's deadline.
   */
  forRun(run: { readonly statementName: string; readonly deadline?: number }): RedshiftDataWarehouse {
    parseRunId(run.statementName);
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

  async execute(sql: string, params: readonly port.SqlValue[] = []): Promise<void> {
    await this.runBatch([sql], params);
  }

  async query(sql: string, params: readonly port.SqlValue[] = []): Promise<port.Row[]> {
    // A batch's own results are its sub-statements': the query is the one after the session settings.
    return this.results(subStatement(await this.runBatch([sql], params), SESSION_SETTINGS.length));
  }

  async executeBatch(statements: readonly string[]): Promise<void> {
    if (statements.length === 0) return;
    if (statements.length > this.maxStatementsPerTransaction) {
      throw new RedshiftDataUsageError(
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
  override async ensureSchema(): Promise<void> {
    const [who] = await this.query(warehouseStatement('redshift/owner'));
    const me = String(who?.me ?? '');
    const owner = who?.owner;
    if (typeof owner === 'string' && owner !== me) throw new WarehouseOwnerError(this.describe(), owner, me);
    await super.ensureSchema();
  }

  /**
   * COPYs the objects with a manifest into a staging table, moves the rows into raw_events and writes
   * the ledger rows, all in one transaction. The manifests go into `store`, the bucket and prefix the
   * objects are in. Redshift allows one COPY per table at a time, so loads on this adapter are serialized.
   */
  protected async load(
    objects: readonly port.ObjectInfo[],
    store: port.ObjectStore,
    runId: RunId,
  ): Promise<number> {
    const previous = this.loading;
    let release!: () => void;
    this.loading = new Promise<void>((r) => (release = r));
    await previous;
    try {
      return await this.copy(objects, store, runId);
    } finally {
      release();
    }
  }

  /** Replaces the run's row: a DELETE then an INSERT with bound parameters, in one transaction. */
  async recordRun(run: port.RunRecord): Promise<void> {
    await this.runBatch(this.sql.recordRun, runParams(run));
  }

  /**
   * Finds the run's statements that have not ended (ListStatements by StatementName, every statement of
   * the caller's IAM role), cancels each, and waits until they end or `until`. A Data API statement runs
   * on after the function that sent it was stopped; only cancelling, or waiting, ends it.
   */
  async stopRunStatements(runId: RunId, until: Date): Promise<number> {
    let running = await this.runningStatements(runId);
    for (const id of running) await this.cancel(id);
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

  private async copy(
    objects: readonly port.ObjectInfo[],
    store: port.ObjectStore,
    runId: RunId,
  ): Promise<number> {
    if (!this.options.copy) {
      throw new RedshiftDataUsageError(
        'loading into Redshift needs the raw bucket and the COPY role: add bucket=<raw bucket>&copyRole=<role ARN> to the warehouse URL',
      );
    }
    const { bucket, roleArn } = this.options.copy;
    const prefix = this.options.copy.keyPrefix ?? '';
    const tag = `${runId}/load-${randomUUID().slice(0, 8)}`;
    const manifestKey = parseObjectKey(`manifests/${tag}.manifest`);
    const ledgerKey = parseObjectKey(`manifests/${tag}.ledger.ndjson`);
    // A COPY manifest names every object, so COPY loads exactly the planned ones (never a prefix match).
    const manifest = {
      entries: objects.map((o) => ({
        url: s3Url(bucket, `${prefix}${o.key}`),
        mandatory: true,
        meta: { content_length: o.size },
      })),
    };
    await store.put(manifestKey, Buffer.from(JSON.stringify(manifest)), { contentType: 'application/json' });
    await store.put(
      ledgerKey,
      Buffer.from(objects.map((o) => JSON.stringify({ object_key: o.key, size_bytes: o.size })).join('\n')),
      { contentType: 'application/x-ndjson' },
    );
    // redshift/load.sql: a batch takes no parameters, so its values are literals of checked values.
    const values = {
      ledger_url: s3Url(bucket, `${prefix}${ledgerKey}`),
      manifest_url: s3Url(bucket, `${prefix}${manifestKey}`),
      role_arn: parseRoleArn(roleArn),
      manifest_key: manifestKey,
      run_id: runId,
    };
    const { stage, after } = this.sql.load;
    const statements = [...stage, this.sql.insertRawEvents, ...after].map((s) => inlineValues(s, values));
    const description = await this.runBatch(statements, []);
    // The batch's one result set: what it wrote, by column name.
    const result = description.SubStatements?.findIndex((s) => s.HasResultSet) ?? -1;
    if (result < 0) throw new RedshiftDataUsageError(`load batch ${description.Id} returned no counts`);
    const [counts] = await this.results(subStatement(description, result));
    if (Number(counts?.ledger_rows ?? 0) === 0) throw new port.ObjectsLoadedMeanwhileError(objects.length);
    return Number(counts?.events ?? 0);
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
    params: readonly port.SqlValue[],
  ): Promise<StatementDescription> {
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

  private async waitFor(id: string): Promise<StatementDescription> {
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
  private async cancelAtDeadline(id: string, ranMs: number): Promise<StatementDescription> {
    // Already finished, or the cancel was refused: the status below decides.
    await this.cancel(id);
    const until = Date.now() + this.graceMs;
    for (;;) {
      const d = await this.retried(() => this.client.send(new DescribeStatementCommand({ Id: id })));
      if (d.Status === 'FINISHED') return d;
      if (d.Status === 'ABORTED' || d.Status === 'FAILED') throw new StatementTimeoutError(id, ranMs, true);
      if (Date.now() > until) throw new StatementTimeoutError(id, ranMs, false);
      await this.wait(this.pollInitialMs);
    }
  }

  /** Asks the Data API to cancel a statement; a refusal (it ended meanwhile) is reported, not thrown. */
  private async cancel(id: string): Promise<void> {
    try {
      await this.client.send(new CancelStatementCommand({ Id: id }));
    } catch (error) {
      this.warn(
        `could not cancel statement ${id}: ${maskSecrets((error as Error).message, [this.options.secretArn])}`,
      );
    }
  }

  private async results(id: string): Promise<port.Row[]> {
    const rows: port.Row[] = [];
    let token: string | undefined;
    do {
      const page = await this.retried(() =>
        this.client.send(new GetStatementResultCommand({ Id: id, ...(token ? { NextToken: token } : {}) })),
      );
      const names = (page.ColumnMetadata ?? []).map((c) => c.name ?? c.label ?? '?');
      for (const record of page.Records ?? []) {
        const row: port.Row = {};
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
  params: readonly port.SqlValue[],
): { text: string; parameters: SqlParameter[] } {
  const parameters: SqlParameter[] = [];
  const text = sql.replace(/\$(\d+)/g, (all, n: string) => {
    const i = Number(n) - 1;
    if (i >= params.length) return all;
    const v = params[i];
    if (v === null || v === undefined) return 'NULL';
    if (v === '') return "''";
    if (Array.isArray(v)) throw new RedshiftDataUsageError('the Redshift Data API takes no array parameters');
    if (!parameters.some((p) => p.name === `p${n}`)) parameters.push({ name: `p${n}`, value: String(v) });
    return `:p${n}`;
  });
  return { text, parameters };
}

/** The id of a batch's sub-statement `index` (0-based; the Data API numbers them from 1). */
function subStatement(description: StatementDescription, index: number): string {
  return description.SubStatements?.[index]?.Id ?? `${description.Id!}:${index + 1}`;
}
