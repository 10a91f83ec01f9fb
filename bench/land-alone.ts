// Landing alone: the Lambda-shaped batches of the Kafka path (events of base64 records) and of the SQS path
// (events of messages), cut as the event source mappings cut them (default batch size, 6 MiB payload),
// parsed from the invocation payload's JSON text and landed into the filesystem store (durable: every
// object and its directory synced), against the ceiling loop over the same envelopes. No broker, no queue.
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { FsObjectStore } from '../lib/adapters/store/fs-object-store.js';
import { EntryAcceptor } from '../lib/core/bus/put-events.js';
import { createEventValidator } from '../lib/core/events/validator.js';
import { generateWorkload, itemLine } from '../lib/core/generator/workload.js';
import { landKafkaEvent, type KafkaEvent, type KafkaEventRecord } from '../lib/core/landing/kafka-event.js';
import { DEFAULT_GZIP_LEVEL } from '../lib/core/landing/ndjson-gzip.js';
import { landSqsEvent, type SqsEvent, type SqsRecord } from '../lib/core/landing/sqs-event.js';
import { EVENT_SOURCE_LIMITS } from '../lib/core/landing/event-source-limits.js';
import { DEFAULT_ASSUMPTIONS } from '../lib/core/cost/assumptions.js';
import { machineInfo, type MachineInfo } from '../lib/local/machine-info.js';
import { median } from './stats.js';
import { CeilingLoop } from './json-ceiling.js';
import { benchWorkload } from './workloads.js';

/** What one side measured. */
export interface LandAloneMeasure {
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  /** CPU seconds of the process over the timed part (user + system). */
  readonly cpuSeconds: number;
  readonly landedEvents?: number;
  readonly objects?: number;
  /** Lambda events (invocations) the records came in, as the event source mapping cut them. */
  readonly invocations?: number;
  /**
   * Microseconds to create (and close) an empty file in the store's directory, median of a probe run just
   * before the timed part: what one object's file costs this filesystem before any byte is written.
   */
  readonly createMicros?: number;
}

export type LandAloneKind = 'land-kafka' | 'land-sqs' | 'land-ceiling';

/**
 * Where a side's store is: `disk`, the bench's work directory; `memory`, a directory on tmpfs (/dev/shm),
 * where creating a file costs microseconds and a sync returns at once: the landing's own cost, without
 * the disk's.
 */
export type LandAloneStore = 'disk' | 'memory';

/**
 * The batches an event source mapping makes of `records`: in order, up to `batchSize` records each, and no
 * more than fit in `maxBytes` of UTF-8 once `event` wraps them (the records are one JSON array in it), as
 * Lambda's invocation payload limit ends a batch. Returns each batch with its payload, the JSON text the
 * function receives.
 */
export function mappingBatches<R>(
  records: readonly R[],
  batchSize: number,
  event: (records: R[]) => unknown,
  maxBytes: number = EVENT_SOURCE_LIMITS.invocationPayloadBytes,
): { records: R[]; payload: string }[] {
  // The event without records, and each record's own bytes: the array adds a comma between two records.
  const empty = Buffer.byteLength(JSON.stringify(event([])));
  const out: { records: R[]; payload: string }[] = [];
  let batch: R[] = [];
  let bytes = empty;
  const flush = (): void => {
    const payload = JSON.stringify(event(batch));
    if (Buffer.byteLength(payload) !== bytes)
      throw new Error(`payload of ${Buffer.byteLength(payload)} bytes, ${bytes} expected`);
    out.push({ records: batch, payload });
    batch = [];
    bytes = empty;
  };
  for (const record of records) {
    const size = Buffer.byteLength(JSON.stringify(record));
    if (empty + size > maxBytes) throw new Error(`a record of ${size} bytes does not fit in ${maxBytes}`);
    if (batch.length === batchSize || (batch.length > 0 && bytes + 1 + size > maxBytes)) flush();
    bytes += (batch.length > 0 ? 1 : 0) + size;
    batch.push(record);
  }
  if (batch.length > 0) flush();
  return out;
}

