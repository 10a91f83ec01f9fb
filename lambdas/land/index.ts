// Lambda entry point: the landing function behind the SQS event source mapping.
import type { SqsBatchResponse, SqsEvent } from '../../lib/core/landing/sqs-event.js';
import { createLandHandler } from './handlers.js';
import { landingTelemetry } from './landing-telemetry.js';
import { landingSettings } from './settings.js';

const { logger, metrics, hooks } = landingTelemetry();

// Read once at cold start: a missing setting fails the init with a message that names it.
const land = createLandHandler(landingSettings.fromEnvironment(process.env), hooks);

export const handler = async (
  event: SqsEvent,
  context: { awsRequestId: string },
): Promise<SqsBatchResponse> => {
  logger.appendKeys({ requestId: context.awsRequestId });
  try {
    return await land(event);
  } finally {
    metrics.publishStoredMetrics();
  }
};
