// ELT step 2: COPY the planned objects (see lib/core/elt/elt-steps.ts).
import { loadRun, type RunState } from '../../lib/core/elt/elt-steps.js';
import { eltContext, readEltConfig, runOf, type StepInput } from './context.js';

const ctx = eltContext(readEltConfig(process.env));

export const handler = async (input: StepInput): Promise<RunState> => loadRun(ctx, runOf(input));
