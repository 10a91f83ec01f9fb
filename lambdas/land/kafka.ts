// Lambda entry point: the landing function behind a Kafka event source mapping (MSK or self-managed). It
// sits beside the SQS entry (index.ts) because the two share their handler code, telemetry and settings.
import type { KafkaEvent } from '../../lib/core/landing/kafka-event.js';
import { createKafkaLandHandler } from './handlers.js';
import { landingTelemetry } from './landing-telemetry.js';
import { landingSettings } from './settings.js';

const { logger, metrics, hooks } = landingTelemetry();

const land = createKafkaLandHandler(landingSettings.fromEnvironment(process.env), hooks);

export const handler = async (
  event: KafkaEvent,
  context: { awsRequestId: string },
): Promise<{ landedEvents: number; quarantined: number; unkeyed: number }> => {
  logger.appendKeys({ requestId: context.awsRequestId });
  try {
    return await land(event);
  } finally {
    metrics.publishStoredMetrics();
  }
};
