import { randomUUID } from 'node:crypto';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { FlinkJobManager, DEFAULT_FLINK_REST_URL } from '../adapters/stream/flink-gateway.js';
import { EVENT_CATALOGUE } from '../core/events/catalogue.js';
import { EltError } from '../core/util/errors.js';
import {
  activeStreamJobs,
  startStreamJob,
  stopStreamJob,
  type FlinkEndpoints,
  type StartedStreamJob,
} from '../local/stream/live-windows.js';
import { startKafkaTarget, type KafkaTargetOptions } from './kafka-target.js';
import type { LoadTarget } from './load-target.js';
import { StreamResultsReader, type StreamResultsSeen } from './stream-results.js';
import { StreamSampler, type StreamReading } from './stream-sampler.js';

/** The stream job cannot be started for a load test (one runs already, Flink down, a bad setting). */
export class StreamLoadError extends EltError {}

/** Options of {@link startStreamLoadTarget}: the Kafka target's, and the stream job's. */
export interface StreamLoadTargetOptions extends KafkaTargetOptions, FlinkEndpoints {
  /** The stream job's consumer group on the run's topic. */
  readonly streamGroupId: string;
  /** The job's results topic (created by the job's start, deleted at the end). */
  readonly resultsTopic: string;
  /** The sink's transactional id prefix: one of the run's own, so no other job's transactions are fenced. */
  readonly transactionalIdPrefix: string;
  readonly allowedLatenessSeconds: number;
  /** Whether an event id is one of this run's (the LateEventSeen results are counted for those only). */
  readonly isRunEvent: (eventId: string) => boolean;
  /** How long close() waits for the last minutes' results once the lags are 0. @default 90,000 ms */
  readonly resultsTimeoutMs?: number;
}

/** What the stream side recorded, for the report (read after close()). */
export interface StreamRunData {
  readonly job: StartedStreamJob & { readonly startedBy: 'load test' };
  readonly restUrl: string;
  readonly vertices: readonly string[];
  readonly readings: readonly StreamReading[];
  readonly results: StreamResultsSeen;
  /** Events the producer acknowledged (each a UserLoggedIn): what the minutes must add up to, less late ones. */
  readonly acceptedLogins: number;
  /** The records sent once offering stopped, one per partition, to move the watermark past the last minute. */
  readonly watermarkTicks: {
    readonly count: number;
    readonly eventTime: string | null;
    /** When they were sent (epoch ms): a minute ending after this was closed by them, not by the load. */
    readonly sentAtMs: number | null;
  };
  /** Whether close() saw every accepted login in a closed minute (or late) before its deadline. */
  readonly resultsComplete: boolean;
  readonly resultsWaitSeconds: number;
  /** The job's checkpoint interval (GET /jobs/:jid/checkpoints/config): results become visible at its commits. */
  readonly checkpointIntervalSeconds: number | null;
}

/** A Kafka load target with the stream job reading the same topic. */
export interface StreamLoadTarget extends LoadTarget {
  streamData(): StreamRunData;
}

const LOGIN = EVENT_CATALOGUE.find((t) => t.detailType === 'UserLoggedIn')!;
const MINUTE = 60_000;

/**
 * The Kafka path under load with a second consumer: the live windows job on Flink, started on the run's topic
 * with a group, results topic and transactional id prefix of the run's own (so a job or test elsewhere on the same
 * broker is not disturbed), beside the landing's group. Refuses to run when the job runs already on that Flink:
 * one copy at a time, and it reads another topic. Samples Flink and the job group's lag each second, reads the
 * results read committed, and once offering stops sends one record per partition whose event time closes the last
 * minute (an event stream that stops never moves its watermark again).
 */
