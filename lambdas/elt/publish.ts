// ELT step 5: promote the tested tables and record the run (see lib/core/elt/elt-steps.ts).
import { publishRun } from '../../lib/core/elt/elt-steps.js';
import { stepHandler } from './context.js';

export const handler = stepHandler(publishRun);
