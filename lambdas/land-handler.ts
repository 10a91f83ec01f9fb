import type { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../lib/adapters/store/s3-object-store.js';
import { createEventValidator } from '../lib/core/events/validator.js';
import { assertSafeKey } from '../lib/core/landing/object-keys.js';
import type { LandingDeps, LandingResult } from '../lib/core/landing/land-batch.js';
import {
  KafkaBatchNotLandedError,
  landKafkaEvent,
  type KafkaEvent,
} from '../lib/core/landing/kafka-event.js';
import { landSqsEvent, type SqsBatchResponse, type SqsEvent } from '../lib/core/landing/sqs-event.js';
import { systemClock, type Clock } from '../lib/core/ports.js';
import { FUNCTION_ENV } from '../lib/infra/function-environment.js';

/** A required setting is missing or invalid; the message names it. */
export class LandingConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LandingConfigError';
  }
}

/** The landing Lambda's settings, from its environment. */
export interface LandingConfig {
  /** The raw bucket. Env: RAW_BUCKET. */
  readonly bucket: string;
  /** A key prefix inside the bucket. Env: RAW_KEY_PREFIX. @default '' */
  readonly keyPrefix: string;
  /** Env: GZIP_LEVEL. @default 6 */
  readonly gzipLevel: number;
  /**
   * Events more than this many hours late are filed under the partition of (now − this), the window the
   * ELT plan lists. Env: ELT_LATENESS_HOURS (the same setting the ELT functions get). @default unset
   */
  readonly latenessHours?: number;
}

/** Reads and checks the settings once, at cold start. */
export function readLandingConfig(env: Readonly<Record<string, string | undefined>>): LandingConfig {
  const bucket = env.RAW_BUCKET;
  if (!bucket)
    throw new LandingConfigError('RAW_BUCKET is not set: the landing function needs the raw bucket name');
  const keyPrefix = env.RAW_KEY_PREFIX ?? '';
  if (keyPrefix && !isSafeKeyPrefix(keyPrefix)) {
    throw new LandingConfigError(
      `RAW_KEY_PREFIX must be a safe key prefix ending in "/", got ${JSON.stringify(keyPrefix)}`,
    );
  }
  const gzipLevel = env.GZIP_LEVEL === undefined ? 6 : Number(env.GZIP_LEVEL);
  if (!Number.isInteger(gzipLevel) || gzipLevel < 1 || gzipLevel > 9) {
    throw new LandingConfigError(
      `GZIP_LEVEL must be an integer from 1 to 9, got ${JSON.stringify(env.GZIP_LEVEL)}`,
    );
  }
  const lateness = env[FUNCTION_ENV.latenessHours];
  const latenessHours = lateness === undefined || lateness === '' ? undefined : Number(lateness);
  if (
    latenessHours !== undefined &&
    (!Number.isInteger(latenessHours) || latenessHours < 1 || latenessHours > 720)
  ) {
    throw new LandingConfigError(
      `${FUNCTION_ENV.latenessHours} must be an integer from 1 to 720, got ${JSON.stringify(lateness)}`,
    );
  }
  return { bucket, keyPrefix, gzipLevel, ...(latenessHours !== undefined ? { latenessHours } : {}) };
}

// The prefix's segments must be safe key segments too: no "..", no empty segment, no leading "/".
function isSafeKeyPrefix(prefix: string): boolean {
  if (!prefix.endsWith('/')) return false;
  try {
    assertSafeKey(prefix.slice(0, -1));
    return true;
  } catch {
    return false;
  }
}

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
  config: LandingConfig,
  deps: LandHandlerDeps = {},
): (event: SqsEvent) => Promise<SqsBatchResponse> {
  const landing = landingDeps(config, deps);
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
  config: LandingConfig,
  deps: LandHandlerDeps = {},
): (event: KafkaEvent) => Promise<{ landedEvents: number; quarantined: number; unkeyed: number }> {
  const landing = landingDeps(config, deps);
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

function landingDeps(config: LandingConfig, deps: LandHandlerDeps): LandingDeps {
  return {
    store: new S3ObjectStore({
      bucket: config.bucket,
      prefix: config.keyPrefix,
      ...(deps.s3 ? { client: deps.s3 } : {}),
    }),
    validator: createEventValidator(),
    clock: deps.clock ?? systemClock,
    gzipLevel: config.gzipLevel,
    ...(config.latenessHours !== undefined ? { latenessHours: config.latenessHours } : {}),
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
