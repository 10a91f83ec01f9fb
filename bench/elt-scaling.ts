// The ELT as the work grows: for each workload size, `elt publish`'s path (the embedded pipeline) lands a
// fresh workload, then `elt run`'s path loads and transforms it into an empty DuckDB file; each in its own
// process, so its peak RSS is its own. Reports time and peak RSS by size and whether both stay bounded and
// run time stays linear.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { machineInfo, type MachineInfo } from '../lib/local/machine-info.js';
import type { EltMeasure } from './elt.js';
import type { EmbeddedMeasured } from './report.js';
import { benchWorkload, writeWorkload } from './workloads.js';

/** One size's figures. */
export interface ScalingRow {
  readonly events: number;
  readonly objects: number;
  readonly publishSeconds: number;
  readonly publishPeakRssMb: number;
  readonly runSeconds: number;
  readonly runPeakRssMb: number;
  /** `elt run` seconds per million events: flat when run time is linear in volume. */
  readonly runSecondsPerMillion: number;
}

/** docs/benchmarks/elt-scaling.json. */
export interface ScalingSummary {
  readonly benchmark: 'elt-scaling';
  readonly rows: readonly ScalingRow[];
  readonly targets: readonly { readonly target: string; readonly value: string; readonly met: boolean }[];
  readonly machine: MachineInfo;
}

/** Peak RSS each of `elt publish` and `elt run` must stay under, at any volume. */
export const SCALING_RSS_LIMIT_MB = 1024;
/** Run time per million events at the largest size at most this times that at the smallest. */
export const SCALING_LINEARITY = 1.25;

/** What the runner needs: a fresh-process measurement of each side. */
export interface ScalingSides {
  readonly publish: (workload: string, storeDir: string) => Promise<EmbeddedMeasured>;
  readonly run: (duckdbFile: string, storeDir: string) => Promise<EltMeasure & { peakRssMb: number }>;
}

/** Measures every size in turn in `work`, removing each size's files before the next. */
export async function runEltScaling(
  sizes: readonly number[],
  work: string,
  sides: ScalingSides,
  log: (line: string) => void,
): Promise<ScalingSummary> {
  const rows: ScalingRow[] = [];
  for (const events of sizes) {
    const file = join(work, `scaling-${events}.ndjson`);
    const store = join(work, `scaling-${events}-store`);
    const duck = join(work, `scaling-${events}.duckdb`);
    const clean = async (): Promise<void> => {
      for (const p of [file, store, duck, `${duck}.wal`, `${duck}.tmp`])
        await rm(p, { recursive: true, force: true });
    };
    await clean();
    try {
      log(`scaling: generating ${events.toLocaleString('en-US')} events`);
      await writeWorkload(file, benchWorkload(events));
      const published = await sides.publish(file, store);
      log(
        `scaling: ${events.toLocaleString('en-US')} published in ${published.seconds.toFixed(1)} s, peak RSS ${Math.round(published.peakRssMb)} MB`,
      );
      const ran = await sides.run(duck, store);
      log(
        `scaling: ${events.toLocaleString('en-US')} elt run in ${(ran.totalMs / 1000).toFixed(1)} s, peak RSS ${Math.round(ran.peakRssMb)} MB`,
      );
      rows.push({
        events,
        objects: ran.objects,
        publishSeconds: Math.round(published.seconds * 10) / 10,
        publishPeakRssMb: Math.round(published.peakRssMb),
        runSeconds: Math.round(ran.totalMs / 100) / 10,
        runPeakRssMb: Math.round(ran.peakRssMb),
        runSecondsPerMillion: Math.round((ran.totalMs / 1000 / (events / 1e6)) * 10) / 10,
      });
    } finally {
      await clean();
    }
  }
  return { benchmark: 'elt-scaling', rows, targets: scalingTargets(rows), machine: machineInfo() };
}

/** The memory and linearity targets over the rows. */
export function scalingTargets(rows: readonly ScalingRow[]): ScalingSummary['targets'] {
  const first = rows[0];
  const last = rows.at(-1);
  const peak = (pick: (r: ScalingRow) => number): number => Math.max(...rows.map(pick));
  const growth =
    first && last && rows.length > 1 ? last.runSecondsPerMillion / first.runSecondsPerMillion : NaN;
  return [
    {
      target: `elt publish peak RSS < 1 GB at every size`,
      value: `${peak((r) => r.publishPeakRssMb)} MB at most`,
      met: peak((r) => r.publishPeakRssMb) < SCALING_RSS_LIMIT_MB,
    },
    {
      target: `elt run peak RSS < 1 GB at every size`,
      value: `${peak((r) => r.runPeakRssMb)} MB at most`,
      met: peak((r) => r.runPeakRssMb) < SCALING_RSS_LIMIT_MB,
    },
    {
      target: `elt run time linear in volume (s per million events at the largest size ≤ ${SCALING_LINEARITY}× the smallest)`,
      value: Number.isFinite(growth) ? `${growth.toFixed(2)}×` : 'one size only',
      met: rows.length > 1 && growth <= SCALING_LINEARITY,
    },
  ];
}

/** The section as printed and as written to docs/benchmarks/README.md. */
export function scalingText(s: ScalingSummary): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  return [
    '## The ELT as the work grows',
    '',
    'Per size, a fresh workload (bench/workloads.ts) landed by `elt publish`’s path (the embedded pipeline), then',
    '`elt run`’s path into an empty DuckDB file (memory limit and threads as `elt run` sets them:',
    'ELT_DUCKDB_MEMORY_MB, ELT_DUCKDB_THREADS), each in its own process; one run per size.',
    '',
    '| events | objects | publish s | publish peak RSS MB | elt run s | elt run peak RSS MB | run s per million events |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...s.rows.map(
      (r) =>
        `| ${n(r.events)} | ${n(r.objects)} | ${r.publishSeconds} | ${n(r.publishPeakRssMb)} | ${r.runSeconds} | ${n(r.runPeakRssMb)} | ${r.runSecondsPerMillion} |`,
    ),
    '',
    ...s.targets.map((t) => `- ${t.met ? '✓' : '✗'} ${t.target}: ${t.value}`),
    '',
    `Measured ${s.machine.date.slice(0, 10)}, ${s.machine.cores} cores, Node ${s.machine.node}.`,
  ].join('\n');
}
