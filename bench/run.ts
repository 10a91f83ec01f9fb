// `npm run bench`: the benchmarks, side by side in one run, medians of repeated runs. Prints the tables;
// with --write (or --out) also writes JSON and Markdown under docs/benchmarks/. --quick: smaller workloads
// and 3 runs, a few minutes in all. Not a test: it reports, and says whether targets hold.
//   embedded: the embedded pipeline against the bare JSON ceiling (bench/embedded-pipeline.ts).
//   kafka:    the project's Kafka producer and landing consumer against Kafka's own ProducerPerformance and
//             ConsumerPerformance on one broker (bench/kafka-bench.ts). The broker comes from
//             scripts/services/kafka.sh (started if none answers, honouring ELT_KAFKA_HOME/PORT/…).
//   landing:  landing alone, Lambda-shaped Kafka and SQS batches into the filesystem store, against the
//             ceiling loop over the same envelopes (bench/land-alone.ts).
//   scaling:  `elt publish` and `elt run` at 1M, 3M and 10M events: time and peak RSS (bench/elt-scaling.ts).
//   elt:      `elt run` against the same SQL on bare DuckDB, and on DuckDB against PostgreSQL, over one landed
//             workload (bench/elt-bench.ts). PostgreSQL comes from scripts/services/postgres.sh or ELT_PG_URL.
//   compaction: objects, PUTs and GETs per 1,000 events and the mean object size, before and after
//             `elt compact`, at the SQS and Kafka paths' batch sizes (bench/compaction-bench.ts).
//   dbt:      `elt run` against `dbt build` (dbt-duckdb, scripts/tools/dbt.sh) on the same landed data and the
//             same models, exported by `elt dbt export`: time and peak RSS (bench/dbt-compare.ts).
// If the Kafka or the ELT section cannot run (no Java, no broker, no PostgreSQL), it says why and the process
// exits with 1, after the other sections have been reported and written; so does an ELT run whose marts differ.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { DEFAULT_LANDING_MEMORY_MB } from '../lib/core/deploy-config/settings.js';
import { landingNodeArgs } from '../lib/core/landing/landing-heap.js';
import { DEFAULT_GZIP_LEVEL } from '../lib/core/landing/ndjson-gzip.js';
import { packageRoot } from '../lib/package-paths.js';
import { intInRange, n } from '../lib/cli/output.js';
import { kafkaText, runKafkaBench, type KafkaSummary } from './kafka-bench.js';
import { child, eltText, runEltBench, type EltSummary } from './elt-bench.js';
import { machineInfo } from '../lib/local/machine-info.js';
import { embeddedText, readme, type EmbeddedMeasured, type EmbeddedSummary } from './report.js';
import { median } from './stats.js';
import noteRunningServices from '../test/support/stop-started-services.js';
import { benchWorkload, writeWorkload } from './workloads.js';
import { runEltScaling, scalingText, type ScalingSummary } from './elt-scaling.js';
import type { EltMeasure } from './elt.js';
import {
  fileCreateMicros,
  landingText,
  runLandingBench,
  type LandAloneMeasure,
  type LandingSummary,
} from './land-alone.js';
import { dbtText, runDbtCompare, type DbtCompareSummary } from './dbt-compare.js';
import { compactionText, runCompactionBench, type CompactionSummary } from './compaction-bench.js';

/** Events in the ELT workload by default: the section then takes about 2–3 minutes at 5 runs on 2 cores. */
const ELT_EVENTS = 200_000;
/** The --quick preset: every section runs, on workloads small enough for a few minutes on 2 cores. */
const QUICK = {
  events: 100_000,
  kafkaEvents: 50_000,
  eltEvents: 50_000,
  landingEvents: 100_000,
  scaleEvents: [100_000, 300_000],
  runs: 3,
} as const;

async function measure(
  kind: 'pipeline' | 'ceiling',
  file: string,
  level: number,
  storeDir: string,
): Promise<EmbeddedMeasured> {
  await rm(storeDir, { recursive: true, force: true });
  return child<EmbeddedMeasured>('measure-once.js', [kind, file, String(level), storeDir]);
}

