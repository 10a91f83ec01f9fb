import { EltError } from '../../core/util/errors.js';

/**
 * Clients of the two REST APIs of a Flink session cluster (scripts/services/flink.sh locally): the SQL Gateway,
 * which takes SQL statements and submits their jobs, and the JobManager, which reports jobs, vertices,
 * backpressure, metrics and checkpoints. Plain `fetch`; every failure is a {@link FlinkError} naming the URL.
 */

/** The base of this module's errors. */
export class FlinkError extends EltError {}

/** A REST call that did not answer, or answered with an error: the URL and the server's own text. */
export class FlinkRequestError extends FlinkError {
  constructor(
    message: string,
    readonly url: string,
    readonly status?: number,
    options?: { cause?: unknown; serverText?: string },
  ) {
    super(message, options);
    this.serverText = options?.serverText;
  }

  /** The server's own error text (the useful line of it), when it answered with an error. */
  readonly serverText: string | undefined;
}

/** A SQL statement the gateway accepted but could not run (a validation or planning error, a failed job). */
export class FlinkStatementError extends FlinkError {
  constructor(
    message: string,
    readonly statement: string,
  ) {
    super(message);
  }
}

/** A statement, job state or checkpoint that was not reached in time. */
export class FlinkTimeoutError extends FlinkError {}

/** Per request, and how long a statement may take unless told. */
export interface FlinkClientOptions {
  /** @default 30000 */
  readonly requestTimeoutMs?: number;
}

/** The default addresses of scripts/services/flink.sh (ELT_FLINK_REST_PORT, ELT_FLINK_GATEWAY_PORT). */
export const DEFAULT_FLINK_REST_URL = 'http://127.0.0.1:8081';
export const DEFAULT_FLINK_GATEWAY_URL = 'http://127.0.0.1:8084';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The states a job ends in. */
const ENDED_STATES: readonly string[] = ['FAILED', 'CANCELED', 'FINISHED'];

/**
 * The useful line of a Flink server error. The REST APIs answer `{"errors": ["Internal server error.",
 * "<Exception on server side: …stack…>"]}`: the cause that is not the gateway's own wrapper says what went wrong
 * (e.g. "ValidationException: SQL validation failed. … Object 'nope' not found").
 */
export function flinkErrorText(body: string): string {
  let errors: unknown;
  try {
    errors = (JSON.parse(body) as { errors?: unknown }).errors;
  } catch {
    return body.trim().slice(0, 500) || '(empty answer)';
  }
  if (!Array.isArray(errors) || errors.length === 0) return body.trim().slice(0, 500);
  const text = errors.map(String).join('\n');
  const causes = [
    ...text.matchAll(/^(?:Caused by: |<Exception on server side:\n)?([\w$.]+(?:Exception|Error)): (.*)$/gm),
  ]
    .map((m) => ({ cls: m[1]!, message: m[2]!.trim() }))
    .filter(
      (c) =>
        !/^org\.apache\.flink\.(?:table\.gateway|runtime\.rest)\./.test(c.cls) &&
        !/^java\.util\.concurrent\.(?:Completion|Execution)Exception$/.test(c.cls),
    );
  const first = causes[0];
  if (first) return `${first.cls.split('.').at(-1)}: ${first.message}`.slice(0, 1000);
  const line = text.split('\n').find((l) => l.trim() !== '' && !/^Internal server error\.?$/.test(l.trim()));
  return (line ?? text).trim().slice(0, 1000);
}

