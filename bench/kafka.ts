// The project's side of the Kafka benchmarks, each run in a fresh process by measure-once.ts: the producer
// driven as `elt publish --transport kafka` drives it, and the landing consumer as `elt land --transport
// kafka --until-caught-up` runs it.
import {
  DEFAULT_KAFKA_BATCH_SIZE,
  KafkaEventSource,
  type KafkaEventSourceStats,
} from '../lib/adapters/kafka/kafka-event-source.js';
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { KafkaBus } from '../lib/adapters/kafka/kafka-bus.js';
import { FsObjectStore } from '../lib/adapters/store/fs-object-store.js';
import { EntryAcceptor } from '../lib/core/bus/put-events.js';
import { systemClock } from '../lib/core/ports.js';
import { entryFromLine } from '../lib/core/publish/entry-input.js';
import { publishEvents, type PublishInput } from '../lib/core/publish/publisher.js';
import { KafkaLanding } from '../lib/local/kafka-pipeline.js';
import { readLineChunks } from '../lib/local/ndjson-reader.js';

/**
 * PutEvents calls in flight while producing: `KafkaPipeline.publishInFlight` (what `elt demo --transport
 * kafka` uses), enough to fill the producer's requests while each waits for acks=all.
 */
export const KAFKA_PUBLISH_IN_FLIGHT = 100;

/** What one run of the project's producer reports. */
export interface KafkaProduceMeasure {
  /** Workload lines read. */
  readonly inputs: number;
  /** Records the broker acknowledged (the entries the bus accepted). */
  readonly records: number;
  readonly quarantined: number;
  readonly produceRequests: number;
  /**
   * Produce requests the broker refused (their PutEvents calls are retried by publishEvents, so the records
   * still arrive once): seen on a fresh topic, where the first requests can fail with
   * OUT_OF_ORDER_SEQUENCE_NUMBER. Their retries are part of the measured time.
   */
  readonly failedRequests: number;
  readonly putEventsCalls: number;
  /** From the first send to the producer closed (after the topic check, as ProducerPerformance's clock). */
  readonly seconds: number;
  readonly recordsPerSecond: number;
}

/** What one run of the project's landing consumer reports. */
export interface KafkaLandMeasure {
  readonly records: number;
  readonly landedEvents: number;
  readonly landedObjects: number;
  readonly quarantined: number;
  readonly invocations: number;
  readonly rebalances: number;
  /** From `run()` to every record landed and its offset committed: caught up. */
  readonly seconds: number;
  readonly recordsPerSecond: number;
  /** From `run()` until it returned: also noticing lag 0 (polled every 250 ms) and leaving the group. */
  readonly runSeconds: number;
}

async function* inputs(file: string): AsyncGenerator<PublishInput[]> {
  for await (const chunk of readLineChunks(createReadStream(file, { highWaterMark: 1 << 20 }))) {
    yield chunk.lines.map((line, i) => ({ ref: `bench:${chunk.firstLine + i}`, line }));
  }
}

/**
 * `elt publish --transport kafka` of the workload file to an existing topic: `KafkaBus` (idempotent,
 * acks=all, lz4) fed by `publishEvents`. Invalid inputs are quarantined into `storeDir`.
 */
export async function measureKafkaProduce(
  brokers: readonly string[],
  topic: string,
  file: string,
  storeDir: string,
): Promise<KafkaProduceMeasure> {
  const store = new FsObjectStore(storeDir);
  const bus = new KafkaBus({ brokers, topic });
  await bus.open();
  const t0 = process.hrtime.bigint();
  let summary;
  try {
    summary = await publishEvents(inputs(file), {
      bus,
      store,
      clock: systemClock,
      maxInFlight: KAFKA_PUBLISH_IN_FLIGHT,
    });
  } finally {
    await bus.close();
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    inputs: summary.read,
    records: summary.accepted,
    quarantined: summary.quarantined,
    produceRequests: bus.stats.produceRequests,
    failedRequests: bus.stats.failedRequests,
    putEventsCalls: summary.putEventsCalls,
    seconds,
    recordsPerSecond: summary.accepted / seconds,
  };
}

/**
 * `elt land --transport kafka --until-caught-up` with a fresh group, from the beginning of a topic holding
 * `expected` records: consumer group, Lambda-shaped Kafka events of up to DEFAULT_KAFKA_BATCH_SIZE records (500 ms window),
 * validation, gzip NDJSON objects into a filesystem store, commit after landing.
 */
