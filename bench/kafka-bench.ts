// The Kafka benchmarks: the project's producer and landing consumer against Kafka's own ProducerPerformance
// and ConsumerPerformance, side by side in one run on one broker, with the same topic settings.
import { execFile, spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Admin } from '@platformatic/kafka';
import { n, table } from '../lib/cli/output.js';
import { packageRoot } from '../lib/package-paths.js';
import {
  envelopeSizes,
  KAFKA_PUBLISH_IN_FLIGHT,
  type KafkaLandMeasure,
  type KafkaProduceMeasure,
} from './kafka.js';
import { kafkaVersions, machineInfo, type MachineInfo } from '../lib/local/machine-info.js';
import type { LandAloneMeasure } from './land-alone.js';
import { median } from './stats.js';
import { benchWorkload, writeWorkload } from './workloads.js';

const exec = promisify(execFile);

/** Partitions of every topic the benchmark creates (the project's default for `--create-topic`). */
const PARTITIONS = 3;
/** The producer settings both producers run with (KafkaBus's fixed ones; the Java tool's are passed). */
const PRODUCER_PROPS = ['acks=all', 'enable.idempotence=true', 'compression.type=lz4'];

export interface KafkaBenchOptions {
  readonly events: number;
  readonly runs: number;
  /** Scratch directory for the workload, payload file and stores. */
  readonly work: string;
}

type ProducerSide = 'ours' | 'perf-record-size' | 'perf-payload-file';
type ConsumerSide = 'ours' | 'perf' | 'consume-alone' | 'land-alone';

/** The consume → land target: this share of the serial bound 1 / (1/consume-alone + 1/land-alone). */
export const CONSUME_LAND_TARGET = 0.85;

/**
 * Records/s of two stages run one after the other on the same cores, from each one's rate alone: each record
 * costs 1/consume + 1/land seconds. (With a core each, overlapping, the bound is min(consume, land).)
 */
export function serialBound(consumeRecordsPerSecond: number, landRecordsPerSecond: number): number {
  return 1 / (1 / consumeRecordsPerSecond + 1 / landRecordsPerSecond);
}

/** One measurement, as kept under `raw`. */
export type KafkaRaw =
  | ({ readonly stage: 'produce'; readonly side: 'ours'; readonly run: number } & KafkaProduceMeasure & Rss)
  | ({
      readonly stage: 'produce';
      readonly side: Exclude<ProducerSide, 'ours'>;
      readonly run: number;
    } & PerfProduce &
      Rss)
  | ({ readonly stage: 'consume'; readonly side: 'ours'; readonly run: number } & KafkaLandMeasure & Rss)
  | ({ readonly stage: 'consume'; readonly side: 'perf'; readonly run: number } & PerfConsume & Rss)
  | ({
      readonly stage: 'consume';
      readonly side: 'consume-alone';
      readonly run: number;
    } & KafkaLandMeasure &
      Rss)
  | ({ readonly stage: 'consume'; readonly side: 'land-alone'; readonly run: number } & LandAloneMeasure &
      Rss);

interface Rss {
  readonly peakRssMb: number;
  /** Wall time of the whole child process, startup included (JVM or Node). */
  readonly processSeconds: number;
}

/** ProducerPerformance's summary line. */
interface PerfProduce {
  readonly records: number;
  readonly recordsPerSecond: number;
  readonly mbPerSecond: number;
  readonly avgLatencyMs: number;
  readonly maxLatencyMs: number;
}

/** ConsumerPerformance's CSV line. */
interface PerfConsume {
  readonly records: number;
  /** nMsg.sec: records / (end.time − start.time), the join (rebalance) included. */
  readonly recordsPerSecond: number;
  readonly seconds: number;
  readonly rebalanceMs: number;
  readonly fetchMs: number;
  /** fetch.nMsg.sec: the join excluded. */
  readonly fetchRecordsPerSecond: number;
}

