import type { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../lib/adapters/store/s3-object-store.js';
import { createEventValidator } from '../../lib/core/events/validator.js';
import type { LandingDeps, LandingResult } from '../../lib/core/landing/land-batch.js';
import {
  KafkaBatchNotLandedError,
  landKafkaEvent,
  type KafkaEvent,
} from '../../lib/core/landing/kafka-event.js';
import { landSqsEvent, type SqsBatchResponse, type SqsEvent } from '../../lib/core/landing/sqs-event.js';
import { systemClock, type Clock } from '../../lib/core/ports.js';
import type { LandingSettings } from './settings.js';

/** What the handler may be given instead of the defaults (tests, other runtimes). */
export interface LandHandlerDeps {
  readonly s3?: S3Client;
  readonly clock?: Clock;
  readonly log?: (entry: Record<string, unknown>) => void;
  /** Called with every batch's outcome, e.g. to publish metrics. */
  readonly onResult?: (result: LandingResult) => void;
}

/**
 * The landing function: an SQS batch of EventBridge envelopes → gzip NDJSON objects in S3 (one per
 * partition), invalid events to quarantine, and the partial batch response SQS needs to redeliver only
 * what failed. The same use case runs in the embedded pipeline.
 */
export function createLandHandler(
  settings: LandingSettings,
  deps: LandHandlerDeps = {},
): (event: SqsEvent) => Promise<SqsBatchResponse> {
  const landing = landingDeps(settings, deps);
  const log = batchLogger(deps);
  return async (event) => {
    const { response, result } = await landSqsEvent(event, landing);
    deps.onResult?.(result);
    log(event.Records.length, result);
    return response;
  };
}

/**
 * The landing function behind a Kafka event source mapping (Amazon MSK or self-managed Kafka): the same
 * landing as for SQS. A batch with a record that was not durably written throws
 * (`KafkaBatchNotLandedError`), so the event source retries the whole batch.
 */
export function createKafkaLandHandler(
  settings: LandingSettings,
  deps: LandHandlerDeps = {},
): (event: KafkaEvent) => Promise<{ landedEvents: number; quarantined: number; unkeyed: number }> {
  const landing = landingDeps(settings, deps);
  const log = batchLogger(deps);
  return async (event) => {
    try {
      const { result, records, unkeyed } = await landKafkaEvent(event, landing);
      deps.onResult?.(result);
      log(records, result, { unkeyed });
      return { landedEvents: result.landedEvents, quarantined: result.quarantined, unkeyed };
    } catch (error) {
      if (error instanceof KafkaBatchNotLandedError) {
        deps.onResult?.(error.result);
        log(
          Object.values(event.records).reduce((sum, list) => sum + list.length, 0),
          error.result,
        );
      }
      throw error;
    }
  };
}

function landingDeps(settings: LandingSettings, deps: LandHandlerDeps): LandingDeps {
  return {
    store: new S3ObjectStore({
      bucket: settings.bucket,
      prefix: settings.keyPrefix,
      ...(deps.s3 ? { client: deps.s3 } : {}),
    }),
    validator: createEventValidator(),
    clock: deps.clock ?? systemClock,
    gzipLevel: settings.gzipLevel,
    ...(settings.latenessHours !== undefined ? { latenessHours: settings.latenessHours } : {}),
  };
}

function batchLogger(
  deps: LandHandlerDeps,
): (records: number, result: LandingResult, extra?: Record<string, unknown>) => void {
  const log = deps.log ?? ((entry) => console.log(JSON.stringify(entry)));
  return (records, result, extra = {}) =>
    log({
      level: result.failedIds.length > 0 ? 'WARN' : 'INFO',
      message: 'batch landed',
      records,
      landedEvents: result.landedEvents,
      objects: result.objects.length,
      quarantined: result.quarantined,
      failed: result.failedIds.length,
      ...extra,
      // Error texts name keys and S3 errors, never event contents.
      ...(result.errors.length > 0 ? { errors: result.errors } : {}),
    });
}
