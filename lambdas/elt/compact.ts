// ELT step 6, after a published run: compact the closed hour partitions of the last two days (see
// lib/core/elt/compaction.ts). It claims the run lock itself (publish released the run's); a run that
// started meanwhile makes it stop having done nothing, and the next execution compacts.
import { CompactionError, compactRaw, type CompactionReport } from '../../lib/core/elt/compaction.js';
import { stepHandler } from './context.js';

/** Partitions of the last this many hours are listed: an hourly schedule needs the last few. */
export const COMPACTION_LOOKBACK_HOURS = 48;

/** What the step returns into the execution's state (≤ 256 KB): the report less the problem list. */
export type CompactionStepResult = Omit<CompactionReport, 'problems'>;

export const handler = stepHandler(async (ctx): Promise<CompactionStepResult> => {
  const { problems, ...report } = await compactRaw({
    store: ctx.store,
    warehouse: ctx.warehouse,
    clock: ctx.clock,
    latenessHours: ctx.latenessHours ?? 1,
    lookbackHours: COMPACTION_LOOKBACK_HOURS,
    ...(ctx.deadline !== undefined ? { deadline: ctx.deadline } : {}),
    ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
  });
  // Every other partition was compacted; the execution fails so that its alarm names the ones left.
  if (problems.length > 0)
    throw new CompactionError(
      `${problems.length} partition(s) left as they were: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; …' : ''}`,
    );
  return report;
});
