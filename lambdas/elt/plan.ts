// ELT step 1: plan the run (see lib/core/elt/elt-steps.ts).
import { planRun, type RunState } from '../../lib/core/elt/elt-steps.js';
import { eltContext, readEltConfig } from './context.js';

const ctx = eltContext(readEltConfig(process.env));

export const handler = async (): Promise<RunState> => planRun(ctx);