export async function startStreamLoadTarget(options: StreamLoadTargetOptions): Promise<StreamLoadTarget> {
  const restUrl = options.restUrl ?? DEFAULT_FLINK_REST_URL;
  const active = await activeStreamJobs(options);
  if (active.length > 0)
    throw new StreamLoadError(
      `the stream job is ${active[0]!.state} already on ${restUrl} (job ${active[0]!.jid}): the load test starts its own on the run's topic; stop it first (elt stream stop) or point --flink-rest-url/--flink-gateway-url at another cluster`,
    );
  const inner = await startKafkaTarget(options);
  let job: StartedStreamJob;
  try {
    job = await startStreamJob({
      ...(options.gatewayUrl ? { gatewayUrl: options.gatewayUrl } : {}),
      restUrl,
      settings: {
        sourceTopic: options.topic,
        resultsTopic: options.resultsTopic,
        bootstrapServers: options.brokers,
        groupId: options.streamGroupId,
        allowedLatenessSeconds: options.allowedLatenessSeconds,
        transactionalIdPrefix: options.transactionalIdPrefix,
      },
    });
  } catch (error) {
    await inner.close().catch(() => undefined);
    throw error;
  }
  const sampler = new StreamSampler({
    jobManager: new FlinkJobManager(restUrl),
    jobId: job.jobId,
    brokers: options.brokers,
    topic: options.topic,
    groupId: options.streamGroupId,
  });
  const reader = new StreamResultsReader({
    brokers: options.brokers,
    topic: options.resultsTopic,
    isRunEvent: options.isRunEvent,
  });
  const jobManager = new FlinkJobManager(restUrl);
  try {
    // Ramp once the job has run a checkpoint: every task deployed and its state backend ready, so the first step
    // measures the job, not its start.
    await firstCheckpoint(jobManager, job.jobId, 120_000);
    await sampler.start();
    await reader.start();
  } catch (error) {
    await stopStreamJob({ ...options, restUrl }).catch(() => undefined);
    await inner.close().catch(() => undefined);
    throw error;
  }
  const checkpointIntervalSeconds = await checkpointInterval(restUrl, job.jobId);

  let acceptedLogins = 0;
  let lastOfferedMs = 0;
  let ticks: StreamRunData['watermarkTicks'] = { count: 0, eventTime: null, sentAtMs: null };
  let readings: StreamReading[] = [];
  let results: StreamResultsSeen = reader.seen();
  let resultsComplete = false;
  let resultsWaitSeconds = 0;
  const closedEnough = (): boolean => {
    const seen = reader.seen();
    return seen.minutes.reduce((a, m) => a + m.value, 0) + seen.late >= acceptedLogins;
  };

  return {
    ...inner,
    describe: () =>
      `${inner.describe()}, and the live windows job on Flink (${restUrl}) reading the same topic as group ${options.streamGroupId} → ${options.resultsTopic}`,
    offer: async (events) => {
      lastOfferedMs = Math.max(lastOfferedMs, ...events.map((e) => Date.parse(e.value.time as string)));
      const out = await inner.offer(events);
      acceptedLogins += out.filter((r) => r.status === 'accepted').length;
      return out;
    },
    depth: async () => {
      const [landing, stream] = await Promise.all([inner.depth(), sampler.streamLag()]);
      return { total: landing.total + stream, parts: { lag: landing.total, streamLag: stream } };
    },
    stopOffering: async () => {
      await inner.stopOffering();
      if (lastOfferedMs > 0) ticks = await sendWatermarkTicks(options, lastOfferedMs);
    },
    facts: () => ({
      ...inner.facts(),
      stream: {
        jobId: job.jobId,
        startedBy: 'load test',
        restUrl,
        group: options.streamGroupId,
        resultsTopic: options.resultsTopic,
        allowedLatenessSeconds: options.allowedLatenessSeconds,
        watermarkTicks: ticks,
      },
    }),
    close: async () => {
      // The lags are 0 (or the drain deadline passed): the last minutes' results come with the next checkpoint.
      const started = Date.now();
      const deadline = started + (options.resultsTimeoutMs ?? 90_000);
      while (!(resultsComplete = closedEnough()) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 500));
      // One more checkpoint interval: a result past the expected sum (a repeat) would show here.
      await new Promise((r) => setTimeout(r, 1000));
      resultsWaitSeconds = Math.round((Date.now() - started) / 100) / 10;
      readings = await sampler.stop();
      results = await reader.stop();
      await stopStreamJob({ ...options, restUrl }).catch(() => undefined);
      await inner.close();
      if (!options.keepTopic) await deleteTopics(options.brokers, [options.resultsTopic]);
    },
    streamData: () => ({
      job: { ...job, startedBy: 'load test' },
      restUrl,
      vertices: sampler.labels(),
      readings,
      results,
      acceptedLogins,
      watermarkTicks: ticks,
      resultsComplete,
      resultsWaitSeconds,
      checkpointIntervalSeconds,
    }),
  };
}

