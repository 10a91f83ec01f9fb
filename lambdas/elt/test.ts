// ELT step 4: run the data tests on the new tables (see lib/core/elt/elt-steps.ts).
import { testRun, type RunState } from '../../lib/core/elt/elt-steps.js';
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
  return testRun(forInvocation(ctx, run.runId, invocation), run);
};