/** One JSON REST call; `label` names the server in messages ("the Flink SQL Gateway"). */
async function call<T>(
  label: string,
  base: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body: unknown,
  timeoutMs: number,
): Promise<T> {
  const url = `${base.replace(/\/$/, '')}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    const why = e.cause?.code ?? e.message;
    throw new FlinkRequestError(
      `${label} did not answer ${method} ${url}: ${why} (start it: npm run flink:up)`,
      url,
      undefined,
      { cause: error },
    );
  }
  const text = await res.text();
  if (!res.ok) {
    const serverText = flinkErrorText(text);
    throw new FlinkRequestError(
      `${label} refused ${method} ${url} (HTTP ${res.status}): ${serverText}`,
      url,
      res.status,
      {
        serverText,
      },
    );
  }
  try {
    return (text === '' ? {} : JSON.parse(text)) as T;
  } catch (error) {
    throw new FlinkRequestError(
      `${label} answered ${method} ${url} with something other than JSON: ${text.slice(0, 200)}`,
      url,
      res.status,
      { cause: error },
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// SQL Gateway (REST endpoint, API v1+)

/** GET /v1/info. */
export interface GatewayInfo {
  readonly productName: string;
  readonly version: string;
}

/** A column of a result. */
export interface ResultColumn {
  readonly name: string;
  readonly logicalType: { readonly type: string; readonly nullable?: boolean };
}

/** A row of a result: its change kind (INSERT, UPDATE_BEFORE, UPDATE_AFTER, DELETE) and its fields in order. */
export interface ResultRow {
  readonly kind: string;
  readonly fields: readonly unknown[];
}

/** What a statement returned. */
export interface StatementResult {
  readonly operationHandle: string;
  /** The job the statement started (INSERT INTO, a SELECT), if any. */
  readonly jobId?: string;
  /** SUCCESS (DDL) or SUCCESS_WITH_CONTENT. */
  readonly resultKind?: string;
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly ResultRow[];
  /** Whether every row was read (EOS reached); false when `maxRows` stopped the read of an unbounded result. */
  readonly complete: boolean;
}

/** The state of an operation (GET …/operations/{op}/status). */
export type OperationStatus =
  'INITIALIZED' | 'PENDING' | 'RUNNING' | 'FINISHED' | 'CANCELED' | 'CLOSED' | 'ERROR' | 'TIMEOUT';

interface ResultPage {
  readonly resultType: 'NOT_READY' | 'PAYLOAD' | 'EOS';
  readonly isQueryResult?: boolean;
  readonly jobID?: string;
  readonly resultKind?: string;
  readonly results?: { readonly columns?: readonly ResultColumn[]; readonly data?: readonly ResultRow[] };
  readonly nextResultUri?: string | null;
}

/** Options of {@link FlinkSqlSession.execute}. */
export interface ExecuteOptions {
  /** How long the statement may run before its result is ready. @default 120000 */
  readonly timeoutMs?: number;
  /** Stop reading after this many rows (an unbounded streaming SELECT never ends). @default unlimited */
  readonly maxRows?: number;
}

/** The Flink SQL Gateway's REST API. */
export class FlinkSqlGateway {
  private readonly timeoutMs: number;

  constructor(
    readonly url: string = DEFAULT_FLINK_GATEWAY_URL,
    options: FlinkClientOptions = {},
  ) {
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  /** @internal One call to the gateway. */
  request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return call<T>(`the Flink SQL Gateway at ${this.url}`, this.url, method, path, body, this.timeoutMs);
  }

  /** Product name and version; answers once the gateway has started. */
  info(): Promise<GatewayInfo> {
    return this.request<GatewayInfo>('GET', '/v1/info');
  }

  /**
   * Opens a session: its catalog (tables created with CREATE TABLE) and its settings (`SET`) last until it is
   * closed or idle for `sql-gateway.session.idle-timeout` (10 min by default). `properties` are session settings,
   * e.g. `{'pipeline.name': 'logins-per-minute'}`.
   */
  async openSession(
    options: { readonly name?: string; readonly properties?: Readonly<Record<string, string>> } = {},
  ): Promise<FlinkSqlSession> {
    const { sessionHandle } = await this.request<{ sessionHandle: string }>('POST', '/v1/sessions', {
      ...(options.name ? { sessionName: options.name } : {}),
      ...(options.properties ? { properties: options.properties } : {}),
    });
    return new FlinkSqlSession(this, sessionHandle);
  }
}

/** One session of the SQL Gateway. */
export class FlinkSqlSession {
  constructor(
    private readonly gateway: FlinkSqlGateway,
    readonly handle: string,
  ) {}

  private path(suffix = ''): string {
    return `/v1/sessions/${encodeURIComponent(this.handle)}${suffix}`;
  }

  /** Submits one statement and returns its operation handle at once (the statement runs on). */
  async submit(statement: string): Promise<string> {
    const { operationHandle } = await this.gateway.request<{ operationHandle: string }>(
      'POST',
      this.path('/statements'),
      { statement },
    );
    return operationHandle;
  }

  /** The state of an operation. */
  async status(operation: string): Promise<OperationStatus> {
    const { status } = await this.gateway.request<{ status: OperationStatus }>(
      'GET',
      this.path(`/operations/${encodeURIComponent(operation)}/status`),
    );
    return status;
  }

  /**
   * Runs one statement and waits for its result: DDL returns OK, `INSERT INTO` returns once its job is
   * submitted (with `jobId`; the job runs on in the cluster), a bounded SELECT returns its rows. Fails with
   * the planner's or the job's own message.
   */
  async execute(statement: string, options: ExecuteOptions = {}): Promise<StatementResult> {
    const timeoutMs = options.timeoutMs ?? 120_000;
    const deadline = Date.now() + timeoutMs;
    const operation = await this.submit(statement);
    let status = await this.status(operation);
    for (let wait = 50; status === 'INITIALIZED' || status === 'PENDING' || status === 'RUNNING';) {
      // A query's results can be read while it runs: a streaming SELECT stays RUNNING.
      if (status === 'RUNNING' && options.maxRows !== undefined) break;
      if (Date.now() >= deadline) {
        await this.cancel(operation).catch(() => undefined);
        throw new FlinkTimeoutError(
          `the Flink SQL Gateway at ${this.gateway.url} did not finish a statement within ${timeoutMs} ms (it was cancelled): ${abbreviate(statement)}`,
        );
      }
      await sleep(wait);
      wait = Math.min(wait * 2, 500);
      status = await this.status(operation);
    }
    if (status !== 'FINISHED' && status !== 'RUNNING') {
      // The result endpoint carries the error of an operation that failed.
      const why = await this.fetchPage(operation, 0).then(
        () => `the operation ended ${status}`,
        (error: unknown) => (error instanceof FlinkRequestError && error.serverText) || String(error),
      );
      throw new FlinkStatementError(
        `Flink SQL failed on the gateway at ${this.gateway.url}: ${why} — in: ${abbreviate(statement)}`,
        statement,
      );
    }
    return this.readResults(operation, statement, deadline, options.maxRows);
  }

  /** Reads every page of an operation's result, from token 0, following `nextResultUri`. */
  private async readResults(
    operation: string,
    statement: string,
    deadline: number,
    maxRows = Number.POSITIVE_INFINITY,
  ): Promise<StatementResult> {
    const rows: ResultRow[] = [];
    let columns: readonly ResultColumn[] = [];
    let jobId: string | undefined;
    let resultKind: string | undefined;
    let next: string | null | undefined = this.resultPath(operation, 0);
    while (next) {
      let page: ResultPage;
      try {
        page = await this.gateway.request<ResultPage>('GET', withJsonRows(next));
      } catch (error) {
        if (!(error instanceof FlinkRequestError) || !error.serverText) throw error;
        throw new FlinkStatementError(
          `Flink SQL failed on the gateway at ${this.gateway.url} while its result was read: ${error.serverText} — in: ${abbreviate(statement)}`,
          statement,
        );
      }
      jobId ??= page.jobID;
      resultKind ??= page.resultKind;
      if (page.results?.columns?.length) columns = page.results.columns;
      rows.push(...(page.results?.data ?? []));
      if (page.resultType === 'EOS' || rows.length >= maxRows) {
        return {
          operationHandle: operation,
          ...(jobId ? { jobId } : {}),
          ...(resultKind ? { resultKind } : {}),
          columns,
          rows: rows.slice(0, maxRows),
          complete: page.resultType === 'EOS',
        };
      }
      if (page.resultType === 'NOT_READY' || (page.results?.data ?? []).length === 0) {
        if (Date.now() >= deadline)
          throw new FlinkTimeoutError(
            `the Flink SQL Gateway at ${this.gateway.url} had read ${rows.length} rows and no end of the result at the deadline: ${abbreviate(statement)}`,
          );
        await sleep(200);
      }
      next = page.nextResultUri;
    }
    return {
      operationHandle: operation,
      ...(jobId ? { jobId } : {}),
      ...(resultKind ? { resultKind } : {}),
      columns,
      rows,
      complete: true,
    };
  }

  /** One page of an operation's result. */
  fetchPage(operation: string, token: number): Promise<ResultPage> {
    return this.gateway.request<ResultPage>('GET', withJsonRows(this.resultPath(operation, token)));
  }

  private resultPath(operation: string, token: number): string {
    return this.path(`/operations/${encodeURIComponent(operation)}/result/${token}`);
  }

  /** Cancels an operation (not the job an INSERT submitted: cancel that with {@link FlinkJobManager.cancel}). */
  async cancel(operation: string): Promise<void> {
    await this.gateway.request('POST', this.path(`/operations/${encodeURIComponent(operation)}/cancel`));
  }

  /** Closes the session; jobs it submitted run on. A session already gone counts as closed. */
  async close(): Promise<void> {
    try {
      await this.gateway.request('DELETE', this.path());
    } catch (error) {
      if (
        error instanceof FlinkRequestError &&
        (error.status === 404 || /does not exist/.test(error.message))
      )
        return;
      throw error;
    }
  }
}

function withJsonRows(path: string): string {
  return /[?&]rowFormat=/.test(path) ? path : `${path}${path.includes('?') ? '&' : '?'}rowFormat=JSON`;
}

function abbreviate(statement: string): string {
  const flat = statement.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}…` : flat;
}

