import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import {
  checkAccessKeyId,
  checkSecretArn,
  databaseUserOfAccessKey,
  databaseUserOfArn,
  DataApiIdentityError,
  quoteIdentifier,
  roleName,
} from './database-users.js';
import { parameterNames, type DataApiParameter } from './sql-parameters.js';
import {
  StatementRunner,
  type DataApiColumn,
  type DataApiField,
  type ObjectReader,
  type StatementOutcome,
} from './statement-runner.js';
import { EltError } from '../../core/util/errors.js';

/** Options of {@link DataApiServer}. */
export interface DataApiServerOptions {
  /** The PostgreSQL server statements run on. */
  readonly postgresUrl: string;
  /** Where COPY reads S3 objects. */
  readonly objects: ObjectReader;
  /** Rows per GetStatementResult page. @default 1000 */
  readonly pageSize?: number;
  /** Statements running at once (the pool size). @default 4 */
  readonly maxConnections?: number;
  /** Statements and their results are kept this long, like the service's 24 hours. @default 24 h */
  readonly retentionMs?: number;
  /**
   * IAM identities by access key id (`AKIA…` → `arn:aws:iam::<account>:role/R`, `…:user/U` or
   * `arn:aws:sts::<account>:assumed-role/R/<session>`): a request signed with the key runs as the database
   * user Redshift maps the identity to, `IAMR:R` or `IAM:U`.
   * @default {} - every access key acts as the IAM user named after it, `IAM:<access key id>`
   */
  readonly identities?: Readonly<Record<string, string>>;
  /**
   * The database user each Secrets Manager secret holds the credentials of, by secret ARN.
   * @default {} - a request with any SecretArn runs as the admin user (the one the endpoint connects as)
   */
  readonly secrets?: Readonly<Record<string, string>>;
  /**
   * A statement whose result set is larger fails with "Database response exceeded size limit".
   * @default DEFAULT_MAX_RESULT_BYTES (100 MB; see result-limits.ts for why not 500)
   */
  readonly maxResultBytes?: number;
}

/** The endpoint cannot run on this PostgreSQL server; the message says why. */
export class DataApiSetupError extends EltError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

type Status = 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'ABORTED' | 'FAILED';

interface SubStatement {
  id: string;
  sql: string;
  status: Status;
  error?: string;
  outcome?: StatementOutcome;
  createdAt: number;
  updatedAt: number;
  duration?: number;
}

interface Statement {
  id: string;
  batch: boolean;
  request: Record<string, unknown>;
  parameters: DataApiParameter[];
  /** The caller's IAM identity as a database user name: ListStatements shows a caller its own. */
  caller: string;
  /** The database user the statement runs as. */
  user: string;
  subs: SubStatement[];
  status: Status;
  error?: string;
  createdAt: number;
  updatedAt: number;
  pid?: number;
  clientToken?: string;
  statementName?: string;
  cancel?: () => void;
}

