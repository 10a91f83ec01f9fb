// ELT step 2: COPY the planned objects (see lib/core/elt/elt-steps.ts).
import { loadRun, type RunState } from '../../lib/core/elt/elt-steps.js';
import {
  eltContext,
  forInvocation,
  readEltConfig,
  runOf,
  type InvocationContext,
  type StepInput,
} from './context.js';

const ctx = eltContext(readEltConfig(process.env));

export const handler = async (input: StepInput, invocation?: InvocationContext): Promise<RunState> => {
  const run = runOf(input);
  return loadRun(forInvocation(ctx, run.runId, invocation), run);
};
