// ELT step 4: run the data tests on the new tables (see lib/core/elt/elt-steps.ts).
import { testRun, type RunState } from '../../lib/core/elt/elt-steps.js';
import { eltContext, readEltConfig, runOf, type StepInput } from './context.js';

const ctx = eltContext(readEltConfig(process.env));

export const handler = async (input: StepInput): Promise<RunState> => testRun(ctx, runOf(input));