/** An error the Data API returns, with its type. */
class ApiError extends EltError {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const epoch = (ms: number): number => ms / 1000;

// SqlParameter.name: pattern [0-9a-zA-Z_]+; value: minimum length 1 (API_SqlParameter.html).
const PARAMETER_NAME = /^[0-9a-zA-Z_]+$/;
// The access key id of a SigV4 Authorization header: Credential=<AKID>/<date>/<region>/<service>/aws4_request.
const CREDENTIAL = /\bCredential=([^/,\s]+)\//;

/**
 * A local endpoint for the Amazon Redshift Data API (JSON 1.1 protocol) over PostgreSQL:
 * ExecuteStatement, BatchExecuteStatement, DescribeStatement, GetStatementResult, ListStatements and
 * CancelStatement. Statements run asynchronously and move through SUBMITTED → STARTED → FINISHED, FAILED
 * or ABORTED; results page with NextToken; a repeated ClientToken returns the first statement instead of
 * running it again; errors come back as the service shapes them (`__type`, `message`). SQL runs as
 * PostgreSQL SQL, except COPY from S3, which the endpoint plays by reading the objects.
 *
 * Strict where the service is: each caller runs as its own database user (a PostgreSQL role made on first
 * use, `IAMR:<role>`, `IAM:<user>`, a secret's user or `DbUser`), so ownership and grants behave as on
 * Redshift; results over the row and result-set limits fail; empty or unreferenced parameters are
 * refused; PRIMARY KEY and UNIQUE are not enforced. The SigV4 signature itself is not verified: the access
 * key id it names is taken as the caller.
 */
export class DataApiServer {
  private readonly pool: pg.Pool;
  private readonly runner: StatementRunner;
  private readonly statements = new Map<string, Statement>();
  private readonly tokens = new Map<string, { id: string; fingerprint: string }>();
  private readonly server: Server;
  private readonly pageSize: number;
  private readonly retentionMs: number;
  private readonly identities = new Map<string, string>();
  private readonly secrets = new Map<string, string>();
  private readonly roles = new Map<string, Promise<void>>();
  /** The user the endpoint connects as (a superuser, like the admin user whose secret Redshift makes). */
  private admin = '';

