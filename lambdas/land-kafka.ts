// Lambda entry point: the landing function behind a Kafka event source mapping (MSK or self-managed).
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KafkaEvent } from '../lib/core/landing/kafka-event.js';
import { createKafkaLandHandler, readLandingConfig } from './land-handler.js';

const logger = new Logger();
const metrics = new Metrics();

const land = createKafkaLandHandler(readLandingConfig(process.env), {
  log: ({ level, message, ...fields }) =>
    level === 'WARN' ? logger.warn(String(message), fields) : logger.info(String(message), fields),
  onResult: (result) => {
    metrics.addMetric('EventsLanded', MetricUnit.Count, result.landedEvents);
    metrics.addMetric('ObjectsWritten', MetricUnit.Count, result.objects.length);
    metrics.addMetric('EventsQuarantined', MetricUnit.Count, result.quarantined);
    metrics.addMetric('RecordsFailed', MetricUnit.Count, result.failedIds.length);
  },
});

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
