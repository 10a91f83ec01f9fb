import { ensureTopic } from '../../adapters/kafka/kafka-bus.js';
import {
  DEFAULT_FLINK_GATEWAY_URL,
  DEFAULT_FLINK_REST_URL,
  FlinkError,
  FlinkJobManager,
  FlinkRequestError,
  FlinkSqlGateway,
  type CompletedCheckpoint,
  type JobSummary,
} from '../../adapters/stream/flink-gateway.js';
import {
  DEFAULT_RESULTS_TOPIC,
  STREAM_JOB_NAME,
  streamJobStatements,
  streamJobValues,
  type StreamJobSettings,
} from '../../core/stream/job.js';
import { EltError } from '../../core/util/errors.js';
import { readStreamSqlFiles } from './job-files.js';

/**
 * The live windows job on the local Flink cluster (scripts/services/flink.sh): start it through the SQL Gateway,
 * stop it, report on it. `elt stream start|stop|status` and the demo call these.
 */

/** The job cannot be started, stopped or found as asked (one running already, none running, Flink down). */
export class StreamJobError extends EltError {}

/** Where the Flink cluster answers. */
export interface FlinkEndpoints {
  /** @default DEFAULT_FLINK_GATEWAY_URL */
  readonly gatewayUrl?: string;
  /** @default DEFAULT_FLINK_REST_URL */
  readonly restUrl?: string;
}

/** Options of {@link startStreamJob}. */
export interface StartStreamJobOptions extends FlinkEndpoints {
  readonly settings: StreamJobSettings;
  /** Partitions of the results topic when it is created. @default 1 */
  readonly resultsPartitions?: number;
  /** Restore the job's state from this savepoint (what `stopStreamJob({savepointDir})` returned). */
  readonly fromSavepoint?: string;
  /** Wait until the job runs (and, with `untilCheckpointed`, has checkpointed). @default 60000 */
  readonly timeoutMs?: number;
  /**
   * Return only once the job has completed its first checkpoint, not as soon as Flink calls it RUNNING (its
   * tasks may still be deploying then). A checkpoint completes only when every task runs, the source included,
   * so what is published after that is read as it arrives rather than as a backlog: a backlog read in one go,
   * before the periodic watermark moves, would let no event arrive late.
   */
  readonly untilCheckpointed?: boolean;
}

/** A started job. */
export interface StartedStreamJob {
  readonly jobId: string;
  readonly name: string;
  readonly sourceTopic: string;
  readonly resultsTopic: string;
  readonly groupId: string;
  readonly allowedLatenessSeconds: number;
}

const ACTIVE = new Set([
  'CREATED',
  'INITIALIZING',
  'RUNNING',
  'RESTARTING',
  'FAILING',
  'CANCELLING',
  'RECONCILING',
]);

function clients(endpoints: FlinkEndpoints): { gateway: FlinkSqlGateway; jobManager: FlinkJobManager } {
  return {
    gateway: new FlinkSqlGateway(endpoints.gatewayUrl ?? DEFAULT_FLINK_GATEWAY_URL),
    jobManager: new FlinkJobManager(endpoints.restUrl ?? DEFAULT_FLINK_REST_URL),
  };
}

/** A Flink that does not answer, said in one line with how to start it. */
function unreachable(error: unknown): never {
  if (error instanceof FlinkRequestError && error.status === undefined)
    throw new StreamJobError(
      `${error.message.replace(/ \(start it: npm run flink:up\)$/, '')}: is Flink running? Start it: npm run flink:up`,
      {
        cause: error,
      },
    );
  throw error;
}

/** The jobs named `elt-live-windows` that are running (or about to, or restarting). */
export async function activeStreamJobs(endpoints: FlinkEndpoints = {}): Promise<JobSummary[]> {
  const { jobManager } = clients(endpoints);
  const jobs = await jobManager.jobs().catch(unreachable);
  return jobs.filter((j) => j.name === STREAM_JOB_NAME && ACTIVE.has(j.state));
}

/**
 * Renders sql/stream/ with the settings, creates the results topic if absent, and submits the job through the
 * SQL Gateway; returns once it runs. Refuses when a job of the same name is active already (two copies would
 * count every event twice and abort each other's transactions).
 */