  /** @throws DataApiIdentityError when an identity or secret mapping is malformed */
  constructor(private readonly options: DataApiServerOptions) {
    for (const [accessKeyId, arn] of Object.entries(options.identities ?? {})) {
      checkAccessKeyId(accessKeyId);
      this.identities.set(accessKeyId, databaseUserOfArn(arn));
    }
    for (const [secretArn, user] of Object.entries(options.secrets ?? {})) {
      checkSecretArn(secretArn);
      this.secrets.set(secretArn, roleName(user, `the secret ${secretArn}`));
    }
    this.pool = new pg.Pool({
      connectionString: options.postgresUrl,
      max: options.maxConnections ?? 4,
      application_name: 'elt-dataapi',
    });
    this.runner = new StatementRunner(options.objects, {
      ...(options.maxResultBytes !== undefined ? { maxResultBytes: options.maxResultBytes } : {}),
    });
    this.pageSize = options.pageSize ?? 1000;
    this.retentionMs = options.retentionMs ?? 24 * 3600_000;
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /**
   * Checks that the endpoint connects as a superuser (it makes a role per caller and switches to it), lets
   * every user create in schema public as Redshift does, then listens on 127.0.0.1; resolves with the
   * endpoint URL. Port 0 picks a free port.
   * @throws DataApiSetupError when the PostgreSQL user is not a superuser
   */
  async listen(port = 0): Promise<string> {
    await this.prepareDatabase();
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stops accepting requests, waits for running statements, closes the pool. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await this.pool.end();
  }

  private async prepareDatabase(): Promise<void> {
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ name: string; superuser: boolean }>(
        'SELECT rolname AS name, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user',
      );
      const me = rows[0];
      if (!me?.superuser) {
        throw new DataApiSetupError(
          `the local Data API endpoint must connect to PostgreSQL as a superuser (it creates a role per caller and runs each statement with SET ROLE); ${me?.name ?? 'the user of --postgres'} is not one`,
        );
      }
      this.admin = me.name;
      // Redshift gives every user CREATE and USAGE on schema public; PostgreSQL 15 and later give USAGE only.
      await client.query('GRANT USAGE, CREATE ON SCHEMA public TO PUBLIC');
    } finally {
      client.release();
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown, type?: string): void => {
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': randomUUID(),
        ...(type ? { 'x-amzn-errortype': type } : {}),
      });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method !== 'POST')
        throw new ApiError('UnknownOperationException', 'The Data API accepts POST requests only', 404);
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = /^RedshiftData\.([A-Za-z]+)$/.exec(target)?.[1];
      if (!operation)
        throw new ApiError('UnknownOperationException', `Unknown target ${JSON.stringify(target)}`, 404);
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      let input: Record<string, unknown>;
      try {
        input = chunks.length
          ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>)
          : {};
      } catch {
        throw new ApiError('SerializationException', 'The request body is not valid JSON');
      }
      const caller = this.caller(req);
      this.expire();
      send(200, await this.dispatch(operation, input, caller));
    } catch (error) {
      if (error instanceof ApiError)
        send(error.status, { __type: error.type, message: error.message, ...error.extra }, error.type);
      else
        send(
          500,
          { __type: 'InternalServerException', message: (error as Error).message },
          'InternalServerException',
        );
    }
  }

  /** The caller's IAM identity, as a database user name, from the access key id its request is signed with. */
  private caller(req: IncomingMessage): string {
    const authorization = req.headers.authorization;
    if (!authorization)
      throw new ApiError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
    const accessKeyId = CREDENTIAL.exec(authorization)?.[1];
    if (!accessKeyId) {
      throw new ApiError(
        'IncompleteSignatureException',
        'Authorization header requires a Credential parameter of the form <access key id>/<date>/<region>/redshift-data/aws4_request',
        403,
      );
    }
    const mapped = this.identities.get(accessKeyId);
    if (mapped) return mapped;
    try {
      return databaseUserOfAccessKey(accessKeyId);
    } catch (error) {
      if (error instanceof DataApiIdentityError)
        throw new ApiError('UnrecognizedClientException', error.message, 403);
      throw error;
    }
  }

  /** The database user a statement runs as: a secret's user (the admin by default), DbUser, or the caller. */
  private databaseUser(input: Record<string, unknown>, caller: string): string {
    if (typeof input.SecretArn === 'string') return this.secrets.get(input.SecretArn) ?? this.admin;
    if (typeof input.ClusterIdentifier === 'string' && typeof input.DbUser === 'string') {
      try {
        return roleName(input.DbUser, 'DbUser');
      } catch (error) {
        if (error instanceof DataApiIdentityError) throw new ApiError('ValidationException', error.message);
        throw error;
      }
    }
    return caller;
  }

  private async dispatch(
    operation: string,
    input: Record<string, unknown>,
    caller: string,
  ): Promise<unknown> {
    switch (operation) {
      case 'ExecuteStatement':
        return this.submit(input, false, caller);
      case 'BatchExecuteStatement':
        return this.submit(input, true, caller);
      case 'DescribeStatement':
        return this.describe(input);
      case 'GetStatementResult':
        return this.result(input);
      case 'ListStatements':
        return this.list(input, caller);
      case 'CancelStatement':
        return this.cancel(input);
      default:
        throw new ApiError(
          'UnknownOperationException',
          `The local Data API endpoint does not implement ${operation}`,
          400,
        );
    }
  }

  private submit(input: Record<string, unknown>, batch: boolean, caller: string): unknown {
    const sqls = batch ? input.Sqls : [input.Sql];
    if (
      !Array.isArray(sqls) ||
      sqls.length === 0 ||
      !sqls.every((s) => typeof s === 'string' && s.trim() !== '')
    ) {
      throw new ApiError(
        'ValidationException',
        batch ? 'Sqls must be a list of 1 to 40 non-empty SQL statements' : 'Sql is required',
      );
    }
    if (batch && sqls.length > 40)
      throw new ApiError('ValidationException', 'Sqls can contain at most 40 statements');
    for (const s of sqls as string[]) {
      if (Buffer.byteLength(s) > 100_000)
        throw new ApiError('ValidationException', 'A SQL statement cannot exceed 100 KB');
    }
    const hasWorkgroup = typeof input.WorkgroupName === 'string';
    const hasCluster = typeof input.ClusterIdentifier === 'string';
    if (hasWorkgroup === hasCluster) {
      throw new ApiError(
        'ValidationException',
        'Either ClusterIdentifier or WorkgroupName must be specified, but not both',
      );
    }
    if (typeof input.Database !== 'string' && typeof input.SessionId !== 'string') {
      throw new ApiError('ValidationException', 'Database is required');
    }
    const parameters = checkParameters(input.Parameters, sqls as string[], batch);
    const user = this.databaseUser(input, caller);
    // A ClientToken is the caller's own: another caller's request with the same token is another request.
    const token = typeof input.ClientToken === 'string' ? input.ClientToken : undefined;
    const tokenKey = `${caller}\n${token}`;
    if (token !== undefined) {
      if (token.length < 1 || token.length > 64)
        throw new ApiError('ValidationException', 'ClientToken must be 1 to 64 characters');
      const fingerprint = JSON.stringify({ ...input, ClientToken: undefined });
      const seen = this.tokens.get(tokenKey);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          throw new ApiError(
            'ValidationException',
            'The ClientToken was already used with a different request',
          );
        }
        return this.submission(this.statements.get(seen.id)!);
      }
    }
    const now = Date.now();
    const id = randomUUID();
    const statement: Statement = {
      id,
      batch,
      request: input,
      parameters,
      caller,
      user,
      subs: (sqls as string[]).map((sql, i) => ({
        id: batch ? `${id}:${i + 1}` : id,
        sql,
        status: 'SUBMITTED',
        createdAt: now,
        updatedAt: now,
      })),
      status: 'SUBMITTED',
      createdAt: now,
      updatedAt: now,
      ...(token ? { clientToken: token } : {}),
      ...(typeof input.StatementName === 'string' ? { statementName: input.StatementName } : {}),
    };
    this.statements.set(id, statement);
    if (token)
      this.tokens.set(tokenKey, { id, fingerprint: JSON.stringify({ ...input, ClientToken: undefined }) });
    void this.execute(statement);
    return this.submission(statement);
  }

  private submission(s: Statement): unknown {
    const r = s.request;
    return {
      Id: s.id,
      CreatedAt: epoch(s.createdAt),
      ...(typeof r.Database === 'string' ? { Database: r.Database } : {}),
      ...(typeof r.WorkgroupName === 'string' ? { WorkgroupName: r.WorkgroupName } : {}),
      ...(typeof r.ClusterIdentifier === 'string' ? { ClusterIdentifier: r.ClusterIdentifier } : {}),
      ...(typeof r.DbUser === 'string' ? { DbUser: r.DbUser } : {}),
      ...(typeof r.SecretArn === 'string' ? { SecretArn: r.SecretArn } : {}),
    };
  }

  private async execute(s: Statement): Promise<void> {
    let client: pg.PoolClient | undefined;
    try {
      client = await this.pool.connect();
      if (aborted(s)) return;
      const pidRow = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      s.pid = pidRow.rows[0]!.pid;
      // Cancellation runs as the admin, on another connection.
      s.cancel = () =>
        void this.pool
          .query('SELECT pg_cancel_backend($1)', [s.pid])
          .catch((error: unknown) =>
            process.stderr.write(
              `elt dataapi: warning: cancelling statement ${s.id} failed: ${(error as Error).message}\n`,
            ),
          );
      this.move(s, 'STARTED');
      const asRole = s.user !== this.admin;
      if (asRole) await this.ensureRole(client, s.user);
      // A batch runs as one transaction, as BatchExecuteStatement does, its user set for that transaction;
      // a single statement autocommits, its user set until release() resets it.
      if (s.batch) {
        await client.query('BEGIN');
        if (asRole) await client.query(`SET LOCAL ROLE ${quoteIdentifier(s.user)}`);
      } else if (asRole) {
        await client.query(`SET ROLE ${quoteIdentifier(s.user)}`);
      }
      for (const sub of s.subs) {
        if (aborted(s)) throw new Error('canceled');
        sub.status = 'STARTED';
        sub.updatedAt = Date.now();
        const t0 = process.hrtime.bigint();
        try {
          sub.outcome = await this.runner.run(client, sub.sql, s.parameters, { inBatch: s.batch });
        } catch (error) {
          sub.status = aborted(s) ? 'ABORTED' : 'FAILED';
          sub.error = errorText(error);
          sub.updatedAt = Date.now();
          for (const rest of s.subs.filter((x) => x.status === 'SUBMITTED')) rest.status = 'ABORTED';
          throw error;
        }
        sub.duration = Number(process.hrtime.bigint() - t0);
        sub.status = 'FINISHED';
        sub.updatedAt = Date.now();
      }
      if (s.batch) await client.query('COMMIT');
      this.move(s, 'FINISHED');
    } catch (error) {
      if (s.batch && client) await client.query('ROLLBACK').catch(() => undefined);
      const wasAborted =
        aborted(s) || /canceling statement due to user request|canceled/.test((error as Error).message);
      s.error = errorText(error);
      this.move(s, wasAborted ? 'ABORTED' : 'FAILED');
    } finally {
      if (client) await release(client);
    }
  }

  /**
   * Makes the caller's role on its first statement. Roles belong to the whole PostgreSQL server, and other
   * endpoints (other test files) may make the same one at the same time: "already exists" is success.
   */
  private ensureRole(client: pg.PoolClient, name: string): Promise<void> {
    let ready = this.roles.get(name);
    if (!ready) {
      ready = createRole(client, name);
      this.roles.set(name, ready);
      ready.catch(() => this.roles.delete(name));
    }
    return ready;
  }

  private move(s: Statement, status: Status): void {
    s.status = status;
    s.updatedAt = Date.now();
  }

  private find(id: unknown): { statement: Statement; sub?: SubStatement } {
    if (typeof id !== 'string' || id === '') throw new ApiError('ValidationException', 'Id is required');
    const [base, index] = id.split(':');
    const statement = this.statements.get(base!);
    if (!statement)
      throw new ApiError('ResourceNotFoundException', `Query does not exist: ${id}`, 400, { ResourceId: id });
    if (index === undefined) return { statement };
    const sub = statement.subs.find((x) => x.id === id);
    if (!sub)
      throw new ApiError('ResourceNotFoundException', `Query does not exist: ${id}`, 400, { ResourceId: id });
    return { statement, sub };
  }

  private describe(input: Record<string, unknown>): unknown {
    const { statement: s, sub } = this.find(input.Id);
    const r = s.request;
    const common = {
      ...(typeof r.Database === 'string' ? { Database: r.Database } : {}),
      ...(typeof r.WorkgroupName === 'string' ? { WorkgroupName: r.WorkgroupName } : {}),
      ...(typeof r.ClusterIdentifier === 'string' ? { ClusterIdentifier: r.ClusterIdentifier } : {}),
      ...(typeof r.DbUser === 'string' ? { DbUser: r.DbUser } : {}),
      ...(typeof r.SecretArn === 'string' ? { SecretArn: r.SecretArn } : {}),
      ...(s.pid ? { RedshiftPid: s.pid } : {}),
    };
    const view = (x: SubStatement) => ({
      Id: x.id,
      Status: x.status,
      QueryString: x.sql,
      CreatedAt: epoch(x.createdAt),
      UpdatedAt: epoch(x.updatedAt),
      Duration: x.duration ?? -1,
      HasResultSet: Boolean(x.outcome?.columns),
      ResultRows: x.outcome ? x.outcome.rowCount : -1,
      ResultSize: x.outcome?.resultBytes ?? 0,
      ...(x.error ? { Error: x.error } : {}),
    });
    if (sub) return { ...common, ...view(sub) };
    if (!s.batch) {
      const only = s.subs[0]!;
      return {
        ...common,
        ...view(only),
        Status: s.status,
        ...(s.error ? { Error: s.error } : {}),
        QueryParameters: s.parameters,
      };
    }
    return {
      ...common,
      Id: s.id,
      Status: s.status,
      CreatedAt: epoch(s.createdAt),
      UpdatedAt: epoch(s.updatedAt),
      Duration: s.subs.reduce((n, x) => n + (x.duration ?? 0), 0),
      HasResultSet: false,
      ResultRows: s.subs.reduce((n, x) => n + (x.outcome?.rowCount ?? 0), 0),
      ResultSize: 0,
      QueryString: s.subs.map((x) => x.sql).join('; '),
      SubStatements: s.subs.map(view),
      ...(s.error ? { Error: s.error } : {}),
    };
  }

  private result(input: Record<string, unknown>): unknown {
    const { statement, sub } = this.find(input.Id);
    const target = sub ?? (statement.batch ? undefined : statement.subs[0]);
    if (!target)
      throw new ApiError(
        'ValidationException',
        'A batch has no result of its own: ask for a sub-statement id (Id:N)',
      );
    if (target.status !== 'FINISHED') {
      throw new ApiError('ValidationException', `Query has not finished: its status is ${target.status}`);
    }
    if (!target.outcome?.columns)
      throw new ApiError(
        'ResourceNotFoundException',
        'Query does not have result. Please check query status with DescribeStatement.',
        400,
        { ResourceId: target.id },
      );
    const records = target.outcome.records ?? [];
    const start =
      input.NextToken === undefined
        ? 0
        : Number(Buffer.from(String(input.NextToken), 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0 || start > records.length)
      throw new ApiError('ValidationException', 'NextToken is not valid');
    const end = Math.min(records.length, start + this.pageSize);
    return {
      Records: records.slice(start, end) as DataApiField[][],
      ColumnMetadata: target.outcome.columns as DataApiColumn[],
      TotalNumRows: records.length,
      ...(end < records.length ? { NextToken: Buffer.from(String(end)).toString('base64url') } : {}),
    };
  }

  private list(input: Record<string, unknown>, caller: string): unknown {
    const max = typeof input.MaxResults === 'number' ? input.MaxResults : 100;
    if (max < 0 || max > 100)
      throw new ApiError('ValidationException', 'MaxResults must be between 0 and 100');
    // The caller's statements only: Redshift lists those of the caller's IAM role (RoleLevel true, the
    // default) or of its session (false); here both are the statements of the caller's mapped identity.
    const all = [...this.statements.values()]
      .filter((s) => s.caller === caller)
      .filter((s) => input.Status === undefined || input.Status === 'ALL' || s.status === input.Status)
      .filter(
        (s) => input.StatementName === undefined || s.statementName?.startsWith(String(input.StatementName)),
      )
      .sort((a, b) => b.createdAt - a.createdAt);
    const start =
      input.NextToken === undefined
        ? 0
        : Number(Buffer.from(String(input.NextToken), 'base64url').toString('utf8'));
    const page = all.slice(start, start + (max || 100));
    return {
      Statements: page.map((s) => ({
        Id: s.id,
        Status: s.status,
        CreatedAt: epoch(s.createdAt),
        UpdatedAt: epoch(s.updatedAt),
        IsBatchStatement: s.batch,
        ...(s.batch ? { QueryStrings: s.subs.map((x) => x.sql) } : { QueryString: s.subs[0]!.sql }),
        ...(s.statementName ? { StatementName: s.statementName } : {}),
      })),
      ...(start + page.length < all.length
        ? { NextToken: Buffer.from(String(start + page.length)).toString('base64url') }
        : {}),
    };
  }

  private cancel(input: Record<string, unknown>): unknown {
    const { statement: s } = this.find(input.Id);
    if (s.status !== 'SUBMITTED' && s.status !== 'PICKED' && s.status !== 'STARTED') {
      throw new ApiError(
        'ValidationException',
        `Could not cancel a query that is already in ${s.status} state`,
      );
    }
    this.move(s, 'ABORTED');
    s.cancel?.();
    return { Status: true };
  }

  private expire(): void {
    const before = Date.now() - this.retentionMs;
    for (const [id, s] of this.statements) {
      if (s.updatedAt < before) {
        this.statements.delete(id);
        if (s.clientToken) this.tokens.delete(`${s.caller}\n${s.clientToken}`);
      }
    }
  }
}

