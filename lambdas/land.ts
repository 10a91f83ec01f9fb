// Lambda entry point: the landing function behind the SQS event source mapping.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SqsBatchResponse, SqsEvent } from '../lib/core/landing/sqs-event.js';
import { createLandHandler, readLandingConfig } from './land-handler.js';

// Service name and metrics namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE.
const logger = new Logger();
const metrics = new Metrics();

// Read once at cold start: a missing setting fails the init with a message that names it.
const land = createLandHandler(readLandingConfig(process.env), {
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
