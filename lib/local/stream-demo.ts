/**
 * `elt stream demo`: the demo workload through a real Kafka broker, landed and loaded as `elt demo` does,
 * while the live windows job on a real Flink counts the same events; then the job's results are landed and
 * loaded too, and every closed window is compared with the batch (stream_batch_agreement).
 */
import { ensureTopic } from '../adapters/kafka/kafka-bus.js';
import { groupLag } from '../adapters/kafka/group-lag.js';
import type { FsObjectStore } from '../adapters/store/fs-object-store.js';
import { runElt } from '../core/elt/run-elt.js';
import type { Model } from '../core/elt/models.js';
import type { Clock, EltWarehouse } from '../core/ports.js';
import { systemClock } from '../core/ports.js';
import { compareStreamWithBatch, type StreamComparison } from '../core/stream/compare.js';
import { EltError } from '../core/util/errors.js';
import { runDemo, type DemoSummary } from './demo.js';
import { KafkaLanding, KafkaPipeline } from './kafka-pipeline.js';
import {
  startStreamJob,
  stopStreamJob,
  streamJobStatus,
  type FlinkEndpoints,
} from './stream/live-windows.js';

/** The stream job did not catch up with the topic in time; the message says how far it got. */
export class StreamDemoStalledError extends EltError {}

/** Options of {@link runStreamDemo}. */
export interface StreamDemoOptions {
  readonly brokers: readonly string[];
  readonly store: FsObjectStore;
  readonly warehouse: EltWarehouse;
  readonly models: readonly Model[];
  readonly events: number;
  readonly seed: string;
  /** Simulated days. @default 1 */
  readonly days?: number;
  /** @default the job's default (10 s) */
  readonly allowedLatenessSeconds?: number;
  readonly flink?: FlinkEndpoints;
  /** How long the job may take to consume what the demo produced. @default 180000 */
  readonly catchUpTimeoutMs?: number;
  readonly clock?: Clock;
  readonly onProgress?: (stage: string, message: string) => void;
}

/** What `elt stream demo` reports. */
export interface StreamDemoSummary extends StreamComparison {
  readonly events: number;
  readonly landedEvents: number;
  /** Late events the generator made (hours before their publication). */
  readonly generatedLate: number;
  readonly duplicates: number;
  /** Result events (elt.stream) landed from the results topic. */
  readonly streamResults: number;
  readonly jobId: string;
  readonly sourceTopic: string;
  readonly resultsTopic: string;
  readonly allowedLatenessSeconds: number;
  readonly publishAndLandMs: number;
  /** From the end of publishing until the job had consumed and committed everything. */
  readonly streamCatchUpMs: number;
  readonly eltMs: number;
  readonly durationMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the demo. The workload is `elt demo`'s without invalid events: the stream counts every event it can
 * parse, the landing quarantines what no schema accepts, and the comparison explains only late events.
 */
export async function runStreamDemo(options: StreamDemoOptions): Promise<StreamDemoSummary> {
  const clock = options.clock ?? systemClock;
  const progress = options.onProgress ?? (() => undefined);
  const t0 = Date.now();
  const stamp = `${Date.now()}`;
  const sourceTopic = `elt-stream-demo-${stamp}`;
  const resultsTopic = `${sourceTopic}-results`;
  const streamGroup = `${sourceTopic}-flink`;
  const flink = options.flink ?? {};

  await ensureTopic(options.brokers, sourceTopic, { partitions: 3 });
  progress('stream', `starting the live windows job on ${sourceTopic}`);
  // Publishing starts once the job reads the topic, so that the workload's late events reach it late.
  const job = await startStreamJob({
    ...flink,
    untilCheckpointed: true,
    timeoutMs: 120_000,
    settings: {
      sourceTopic,
      resultsTopic,
      bootstrapServers: options.brokers,
      groupId: streamGroup,
      ...(options.allowedLatenessSeconds !== undefined
        ? { allowedLatenessSeconds: options.allowedLatenessSeconds }
        : {}),
    },
  });
  try {
    const demo: DemoSummary = await runDemo({
      workload: { events: options.events, seed: options.seed, days: options.days ?? 1, invalidRate: 0 },
      store: options.store,
      warehouse: options.warehouse,
      models: options.models,
      clock,
      startPipeline: () =>
        new KafkaPipeline({
          brokers: options.brokers,
          topic: sourceTopic,
          groupId: `${sourceTopic}-landing`,
          store: options.store,
          clock,
          batchSize: 10_000,
          batchWindowMs: 1000,
          partitions: 3,
        }).start(),
      onProgress: progress,
    });

    // The job commits its offsets at each checkpoint, after its results of those records are committed.
    const t1 = Date.now();
    const deadline = t1 + (options.catchUpTimeoutMs ?? 180_000);
    for (;;) {
      const lag = await groupLag(options.brokers, sourceTopic, streamGroup);
      if (lag.committed && lag.total === 0) break;
      if (Date.now() > deadline) {
        const status = await streamJobStatus(flink).catch((error: Error) => ({ state: error.message }));
        throw new StreamDemoStalledError(
          `the stream job did not catch up with ${sourceTopic} within ${Math.round((deadline - t1) / 1000)} s: ${lag.committed ? `${lag.total} records behind` : 'no offsets committed yet'} (job ${job.jobId}: ${JSON.stringify((status as { state?: string }).state)})`,
        );
      }
      progress(
        'stream',
        `waiting for the job: ${lag.committed ? `${lag.total} records behind` : 'no checkpoint yet'}`,
      );
      await sleep(1000);
    }
    const streamCatchUpMs = Date.now() - t1;

    progress('stream', `landing the results from ${resultsTopic}`);
    const results = new KafkaLanding({
      brokers: options.brokers,
      topic: resultsTopic,
      groupId: `${resultsTopic}-landing`,
      store: options.store,
      clock,
      batchWindowMs: 200,
    });
    await results.run({ until: () => true });

    const t2 = Date.now();
    await runElt({
      warehouse: options.warehouse,
      store: options.store,
      clock,
      models: options.models,
      onProgress: (message) => progress('elt', message),
    });
    const eltMs = demo.eltMs + (Date.now() - t2);
    const comparison = await compareStreamWithBatch(options.warehouse);
    return {
      ...comparison,
      events: demo.generated,
      landedEvents: demo.landedEvents,
      generatedLate: demo.late,
      duplicates: demo.duplicates,
      streamResults: results.stats.landedEvents,
      jobId: job.jobId,
      sourceTopic,
      resultsTopic,
      allowedLatenessSeconds: job.allowedLatenessSeconds,
      publishAndLandMs: demo.publishAndLandMs,
      streamCatchUpMs,
      eltMs,
      durationMs: Date.now() - t0,
    };
  } finally {
    await stopStreamJob(flink).catch(() => undefined);
  }
}