// A function, not an inline comparison: the status changes under an await (CancelStatement).
function aborted(s: Statement): boolean {
  return s.status === 'ABORTED';
}

function errorText(error: unknown): string {
  const e = error as { message?: string; code?: string };
  return e.code ? `ERROR: ${e.message} (SQLSTATE ${e.code})` : `ERROR: ${e.message ?? String(error)}`;
}

/**
 * Checks the Parameters of a request as the service does: names of letters, digits and _, values not
 * empty (SqlParameter.value has a minimum length of 1), and every parameter referenced by the statement —
 * by at least one statement of a batch ("Each provided parameter must be referenced by at least one SQL
 * statement in the batch", BatchExecuteStatement).
 */
function checkParameters(raw: unknown, sqls: readonly string[], batch: boolean): DataApiParameter[] {
  if (raw === undefined) return [];
  if (
    !Array.isArray(raw) ||
    !raw.every(
      (p: { name?: unknown; value?: unknown }) => typeof p?.name === 'string' && typeof p.value === 'string',
    )
  ) {
    throw new ApiError('ValidationException', 'Parameters must be a list of {name, value} strings');
  }
  const parameters = raw as DataApiParameter[];
  const problems: string[] = [];
  parameters.forEach((p, i) => {
    if (!PARAMETER_NAME.test(p.name))
      problems.push(
        `Value '${p.name}' at 'parameters.${i + 1}.member.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z_]+`,
      );
    if (p.value.length < 1)
      problems.push(
        `Value '${p.value}' at 'parameters.${i + 1}.member.value' failed to satisfy constraint: Member must have length greater than or equal to 1`,
      );
  });
  if (problems.length > 0) {
    throw new ApiError(
      'ValidationException',
      `${problems.length} validation error${problems.length > 1 ? 's' : ''} detected: ${problems.join('; ')}`,
    );
  }
  const referenced = new Set(sqls.flatMap((sql) => [...parameterNames(sql)]));
  const unreferenced = parameters.filter((p) => !referenced.has(p.name)).map((p) => p.name);
  if (unreferenced.length > 0) {
    throw new ApiError(
      'ValidationException',
      batch
        ? `Each provided parameter must be referenced by at least one SQL statement in the batch: ${unreferenced.join(', ')} ${unreferenced.length > 1 ? 'are' : 'is'} not`
        : `Each provided parameter must be referenced by the SQL statement: ${unreferenced.join(', ')} ${unreferenced.length > 1 ? 'are' : 'is'} not`,
    );
  }
  return parameters;
}

async function createRole(client: pg.PoolClient, name: string): Promise<void> {
  const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
  if (exists.rowCount) return;
  try {
    await client.query(`CREATE ROLE ${quoteIdentifier(name)} NOLOGIN`);
  } catch (error) {
    // duplicate_object, or unique_violation when another session created it at the same moment
    const code = (error as { code?: string }).code;
    if (code !== '42710' && code !== '23505') throw error;
  }
}

/**
 * Gives a connection back to the pool as the admin, in a fresh session: the role reset, then DISCARD ALL,
 * as each Data API statement or batch is a session of its own on Redshift (its temporary tables and
 * settings end with it, and must not reach the next caller of this connection). A connection that cannot be
 * reset (a statement left a transaction open) is closed instead.
 */
async function release(client: pg.PoolClient): Promise<void> {
  try {
    await client.query('RESET ROLE');
    await client.query('DISCARD ALL');
    client.release();
  } catch (error) {
    client.release(error as Error);
  }
}
