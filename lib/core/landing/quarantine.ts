import type { Rejection } from '../events/rejection.js';
import { timePartition } from '../events/event-time.js';
import type { Clock, ObjectStore } from '../ports.js';
import { putGzipNdjson } from './ndjson-gzip.js';
import { dlqObjectKey, objectNameFor, quarantineObjectKey } from './object-keys.js';

/** Where in the pipeline an input was rejected. */
export type QuarantineStage = 'publish' | 'landing';

/**
 * One line of a quarantine object: the reason beside the input exactly as it arrived (`input` is the
 * original text: a line that is not JSON is kept as it was).
 */
export interface QuarantineRecord {
  readonly quarantinedAt: string;
  readonly stage: QuarantineStage;
  readonly code: Rejection['code'];
  readonly reason: string;
  /** Identifies the input where it came from: a message id, `file:line`, `topic-partition@offset`. */
  readonly ref: string;
  /** The envelope id, when the input got as far as being an envelope. */
  readonly eventId?: string;
  readonly input: string;
}

/** Builds a quarantine record. */
export function quarantineRecord(
  stage: QuarantineStage,
  rejection: Rejection,
  ref: string,
  input: string,
  at: Date,
  eventId?: string,
): QuarantineRecord {
  return {
    quarantinedAt: at.toISOString(),
    stage,
    code: rejection.code,
    reason: rejection.reason,
    ref,
    ...(eventId ? { eventId } : {}),
    input,
  };
}

/**
 * Writes quarantine records, each already serialized as one JSON line, as one gzip NDJSON object named by
 * the hash of the lines, so a retried batch overwrites its own object. Returns the key.
 *
 * Callers serialize a record as soon as they make it: the line is a new string, so buffering it does not
 * keep alive the much larger input chunk the rejected text was sliced from.
 */
export async function writeQuarantine(
  store: ObjectStore,
  stage: QuarantineStage,
  lines: readonly string[],
  clock: Clock,
): Promise<string> {
  const key = quarantineObjectKey(stage, timePartition(clock.now()), objectNameFor(lines));
  await putGzipNdjson(store, key, lines);
  return key;
}

/**
 * Writes dead letters (messages that failed every delivery), each already one JSON line, as one gzip NDJSON
 * object under `dlq/queue=<queue>/`, named by the hash of the messages' ids. Returns the key.
 */
export async function writeDeadLetters(
  store: ObjectStore,
  queue: string,
  ids: readonly string[],
  lines: readonly string[],
  clock: Clock,
): Promise<string> {
  const key = dlqObjectKey(queue, timePartition(clock.now()), objectNameFor(ids));
  await putGzipNdjson(store, key, lines);
  return key;
}
