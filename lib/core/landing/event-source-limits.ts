import { EltError } from '../util/errors.js';

/**
 * The limits AWS Lambda's event source mappings put on a landing batch, written once for the stacks'
 * configuration, the local pollers that imitate the mappings and the CLI options that set them.
 *
 * Sources (read 2026-12-03):
 * - SQS: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html — BatchSize 1–10,000 for
 *   standard queues; above 10 the MaximumBatchingWindowInSeconds must be at least 1; window 0–300 s.
 * - Kafka (MSK and self-managed): https://docs.aws.amazon.com/lambda/latest/dg/with-msk-configure.html —
 *   BatchSize 1–10,000; MaximumBatchingWindowInSeconds 0–300 (Lambda's default for Kafka is 500 ms).
 * - Invocation payload: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html — 6 MB for
 *   a synchronous invocation, which is how a mapping invokes the function; the batch is cut there first.
 */
export const EVENT_SOURCE_LIMITS = {
  /** Records per invocation (both SQS standard queues and Kafka). */
  batchSize: { min: 1, max: 10_000 },
  /** Seconds a mapping waits to fill a batch. */
  batchWindowSeconds: { min: 0, max: 300 },
  /** SQS: a batch size above this needs a batching window of at least one second. */
  sqsBatchSizeWithoutWindow: 10,
  /** Bytes of one invocation's payload (6 MB, read as MiB as Lambda enforces it). */
  invocationPayloadBytes: 6 * 1024 * 1024,
} as const;

/** A batching option outside what Lambda's event source mappings accept; the message names the option. */
export class EventSourceLimitError extends EltError {}

const count = (n: number): string => n.toLocaleString('en-US');

/** `value` as a batch size (records per invocation) Lambda accepts; an {@link EventSourceLimitError} naming `option` otherwise. */
export function checkBatchSize(option: string, value: number): number {
  const { min, max } = EVENT_SOURCE_LIMITS.batchSize;
  if (!Number.isInteger(value) || value < min || value > max)
    throw new EventSourceLimitError(
      `${option} must be an integer from ${count(min)} to ${count(max)}, got ${value}`,
    );
  return value;
}

/** `value` as a batching window in milliseconds Lambda accepts; an {@link EventSourceLimitError} naming `option` otherwise. */
export function checkBatchWindowMs(option: string, value: number): number {
  const min = EVENT_SOURCE_LIMITS.batchWindowSeconds.min * 1000;
  const max = EVENT_SOURCE_LIMITS.batchWindowSeconds.max * 1000;
  if (!Number.isFinite(value) || value < min || value > max)
    throw new EventSourceLimitError(`${option} must be from ${count(min)} to ${count(max)} ms, got ${value}`);
  return value;
}