const program = new Command('bench')
  .description(
    'Benchmarks, side by side: the embedded pipeline against the bare JSON ceiling; the Kafka producer and landing consumer against Kafka’s ProducerPerformance and ConsumerPerformance; elt run against the same SQL on bare DuckDB, and DuckDB against PostgreSQL.',
  )
  .addOption(
    new Option('--events <n>', 'events in the embedded workload')
      .default(1_000_000)
      .argParser(intInRange(1000, 100_000_000)),
  )
  .addOption(
    new Option('--kafka-events <n>', 'events in the Kafka workload')
      .default(200_000)
      .argParser(intInRange(1000, 10_000_000)),
  )
  .addOption(
    new Option('--landing-events <n>', 'records landed by the landing-alone benchmark')
      .default(200_000)
      .argParser(intInRange(1000, 10_000_000)),
  )
  .addOption(
    new Option('--scale-events <list>', 'workload sizes of the scaling benchmark, comma-separated')
      .default([1_000_000, 3_000_000, 10_000_000])
      .argParser((v: string) => v.split(',').map((x) => intInRange(1000, 100_000_000)(x.trim()))),
  )
  .addOption(
    new Option('--elt-events <n>', 'events in the ELT workload')
      .default(ELT_EVENTS)
      .argParser(intInRange(1000, 10_000_000)),
  )
  .addOption(
    new Option('--runs <n>', 'runs of each side (the median is reported)')
      .default(5)
      .argParser(intInRange(1, 50)),
  )
  .addOption(
    new Option('--gzip-level <n>', 'gzip level of the embedded and ELT benchmarks, the same on every side')
      .default(DEFAULT_GZIP_LEVEL)
      .argParser(intInRange(1, 9)),
  )
  .addOption(
    new Option('--only <benchmark>', 'run one benchmark only').choices([
      'embedded',
      'landing',
      'scaling',
      'kafka',
      'elt',
      'dbt',
      'compaction',
    ]),
  )
  .option(
    '--quick',
    `a first look in a few minutes: ${QUICK.events.toLocaleString('en-US')} embedded, ${QUICK.kafkaEvents.toLocaleString('en-US')} Kafka and ${QUICK.eltEvents.toLocaleString('en-US')} ELT events, ${QUICK.runs} runs, noisier figures (options given explicitly still win)`,
  )
  .option(
    '--write',
    'write the JSON files and README.md under --out (the tracked docs/benchmarks/ by default); without it, results are printed only',
  )
  .option('--readme-only', 'rewrite README.md from the JSON files already in --out, measuring nothing')
  .option(
    '--out <dir>',
    'where --write puts results (giving it implies --write)',
    join(packageRoot(), 'docs', 'benchmarks'),
  );

program.parse(process.argv);
// `npm run bench --quick` (without the `--`) reaches the script as npm_config_quick; honour both spellings.
const fromNpm = (flag: string): boolean => process.env[`npm_config_${flag}`] === 'true';
const parsed = program.opts<{ quick?: boolean; write?: boolean }>();
if (parsed.quick || fromNpm('quick')) {
  for (const [name, value] of Object.entries(QUICK))
    if (program.getOptionValueSource(name) === 'default') program.setOptionValue(name, value);
}
const write = parsed.write === true || fromNpm('write') || program.getOptionValueSource('out') === 'cli';
const options = program.opts<{
  events: number;
  kafkaEvents: number;
  eltEvents: number;
  landingEvents: number;
  scaleEvents: number[];
  runs: number;
  gzipLevel: number;
  only?: 'embedded' | 'landing' | 'scaling' | 'kafka' | 'elt' | 'dbt' | 'compaction';
  readmeOnly?: boolean;
  out: string;
}>();
if (!write && !options.readmeOnly)
  process.stderr.write(`bench: results are printed only (--write saves them under ${options.out})\n`);

// Stops, at the end, the services this run started (PostgreSQL for the ELT section), as the test run does.
const stopStartedServices = await noteRunningServices();
const work = join(packageRoot(), '.tmp', 'bench');
await mkdir(work, { recursive: true });

