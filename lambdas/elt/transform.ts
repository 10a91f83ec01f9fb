// ELT step 3: build the models into new tables (see lib/core/elt/elt-steps.ts).
import { transformRun, type RunState } from '../../lib/core/elt/elt-steps.js';
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
  return transformRun(forInvocation(ctx, run.runId, invocation), run);
};