/**
 * The workload's entries as the bus delivers them: one EventBridge envelope body per entry (ids made from
 * the position, so every run lands the same objects); an input the bus would refuse stays as its raw line,
 * which the landing quarantines.
 */
export function envelopeBodies(events: number): string[] {
  const acceptor = new EntryAcceptor({ account: '000000000000', region: 'us-east-1' });
  const now = new Date('2026-11-08T00:00:00Z');
  const bodies: string[] = [];
  let i = 0;
  for (const item of generateWorkload(benchWorkload(events))) {
    const line = itemLine(item);
    const id = `00000000-0000-4000-8000-${(i++).toString(16).padStart(12, '0')}`;
    let value: { source?: unknown; 'detail-type'?: unknown; time?: unknown; detail?: unknown };
    try {
      value = JSON.parse(line) as typeof value;
    } catch {
      bodies.push(line);
      continue;
    }
    const accepted =
      value !== null &&
      typeof value === 'object' &&
      typeof value.source === 'string' &&
      typeof value['detail-type'] === 'string'
        ? acceptor.accept(
            {
              Source: value.source,
              DetailType: value['detail-type'],
              Detail: JSON.stringify(value.detail),
              ...(typeof value.time === 'string' ? { Time: new Date(value.time) } : {}),
            },
            id,
            now,
          )
        : undefined;
    bodies.push(accepted?.ok ? accepted.body : line);
  }
  return bodies;
}

/** The Kafka path's batches of the bodies, as its event source mapping cuts them (the deploy default's size). */
export function kafkaBatches(
  bodies: readonly string[],
  batchSize: number = DEFAULT_ASSUMPTIONS.kafkaLanding.batchSize,
): { records: KafkaEventRecord[]; payload: string }[] {
  const records: KafkaEventRecord[] = bodies.map((body, i) => ({
    topic: 'elt-events',
    partition: 0,
    offset: i,
    timestamp: 1_762_560_000_000,
    timestampType: 'CREATE_TIME',
    key: Buffer.from(`user-${i % 97}`).toString('base64'),
    value: Buffer.from(body).toString('base64'),
    headers: [],
  }));
  return mappingBatches(records, batchSize, (batch): KafkaEvent => ({
    eventSource: 'SelfManagedKafka',
    bootstrapServers: '127.0.0.1:9092',
    records: { 'elt-events-0': batch },
  }));
}

