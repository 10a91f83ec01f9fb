// Rendering of the benchmark results: the printed tables and docs/benchmarks/README.md, each section from
// its JSON summary, so a run of one benchmark (--only) keeps the other's latest section.
import { scalingText, type ScalingSummary } from './elt-scaling.js';
import { dbtText, type DbtCompareSummary } from './dbt-compare.js';
import { compactionText, type CompactionSummary } from './compaction-bench.js';
import { landingText, type LandingSummary } from './land-alone.js';
import { n, table } from '../lib/cli/output.js';
import { kafkaSection, type KafkaSummary } from './kafka-bench.js';
import { eltSection, type EltSummary } from './elt-bench.js';
import type { RunMeasure } from './embedded-pipeline.js';
import type { MachineInfo } from '../lib/local/machine-info.js';

/** One embedded measurement, as kept under `raw`. */
export interface EmbeddedMeasured extends RunMeasure {
  readonly kind: 'pipeline' | 'ceiling';
  readonly peakRssMb: number;
  /** Microseconds to create an empty file beside the run's store, probed just before it (fileCreateMicros). */
  readonly createMicros?: number;
}

/** docs/benchmarks/embedded-pipeline.json. */
export interface EmbeddedSummary {
  readonly benchmark: 'embedded-pipeline';
  readonly workload: { readonly events: number; readonly file: string };
  readonly gzipLevel: number;
  readonly runs: number;
  readonly pipeline: {
    readonly eventsPerSecond: number;
    readonly peakRssMb: number;
    readonly eventsPerObject: number;
    readonly landedObjects: number | undefined;
    readonly quarantined: number | undefined;
    /** Median of the runs' file-create probes, in microseconds. */
    readonly createMicros?: number;
  };
  readonly ceiling: { readonly eventsPerSecond: number; readonly peakRssMb: number };
  readonly ratio: number;
  readonly targets: readonly { target: string; value: string; met: boolean }[];
  readonly machine: MachineInfo;
  readonly raw: readonly EmbeddedMeasured[];
}

/** The printed result of the embedded benchmark. */
export function embeddedText(s: EmbeddedSummary): string {
  const rows = [
    {
      measure: 'embedded pipeline (publish → bus → queue → land)',
      'events/s': s.pipeline.eventsPerSecond,
      'peak RSS MB': s.pipeline.peakRssMb,
    },
    {
      measure: 'ceiling (parse + validate + stringify + gzip, one thread)',
      'events/s': s.ceiling.eventsPerSecond,
      'peak RSS MB': s.ceiling.peakRssMb,
    },
  ];
  return [
    `Embedded pipeline, ${n(s.workload.events)} events, gzip level ${s.gzipLevel}, median of ${s.runs} runs (${s.machine.cores} cores, ${s.machine.cpu}, Node ${s.machine.node})`,
    '',
    table(rows),
    '',
    `ratio ${(s.ratio * 100).toFixed(1)}% of the ceiling · ${s.pipeline.eventsPerObject.toFixed(0)} events per landed object${s.pipeline.createMicros === undefined ? '' : ` · creating a file beside the store took ${s.pipeline.createMicros} µs`}`,
    '',
    ...s.targets.map((t) => `${t.met ? '✓' : '✗'} ${t.target}: ${t.value}`),
  ].join('\n');
}

function embeddedSection(s: EmbeddedSummary): string {
  return [
    '## Embedded pipeline against the JSON ceiling',
    '',
    `Measured ${s.machine.date.slice(0, 10)} by \`npm run bench\` on ${s.machine.cores} cores (${s.machine.cpu}), ${s.machine.memoryGiB} GiB, Node ${s.machine.node}. Raw numbers: [embedded-pipeline.json](embedded-pipeline.json).`,
    '',
    '```',
    embeddedText(s),
    '```',
    '',
    'The ceiling is a bare single-threaded loop over the same file: `JSON.parse`, catalogue validation, `JSON.stringify`',
    'and gzip at the same level. The pipeline does more than that per event (PutEvents checks, an envelope, a queue,',
    'a Lambda-shaped batch, a second parse in landing, partitioning, durable writes) and may use every core: landing',
    'runs in worker threads, as Lambda runs apart from the bus.',
    '',
    '```sh',
    'npm run bench -- --only embedded               # --events 1000000 --runs 5 --gzip-level 6',
    '```',
    '',
  ].join('\n');
}

/** docs/benchmarks/README.md from the latest summary of each benchmark. */
export function readme(
  embedded: EmbeddedSummary | undefined,
  kafka: KafkaSummary | undefined,
  elt: EltSummary | undefined,
  landing?: LandingSummary,
  scaling?: ScalingSummary,
  dbt?: DbtCompareSummary,
  compaction?: CompactionSummary,
): string {
  return [
    '# Benchmarks',
    '',
    '`npm run bench` builds, then measures each side of each comparison in a fresh child process (peak RSS is',
    'that process’s own), alternating the order of the sides from run to run, and reports medians of `--runs`',
    '(default 5) side by side from one run on one machine: ratios, not absolute times, are what carries over',
    'from one machine to another. It prints the tables below; `npm run bench -- --write` also writes them here,',
    'with the JSON files next to this one. `npm run bench -- --quick` is a first look in a few minutes (smaller',
    'workloads, 3 runs; noisier figures).',
    '',
    embedded ? embeddedSection(embedded) : '## Embedded pipeline\n\nNot measured yet.\n',
    landing ? `${landingText(landing)}\n` : '## Landing alone\n\nNot measured yet.\n',
    kafka ? kafkaSection(kafka) : '## Kafka\n\nNot measured yet.\n',
    elt ? eltSection(elt) : '## ELT\n\nNot measured yet.\n',
    scaling ? `${scalingText(scaling)}\n` : '## The ELT as the work grows\n\nNot measured yet.\n',
    dbt ? `${dbtText(dbt)}\n` : '## ELT against dbt\n\nNot measured yet.\n',
    compaction
      ? `${compactionText(compaction)}\n`
      : '## Small files: before and after compaction\n\nNot measured yet.\n',
  ].join('\n');
}
