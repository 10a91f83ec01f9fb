// Powertools logging and metrics of the landing functions (SQS and Kafka), shared by their entry points.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LandHandlerDeps } from './handlers.js';

/** The logger, the metrics, and the landing handler's hooks that feed them. */
export function landingTelemetry(): {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly hooks: Required<Pick<LandHandlerDeps, 'log' | 'onResult'>>;
} {
  // Service name and metrics namespace come from the environment every function gets (commons/settings.ts).
  const logger = new Logger();
  const metrics = new Metrics();
  return {
    logger,
    metrics,
    hooks: {
      log: ({ level, message, ...fields }) =>
        level === 'WARN' ? logger.warn(String(message), fields) : logger.info(String(message), fields),
      onResult: (result) => {
        metrics.addMetric('EventsLanded', MetricUnit.Count, result.landedEvents);
        metrics.addMetric('ObjectsWritten', MetricUnit.Count, result.objects.length);
        metrics.addMetric('EventsQuarantined', MetricUnit.Count, result.quarantined);
        metrics.addMetric('RecordsFailed', MetricUnit.Count, result.failedIds.length);
      },
    },
  };
}