export interface KafkaSummary {
  readonly benchmark: 'kafka';
  readonly workload: {
    readonly events: number;
    readonly records: number;
    readonly envelopeBytes: { median: number; mean: number; min: number; max: number };
    readonly file: string;
  };
  readonly broker: {
    readonly bootstrap: string;
    readonly startedByBench: boolean;
    readonly partitions: number;
    readonly topics: string;
  };
  readonly runs: number;
  readonly producer: {
    readonly settings: string;
    readonly ours: {
      recordsPerSecond: number;
      peakRssMb: number;
      inputsPerSecond: number;
      /** Produce requests refused and retried, summed over the timed runs. */
      failedRequests: number;
    };
    readonly recordSize: {
      recordsPerSecond: number;
      mbPerSecond: number;
      peakRssMb: number;
      recordBytes: number;
    };
    readonly payloadFile: {
      recordsPerSecond: number;
      mbPerSecond: number;
      peakRssMb: number;
      payloads: number;
    };
    readonly ratio: number;
    readonly ratioPayloadFile: number;
  };
  readonly consumer: {
    readonly ours: {
      recordsPerSecond: number;
      runRecordsPerSecond: number;
      peakRssMb: number;
      landedObjects: number | undefined;
      quarantined: number | undefined;
    };
    readonly perf: {
      recordsPerSecond: number;
      fetchRecordsPerSecond: number;
      rebalanceMs: number;
      peakRssMb: number;
    };
    readonly ratio: number;
    /** Our consumer group with a function that does nothing: consuming alone, same clock as ours. */
    readonly consumeAlone?: { recordsPerSecond: number; peakRssMb: number };
    /** The Kafka-shaped landing alone (bench/land-alone.ts) over the same workload, no broker. */
    readonly landAlone?: { recordsPerSecond: number; peakRssMb: number };
    /** 1 / (1/consume-alone + 1/land-alone): both on the same cores, one after the other. */
    readonly bound?: number;
    /** ours / bound. */
    readonly boundRatio?: number;
  };
  readonly targets: readonly { target: string; value: string; met: boolean }[];
  readonly machine: MachineInfo;
  readonly raw: readonly KafkaRaw[];
}

const script = (): string => join(packageRoot(), 'scripts', 'services', 'kafka.sh');

async function kafkaSh(args: readonly string[]): Promise<string> {
  const { stdout } = await exec(script(), [...args], { env: process.env, maxBuffer: 1 << 20 });
  return stdout.trim();
}

/** The last lines of a failed command's stderr, for a one-paragraph message. */
function failure(error: unknown): string {
  const e = error as { stderr?: string; message?: string };
  const text = (e.stderr ?? '').trim() || e.message || String(error);
  return text.split('\n').slice(-6).join('\n');
}

/**
 * Makes sure a broker answers, starting one with scripts/services/kafka.sh (honouring ELT_KAFKA_HOME,
 * ELT_KAFKA_PORT, …) if none does. Returns its address and whether this call started it.
 */
async function ensureBroker(): Promise<{ bootstrap: string; started: boolean }> {
  const bootstrap = await kafkaSh(['url']);
  try {
    await kafkaSh(['status']);
    return { bootstrap, started: false };
  } catch {
    // Not answering: start it.
  }
  process.stderr.write(`starting a Kafka broker on ${bootstrap} (scripts/services/kafka.sh up)…\n`);
  try {
    await kafkaSh(['up']);
  } catch (error) {
    throw new Error(
      `Kafka could not start on ${bootstrap} (scripts/services/kafka.sh up):\n${failure(error)}`,
    );
  }
  return { bootstrap, started: true };
}