async function embeddedBench(): Promise<EmbeddedSummary> {
  // Generated afresh every time (a few seconds), so it always matches the generator's current code.
  const file = join(work, 'workload.ndjson');
  process.stderr.write(`generating ${n(options.events)} events → ${file}\n`);
  await writeWorkload(file, benchWorkload(options.events));

  const results: EmbeddedMeasured[] = [];
  // Every run lands into a fresh store, all removed after the last run (as the landing section does): no run
  // creates its files while the filesystem still holds the previous run's freed inodes.
  const stores = join(work, 'embedded');
  await rm(stores, { recursive: true, force: true });
  await mkdir(stores, { recursive: true });
  for (let run = 1; run <= options.runs; run++) {
    // Alternate the order so drift in the machine's speed hits both sides alike.
    const order: ('pipeline' | 'ceiling')[] = run % 2 ? ['ceiling', 'pipeline'] : ['pipeline', 'ceiling'];
    for (const kind of order) {
      const storeDir = join(stores, `${kind}-${run}`);
      const createMicros = kind === 'pipeline' ? await fileCreateMicros(stores) : undefined;
      const r = {
        ...(await measure(kind, file, options.gzipLevel, storeDir)),
        ...(createMicros === undefined ? {} : { createMicros }),
      };
      results.push(r);
      process.stderr.write(
        `run ${run}/${options.runs} ${kind.padEnd(8)} ${n(Math.round(r.eventsPerSecond))} events/s, peak RSS ${Math.round(r.peakRssMb)} MB${createMicros === undefined ? '' : `, file create ${Math.round(createMicros)} µs`}\n`,
      );
    }
  }
  await rm(stores, { recursive: true, force: true });

  const pipeline = results.filter((r) => r.kind === 'pipeline');
  const ceiling = results.filter((r) => r.kind === 'ceiling');
  const pipelineRate = median(pipeline.map((r) => r.eventsPerSecond));
  const ceilingRate = median(ceiling.map((r) => r.eventsPerSecond));
  const ratio = pipelineRate / ceilingRate;
  const peakRss = Math.max(...pipeline.map((r) => r.peakRssMb));
  const perObject = median(pipeline.map((r) => r.eventsPerObject ?? 0));
  const creates = pipeline.flatMap((r) => (r.createMicros === undefined ? [] : [r.createMicros]));
  return {
    benchmark: 'embedded-pipeline',
    workload: {
      events: options.events,
      file: 'generated by bench/workloads.ts (seed "bench", 7 days, demo rates, no 1 MiB entries)',
    },
    gzipLevel: options.gzipLevel,
    runs: options.runs,
    pipeline: {
      eventsPerSecond: Math.round(pipelineRate),
      peakRssMb: Math.round(peakRss),
      eventsPerObject: Math.round(perObject),
      landedObjects: pipeline[0]?.landedObjects,
      quarantined: pipeline[0]?.quarantined,
      ...(creates.length > 0 ? { createMicros: Math.round(median(creates)) } : {}),
    },
    ceiling: {
      eventsPerSecond: Math.round(ceilingRate),
      peakRssMb: Math.round(Math.max(...ceiling.map((r) => r.peakRssMb))),
    },
    ratio: Math.round(ratio * 1000) / 1000,
    targets: [
      { target: 'pipeline ≥ 80% of the ceiling', value: `${(ratio * 100).toFixed(0)}%`, met: ratio >= 0.8 },
      { target: 'peak RSS < 1 GB', value: `${Math.round(peakRss)} MB`, met: peakRss < 1024 },
      { target: 'events per landed object ≥ 50', value: perObject.toFixed(0), met: perObject >= 50 },
    ],
    machine: machineInfo(),
    raw: results,
  };
}

async function readSummary<T>(name: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(join(options.out, name), 'utf8')) as T;
  } catch {
    return undefined;
  }
}

async function save(name: string, summary: object): Promise<void> {
  if (!write) return;
  await mkdir(options.out, { recursive: true });
  await writeFile(join(options.out, name), `${JSON.stringify(summary, null, 2)}\n`);
}

let embedded: EmbeddedSummary | undefined;
let landing: LandingSummary | undefined;
let scaling: ScalingSummary | undefined;
let kafka: KafkaSummary | undefined;
let kafkaError: Error | undefined;
let elt: EltSummary | undefined;
let eltError: Error | undefined;
let dbt: DbtCompareSummary | undefined;
let compaction: CompactionSummary | undefined;
let dbtError: Error | undefined;
const selected = (section: NonNullable<typeof options.only>): boolean =>
  !options.readmeOnly && (options.only === undefined || options.only === section);
