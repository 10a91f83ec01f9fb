// ELT step 4: run the data tests on the new tables (see lib/core/elt/elt-steps.ts).
import { testRun } from '../../lib/core/elt/elt-steps.js';
import { stepHandler } from './context.js';

export const handler = stepHandler(testRun);
