import { randomUUID } from 'node:crypto';
import type { ObjectStore } from '../ports.js';
import { landKafkaEvent, type KafkaEvent } from './kafka-event.js';
import type { LandingDeps } from './land-batch.js';
import { isJsonObject as isObject } from '../patterns/json-value.js';
import { EltError } from '../util/errors.js';

/**
 * What Lambda writes to an Amazon S3 on-failure destination of a Kafka event source mapping when it gives
 * up on a batch: metadata about the failed invocation (`requestContext`, `responseContext`,
 * `KafkaBatchInfo`) and, for S3 destinations only, the whole invocation event under `payload` (a JSON
 * string; an object is accepted too). Key layout chosen by Lambda: `aws/lambda/<mapping UUID>/…`.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html
 */
export interface KafkaFailureRecord {
  /** Why Lambda gave up, e.g. `RetryAttemptsExhausted` or `MaximumPayloadSizeExceeded`. */
  readonly condition: string;
  readonly approximateInvokeCount?: number;
  /** The event Lambda could not have processed. */
  readonly event: KafkaEvent;
  readonly records: number;
}

/** A failure object that cannot be turned back into the event it describes. */
export class KafkaFailureRecordError extends EltError {}

/** Reads an on-failure object; throws {@link KafkaFailureRecordError} saying what is missing. */
export function parseKafkaFailureRecord(text: string): KafkaFailureRecord {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new KafkaFailureRecordError(`not JSON (${(error as Error).message})`, { cause: error });
  }
  if (!isObject(doc)) throw new KafkaFailureRecordError('not a JSON object');
  const context = isObject(doc.requestContext) ? doc.requestContext : {};
  const condition = typeof context.condition === 'string' ? context.condition : 'unknown';
  if (doc.payload === undefined || doc.payload === null) {
    throw new KafkaFailureRecordError(
      `no payload (condition ${condition}): only S3 destinations receive the records; SQS and SNS ones get offsets`,
    );
  }
  let payload: unknown = doc.payload;
  if (typeof payload === 'string') {
    try {
      payload = JSON.parse(payload);
    } catch (error) {
      throw new KafkaFailureRecordError(`payload is not JSON (${(error as Error).message})`);
    }
  }
  if (!isObject(payload) || !isObject(payload.records)) {
    throw new KafkaFailureRecordError('payload is not a Kafka event (no "records" object)');
  }
  let records = 0;
  for (const [key, list] of Object.entries(payload.records)) {
    if (!Array.isArray(list)) throw new KafkaFailureRecordError(`payload.records["${key}"] is not an array`);
    records += list.length;
  }
  return {
    condition,
    ...(typeof context.approximateInvokeCount === 'number'
      ? { approximateInvokeCount: context.approximateInvokeCount }
      : {}),
    event: payload as unknown as KafkaEvent,
    records,
  };
}

/**
 * The failure object for a batch the local event source gave up on, in the shape Lambda writes to an S3
 * on-failure destination (so `elt redrive --kafka` reads both): the condition and attempts, the batch's
 * place in the topic (`KafkaBatchInfo.recordsInfo`, first and last offset per `<topic>-<partition>`), the
 * function's error as Lambda's invocation records carry it (`responsePayload`), and the whole event as a
 * JSON string under `payload`.
 */
export function kafkaFailureDocument(
  event: KafkaEvent,
  error: Error,
  attempts: number,
  functionName: string,
  now: Date,
): string {
  const payload = JSON.stringify(event);
  const recordsInfo: Record<string, Record<string, string>> = {};
  let batchSize = 0;
  for (const [key, list] of Object.entries(event.records)) {
    if (list.length === 0) continue;
    batchSize += list.length;
    const first = list[0]!;
    const last = list[list.length - 1]!;
    recordsInfo[key] = {
      firstRecordOffset: String(first.offset),
      lastRecordOffset: String(last.offset),
      firstRecordTimestamp: new Date(first.timestamp).toISOString(),
      lastRecordTimestamp: new Date(last.timestamp).toISOString(),
    };
  }
  return JSON.stringify({
    requestContext: {
      requestId: randomUUID(),
      functionArn: functionName,
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: attempts,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: error.name, errorMessage: error.message },
    version: '1.0',
    timestamp: now.toISOString(),
    KafkaBatchInfo: {
      batchSize,
      ...(event.eventSourceArn ? { eventSourceArn: event.eventSourceArn } : {}),
      bootstrapServers: event.bootstrapServers,
      payloadSize: Buffer.byteLength(payload),
      recordsInfo,
    },
    payload,
  });
}

/** One failure object that was not redriven, and why (it stays where it is). */
export interface KafkaFailureKept {
  readonly key: string;
  readonly reason: string;
}

/** What {@link redriveKafkaFailures} did. */
export interface KafkaRedriveResult {
  /** Failure objects looked at. */
  readonly objects: number;
  /** Failure objects whose records were landed, then deleted. */
  readonly redriven: number;
  readonly records: number;
  readonly landedEvents: number;
  /** Records of redriven batches that landing quarantined (each with its reason, as usual). */
  readonly quarantined: number;
  /** Objects that could not be read as a failure record with records: kept, to be looked at. */
  readonly unreadable: readonly KafkaFailureKept[];
  /** Objects whose records could not be landed (the store refused): kept, to be redriven again. */
  readonly failed: readonly KafkaFailureKept[];
}

/**
 * Lands the records of the batches a Kafka event source mapping gave up on, read from its S3 on-failure
 * destination (or any store holding such objects), with the same landing code the function runs. An
 * object is deleted only after its whole batch is durably landed, so a redrive stopped half-way is simply
 * run again: a batch lands under the same object names (the hash of its events' ids) and the warehouse
 * removes any other duplicate by event id.
 */
export async function redriveKafkaFailures(
  failures: ObjectStore,
  deps: LandingDeps,
  options: {
    readonly prefix?: string;
    readonly max?: number;
    readonly onObject?: (key: string, outcome: 'redriven' | 'unreadable' | 'failed') => void;
  } = {},
): Promise<KafkaRedriveResult> {
  const max = options.max ?? Number.POSITIVE_INFINITY;
  // Listed first, then worked through oldest name first: deleting while a listing is under way is not safe
  // on every store. (Failure objects are few: one per batch given up on.)
  const listed: string[] = [];
  for await (const info of failures.list(options.prefix ?? '')) listed.push(info.key);
  const keys = listed.sort().slice(0, max);
  let redriven = 0;
  let records = 0;
  let landedEvents = 0;
  let quarantined = 0;
  const unreadable: KafkaFailureKept[] = [];
  const failed: KafkaFailureKept[] = [];
  for (const key of keys) {
    let record: KafkaFailureRecord;
    try {
      record = parseKafkaFailureRecord(Buffer.from(await failures.get(key)).toString('utf8'));
    } catch (error) {
      unreadable.push({ key, reason: (error as Error).message });
      options.onObject?.(key, 'unreadable');
      continue;
    }
    try {
      const outcome = await landKafkaEvent(record.event, deps);
      await failures.delete(key);
      redriven++;
      records += outcome.records;
      landedEvents += outcome.result.landedEvents;
      quarantined += outcome.result.quarantined;
      options.onObject?.(key, 'redriven');
    } catch (error) {
      failed.push({ key, reason: (error as Error).message });
      options.onObject?.(key, 'failed');
    }
  }
  return { objects: keys.length, redriven, records, landedEvents, quarantined, unreadable, failed };
}
