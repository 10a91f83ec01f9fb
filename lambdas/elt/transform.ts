// ELT step 3: build the models into new tables, as many as the invocation has time for (see lib/core/elt/elt-steps.ts).
import { transformRun } from '../../lib/core/elt/elt-steps.js';
import { stepHandler } from './context.js';

export const handler = stepHandler(transformRun);