/**
 * One UserLoggedIn per partition with an event time past the end of the last offered minute plus the allowed
 * lateness: the watermark (the least over partitions of the newest time less the lateness) then passes that
 * minute's end and the job closes it. The ticks fall in a later minute that never closes, so they are counted in no
 * result; the landing lands them (events of no run: the ledger counts them as foreign lines).
 */
async function sendWatermarkTicks(
  options: StreamLoadTargetOptions,
  lastOfferedMs: number,
): Promise<StreamRunData['watermarkTicks']> {
  const atMs = Math.ceil((lastOfferedMs + 1) / MINUTE) * MINUTE + (options.allowedLatenessSeconds + 1) * 1000;
  const time = new Date(atMs).toISOString();
  const producer = new Producer({
    clientId: 'elt-loadtest-watermark',
    bootstrapBrokers: [...options.brokers],
    serializers: stringSerializers,
  });
  try {
    await producer.send({
      messages: Array.from({ length: options.partitions }, (_, partition) => {
        const eventId = randomUUID();
        return {
          topic: options.topic,
          partition,
          key: `watermark-${partition}`,
          value: JSON.stringify({
            version: '0',
            id: randomUUID(),
            'detail-type': LOGIN.detailType,
            source: LOGIN.source,
            account: '000000000000',
            time,
            region: 'local',
            resources: [],
            detail: {
              ...LOGIN.example,
              eventId,
              userId: 'u_watermark',
              sessionId: `s_watermark_${partition}`,
            },
          }),
        };
      }),
    });
  } finally {
    await producer.close().catch(() => undefined);
  }
  return { count: options.partitions, eventTime: time, sentAtMs: Date.now() };
}

/** Waits until the job has completed a checkpoint. */
async function firstCheckpoint(jobManager: FlinkJobManager, jobId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await jobManager.checkpoints(jobId).catch(() => undefined);
    if (stats && stats.completed > 0) return;
    if (Date.now() >= deadline)
      throw new StreamLoadError(
        `the stream job ${jobId} completed no checkpoint within ${timeoutMs / 1000} s of its start: see ${jobManager.url}/#/job/running/${jobId}`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The job's checkpoint interval in seconds, or null when the JobManager does not say. */
async function checkpointInterval(restUrl: string, jobId: string): Promise<number | null> {
  try {
    const res = await fetch(`${restUrl.replace(/\/$/, '')}/jobs/${jobId}/checkpoints/config`, {
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as { interval?: number };
    return typeof body.interval === 'number' ? body.interval / 1000 : null;
  } catch {
    return null;
  }
}

async function deleteTopics(brokers: readonly string[], topics: string[]): Promise<void> {
  const admin = new Admin({ clientId: 'elt-loadtest-admin', bootstrapBrokers: [...brokers], retries: 1 });
  try {
    await admin.deleteTopics({ topics });
  } catch {
    // A topic left behind only takes disk; the next run uses new names.
  } finally {
    await admin.close().catch(() => undefined);
  }
}