/** Peak resident memory of a process so far, from /proc (0 once it is gone). */
async function vmHwmMb(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Runs a Kafka tool class through `kafka.sh tool` (which execs the JVM, so the pid is the JVM's) and
 * samples its peak RSS until it exits.
 */
async function runTool(cls: string, args: readonly string[]): Promise<{ stdout: string } & Rss> {
  const t0 = process.hrtime.bigint();
  const child = spawn(script(), ['tool', cls, ...args], {
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let peak = 0;
  const sample = setInterval(() => {
    if (child.pid) void vmHwmMb(child.pid).then((mb) => (peak = Math.max(peak, mb)));
  }, 50);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  }).finally(() => clearInterval(sample));
  if (code !== 0)
    throw new Error(
      `${cls} exited with ${code}:\n${(stderr || stdout).trim().split('\n').slice(-8).join('\n')}`,
    );
  return { stdout, peakRssMb: peak, processSeconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** Runs the project's side in a fresh Node process (measure-once.js). */
async function runOurs<T>(
  kind: 'kafka-produce' | 'kafka-land' | 'kafka-consume' | 'land-kafka',
  args: readonly string[],
): Promise<T & Rss> {
  const t0 = process.hrtime.bigint();
  const measureOnce = join(packageRoot(), 'dist', 'bench', 'measure-once.js');
  const { stdout } = await exec(process.execPath, [measureOnce, kind, ...args], { maxBuffer: 1 << 20 });
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as T & { peakRssMb: number };
  return { ...result, processSeconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** ProducerPerformance's final line: "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, … 99.9th." */
export function parseProducerPerformance(stdout: string): PerfProduce {
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => /records sent.*99\.9th/.test(l));
  const m =
    line &&
    /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency/.exec(
      line.trim(),
    );
  if (!m) throw new Error(`no summary line in ProducerPerformance's output:\n${stdout.slice(-1000)}`);
  return {
    records: Number(m[1]),
    recordsPerSecond: Number(m[2]),
    mbPerSecond: Number(m[3]),
    avgLatencyMs: Number(m[4]),
    maxLatencyMs: Number(m[5]),
  };
}

/**
 * ConsumerPerformance's CSV line: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg,
 * nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec. start.time is taken after the
 * consumer is constructed, before it subscribes: the group join is inside end − start.
 */
export function parseConsumerPerformance(stdout: string): PerfConsume {
  if (/WARNING: Exiting before consuming/.test(stdout))
    throw new Error(`ConsumerPerformance timed out before reading every record:\n${stdout.trim()}`);
  const line = stdout.trim().split('\n').at(-1) ?? '';
  const f = line.split(',').map((s) => s.trim());
  if (f.length !== 10 || !/^\d+$/.test(f[4] ?? ''))
    throw new Error(`no result line in ConsumerPerformance's output:\n${stdout.slice(-1000)}`);
  const records = Number(f[4]);
  const recordsPerSecond = Number(f[5]);
  return {
    records,
    recordsPerSecond,
    seconds: records / recordsPerSecond,
    rebalanceMs: Number(f[6]),
    fetchMs: Number(f[7]),
    fetchRecordsPerSecond: Number(f[9]),
  };
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:T]/g, '').replace(/\..*$/, '');
}

/** The Kafka benchmarks. Starts the broker if none answers, and stops it afterwards only then. */
export async function runKafkaBench(options: KafkaBenchOptions): Promise<KafkaSummary> {
  const file = join(options.work, 'kafka-workload.ndjson');
  process.stderr.write(`generating ${n(options.events)} events → ${file}\n`);
  await writeWorkload(file, benchWorkload(options.events));
  const sizes = await envelopeSizes(file);
  const payloadFile = join(options.work, 'kafka-payloads.txt');
  await writeFile(payloadFile, `${sizes.sample.join('\n')}\n`);
  const recordBytes = sizes.medianBytes;
  const N = sizes.records;
  process.stderr.write(
    `${n(N)} valid entries → envelopes of ${sizes.minBytes}–${sizes.maxBytes} bytes, median ${sizes.medianBytes}, mean ${sizes.meanBytes}\n`,
  );

  const { bootstrap, started } = await ensureBroker();
  const prefix = `bench-${stamp()}`;
  const topics: string[] = [];
  const admin = new Admin({
    clientId: 'elt-bench-admin',
    bootstrapBrokers: [bootstrap],
    retries: 3,
    retryDelay: 500,
  });
  const createTopic = async (name: string): Promise<string> => {
    await admin.createTopics({ topics: [name], partitions: PARTITIONS, replicas: 1 });
    topics.push(name);
    // A topic takes a moment to have a leader for every partition; a producer that starts before that
    // has its first request refused and retried, which would be timed.
    for (let attempt = 0; ; attempt++) {
      const meta = await admin.metadata({ topics: [name], forceUpdate: true }).catch(() => undefined);
      const parts = meta?.topics.get(name)?.partitions ?? [];
      if (parts.length === PARTITIONS && parts.every((p) => p.leader >= 0)) break;
      if (attempt >= 100) throw new Error(`topic ${name} has no leader for every partition after 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return name;
  };
  const store = (name: string): string => join(options.work, name);
  const raw: KafkaRaw[] = [];
  try {
    const perfProduce = async (
      topic: string,
      payload: 'record-size' | 'payload-file',
    ): Promise<PerfProduce & Rss> => {
      const { stdout, ...rss } = await runTool('org.apache.kafka.tools.ProducerPerformance', [
        '--topic',
        topic,
        '--num-records',
        String(N),
        ...(payload === 'record-size'
          ? ['--record-size', String(recordBytes)]
          : ['--payload-file', payloadFile]),
        '--throughput',
        '-1',
        '--producer-props',
        `bootstrap.servers=${bootstrap}`,
        ...PRODUCER_PROPS,
      ]);
      return { ...parseProducerPerformance(stdout), ...rss };
    };
    const ourProduce = async (topic: string): Promise<KafkaProduceMeasure & Rss> => {
      await rm(store('kafka-publish-store'), { recursive: true, force: true });
      const r = await runOurs<KafkaProduceMeasure>('kafka-produce', [
        bootstrap,
        topic,
        file,
        store('kafka-publish-store'),
      ]);
      if (r.records !== N) throw new Error(`the project's producer sent ${r.records} records, expected ${N}`);
      return r;
    };
    const perfConsume = async (topic: string, group: string): Promise<PerfConsume & Rss> => {
      const { stdout, ...rss } = await runTool('org.apache.kafka.tools.ConsumerPerformance', [
        '--bootstrap-server',
        bootstrap,
        '--topic',
        topic,
        '--messages',
        String(N),
        '--group',
        group,
        '--timeout',
        '30000',
      ]);
      return { ...parseConsumerPerformance(stdout), ...rss };
    };
    const ourConsume = async (topic: string, group: string): Promise<KafkaLandMeasure & Rss> => {
      await rm(store('kafka-land-store'), { recursive: true, force: true });
      return runOurs<KafkaLandMeasure>('kafka-land', [
        bootstrap,
        topic,
        group,
        store('kafka-land-store'),
        String(N),
      ]);
    };

    const consumeAlone = async (topic: string, group: string): Promise<KafkaLandMeasure & Rss> =>
      runOurs<KafkaLandMeasure>('kafka-consume', [bootstrap, topic, group, String(N)]);
    const landAlone = async (): Promise<LandAloneMeasure & Rss> =>
      // Its stores stay under land-alone/ until the end (bench/land-alone.ts says why).
      runOurs<LandAloneMeasure>('land-kafka', [String(options.events), store('land-alone')]);

    // The topic both consumers read, filled by the project's producer with the workload's envelopes. Filling
    // it and one untimed run of each Kafka tool warm the broker (and the page cache) for both sides.
    const landTopic = await createTopic(`${prefix}-land`);
    process.stderr.write(
      `warm-up: filling ${landTopic} with ${n(N)} records, one untimed run of each tool\n`,
    );
    await ourProduce(landTopic);
    await perfProduce(await createTopic(`${prefix}-warmup`), 'record-size');
    await perfConsume(landTopic, `${prefix}-warmup-perf`);

    for (let run = 1; run <= options.runs; run++) {
      // Alternate the order so drift in the machine's speed hits both sides alike.
      const produceOrder: ProducerSide[] =
        run % 2
          ? ['perf-record-size', 'perf-payload-file', 'ours']
          : ['ours', 'perf-payload-file', 'perf-record-size'];
      for (const side of produceOrder) {
        const topic = await createTopic(`${prefix}-p${run}-${side}`);
        const r =
          side === 'ours'
            ? { stage: 'produce' as const, side, run, ...(await ourProduce(topic)) }
            : {
                stage: 'produce' as const,
                side,
                run,
                ...(await perfProduce(topic, side === 'perf-record-size' ? 'record-size' : 'payload-file')),
              };
        raw.push(r);
        const failed =
          'failedRequests' in r && r.failedRequests > 0
            ? ` (${r.failedRequests} produce requests refused and retried)`
            : '';
        process.stderr.write(
          `run ${run}/${options.runs} produce ${side.padEnd(17)} ${n(Math.round(r.recordsPerSecond))} records/s, peak RSS ${Math.round(r.peakRssMb)} MB${failed}\n`,
        );
      }
      const consumeSides: ConsumerSide[] = ['perf', 'consume-alone', 'ours', 'land-alone'];
      const consumeOrder = run % 2 ? consumeSides : [...consumeSides].reverse();
      for (const side of consumeOrder) {
        const group = `${prefix}-r${run}-${side}`;
        const r: KafkaRaw =
          side === 'ours'
            ? { stage: 'consume', side, run, ...(await ourConsume(landTopic, group)) }
            : side === 'perf'
              ? { stage: 'consume', side, run, ...(await perfConsume(landTopic, group)) }
              : side === 'consume-alone'
                ? { stage: 'consume', side, run, ...(await consumeAlone(landTopic, group)) }
                : { stage: 'consume', side, run, ...(await landAlone()) };
        raw.push(r);
        process.stderr.write(
          `run ${run}/${options.runs} consume ${side.padEnd(17)} ${n(Math.round(r.recordsPerSecond))} records/s, peak RSS ${Math.round(r.peakRssMb)} MB\n`,
        );
      }
    }
  } finally {
    await rm(store('kafka-publish-store'), { recursive: true, force: true });
    await rm(store('kafka-land-store'), { recursive: true, force: true });
    await rm(store('land-alone'), { recursive: true, force: true });
    if (topics.length > 0) {
      await admin.deleteTopics({ topics }).catch((error: Error) => {
        process.stderr.write(`could not delete the benchmark topics ${prefix}-*: ${error.message}\n`);
      });
    }
    await admin.close().catch(() => undefined);
    if (started) {
      process.stderr.write(`stopping the Kafka broker the benchmark started\n`);
      await kafkaSh(['down']).catch((error: unknown) => {
        process.stderr.write(`could not stop it: ${failure(error)}\n`);
      });
    }
  }

  type Of<S, D> = Extract<KafkaRaw, { stage: S }> & { side: D };
  const pick = <S extends KafkaRaw['stage'], D extends KafkaRaw['side']>(stage: S, side: D): Of<S, D>[] =>
    raw.filter((r) => r.stage === stage && r.side === side) as Of<S, D>[];
  const maxRss = (rs: readonly Rss[]): number => Math.round(Math.max(...rs.map((r) => r.peakRssMb)));
  const med = (values: readonly number[]): number => Math.round(median(values));

  const oursP = pick('produce', 'ours');
  const sizeP = pick('produce', 'perf-record-size');
  const fileP = pick('produce', 'perf-payload-file');
  const oursC = pick('consume', 'ours');
  const perfC = pick('consume', 'perf');
  const aloneC = pick('consume', 'consume-alone');
  const aloneL = pick('consume', 'land-alone');
  const consumeAloneRate = median(aloneC.map((r) => r.recordsPerSecond));
  const landAloneRate = median(aloneL.map((r) => r.recordsPerSecond));
  const bound = serialBound(consumeAloneRate, landAloneRate);
  const boundRatio = median(oursC.map((r) => r.recordsPerSecond)) / bound;
  const producerRatio =
    median(oursP.map((r) => r.recordsPerSecond)) / median(sizeP.map((r) => r.recordsPerSecond));
  const payloadRatio =
    median(oursP.map((r) => r.recordsPerSecond)) / median(fileP.map((r) => r.recordsPerSecond));
  const consumerRatio =
    median(oursC.map((r) => r.recordsPerSecond)) / median(perfC.map((r) => r.recordsPerSecond));
  const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
  const round3 = (x: number): number => Math.round(x * 1000) / 1000;

  return {
    benchmark: 'kafka',
    workload: {
      events: options.events,
      records: N,
      envelopeBytes: {
        median: sizes.medianBytes,
        mean: sizes.meanBytes,
        min: sizes.minBytes,
        max: sizes.maxBytes,
      },
      file: 'generated by bench/workloads.ts (seed "bench", 7 days, demo rates, no 1 MiB entries); records are the entries the bus accepts',
    },
    broker: {
      bootstrap,
      startedByBench: started,
      partitions: PARTITIONS,
      topics: `fresh ${prefix}-* topics (replication factor 1), deleted at the end`,
    },
    runs: options.runs,
    producer: {
      settings: `${PRODUCER_PROPS.join(', ')}; ProducerPerformance --throughput -1 with the Java client's other defaults (linger.ms 5, batch.size 16384, null keys); KafkaBus keyed by user, linger 5 ms, up to 2000 records per request, publishEvents maxInFlight ${KAFKA_PUBLISH_IN_FLIGHT}`,
      ours: {
        recordsPerSecond: med(oursP.map((r) => r.recordsPerSecond)),
        inputsPerSecond: med(oursP.map((r) => r.inputs / r.seconds)),
        peakRssMb: maxRss(oursP),
        failedRequests: oursP.reduce((sum, r) => sum + r.failedRequests, 0),
      },
      recordSize: {
        recordsPerSecond: med(sizeP.map((r) => r.recordsPerSecond)),
        mbPerSecond: Math.round(median(sizeP.map((r) => r.mbPerSecond)) * 10) / 10,
        peakRssMb: maxRss(sizeP),
        recordBytes,
      },
      payloadFile: {
        recordsPerSecond: med(fileP.map((r) => r.recordsPerSecond)),
        mbPerSecond: Math.round(median(fileP.map((r) => r.mbPerSecond)) * 10) / 10,
        peakRssMb: maxRss(fileP),
        payloads: sizes.sample.length,
      },
      ratio: round3(producerRatio),
      ratioPayloadFile: round3(payloadRatio),
    },
    consumer: {
      ours: {
        recordsPerSecond: med(oursC.map((r) => r.recordsPerSecond)),
        runRecordsPerSecond: med(oursC.map((r) => r.records / r.runSeconds)),
        peakRssMb: maxRss(oursC),
        landedObjects: oursC[0]?.landedObjects,
        quarantined: oursC[0]?.quarantined,
      },
      perf: {
        recordsPerSecond: med(perfC.map((r) => r.recordsPerSecond)),
        fetchRecordsPerSecond: med(perfC.map((r) => r.fetchRecordsPerSecond)),
        rebalanceMs: med(perfC.map((r) => r.rebalanceMs)),
        peakRssMb: maxRss(perfC),
      },
      ratio: round3(consumerRatio),
      consumeAlone: { recordsPerSecond: Math.round(consumeAloneRate), peakRssMb: maxRss(aloneC) },
      landAlone: { recordsPerSecond: Math.round(landAloneRate), peakRssMb: maxRss(aloneL) },
      bound: Math.round(bound),
      boundRatio: round3(boundRatio),
    },
    targets: [
      {
        target: 'producer ≥ 50% of ProducerPerformance',
        value: pct(producerRatio),
        met: producerRatio >= 0.5,
      },
      {
        target: `consume → land ≥ ${pct(CONSUME_LAND_TARGET)} of 1 / (1/consume-alone + 1/land-alone)`,
        value: pct(boundRatio),
        met: boundRatio >= CONSUME_LAND_TARGET,
      },
    ],
    machine: machineInfo(await kafkaVersions()),
    raw,
  };
}

/** The printed result: a table, the ratios, the targets. */
export function kafkaText(s: KafkaSummary): string {
  const m = s.machine;
  const rows = [
    {
      measure: `producer: KafkaBus + publishEvents (maxInFlight ${KAFKA_PUBLISH_IN_FLIGHT})`,
      'records/s': s.producer.ours.recordsPerSecond,
      'peak RSS MB': s.producer.ours.peakRssMb,
    },
    {
      measure: `producer: ProducerPerformance --record-size ${s.producer.recordSize.recordBytes}`,
      'records/s': s.producer.recordSize.recordsPerSecond,
      'peak RSS MB': s.producer.recordSize.peakRssMb,
    },
    {
      measure: `producer: ProducerPerformance --payload-file (our envelopes)`,
      'records/s': s.producer.payloadFile.recordsPerSecond,
      'peak RSS MB': s.producer.payloadFile.peakRssMb,
    },
    {
      measure: 'consume → land: KafkaLanding, start → caught up',
      'records/s': s.consumer.ours.recordsPerSecond,
      'peak RSS MB': s.consumer.ours.peakRssMb,
    },
    ...(s.consumer.consumeAlone && s.consumer.landAlone && s.consumer.bound
      ? [
          {
            measure: 'consume alone: KafkaLanding’s event source, function a no-op',
            'records/s': s.consumer.consumeAlone.recordsPerSecond,
            'peak RSS MB': s.consumer.consumeAlone.peakRssMb,
          },
          {
            measure: 'land alone: Kafka-shaped events into the filesystem store, no broker',
            'records/s': s.consumer.landAlone.recordsPerSecond,
            'peak RSS MB': s.consumer.landAlone.peakRssMb,
          },
          {
            measure: 'bound: 1 / (1/consume alone + 1/land alone)',
            'records/s': s.consumer.bound,
            'peak RSS MB': '',
          },
        ]
      : []),
    {
      measure: 'consume (reference): ConsumerPerformance nMsg.sec (join included)',
      'records/s': s.consumer.perf.recordsPerSecond,
      'peak RSS MB': s.consumer.perf.peakRssMb,
    },
  ];
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  return [
    `Kafka ${m.versions.kafka} (one broker, ${s.broker.partitions} partitions), ${n(s.workload.records)} records (envelopes median ${s.workload.envelopeBytes.median} B, mean ${s.workload.envelopeBytes.mean} B) from ${n(s.workload.events)} workload events, median of ${s.runs} runs (${m.cores} cores, ${m.cpu}, Node ${m.node}, Java ${m.versions.java}, @platformatic/kafka ${m.versions['@platformatic/kafka']})`,
    '',
    table(rows),
    '',
    `producer: ours/ProducerPerformance ${pct(s.producer.ratio)} (vs --payload-file: ${pct(s.producer.ratioPayloadFile)}) · ours ${n(s.producer.ours.inputsPerSecond)} workload lines/s${(s.producer.ours.failedRequests ?? 0) > 0 ? ` · ${n(s.producer.ours.failedRequests)} produce requests refused and retried in the timed runs` : ''}`,
    ...(s.consumer.bound &&
    s.consumer.boundRatio !== undefined &&
    s.consumer.consumeAlone &&
    s.consumer.landAlone
      ? [
          `consume → land: ours/bound ${pct(s.consumer.boundRatio)} (bound ${n(s.consumer.bound)} records/s: consuming and landing one after the other on the same cores) · with a core each for consuming and landing the bound would be min(consume alone, land alone) = ${n(Math.min(s.consumer.consumeAlone.recordsPerSecond, s.consumer.landAlone.recordsPerSecond))} records/s`,
        ]
      : []),
    `consume → land: ours/ConsumerPerformance ${pct(s.consumer.ratio)} (reference) · ours until run() returns (lag poll + leaving the group): ${n(s.consumer.ours.runRecordsPerSecond)} records/s · ConsumerPerformance without its join (fetch.nMsg.sec): ${n(s.consumer.perf.fetchRecordsPerSecond)} records/s, join ${n(s.consumer.perf.rebalanceMs)} ms`,
    '',
    ...s.targets.map((t) => `${t.met ? '✓' : '✗'} ${t.target}: ${t.value}`),
  ].join('\n');
}

/** The Kafka section of docs/benchmarks/README.md. */
export function kafkaSection(s: KafkaSummary): string {
  const m = s.machine;
  return [
    '## Kafka: producer and consume → land against Kafka’s own tools',
    '',
    `Measured ${m.date.slice(0, 10)} by \`npm run bench\` on ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, Java ${m.versions.java}, Apache Kafka ${m.versions.kafka} (one broker from \`scripts/services/kafka.sh\`), @platformatic/kafka ${m.versions['@platformatic/kafka']}. Raw numbers: [kafka.json](kafka.json).`,
    '',
    '```',
    kafkaText(s),
    '```',
    '',
    'What is measured, in one run on one broker, every topic with the same settings (3 partitions, replication',
    'factor 1, fresh `bench-<timestamp>-*` topics that are deleted at the end), each side in a fresh process',
    '(peak RSS is that process’s: the JVM’s for Kafka’s tools), the order of the sides alternating from run to',
    'run, medians of `--runs`:',
    '',
    '- **Producer.** Ours: `KafkaBus` (idempotent, acks=all, lz4, keyed by user) fed by `publishEvents` with',
    `  ${KAFKA_PUBLISH_IN_FLIGHT} PutEvents calls in flight, reading the workload NDJSON file and checking every entry, as \`elt publish`,
    '  --transport kafka` does; records/s counts the records the broker acknowledged, timed from the first send to',
    '  the producer closed. Theirs: `org.apache.kafka.tools.ProducerPerformance` with the same record count,',
    '  `--record-size` the median envelope size, `--throughput -1`, `acks=all enable.idempotence=true',
    '  compression.type=lz4`; its own records/sec (from after the producer is constructed to after `close()`). Its',
    '  random A–Z payloads barely compress while our JSON does, so a second row replays our envelopes through',
    '  `--payload-file` (a sample of every tenth): the target is on the `--record-size` row.',
    '- **Consume → land.** The topic is filled once with the workload’s envelopes by our producer. Ours:',
    '  `KafkaLanding` with a fresh consumer group from the beginning, `elt land --transport kafka',
    '  --until-caught-up`’s settings (10,000-record batches, Lambda’s maximum, 500 ms window, Lambda-shaped Kafka events, validation,',
    '  gzip NDJSON objects in a filesystem store, commit after landing), timed from `run()` to the moment every',
    '  record is landed and committed. Theirs: `org.apache.kafka.tools.ConsumerPerformance --messages <all>` with',
    '  a fresh group; `nMsg.sec` = records / (end.time − start.time), where start.time is taken after the consumer',
    '  is constructed and before it subscribes, so the group join is included on both sides. `fetch.nMsg.sec`',
    '  (join excluded) and ours until `run()` returns (which adds noticing lag 0, polled every 250 ms, and',
    '  leaving the group) are shown for reference; the ratio compares whole runs.',
    '- Before the timed runs: filling the consume topic (ours) and one untimed run of each tool warm the broker.',
    '- Where each tool starts and stops its clock was checked in the 4.1.2 classes (`javap -c`); recheck it when',
    '  `kafka.version` changes.',
    '',
    'The two comparisons do not weigh alike. ProducerPerformance sends ready-made byte arrays, so the producer',
    'ratio prices our reading, checking and enveloping of each entry plus the client. ConsumerPerformance only',
    'counts the bytes it fetched, while ours decodes each record from the Lambda event shape, validates it,',
    'gzips the events into one object per event type and hour, and writes and fsyncs each object before',
    'committing: the consume ratio is the price of landing, on the same cores as the broker.',
    '',
    'The target is on the bound, not on ConsumerPerformance (kept as a reference line): in the same run, our',
    'event source alone (the Lambda-shaped events built, the function a no-op, same group settings and clock)',
    'and the Kafka-shaped landing alone (bench/land-alone.ts: the same workload in events of 10,000 records, no',
    'broker) are timed, and 1 / (1/consume alone + 1/land alone) is what consuming and landing one after the',
    'other on the same cores can reach. On 2 cores consuming, landing and the broker share the CPU; with a core',
    'each for consuming and landing they would overlap and the bound becomes min(consume alone, land alone).',
    '',
    'Command (the bench starts a broker with `scripts/services/kafka.sh up` if none answers, honouring',
    '`ELT_KAFKA_HOME`, `ELT_KAFKA_PORT` and `ELT_KAFKA_CONTROLLER_PORT`, and stops it afterwards only if it',
    'started it):',
    '',
    '```sh',
    'npm run bench                                   # embedded, then Kafka (--kafka-events 200000)',
    'npm run bench -- --only kafka --runs 3          # only the Kafka section',
    'ELT_KAFKA_HOME=$PWD/.services/kafka-bench ELT_KAFKA_PORT=19092 ELT_KAFKA_CONTROLLER_PORT=19093 npm run bench',
    '```',
    '',
  ].join('\n');
}