// ---------------------------------------------------------------------------------------------------------
// JobManager (REST API of the cluster)

/** GET /overview. */
export interface ClusterOverview {
  readonly taskmanagers: number;
  readonly 'slots-total': number;
  readonly 'slots-available': number;
  readonly 'jobs-running': number;
  readonly 'flink-version': string;
}

/** A job's state: CREATED, RUNNING, FAILING, FAILED, CANCELLING, CANCELED, FINISHED, RESTARTING, … */
export type JobState = string;

/** One job of GET /jobs/overview. */
export interface JobSummary {
  readonly jid: string;
  readonly name: string;
  readonly state: JobState;
  readonly 'start-time': number;
  readonly 'end-time': number;
}

/** One vertex (a chain of operators) of a job. */
export interface JobVertex {
  readonly id: string;
  readonly name: string;
  readonly parallelism: number;
  readonly status: string;
}

/** GET /jobs/:jid. */
export interface JobDetails {
  readonly jid: string;
  readonly name: string;
  readonly state: JobState;
  readonly vertices: readonly JobVertex[];
}

/** Backpressure of one vertex, sampled by the JobManager (GET …/vertices/:vid/backpressure). */
export interface VertexBackpressure {
  /** `ok` once sampled; `deprecated` while the first sample is being taken. */
  readonly status: string;
  /** ok (ratio ≤ 0.10), low (≤ 0.5) or high, for the worst subtask. */
  readonly backpressureLevel?: 'ok' | 'low' | 'high';
  readonly 'end-timestamp'?: number;
  readonly subtasks?: readonly {
    readonly subtask: number;
    readonly backpressureLevel: string;
    readonly ratio: number;
    readonly busyRatio?: number;
    readonly idleRatio?: number;
  }[];
}