export async function startStreamJob(options: StartStreamJobOptions): Promise<StartedStreamJob> {
  const values = streamJobValues(options.settings);
  const { gateway, jobManager } = clients(options);
  const running = await activeStreamJobs(options);
  if (running.length > 0)
    throw new StreamJobError(
      `the stream job ${STREAM_JOB_NAME} is ${running[0]!.state} already (job ${running[0]!.jid}): stop it first (elt stream stop)`,
    );
  const statements = streamJobStatements(options.settings, await readStreamSqlFiles());
  const brokers = values.bootstrap_servers.split(',');
  // A topic the job would read before anything was published: made as the Kafka path makes it (3 partitions,
  // lib/local/kafka-pipeline.ts), so that the publisher finds it as it expects.
  await ensureTopic(brokers, values.source_topic, { partitions: 3 });
  await ensureTopic(brokers, values.results_topic, { partitions: options.resultsPartitions ?? 1 });

  const session = await gateway
    .openSession({
      name: STREAM_JOB_NAME,
      properties: {
        'table.local-time-zone': 'UTC',
        'pipeline.name': STREAM_JOB_NAME,
        ...(options.fromSavepoint ? { 'execution.savepoint.path': options.fromSavepoint } : {}),
      },
    })
    .catch(unreachable);
  let jobId: string | undefined;
  try {
    for (const statement of statements) {
      const result = await session.execute(statement);
      jobId ??= result.jobId;
    }
  } finally {
    // The job runs on in the cluster; the session only held the tables and settings.
    await session.close().catch(() => undefined);
  }
  if (!jobId) throw new StreamJobError('the SQL Gateway ran sql/stream/ but started no job');
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  await jobManager.waitForState(jobId, ['RUNNING'], timeoutMs);
  if (options.untilCheckpointed)
    await jobManager.waitForCheckpoint(jobId, Math.max(0, deadline - Date.now()));
  return {
    jobId,
    name: STREAM_JOB_NAME,
    sourceTopic: values.source_topic,
    resultsTopic: values.results_topic ?? DEFAULT_RESULTS_TOPIC,
    groupId: values.group_id,
    allowedLatenessSeconds: Number(values.allowed_lateness_seconds),
  };
}

/** Options of {@link stopStreamJob}. */
export interface StopStreamJobOptions extends FlinkEndpoints {
  /** Take a savepoint into this directory (a path or URI the JobManager can write) before stopping. */
  readonly savepointDir?: string;
  /** @default 120000 */
  readonly timeoutMs?: number;
}

/** What {@link stopStreamJob} stopped. */
export interface StoppedStreamJob {
  readonly jobId: string;
  readonly state: string;
  /** Where the savepoint went, when one was asked for: start the job from it with `fromSavepoint`. */
  readonly savepoint?: string;
}

/** Stops every active copy of the job (with a savepoint when asked); fails when none runs. */
export async function stopStreamJob(options: StopStreamJobOptions = {}): Promise<StoppedStreamJob[]> {
  const { jobManager } = clients(options);
  const running = await activeStreamJobs(options);
  if (running.length === 0) throw new StreamJobError(`the stream job ${STREAM_JOB_NAME} is not running`);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const stopped: StoppedStreamJob[] = [];
  for (const job of running) {
    if (options.savepointDir) {
      const savepoint = await stopWithSavepoint(
        options.restUrl ?? DEFAULT_FLINK_REST_URL,
        job.jid,
        options.savepointDir,
        timeoutMs,
      );
      stopped.push({
        jobId: job.jid,
        state: await jobManager.waitForState(job.jid, ['FINISHED', 'CANCELED'], timeoutMs),
        savepoint,
      });
    } else {
      await jobManager.cancel(job.jid);
      const state = await jobManager.waitForState(job.jid, ['CANCELED'], timeoutMs);
      stopped.push({ jobId: job.jid, state });
    }
  }
  return stopped;
}

