// ELT failure path: stop what the run left running, drop unpublished tables and record why the run failed
// (see lib/core/elt/elt-steps.ts).
import { failRun, newRunId, newRunState, type RunState } from '../../lib/core/elt/elt-steps.js';
import type { RunRecord } from '../../lib/core/ports.js';
import {
  causeOf,
  coldStartContext,
  forInvocation,
  type InvocationContext,
  type StepInput,
} from './context.js';

const ctx = coldStartContext();

export const handler = async (input: StepInput, invocation?: InvocationContext): Promise<RunRecord> => {
  const reason = input.run?.failedTests.length
    ? `data tests failed (nothing published): ${input.run.failedTests.join('; ')}`
    : causeOf(input.error);
  // When the plan itself failed there is no run yet: record one so the failure is in the history.
  const now = ctx.clock.now();
  const run: RunState = input.run ?? newRunState(newRunId(now), now);
  return failRun(forInvocation(ctx, run.runId, invocation), run, reason);
};
