import { Command, Option } from 'commander';
import { explainAwsError } from '../aws-errors.js';
import {
  compactRaw,
  DEFAULT_COMPACTION_TARGET_BYTES,
  type CompactionReport,
} from '../../core/elt/compaction.js';
import { systemClock, type ObjectStore } from '../../core/ports.js';
import {
  openLocal,
  openStore,
  withCommonOptions,
  withStoreOption,
  withWarehouseOption,
  type CommonOptions,
} from '../context.js';
import { intInRange, n, Progress } from '../output.js';

const MIB = 1024 * 1024;

interface CompactOptions extends CommonOptions {
  readonly store: string;
  readonly latenessHours: number;
  readonly targetMb: number;
  readonly lookbackHours?: number;
  readonly dryRun: boolean;
}

/** `elt compact`: merge the small objects of closed hour partitions into few large ones. */
export function compactCommand(): Command {
  return withStoreOption(
    withWarehouseOption(
      withCommonOptions(
        new Command('compact')
          .description(
            "Merge the landed objects of each closed hour partition (one per landing batch) into few objects of a target size, so that storage-class rules apply, COPY reads large files and listings stay short. The warehouse's ledger records which compacted object replaces which original before the object is written, and originals are deleted only once it is durable: no event is lost or loaded twice, whether the originals were loaded already or not, and a compaction stopped at any point is finished by the next one. Holds the warehouse's run lock (an ELT run waits, and a compaction during a run stops). Exit 1 when a partition could not be compacted (named with its reason) or another run held the lock.",
          )
          .addOption(
            new Option(
              '--lateness-hours <n>',
              'an hour partition is closed, and compacted, this many hours after it ends (the lateness the landing accepts)',
            )
              .default(1)
              .argParser(intInRange(0, 24 * 30)),
          )
          .addOption(
            new Option('--target-mb <n>', 'most MiB (compressed) of one compacted object')
              .default(DEFAULT_COMPACTION_TARGET_BYTES / MIB)
              .argParser(intInRange(1, 4096)),
          )
          .addOption(
            new Option(
              '--lookback-hours <n>',
              'only partitions of the last this many hours (what an hourly schedule needs); all of raw/ when absent',
            ).argParser(intInRange(1, 24 * 366)),
          )
          .option('--dry-run', 'report what would be merged, change nothing', false),
      ),
    ),
  ).action(async (options: CompactOptions) => {
    const ctx = await openLocal(options, { mustExist: options.store === 'local' });
    const progress = new Progress(!options.json);
    let report: CompactionReport;
    try {
      const store: ObjectStore = openStore(options.store, () => ctx.store);
      report = await compactRaw({
        store,
        warehouse: ctx.warehouse,
        clock: systemClock,
        latenessHours: options.latenessHours,
        targetBytes: options.targetMb * MIB,
        ...(options.lookbackHours !== undefined ? { lookbackHours: options.lookbackHours } : {}),
        dryRun: options.dryRun,
        onProgress: (m) => progress.update(m),
      }).catch((error: unknown) => {
        throw options.store !== 'local' ? explainAwsError(error, 's3', `compacting ${options.store}`) : error;
      });
    } finally {
      progress.done();
      await ctx.warehouse.close();
    }
    if (report.lockedBy !== undefined || report.problems.length > 0) process.exitCode = 1;
    process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : `${describeCompaction(report)}\n`);
  });
}

/** The report as a person reads it. */
export function describeCompaction(r: CompactionReport): string {
  if (r.lockedBy !== undefined)
    return `run ${r.lockedBy} holds the run lock: nothing compacted; run again after it`;
  const mean = (bytes: number, objects: number): string =>
    objects === 0 ? '–' : `${n(Math.round(bytes / objects / 1024))} KiB`;
  const lines = [
    `${r.dryRun ? 'would compact' : 'compacted'} ${n(r.compactedPartitions)} of ${n(r.closedPartitions)} closed partition(s) (${n(r.partitions)} listed) in ${(r.durationMs / 1000).toFixed(1)} s`,
    `objects: ${n(r.objectsBefore)} → ${n(r.objectsAfter)}; mean size ${mean(r.bytesBefore, r.objectsBefore)} → ${mean(r.bytesAfter, r.objectsAfter)}`,
    `${n(r.compactedObjects)} compacted object(s) replace ${n(r.originalsReplaced)} original(s)${r.dryRun ? '' : ` (${n(r.events)} events); requests: ${n(r.gets)} GET, ${n(r.puts)} PUT, ${n(r.deletes)} DELETE`}`,
  ];
  if (r.leftoversRemoved > 0)
    lines.push(`${n(r.leftoversRemoved)} original(s) an interrupted compaction left were removed`);
  if (r.resumed > 0) lines.push(`${n(r.resumed)} interrupted compaction(s) finished`);
  for (const p of r.problems) lines.push(`left as it was: ${p}`);
  return lines.join('\n');
}
