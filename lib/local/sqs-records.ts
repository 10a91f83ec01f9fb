import { createHash } from 'node:crypto';
import type { SqsRecord } from '../core/landing/sqs-event.js';
import { messageIdFor, type Lease } from './in-process-queue.js';

/** One received batch, column by column: what the SQS records of one invocation are built from. */
export interface ReceivedBatch {
  readonly leaseId: number;
  /** The queue's message id prefix; a message id is the prefix and the message's sequence number. */
  readonly idPrefix: string;
  readonly bodies: readonly string[];
  /** seq, receiveCount, sentAt and firstReceivedAt of message i at i, n+i, 2n+i and 3n+i. */
  readonly numbers: Float64Array;
}

/** The queue a record came from. */
export interface SqsSourceInfo {
  readonly arn: string;
  readonly region: string;
}

/** The columns of a lease, ready to invoke with. */
export function batchOf(lease: Lease, idPrefix: string): ReceivedBatch {
  const n = lease.messages.length;
  const bodies = new Array<string>(n);
  const numbers = new Float64Array(4 * n);
  for (let i = 0; i < n; i++) {
    const m = lease.messages[i]!;
    bodies[i] = m.body;
    numbers[i] = m.seq;
    numbers[n + i] = m.receiveCount;
    numbers[2 * n + i] = m.sentAt;
    numbers[3 * n + i] = m.firstReceivedAt;
  }
  return { leaseId: lease.id, idPrefix, bodies, numbers };
}

/** Builds the records of the event Lambda's SQS event source mapping delivers, exactly in its shape. */
export function toSqsRecords(batch: ReceivedBatch, source: SqsSourceInfo): SqsRecord[] {
  const n = batch.bodies.length;
  const nums = batch.numbers;
  const records: SqsRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const body = batch.bodies[i]!;
    records[i] = {
      messageId: messageIdFor(batch.idPrefix, nums[i]!),
      receiptHandle: `${batch.leaseId}.${i}`,
      body,
      attributes: {
        ApproximateReceiveCount: String(nums[n + i]),
        SentTimestamp: String(nums[2 * n + i]),
        SenderId: 'in-process-bus',
        ApproximateFirstReceiveTimestamp: String(nums[3 * n + i]),
      },
      messageAttributes: {},
      // Computed on first read: nothing on the landing path needs it, and hashing every body costs.
      get md5OfBody() {
        return createHash('md5').update(body).digest('hex');
      },
      eventSource: 'aws:sqs',
      eventSourceARN: source.arn,
      awsRegion: source.region,
    };
  }
  return records;
}

/** A {@link ReceivedBatch} in the form that crosses to a worker thread cheaply. */
export interface PackedBatch extends Omit<ReceivedBatch, 'bodies'> {
  /** Bodies joined by newlines (an envelope body is one line), or the array when one is not. */
  readonly bodies: string | readonly string[];
}

/**
 * Packs a batch for postMessage: one long string and one transferable typed array clone far faster than
 * thousands of small strings.
 */
export function packBatch(batch: ReceivedBatch): PackedBatch {
  // An empty batch stays an array: '' would split back into one empty body.
  const oneLine = batch.bodies.length > 0 && batch.bodies.every((b) => !b.includes('\n'));
  return { ...batch, bodies: oneLine ? batch.bodies.join('\n') : batch.bodies };
}

/** The inverse of {@link packBatch}. */
export function unpackBatch(packed: PackedBatch): ReceivedBatch {
  return { ...packed, bodies: typeof packed.bodies === 'string' ? packed.bodies.split('\n') : packed.bodies };
}
