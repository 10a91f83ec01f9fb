import { createHash } from 'node:crypto';
import type { SqsRecord } from '../core/landing/sqs-event.js';
import { copyBodies, messageIdFor, type Lease } from './in-process-queue.js';

/**
 * One received batch, column by column: what the SQS records of one invocation are built from. It crosses
 * to a worker thread cheaply: the bodies are UTF-8 bytes, one after another in one buffer, so postMessage
 * transfers three buffers instead of copying thousands of strings (and the landing compresses those bytes).
 */
export interface ReceivedBatch {
  readonly leaseId: number;
  /** The queue's message id prefix; a message id is the prefix and the message's sequence number. */
  readonly idPrefix: string;
  /** seq, receiveCount, sentAt and firstReceivedAt of message i at i, n+i, 2n+i and 3n+i. */
  readonly numbers: Float64Array;
  /** Every body's UTF-8 bytes, in order; body i ends at `ends[i]`. Its buffer is transferred. */
  readonly bytes: Uint8Array;
  readonly ends: Uint32Array;
  /**
   * Bodies that UTF-8 cannot carry exactly (a lone UTF-16 surrogate, which encoding would replace), as
   * text by position; their bytes are empty. SQS itself refuses such a body; the embedded queue keeps it
   * so the landing quarantines it as it was sent.
   */
  readonly texts: Readonly<Record<number, string>>;
}

/** The queue a record came from. */
export interface SqsSourceInfo {
  readonly arn: string;
  readonly region: string;
}

/** The columns of a lease, ready to invoke with: the bodies' bytes are copied out of the queue's buffers. */
export function batchOf(lease: Lease, idPrefix: string): ReceivedBatch {
  const n = lease.messages.length;
  const numbers = new Float64Array(4 * n);
  for (let i = 0; i < n; i++) {
    const m = lease.messages[i]!;
    numbers[i] = m.seq;
    numbers[n + i] = m.receiveCount;
    numbers[2 * n + i] = m.sentAt;
    numbers[3 * n + i] = m.firstReceivedAt;
  }
  return { leaseId: lease.id, idPrefix, numbers, ...copyBodies(lease.messages) };
}

/** The buffers of a batch, to give postMessage as its transfer list. */
export function transferList(batch: ReceivedBatch): ArrayBuffer[] {
  return [batch.bytes.buffer, batch.ends.buffer, batch.numbers.buffer] as ArrayBuffer[];
}

/**
 * A received batch as the records of one invocation read it: the batch, its bytes as a Buffer, and the
 * queue the records came from.
 */
class BatchColumns {
  readonly all: Buffer;
  readonly n: number;

  constructor(
    readonly batch: ReceivedBatch,
    readonly source: SqsSourceInfo,
  ) {
    this.all = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
    this.n = batch.ends.length;
  }

  start(i: number): number {
    return i === 0 ? 0 : this.batch.ends[i - 1]!;
  }
}

/**
 * One record of the embedded runtime's SQS event: a view of the batch it came in. Each of Lambda's fields is
 * a getter that reads the batch's columns: the body is decoded from the batch's bytes when it is read, and
 * not kept. A handler reads each body once, so a batch's bodies no longer stay on the heap together until
 * the batch is done: kept, thousands of them outlived the young generation and the garbage collector
 * copied them. Measured 2026-12-05 on 2 cores, 1,000,000 events through the embedded pipeline, 4 interleaved
 * pairs: 118–125k → 130–134k events/s, 15.2–16.1 → 14.3–14.9 CPU-s; each landing worker's young-generation
 * survivors fell from about 430 MB to 110 MB. As JSON, the form in which an event reaches a function, a record
 * has every field in Lambda's order; spread and Object.keys do not list the fields.
 */
class EmbeddedSqsRecord implements SqsRecord {
  constructor(
    private readonly columns: BatchColumns,
    private readonly index: number,
  ) {}

  get messageId(): string {
    return messageIdFor(this.columns.batch.idPrefix, this.columns.batch.numbers[this.index]!);
  }

  get receiptHandle(): string {
    return `${this.columns.batch.leaseId}.${this.index}`;
  }

  get body(): string {
    const { batch, all } = this.columns;
    return (
      batch.texts[this.index] ?? all.toString('utf8', this.columns.start(this.index), batch.ends[this.index])
    );
  }

  /** The body's UTF-8 bytes (a view of the batch's buffer), or undefined for a body kept as text. */
  get bodyBytes(): Uint8Array | undefined {
    const { batch, all } = this.columns;
    if (batch.texts[this.index] !== undefined) return undefined;
    const start = this.columns.start(this.index);
    return new Uint8Array(all.buffer, all.byteOffset + start, batch.ends[this.index]! - start);
  }

  get attributes(): Readonly<Record<string, string>> {
    const { batch, n } = this.columns;
    const nums = batch.numbers;
    return {
      ApproximateReceiveCount: String(nums[n + this.index]),
      SentTimestamp: String(nums[2 * n + this.index]),
      SenderId: 'in-process-bus',
      ApproximateFirstReceiveTimestamp: String(nums[3 * n + this.index]),
    };
  }

  get messageAttributes(): Readonly<Record<string, unknown>> {
    return {};
  }

  get md5OfBody(): string {
    return createHash('md5').update(this.body).digest('hex');
  }

  get eventSource(): string {
    return 'aws:sqs';
  }

  get eventSourceARN(): string {
    return this.columns.source.arn;
  }

  get awsRegion(): string {
    return this.columns.source.region;
  }

  toJSON(): SqsRecord {
    return {
      messageId: this.messageId,
      receiptHandle: this.receiptHandle,
      body: this.body,
      attributes: this.attributes,
      messageAttributes: this.messageAttributes,
      md5OfBody: this.md5OfBody,
      eventSource: this.eventSource,
      eventSourceARN: this.eventSourceARN,
      awsRegion: this.awsRegion,
    };
  }
}

/** Builds the records of the event Lambda's SQS event source mapping delivers, in its shape, as views of the batch. */
export function toSqsRecords(batch: ReceivedBatch, source: SqsSourceInfo): SqsRecord[] {
  const columns = new BatchColumns(batch, source);
  const records: SqsRecord[] = new Array(columns.n);
  for (let i = 0; i < columns.n; i++) records[i] = new EmbeddedSqsRecord(columns, i);
  return records;
}

/**
 * Record i's body as the UTF-8 bytes it crossed in, when `records` came from {@link toSqsRecords} and the
 * body has exact bytes: the landing writes a valid event from them instead of encoding its body again.
 */
export function bodyBytesOf(records: readonly SqsRecord[]): (index: number) => Uint8Array | undefined {
  return (index) => {
    const record = records[index];
    return record instanceof EmbeddedSqsRecord ? record.bodyBytes : undefined;
  };
}
