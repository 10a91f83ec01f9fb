// Lambda entry point: the landing function behind the SQS event source mapping.
import { createLandHandler, readLandingConfig } from './land-handler.js';

// Read once at cold start: a missing setting fails the init with a message that names it.
export const handler = createLandHandler(readLandingConfig(process.env));
