// Landing alone: the Lambda-shaped batches of the Kafka path (events of 10,000 base64 records, as the Kafka
// benchmark's consumer hands them over) and of the SQS path (events of 1,000 messages, the landing's batch
// size), parsed from the invocation payload's JSON text and landed into the filesystem store (durable: every
// object and its directory synced), against the ceiling loop over the same envelopes. No broker, no queue.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStore } from '../lib/adapters/store/fs-object-store.js';
import { EntryAcceptor } from '../lib/core/bus/put-events.js';
import { createEventValidator } from '../lib/core/events/validator.js';
import { generateWorkload, itemLine } from '../lib/core/generator/workload.js';
import { landKafkaEvent, type KafkaEvent } from '../lib/core/landing/kafka-event.js';
import { DEFAULT_GZIP_LEVEL } from '../lib/core/landing/ndjson-gzip.js';
import { landSqsEvent, type SqsEvent } from '../lib/core/landing/sqs-event.js';
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
}

export type LandAloneKind = 'land-kafka' | 'land-sqs' | 'land-ceiling';

/** Records per Lambda event: the Kafka benchmark's 10,000, the SQS landing's default batch of 1,000. */
export const KAFKA_EVENT_RECORDS = 10_000;
export const SQS_EVENT_RECORDS = 1_000;

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

/** The invocation payloads (JSON text, as Lambda receives them) of the Kafka path. */
function kafkaPayloads(bodies: readonly string[]): string[] {
  const out: string[] = [];
  for (let s = 0; s < bodies.length; s += KAFKA_EVENT_RECORDS) {
    const event: KafkaEvent = {
      eventSource: 'SelfManagedKafka',
      bootstrapServers: '127.0.0.1:9092',
      records: {
        'elt-events-0': bodies.slice(s, s + KAFKA_EVENT_RECORDS).map((body, k) => ({
          topic: 'elt-events',
          partition: 0,
          offset: s + k,
          timestamp: 1_762_560_000_000,
          timestampType: 'CREATE_TIME',
          key: Buffer.from(`user-${k % 97}`).toString('base64'),
          value: Buffer.from(body).toString('base64'),
          headers: [],
        })),
      },
    };
    out.push(JSON.stringify(event));
  }
  return out;
}

/** The invocation payloads of the SQS path. */
function sqsPayloads(bodies: readonly string[]): string[] {
  const out: string[] = [];
  for (let s = 0; s < bodies.length; s += SQS_EVENT_RECORDS) {
    const event: SqsEvent = {
      Records: bodies.slice(s, s + SQS_EVENT_RECORDS).map((body, k) => ({
        messageId: `00000000-0000-4000-9000-${(s + k).toString(16).padStart(12, '0')}`,
        receiptHandle: `handle-${s + k}`,
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
      })),
    };
    out.push(JSON.stringify(event));
  }
  return out;
}

/** One side, in this process: prepares its input untimed, then times the work alone. */
export async function measureLandAlone(kind: LandAloneKind, events: number): Promise<LandAloneMeasure> {
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
  const payloads = kind === 'land-kafka' ? kafkaPayloads(bodies) : sqsPayloads(bodies);
  const dir = await mkdtemp(join(tmpdir(), 'elt-land-alone-'));
  try {
    const deps = { store: new FsObjectStore(dir), validator, clock: { now: () => new Date() } };
    return await time(async () => {
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
      return { landedEvents, objects };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** docs/benchmarks/landing.json. */
export interface LandingSummary {
  readonly benchmark: 'landing-alone';
  readonly workload: { readonly records: number; readonly file: string };
  readonly runs: number;
  readonly ceiling: { readonly recordsPerSecond: number };
  readonly kafka: { readonly recordsPerSecond: number; readonly cpuSeconds: number; readonly ratio: number };
  readonly sqs: { readonly recordsPerSecond: number; readonly cpuSeconds: number; readonly ratio: number };
  readonly targets: readonly { readonly target: string; readonly value: string; readonly met: boolean }[];
  readonly machine: MachineInfo;
  readonly raw: readonly (LandAloneMeasure & { readonly kind: LandAloneKind; readonly run: number })[];
}

/** The landing-alone target: each Lambda-shaped path lands at least this share of the ceiling's records/s. */
export const LANDING_ALONE_TARGET = 0.75;

/** Runs every side `runs` times in fresh processes (`measureOnce`), alternating the order; medians. */
export async function runLandingBench(
  records: number,
  runs: number,
  measureOnce: (kind: LandAloneKind, records: number) => Promise<LandAloneMeasure>,
  log: (line: string) => void,
): Promise<LandingSummary> {
  const kinds: LandAloneKind[] = ['land-ceiling', 'land-kafka', 'land-sqs'];
  const raw: (LandAloneMeasure & { kind: LandAloneKind; run: number })[] = [];
  for (let run = 1; run <= runs; run++) {
    for (const kind of run % 2 ? kinds : [...kinds].reverse()) {
      const r = await measureOnce(kind, records);
      raw.push({ ...r, kind, run });
      log(
        `run ${run}/${runs} ${kind.padEnd(12)} ${Math.round(r.recordsPerSecond).toLocaleString('en-US')} records/s, ${r.cpuSeconds.toFixed(2)} CPU-s`,
      );
    }
  }
  const med = (kind: LandAloneKind, pick: (r: LandAloneMeasure) => number): number =>
    median(raw.filter((r) => r.kind === kind).map(pick));
  const ceiling = med('land-ceiling', (r) => r.recordsPerSecond);
  const side = (kind: LandAloneKind) => {
    const rate = med(kind, (r) => r.recordsPerSecond);
    return {
      recordsPerSecond: Math.round(rate),
      cpuSeconds: Math.round(med(kind, (r) => r.cpuSeconds) * 100) / 100,
      ratio: Math.round((rate / ceiling) * 1000) / 1000,
    };
  };
  const kafka = side('land-kafka');
  const sqs = side('land-sqs');
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  return {
    benchmark: 'landing-alone',
    workload: {
      records,
      file: 'bench/workloads.ts entries (seed "bench") as bus envelopes; Kafka events of 10,000 records, SQS events of 1,000',
    },
    runs,
    ceiling: { recordsPerSecond: Math.round(ceiling) },
    kafka,
    sqs,
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
  return [
    '## Landing alone: Lambda-shaped batches into the filesystem store',
    '',
    `${n(s.workload.records)} records (${s.workload.file}), medians of ${s.runs} runs, each side in a fresh process;`,
    `the landing parses each invocation payload's JSON, decodes, validates, groups by partition, gzips at the`,
    'default level and writes each object durably (file and directory synced). The ceiling is the bare loop',
    'over the same envelopes (parse, validate, stringify, gzip).',
    '',
    '| side | records/s | CPU-s | of the ceiling |',
    '| --- | ---: | ---: | ---: |',
    `| ceiling loop | ${n(s.ceiling.recordsPerSecond)} | | 100% |`,
    `| Kafka events (10,000 base64 records) | ${n(s.kafka.recordsPerSecond)} | ${s.kafka.cpuSeconds} | ${pct(s.kafka.ratio)} |`,
    `| SQS events (1,000 messages) | ${n(s.sqs.recordsPerSecond)} | ${s.sqs.cpuSeconds} | ${pct(s.sqs.ratio)} |`,
    '',
    ...s.targets.map((t) => `- ${t.met ? '✓' : '✗'} ${t.target}: ${t.value}`),
    '',
    `Measured ${s.machine.date.slice(0, 10)}, ${s.machine.cores} cores, Node ${s.machine.node}.`,
  ].join('\n');
}