/** A metric aggregated over a vertex's subtasks. */
export interface AggregatedMetric {
  readonly min: number;
  readonly max: number;
  readonly avg: number;
  readonly sum: number;
}

/** Time per second a vertex's subtasks spend busy and back-pressured (0–1000 ms each; the max over subtasks). */
export interface VertexLoad {
  readonly busyTimeMsPerSecond?: AggregatedMetric;
  readonly backPressuredTimeMsPerSecond?: AggregatedMetric;
}

/** The last completed checkpoint of a job. */
export interface CompletedCheckpoint {
  readonly id: number;
  readonly triggeredAt: number;
  readonly completedAt: number;
  readonly externalPath?: string;
  readonly checkpointedSizeBytes?: number;
}

/** Checkpoint counters and the last completed and restored checkpoints (GET /jobs/:jid/checkpoints). */
export interface CheckpointStats {
  readonly completed: number;
  readonly failed: number;
  readonly inProgress: number;
  readonly restored: number;
  readonly latest?: CompletedCheckpoint;
  /** The checkpoint the job last restarted from, if it restarted. */
  readonly lastRestored?: { readonly id: number; readonly restoredAt: number };
}

interface RawCheckpoints {
  readonly counts?: { completed?: number; failed?: number; in_progress?: number; restored?: number };
  readonly latest?: {
    readonly completed?: {
      id: number;
      trigger_timestamp: number;
      latest_ack_timestamp: number;
      external_path?: string;
      checkpointed_size?: number;
    } | null;
    readonly restored?: { id: number; restore_timestamp: number } | null;
  };
}