/** The SQS path's batches of the bodies, as its event source mapping cuts them (the deploy default's size). */
export function sqsBatches(
  bodies: readonly string[],
  batchSize: number = DEFAULT_ASSUMPTIONS.landing.batchSize,
): { records: SqsRecord[]; payload: string }[] {
  const records: SqsRecord[] = bodies.map((body, i) => ({
    messageId: `00000000-0000-4000-9000-${i.toString(16).padStart(12, '0')}`,
    receiptHandle: `handle-${i}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1762560000000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1762560000000',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:elt-landing',
    awsRegion: 'us-east-1',
  }));
  return mappingBatches(records, batchSize, (batch): SqsEvent => ({ Records: batch }));
}

/** Files made by the probe of {@link fileCreateMicros}. */
const PROBE_FILES = 200;

/**
 * The median time to create and close an empty file in a fresh directory under `dir`. On some filesystems
 * this is far from the usual tens of microseconds: ext4 without a journal skips every inode freed in the
 * last half minute or so while it looks for a free one (find_inode_bit → recently_deleted), so a directory
 * on a block group with much recent deletion costs up to a millisecond per file (measured 2026-12-04 on
 * this machine's /tmp). The benchmark reports it, as the bound a landing of many small objects sits on.
 */
export async function fileCreateMicros(dir: string): Promise<number> {
  const probe = await mkdtemp(join(dir, 'probe-'));
  const times: number[] = [];
  // Synchronous on purpose: the filesystem's cost alone, without a round trip through the thread pool.
  for (let i = 0; i < PROBE_FILES; i++) {
    const t0 = process.hrtime.bigint();
    closeSync(openSync(join(probe, `f${i}`), 'w'));
    times.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  return median(times);
}

/**
 * One side, in this process: prepares its input untimed, then times the work alone. The store is a fresh
 * directory under `scratch`, left in place: the caller removes every run's store after the last run, so no
 * run creates its files while the filesystem is still freeing the previous run's.
 */
export async function measureLandAlone(
  kind: LandAloneKind,
  events: number,
  scratch: string,
): Promise<LandAloneMeasure> {
  const bodies = envelopeBodies(events);
  const validator = createEventValidator();
  const time = async (work: () => Promise<Partial<LandAloneMeasure>>): Promise<LandAloneMeasure> => {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const extra = await work();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    return {
      records: bodies.length,
      seconds,
      recordsPerSecond: bodies.length / seconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      ...extra,
    };
  };
  if (kind === 'land-ceiling') {
    // Made before the clock starts, as the landing's validator is.
    const loop = new CeilingLoop(DEFAULT_GZIP_LEVEL);
    return time(async () => {
      for (const line of bodies) loop.add(line);
      loop.finish();
      return {};
    });
  }
  const payloads = (kind === 'land-kafka' ? kafkaBatches(bodies) : sqsBatches(bodies)).map((b) => b.payload);
  await mkdir(scratch, { recursive: true });
  const dir = await mkdtemp(join(scratch, `${kind}-`));
  const createMicros = await fileCreateMicros(dir);
  const deps = { store: new FsObjectStore(join(dir, 'store')), validator, clock: { now: () => new Date() } };
  return {
    ...(await time(async () => {
      let landedEvents = 0;
      let objects = 0;
      for (const payload of payloads) {
        const result =
          kind === 'land-kafka'
            ? (await landKafkaEvent(JSON.parse(payload) as KafkaEvent, deps)).result
            : (await landSqsEvent(JSON.parse(payload) as SqsEvent, deps)).result;
        landedEvents += result.landedEvents;
        objects += result.objects.length;
      }
      if (landedEvents === 0) throw new Error('landing did no work');
      return { landedEvents, objects, invocations: payloads.length };
    })),
    createMicros,
  };
}

/** One Lambda-shaped side's medians. */
export interface LandingSide {
  readonly recordsPerSecond: number;
  readonly cpuSeconds: number;
  readonly ratio: number;
  readonly objects?: number;
  /** Lambda events the records came in. */
  readonly invocations?: number;
  /** Median microseconds to create an empty file in the side's store directory ({@link fileCreateMicros}). */
  readonly createMicros?: number;
}

/** A file create slower than this means the filesystem, not the landing, sets the pace: the report says so. */
export const SLOW_CREATE_MICROS = 100;

/** docs/benchmarks/landing.json. */
export interface LandingSummary {
  readonly benchmark: 'landing-alone';
  readonly workload: { readonly records: number; readonly file: string };
  readonly runs: number;
  readonly ceiling: { readonly recordsPerSecond: number };
  readonly kafka: LandingSide;
  readonly sqs: LandingSide;
  /** The same sides with their stores on tmpfs, when the machine has one. */
  readonly memory?: { readonly kafka: LandingSide; readonly sqs: LandingSide };
  /** The node options the landing sides ran with (the deployed landing function's heap), if any. */
  readonly landingNodeOptions?: string;
  readonly targets: readonly { readonly target: string; readonly value: string; readonly met: boolean }[];
  readonly machine: MachineInfo;
  readonly raw: readonly (LandAloneMeasure & {
    readonly kind: LandAloneKind;
    readonly store?: LandAloneStore;
    readonly run: number;
  })[];
}

/** The landing-alone target: each Lambda-shaped path lands at least this share of the ceiling's records/s. */
export const LANDING_ALONE_TARGET = 0.75;

/**
 * Runs every side `runs` times in fresh processes (`measureOnce`), alternating the order; medians.
 * `measureOnce` lands into stores it leaves in place; `cleanUp` removes them all after the last run.
 */
export async function runLandingBench(
  records: number,
  runs: number,
  measureOnce: (kind: LandAloneKind, records: number, store: LandAloneStore) => Promise<LandAloneMeasure>,
  log: (line: string) => void,
  options: {
    /** Removes every run's stores, after the last run. */
    readonly cleanUp?: () => Promise<void>;
    /** Also land into stores on tmpfs. */
    readonly memory?: boolean;
    /** The node options `measureOnce` gives the landing sides, for the report. */
    readonly landingNodeOptions?: string;
  } = {},
): Promise<LandingSummary> {
  const sides: { kind: LandAloneKind; store: LandAloneStore }[] = [
    { kind: 'land-ceiling', store: 'disk' },
    { kind: 'land-kafka', store: 'disk' },
    { kind: 'land-sqs', store: 'disk' },
    ...(options.memory
      ? [{ kind: 'land-kafka', store: 'memory' } as const, { kind: 'land-sqs', store: 'memory' } as const]
      : []),
  ];
  const raw: (LandAloneMeasure & { kind: LandAloneKind; store: LandAloneStore; run: number })[] = [];
  for (let run = 1; run <= runs; run++) {
    for (const { kind, store } of run % 2 ? sides : [...sides].reverse()) {
      const r = await measureOnce(kind, records, store);
      raw.push({ ...r, kind, store, run });
      const label = kind === 'land-ceiling' ? kind : `${kind} (${store})`;
      log(
        `run ${run}/${runs} ${label.padEnd(19)} ${Math.round(r.recordsPerSecond).toLocaleString('en-US')} records/s, ${r.cpuSeconds.toFixed(2)} CPU-s${r.createMicros === undefined ? '' : `, file create ${Math.round(r.createMicros)} µs`}`,
      );
    }
  }
  await options.cleanUp?.();
  const of = (kind: LandAloneKind, store: LandAloneStore) =>
    raw.filter((r) => r.kind === kind && (kind === 'land-ceiling' || r.store === store));
  const ceiling = median(of('land-ceiling', 'disk').map((r) => r.recordsPerSecond));
  const side = (kind: LandAloneKind, store: LandAloneStore = 'disk'): LandingSide => {
    const measured = of(kind, store);
    const med = (pick: (r: LandAloneMeasure) => number): number => median(measured.map(pick));
    const rate = med((r) => r.recordsPerSecond);
    const create = measured.flatMap((r) => (r.createMicros === undefined ? [] : [r.createMicros]));
    return {
      recordsPerSecond: Math.round(rate),
      cpuSeconds: Math.round(med((r) => r.cpuSeconds) * 100) / 100,
      ratio: Math.round((rate / ceiling) * 1000) / 1000,
      ...(measured[0]?.objects === undefined ? {} : { objects: measured[0].objects }),
      ...(measured[0]?.invocations === undefined ? {} : { invocations: measured[0].invocations }),
      ...(create.length === 0 ? {} : { createMicros: Math.round(median(create)) }),
    };
  };
  const kafka = side('land-kafka');
  const sqs = side('land-sqs');
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  return {
    benchmark: 'landing-alone',
    workload: {
      records,
      file: `bench/workloads.ts entries (seed "bench") as bus envelopes, in Lambda events cut as the event source mappings cut them: at the default batch size (Kafka ${DEFAULT_ASSUMPTIONS.kafkaLanding.batchSize.toLocaleString('en-US')} records, SQS ${DEFAULT_ASSUMPTIONS.landing.batchSize.toLocaleString('en-US')} messages) or where the payload would pass Lambda's ${EVENT_SOURCE_LIMITS.invocationPayloadBytes / 1024 / 1024} MiB, whichever comes first`,
    },
    runs,
    ceiling: { recordsPerSecond: Math.round(ceiling) },
    kafka,
    sqs,
    ...(options.memory
      ? { memory: { kafka: side('land-kafka', 'memory'), sqs: side('land-sqs', 'memory') } }
      : {}),
    ...(options.landingNodeOptions ? { landingNodeOptions: options.landingNodeOptions } : {}),
    targets: [
      {
        target: `Kafka-shaped landing alone ≥ ${pct(LANDING_ALONE_TARGET)} of the ceiling`,
        value: pct(kafka.ratio),
        met: kafka.ratio >= LANDING_ALONE_TARGET,
      },
      {
        target: `SQS-shaped landing alone ≥ ${pct(LANDING_ALONE_TARGET)} of the ceiling`,
        value: pct(sqs.ratio),
        met: sqs.ratio >= LANDING_ALONE_TARGET,
      },
    ],
    machine: machineInfo(),
    raw,
  };
}

/** The section as printed and as written to docs/benchmarks/README.md. */
export function landingText(s: LandingSummary): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  const row = (label: string, side: LandingSide): string =>
    `| ${label} | ${n(side.recordsPerSecond)} | ${side.cpuSeconds} | ${pct(side.ratio)} | ${side.invocations === undefined ? '' : n(side.invocations)} | ${side.objects === undefined ? '' : n(side.objects)} | ${side.createMicros === undefined ? '' : `${n(side.createMicros)} µs`} |`;
  const slow = [s.kafka, s.sqs].filter((side) => (side.createMicros ?? 0) > SLOW_CREATE_MICROS);
  return [
    '## Landing alone: Lambda-shaped batches into the filesystem store',
    '',
    `${n(s.workload.records)} records (${s.workload.file}), medians of ${s.runs} runs, each side in a fresh process;`,
    `the landing parses each invocation payload's JSON, decodes, validates, groups by partition, gzips at the`,
    'default level and writes each object durably (file and directory synced, and a new directory into its',
    'parent). The ceiling is the bare loop over the same envelopes (parse, validate, stringify, gzip).',
    'Each side lands into a fresh directory under `.tmp/bench/landing/`, all removed after the last run;',
    '"file create" is the median time to create an empty file there, probed just before the timed part: a',
    'bound no landing of small objects can beat on this filesystem. The tmpfs rows land the same way into',
    '`/dev/shm` (a file costs microseconds, a sync returns at once): the landing’s own cost, without the',
    'disk’s. The targets are on the disk rows.',
    ...(s.landingNodeOptions
      ? [
          `The landing sides run with the heap of the deployed landing function (\`NODE_OPTIONS=${s.landingNodeOptions}\`),`,
          'the ceiling loop with Node’s defaults, where it is fastest.',
        ]
      : []),
    '',
    '| side | records/s | CPU-s | of the ceiling | Lambda events | objects | file create |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ceiling loop | ${n(s.ceiling.recordsPerSecond)} | | 100% | | | |`,
    row('Kafka events (base64 records)', s.kafka),
    row('SQS events (messages)', s.sqs),
    ...(s.memory
      ? [row('Kafka events, store on tmpfs', s.memory.kafka), row('SQS events, store on tmpfs', s.memory.sqs)]
      : []),
    '',
    ...s.targets.map((t) => `- ${t.met ? '✓' : '✗'} ${t.target}: ${t.value}`),
    ...(slow.length > 0
      ? [
          '',
          `⚠ Creating a file took over ${SLOW_CREATE_MICROS} µs in the store directory: the filesystem, not the landing,`,
          'set these figures (ext4 without a journal skips recently freed inodes while allocating one).',
        ]
      : []),
    '',
    `Measured ${s.machine.date.slice(0, 10)}, ${s.machine.cores} cores, Node ${s.machine.node}.`,
  ].join('\n');
}
