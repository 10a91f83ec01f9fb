// ELT step 5: promote the tested tables and record the run (see lib/core/elt/elt-steps.ts).
import { publishRun } from '../../lib/core/elt/elt-steps.js';
import type { RunRecord } from '../../lib/core/ports.js';
import {
  eltContext,
  forInvocation,
  readEltConfig,
  runOf,
  type InvocationContext,
  type StepInput,
} from './context.js';

const ctx = eltContext(readEltConfig(process.env));

export const handler = async (input: StepInput, invocation?: InvocationContext): Promise<RunRecord> => {
  const run = runOf(input);
  return publishRun(forInvocation(ctx, run.runId, invocation), run);
};
