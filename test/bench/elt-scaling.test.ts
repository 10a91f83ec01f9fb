import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEltScaling, scalingTargets, scalingText, type ScalingRow } from '../../bench/elt-scaling.js';

const row = (events: number, runSeconds: number, runPeakRssMb = 700, publishPeakRssMb = 600): ScalingRow => ({
  events,
  objects: events / 100,
  publishSeconds: events / 40_000,
  publishPeakRssMb,
  runSeconds,
  runPeakRssMb,
  runSecondsPerMillion: runSeconds / (events / 1e6),
});

describe('bench: the ELT as the work grows', () => {
  it('holds when peak RSS stays under 1 GB and run time per million events stays flat', () => {
    const ok = scalingTargets([row(1e6, 20), row(3e6, 60), row(1e7, 210)]);
    expect(ok.map((t) => t.met)).toEqual([true, true, true]);
    expect(ok[2]?.value).toBe('1.05×');
    // Memory over 1 GB at any size, or time growing faster than volume, fails the target it names.
    expect(scalingTargets([row(1e6, 20), row(1e7, 210, 1100)]).map((t) => t.met)).toEqual([
      true,
      false,
      true,
    ]);
    expect(scalingTargets([row(1e6, 20, 700, 1500), row(1e7, 210)]).map((t) => t.met)).toEqual([
      false,
      true,
      true,
    ]);
    expect(scalingTargets([row(1e6, 20), row(1e7, 300)]).map((t) => t.met)).toEqual([true, true, false]);
    expect(scalingTargets([row(1e6, 20)])[2]).toMatchObject({ value: 'one size only', met: false });
  });

  it('measures each size with a fresh workload, then removes its files', async () => {
    const work = await mkdtemp(join(tmpdir(), 'elt-scaling-test-'));
    try {
      const seen: string[] = [];
      const summary = await runEltScaling(
        [2000, 4000],
        work,
        {
          publish: async (file) => {
            seen.push(`publish ${(await stat(file)).size > 0}`);
            return { kind: 'pipeline', events: 0, seconds: 1, eventsPerSecond: 1, peakRssMb: 500 };
          },
          run: async () => {
            seen.push('run');
            return {
              side: 'run',
              warehouse: 'duckdb',
              objects: 10,
              events: 1000,
              totalMs: 2000,
              phases: { plan: 0, load: 1000, transform: 1000, test: 0, publish: 0 },
              models: [],
              marts: {},
              peakRssMb: 600,
            };
          },
        },
        () => undefined,
      );
      expect(seen).toEqual(['publish true', 'run', 'publish true', 'run']);
      expect(summary.rows.map((r) => [r.events, r.runSecondsPerMillion])).toEqual([
        [2000, 1000],
        [4000, 500],
      ]);
      expect(scalingText(summary)).toContain('| 4,000 | 10 | 1 | 500 | 2 | 600 | 500 |');
      await expect(stat(join(work, 'scaling-2000.ndjson'))).rejects.toThrow();
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
