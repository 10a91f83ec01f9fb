// Lambda entry point: the landing function behind a Kafka event source mapping (MSK or self-managed).
import type { KafkaEvent } from '../lib/core/landing/kafka-event.js';
import { createKafkaLandHandler, readLandingConfig } from './land-handler.js';
import { landingTelemetry } from './landing-telemetry.js';

const { logger, metrics, hooks } = landingTelemetry();

const land = createKafkaLandHandler(readLandingConfig(process.env), hooks);

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