const ID = /^[0-9a-f]{32}$/;

function checkId(kind: string, id: string): string {
  if (!ID.test(id)) throw new FlinkError(`${kind} ${JSON.stringify(id)} is not a Flink id (32 hex digits)`);
  return id;
}

/** The Flink JobManager's REST API. */
export class FlinkJobManager {
  private readonly timeoutMs: number;

  constructor(
    readonly url: string = DEFAULT_FLINK_REST_URL,
    options: FlinkClientOptions = {},
  ) {
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  private request<T>(method: 'GET' | 'PATCH', path: string): Promise<T> {
    return call<T>(`the Flink JobManager at ${this.url}`, this.url, method, path, undefined, this.timeoutMs);
  }

  /** TaskManagers, slots and running jobs. */
  overview(): Promise<ClusterOverview> {
    return this.request<ClusterOverview>('GET', '/overview');
  }

  /** Every job the cluster knows (running ones and those that ended since it started). */
  async jobs(): Promise<readonly JobSummary[]> {
    return (await this.request<{ jobs: JobSummary[] }>('GET', '/jobs/overview')).jobs;
  }

  /** One job's state and vertices. */
  async job(jobId: string): Promise<JobDetails> {
    const raw = await this.request<JobDetails>('GET', `/jobs/${checkId('job id', jobId)}`);
    return {
      jid: raw.jid,
      name: raw.name,
      state: raw.state,
      vertices: raw.vertices.map(({ id, name, parallelism, status }) => ({ id, name, parallelism, status })),
    };
  }

  /** A job's state. */
  async jobState(jobId: string): Promise<JobState> {
    return (await this.job(jobId)).state;
  }

  /** A job's vertices, sources first. */
  async vertices(jobId: string): Promise<readonly JobVertex[]> {
    return (await this.job(jobId)).vertices;
  }

  /** Cancels a job (it ends CANCELED; a job that has ended already is left as it is). */
  async cancel(jobId: string): Promise<void> {
    try {
      await this.request('PATCH', `/jobs/${checkId('job id', jobId)}?mode=cancel`);
    } catch (error) {
      // Cancelling a job that has ended is no error for the caller: it does not run.
      if (error instanceof FlinkRequestError && error.status !== undefined) {
        const state = await this.jobState(jobId).catch(() => undefined);
        if (state && ENDED_STATES.includes(state)) return;
      }
      throw error;
    }
  }

  /** Waits until a job reaches one of `states`; fails if it ends in another terminal state first. */
  async waitForState(jobId: string, states: readonly JobState[], timeoutMs = 60_000): Promise<JobState> {
    const deadline = Date.now() + timeoutMs;
    let state = await this.jobState(jobId);
    while (!states.includes(state)) {
      if (ENDED_STATES.includes(state))
        throw new FlinkError(`Flink job ${jobId} ended ${state} while ${states.join(' or ')} was awaited`);
      if (Date.now() >= deadline)
        throw new FlinkTimeoutError(
          `Flink job ${jobId} was ${state}, not ${states.join(' or ')}, after ${timeoutMs} ms (see ${this.url}/#/job/running/${jobId})`,
        );
      await sleep(500);
      state = await this.jobState(jobId);
    }
    return state;
  }

  /**
   * Waits until a job has completed a checkpoint, which it does only once every task runs; fails if the
   * job ends first or `timeoutMs` passes.
   */
  async waitForCheckpoint(jobId: string, timeoutMs = 60_000): Promise<CheckpointStats> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stats = await this.checkpoints(jobId);
      if (stats.completed > 0) return stats;
      const state = await this.jobState(jobId);
      if (ENDED_STATES.includes(state))
        throw new FlinkError(`Flink job ${jobId} ended ${state} before its first checkpoint`);
      if (Date.now() >= deadline)
        throw new FlinkTimeoutError(
          `Flink job ${jobId} was ${state} but completed no checkpoint after ${timeoutMs} ms (${stats.failed} failed; see ${this.url}/#/job/running/${jobId}/checkpoints)`,
        );
      await sleep(500);
    }
  }

  /** Backpressure of one vertex, as the JobManager last sampled it. */
  backpressure(jobId: string, vertexId: string): Promise<VertexBackpressure> {
    return this.request<VertexBackpressure>(
      'GET',
      `/jobs/${checkId('job id', jobId)}/vertices/${checkId('vertex id', vertexId)}/backpressure`,
    );
  }

  /** Metrics of one vertex aggregated over its subtasks (min, max, avg, sum), by name; missing ones are left out. */
  async vertexMetrics(
    jobId: string,
    vertexId: string,
    names: readonly string[],
  ): Promise<Readonly<Record<string, AggregatedMetric>>> {
    const get = names.map(encodeURIComponent).join(',');
    const raw = await this.request<readonly ({ id: string } & Partial<AggregatedMetric>)[]>(
      'GET',
      `/jobs/${checkId('job id', jobId)}/vertices/${checkId('vertex id', vertexId)}/subtasks/metrics?get=${get}`,
    );
    // A value Flink cannot measure (an idle task's busy time) comes as the string "NaN", or is missing.
    const num = (v: unknown): number => (v === undefined || v === null ? NaN : Number(v));
    const out: Record<string, AggregatedMetric> = {};
    for (const m of raw) out[m.id] = { min: num(m.min), max: num(m.max), avg: num(m.avg), sum: num(m.sum) };
    return out;
  }

  /** How busy and how back-pressured a vertex is (per second, over its subtasks). */
  async vertexLoad(jobId: string, vertexId: string): Promise<VertexLoad> {
    const m = await this.vertexMetrics(jobId, vertexId, [
      'busyTimeMsPerSecond',
      'backPressuredTimeMsPerSecond',
    ]);
    return {
      ...(m.busyTimeMsPerSecond ? { busyTimeMsPerSecond: m.busyTimeMsPerSecond } : {}),
      ...(m.backPressuredTimeMsPerSecond
        ? { backPressuredTimeMsPerSecond: m.backPressuredTimeMsPerSecond }
        : {}),
    };
  }

  /** Checkpoint counters, the last completed checkpoint and the last restore. */
  async checkpoints(jobId: string): Promise<CheckpointStats> {
    const raw = await this.request<RawCheckpoints>('GET', `/jobs/${checkId('job id', jobId)}/checkpoints`);
    const c = raw.latest?.completed;
    const r = raw.latest?.restored;
    return {
      completed: raw.counts?.completed ?? 0,
      failed: raw.counts?.failed ?? 0,
      inProgress: raw.counts?.in_progress ?? 0,
      restored: raw.counts?.restored ?? 0,
      ...(c
        ? {
            latest: {
              id: c.id,
              triggeredAt: c.trigger_timestamp,
              completedAt: c.latest_ack_timestamp,
              ...(c.external_path ? { externalPath: c.external_path } : {}),
              ...(c.checkpointed_size === undefined ? {} : { checkpointedSizeBytes: c.checkpointed_size }),
            },
          }
        : {}),
      ...(r ? { lastRestored: { id: r.id, restoredAt: r.restore_timestamp } } : {}),
    };
  }

  /** The last completed checkpoint of a job, if one has completed. */
  async lastCompletedCheckpoint(jobId: string): Promise<CompletedCheckpoint | undefined> {
    return (await this.checkpoints(jobId)).latest;
  }
}
