// ELT step 1: plan the run (see lib/core/elt/elt-steps.ts).
import { newRunId, planRun, type RunState } from '../../lib/core/elt/elt-steps.js';
import { coldStartContext, forInvocation, type InvocationContext } from './context.js';

const ctx = coldStartContext();

export const handler = async (_input: unknown, invocation?: InvocationContext): Promise<RunState> => {
  const runId = newRunId(ctx.clock.now());
  return planRun(forInvocation(ctx, runId, invocation), runId);
};