/** POST /jobs/:jid/stop (a savepoint, then the job finishes), then the savepoint's path once it completed. */
async function stopWithSavepoint(
  restUrl: string,
  jobId: string,
  dir: string,
  timeoutMs: number,
): Promise<string> {
  const base = restUrl.replace(/\/$/, '');
  const post = await fetch(`${base}/jobs/${jobId}/stop`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ targetDirectory: dir, drain: false }),
    signal: AbortSignal.timeout(30_000),
  });
  const { 'request-id': requestId } = (await post.json()) as { 'request-id'?: string };
  if (!post.ok || !requestId)
    throw new StreamJobError(
      `the Flink JobManager at ${restUrl} refused to stop job ${jobId} with a savepoint (HTTP ${post.status})`,
    );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${base}/jobs/${jobId}/savepoints/${requestId}`, {
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json()) as {
      status?: { id?: string };
      operation?: { location?: string; 'failure-cause'?: { 'stack-trace'?: string; class?: string } };
    };
    if (body.status?.id === 'COMPLETED') {
      if (body.operation?.location) return body.operation.location;
      const why = body.operation?.['failure-cause']?.['stack-trace']?.split('\n')[0] ?? 'no location';
      throw new StreamJobError(`the savepoint of job ${jobId} failed: ${why}`);
    }
    if (Date.now() >= deadline)
      throw new StreamJobError(`the savepoint of job ${jobId} did not complete within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** One vertex of the job, as `elt stream status` shows it. */
export interface StreamVertexStatus {
  readonly name: string;
  readonly parallelism: number;
  readonly status: string;
  /** ok, low or high (the worst subtask), once the JobManager has sampled it. */
  readonly backpressure?: string;
  /** Busy time in ms per second, the most of its subtasks. */
  readonly busyMsPerSecond?: number;
  readonly backPressuredMsPerSecond?: number;
}

/** The job's state, as `elt stream status` shows it. */
export interface StreamJobStatus {
  readonly name: string;
  /** `NOT RUNNING` when no copy is active. */
  readonly state: string;
  readonly jobId?: string;
  readonly startedAt?: string;
  readonly lastCheckpoint?: CompletedCheckpoint & { readonly completedAtIso: string };
  readonly checkpoints?: { readonly completed: number; readonly failed: number; readonly restored: number };
  readonly vertices: readonly StreamVertexStatus[];
}

/** The active copy of the job (or the most recent one) with its last checkpoint and each vertex's load. */
export async function streamJobStatus(endpoints: FlinkEndpoints = {}): Promise<StreamJobStatus> {
  const { jobManager } = clients(endpoints);
  const jobs = (await jobManager.jobs().catch(unreachable)).filter((j) => j.name === STREAM_JOB_NAME);
  const job =
    jobs.find((j) => ACTIVE.has(j.state)) ?? [...jobs].sort((a, b) => b['start-time'] - a['start-time'])[0];
  if (!job) return { name: STREAM_JOB_NAME, state: 'NOT RUNNING', vertices: [] };
  const details = await jobManager.job(job.jid);
  const stats = await jobManager.checkpoints(job.jid).catch((error: unknown) => {
    if (error instanceof FlinkError) return undefined;
    throw error;
  });
  const vertices: StreamVertexStatus[] = [];
  for (const v of details.vertices) {
    if (!ACTIVE.has(details.state)) {
      vertices.push({ name: v.name, parallelism: v.parallelism, status: v.status });
      continue;
    }
    const [pressure, load] = await Promise.all([
      jobManager.backpressure(job.jid, v.id).catch(() => undefined),
      jobManager.vertexLoad(job.jid, v.id).catch(() => undefined),
    ]);
    vertices.push({
      name: v.name,
      parallelism: v.parallelism,
      status: v.status,
      ...(pressure?.backpressureLevel ? { backpressure: pressure.backpressureLevel } : {}),
      ...(load?.busyTimeMsPerSecond ? { busyMsPerSecond: load.busyTimeMsPerSecond.max } : {}),
      ...(load?.backPressuredTimeMsPerSecond
        ? { backPressuredMsPerSecond: load.backPressuredTimeMsPerSecond.max }
        : {}),
    });
  }
  return {
    name: STREAM_JOB_NAME,
    state: details.state,
    jobId: job.jid,
    startedAt: new Date(job['start-time']).toISOString(),
    ...(stats?.latest
      ? {
          lastCheckpoint: {
            ...stats.latest,
            completedAtIso: new Date(stats.latest.completedAt).toISOString(),
          },
        }
      : {}),
    ...(stats
      ? { checkpoints: { completed: stats.completed, failed: stats.failed, restored: stats.restored } }
      : {}),
    vertices,
  };
}
