// ELT step 2: COPY the planned objects, as many chunks as the invocation has time for (see lib/core/elt/elt-steps.ts).
import { loadRun } from '../../lib/core/elt/elt-steps.js';
import { stepHandler } from './context.js';

export const handler = stepHandler(loadRun);