if (selected('embedded')) {
  embedded = await embeddedBench();
  process.stdout.write(`\n${embeddedText(embedded)}\n\n`);
  await save('embedded-pipeline.json', embedded);
}
if (selected('landing')) {
  // Stores on this disk, and on tmpfs where the machine has one (Linux: /dev/shm).
  const scratch = {
    disk: join(work, 'landing'),
    memory: join('/dev/shm', `elt-bench-landing-${process.pid}`),
  };
  const memory = existsSync('/dev/shm');
  const cleanUp = async (): Promise<void> => {
    for (const dir of Object.values(scratch)) await rm(dir, { recursive: true, force: true });
  };
  await cleanUp();
  // The landing sides run with the heap the landing function is deployed with; the ceiling loop, whose
  // live set is small, with Node's defaults, where it is fastest. The report names what the sides ran with.
  const landingHeap = landingNodeArgs(DEFAULT_LANDING_MEMORY_MB);
  landing = await runLandingBench(
    options.landingEvents,
    options.runs,
    (kind, records, store) =>
      child<LandAloneMeasure>(
        'measure-once.js',
        [kind, String(records), scratch[store]],
        kind === 'land-ceiling' ? [] : landingHeap,
      ),
    (line) => process.stderr.write(`${line}\n`),
    { cleanUp, memory, landingNodeOptions: landingHeap.join(' ') },
  );
  process.stdout.write(`\n${landingText(landing)}\n\n`);
  await save('landing.json', landing);
}
if (selected('scaling')) {
  scaling = await runEltScaling(
    options.scaleEvents,
    work,
    {
      publish: (file, storeDir) => measure('pipeline', file, options.gzipLevel, storeDir),
      run: (duck, storeDir) =>
        child<EltMeasure & { peakRssMb: number }>('elt-measure.js', ['run', `duckdb:${duck}`, storeDir, '-']),
    },
    (line) => process.stderr.write(`${line}\n`),
  );
  process.stdout.write(`\n${scalingText(scaling)}\n\n`);
  await save('elt-scaling.json', scaling);
}
if (selected('kafka')) {
  try {
    kafka = await runKafkaBench({ events: options.kafkaEvents, runs: options.runs, work });
    process.stdout.write(`\n${kafkaText(kafka)}\n\n`);
    await save('kafka.json', kafka);
  } catch (error) {
    kafkaError = error as Error;
  }
}
if (selected('elt')) {
  try {
    elt = await runEltBench({
      events: options.eltEvents,
      runs: options.runs,
      gzipLevel: options.gzipLevel,
      work,
    });
    process.stdout.write(`\n${eltText(elt)}\n\n`);
    await save('elt.json', elt);
  } catch (error) {
    eltError = error as Error;
  }
}
if (selected('dbt')) {
  try {
    dbt = await runDbtCompare(
      { events: options.eltEvents, runs: options.runs, gzipLevel: options.gzipLevel, work },
      (line) => process.stderr.write(`${line}\n`),
    );
    process.stdout.write(`\n${dbtText(dbt)}\n\n`);
    await save('dbt.json', dbt);
  } catch (error) {
    dbtError = error as Error;
  }
}
if (selected('compaction')) {
  compaction = await runCompactionBench(options.landingEvents, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`\n${compactionText(compaction)}\n\n`);
  await save('compaction.json', compaction);
}
if (write || options.readmeOnly) {
  // The section of a benchmark not run (or failed) this time is its latest written one, with its own date.
  embedded ??= await readSummary<EmbeddedSummary>('embedded-pipeline.json');
  landing ??= await readSummary<LandingSummary>('landing.json');
  scaling ??= await readSummary<ScalingSummary>('elt-scaling.json');
  kafka ??= await readSummary<KafkaSummary>('kafka.json');
  elt ??= await readSummary<EltSummary>('elt.json');
  dbt ??= await readSummary<DbtCompareSummary>('dbt.json');
  compaction ??= await readSummary<CompactionSummary>('compaction.json');
  await writeFile(
    join(options.out, 'README.md'),
    readme(embedded, kafka, elt, landing, scaling, dbt, compaction),
  );
}
if (kafkaError) {
  process.stderr.write(`\nbench: the Kafka benchmarks failed: ${kafkaError.message}\n`);
  process.exitCode = 1;
}
if (eltError) {
  process.stderr.write(`\nbench: the ELT benchmark failed: ${eltError.message}\n`);
  process.exitCode = 1;
} else if (elt && elt.checks.some((c) => !c.met)) {
  process.stderr.write(`\nbench: an ELT check failed (see ✗ above): the warehouses or the runner disagree\n`);
  process.exitCode = 1;
}
if (dbtError) {
  process.stderr.write(`\nbench: the dbt comparison failed: ${dbtError.message}\n`);
  process.exitCode = 1;
} else if (dbt && dbt.checks.some((c) => !c.met)) {
  process.stderr.write(`\nbench: a dbt check failed (see ✗ above): dbt build and elt run disagree\n`);
  process.exitCode = 1;
}
try {
  await stopStartedServices();
} catch (error) {
  process.stderr.write(`\nbench: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