export async function measureKafkaLand(
  brokers: readonly string[],
  topic: string,
  groupId: string,
  storeDir: string,
  expected: number,
): Promise<KafkaLandMeasure> {
  const progress = caughtUpClock(expected);
  const landing = new KafkaLanding({
    brokers,
    topic,
    groupId,
    store: new FsObjectStore(storeDir),
    // The CLI's defaults, spelled out as `elt land` passes them.
    batchSize: DEFAULT_KAFKA_BATCH_SIZE,
    batchWindowMs: KAFKA_BATCH_WINDOW_MS,
    onProgress: progress.onProgress,
  });
  const timed = await progress.time(() => landing.run({ until: () => true }));
  if (landing.stats.deadLettered > 0)
    throw new Error(`${landing.stats.deadLettered} records dead-lettered: ${landing.landingErrors.at(-1)}`);
  return {
    ...timed,
    landedEvents: landing.stats.landedEvents,
    landedObjects: landing.stats.landedObjectKeys.size,
    quarantined: landing.stats.quarantined,
  };
}

/** The batching window `elt land --transport kafka` uses (Lambda's default for Kafka). */
export const KAFKA_BATCH_WINDOW_MS = 500;

/**
 * Consuming alone: the same event source, group, batch size and window as {@link measureKafkaLand}, with
 * the Lambda-shaped events built (base64 values) and handed to a function that does nothing, so offsets
 * are committed as soon as a batch is made. The same clock: from `run()` to every record committed.
 */
export async function measureKafkaConsume(
  brokers: readonly string[],
  topic: string,
  groupId: string,
  expected: number,
): Promise<KafkaLandMeasure> {
  const progress = caughtUpClock(expected);
  const source = new KafkaEventSource({
    brokers,
    topic,
    groupId,
    batchSize: DEFAULT_KAFKA_BATCH_SIZE,
    batchWindowMs: KAFKA_BATCH_WINDOW_MS,
    invoke: async () => undefined,
    onProgress: progress.onProgress,
  });
  const timed = await progress.time(() => source.run({ until: () => true }));
  return { ...timed, landedEvents: 0, landedObjects: 0, quarantined: 0 };
}

/** Times a consumer group run from `run()` until `expected` records are committed (and until it returns). */
function caughtUpClock(expected: number): {
  onProgress: (s: Readonly<KafkaEventSourceStats>) => void;
  time: (
    run: () => Promise<KafkaEventSourceStats>,
  ) => Promise<Omit<KafkaLandMeasure, 'landedEvents' | 'landedObjects' | 'quarantined'>>;
} {
  let caughtUp: bigint | undefined;
  return {
    onProgress: (s) => {
      // Called after each batch is committed (batches commit in order) and after each lag measurement.
      if (
        caughtUp === undefined &&
        s.records >= expected &&
        s.committedBatches >= s.invocations - s.failedInvocations
      ) {
        caughtUp = process.hrtime.bigint();
      }
    },
    time: async (run) => {
      const t0 = process.hrtime.bigint();
      const stats = await run();
      const end = process.hrtime.bigint();
      const seconds = Number((caughtUp ?? end) - t0) / 1e9;
      if (stats.records < expected)
        throw new Error(
          `consumed ${stats.records} of ${expected} records (${stats.lastError ?? 'no error'})`,
        );
      return {
        records: stats.records,
        invocations: stats.invocations,
        rebalances: stats.rebalances,
        seconds,
        recordsPerSecond: stats.records / seconds,
        runSeconds: Number(end - t0) / 1e9,
      };
    },
  };
}

/** The envelopes `KafkaBus` would produce for a workload: how many, and their sizes in bytes. */
export interface EnvelopeSizes {
  readonly records: number;
  readonly medianBytes: number;
  readonly meanBytes: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  /** Every `sampleEvery`-th envelope, one per line, for ProducerPerformance's --payload-file. */
  readonly sample: string[];
}

/** Runs the workload through the same checks and envelope builder as `KafkaBus.putEvents`. */
export async function envelopeSizes(file: string, sampleEvery = 10): Promise<EnvelopeSizes> {
  const acceptor = new EntryAcceptor({ account: '000000000000', region: 'local' });
  const sizes: number[] = [];
  const sample: string[] = [];
  const now = new Date();
  for await (const chunk of readLineChunks(createReadStream(file, { highWaterMark: 1 << 20 }))) {
    for (const line of chunk.lines) {
      const checked = entryFromLine(line);
      if (!checked.ok) continue;
      const accepted = acceptor.accept(checked.entry, randomUUID(), now);
      if (!accepted.ok) continue;
      sizes.push(Buffer.byteLength(accepted.body));
      if (sizes.length % sampleEvery === 0) sample.push(accepted.body);
    }
  }
  if (sizes.length === 0) throw new Error(`no valid entries in ${file}`);
  const sorted = Float64Array.from(sizes).sort();
  const mid = Math.floor(sorted.length / 2);
  return {
    records: sizes.length,
    medianBytes: Math.round(sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2),
    meanBytes: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length),
    minBytes: sorted[0]!,
    maxBytes: sorted[sorted.length - 1]!,
    sample,
  };
}
