// Lambda entry point: the ingest API (POST /v1/events) behind the API Gateway HTTP API.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  createIngestHandler,
  type HttpApiEvent,
  type HttpApiResult,
  type InvocationContext,
} from './handler.js';
import { ingestSettings } from './settings.js';

// Service name and metrics namespace come from the environment every function gets (lambdas/commons/settings.ts).
const logger = new Logger();
const metrics = new Metrics();

// Read once at cold start: a missing setting fails the init with a message that names it. The token is
// fetched on the first request and cached; requests, tokens and event contents are never logged.
const ingest = createIngestHandler(ingestSettings.fromEnvironment(process.env), {
  log: ({ level, message, ...fields }) => {
    if (level === 'ERROR') logger.error(String(message), fields);
    else if (level === 'WARN') logger.warn(String(message), fields);
    else logger.info(String(message), fields);
  },
  onResult: ({ status, published, replayed }) => {
    metrics.addMetric('EventsPublished', MetricUnit.Count, published);
    metrics.addMetric('RequestsReplayed', MetricUnit.Count, replayed ? 1 : 0);
    metrics.addMetric('RequestsRejected', MetricUnit.Count, status >= 400 && status < 500 ? 1 : 0);
    metrics.addMetric('RequestsFailed', MetricUnit.Count, status >= 500 ? 1 : 0);
  },
});

export const handler = async (event: HttpApiEvent, context: InvocationContext): Promise<HttpApiResult> => {
  logger.appendKeys({ requestId: context.awsRequestId });
  try {
    return await ingest(event, context);
  } finally {
    metrics.publishStoredMetrics();
  }
};
