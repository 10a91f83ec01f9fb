import { createHash } from 'node:crypto';
import type { SqsRecord } from '../core/landing/sqs-event.js';

/** The queue's view of one received message: what an SQS record is built from. */
export interface ReceivedMessageData {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly receiveCount: number;
  readonly sentAt: number;
  readonly firstReceivedAt: number;
}

/** The queue a record came from. */
export interface SqsSourceInfo {
  readonly arn: string;
  readonly region: string;
}

/** Builds the records of the event Lambda's SQS event source mapping delivers, exactly in its shape. */
export function toSqsRecords(messages: readonly ReceivedMessageData[], source: SqsSourceInfo): SqsRecord[] {
  return messages.map((m) => ({
    messageId: m.messageId,
    receiptHandle: m.receiptHandle,
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(m.receiveCount),
      SentTimestamp: String(m.sentAt),
      SenderId: 'in-process-bus',
      ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt),
    },
    messageAttributes: {},
    // Computed on first read: nothing on the landing path needs it, and hashing every body costs.
    get md5OfBody() {
      return createHash('md5').update(m.body).digest('hex');
    },
    eventSource: 'aws:sqs',
    eventSourceARN: source.arn,
    awsRegion: source.region,
  }));
}
