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

/**
 * One record of the embedded runtime's SQS event: Lambda's fields as its own properties, except md5OfBody,
 * which a getter of the class computes on first read (nothing on the landing path reads it, and hashing
 * every body costs). As JSON, the form in which an event reaches a function, a record has every field in
 * Lambda's order; spread and Object.keys do not list md5OfBody. A getter on each record instead (an accessor
 * in the object literal) made every record a slow allocation: measured 2026-12-04 on 2 cores, 1,000,000
 * events through the embedded pipeline, 3 interleaved pairs, 108–114k events/s with it, 117–125k with this class.
 */
class EmbeddedSqsRecord implements SqsRecord {
  constructor(
    readonly messageId: string,
    readonly receiptHandle: string,
    readonly body: string,
    readonly attributes: Readonly<Record<string, string>>,
    readonly messageAttributes: Readonly<Record<string, unknown>>,
    readonly eventSource: string,
    readonly eventSourceARN: string,
    readonly awsRegion: string,
  ) {}

  get md5OfBody(): string {
    return createHash('md5').update(this.body).digest('hex');
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

/** A number's decimal text, made again only when the number differs from the last one. */
class TimestampText {
  private last = Number.NaN;
  private text = '';

  of(value: number): string {
    if (value !== this.last) {
      this.last = value;
      this.text = String(value);
    }
    return this.text;
  }
}

/** Builds the records of the event Lambda's SQS event source mapping delivers, in its shape. */
export function toSqsRecords(batch: ReceivedBatch, source: SqsSourceInfo): SqsRecord[] {
  const n = batch.bodies.length;
  const nums = batch.numbers;
  const records: SqsRecord[] = new Array(n);
  // Messages of a batch were mostly sent in the same millisecond as the one before, and first received
  // together: their timestamps' text is made once per distinct value.
  const sent = new TimestampText();
  const firstReceived = new TimestampText();
  for (let i = 0; i < n; i++) {
    records[i] = new EmbeddedSqsRecord(
      messageIdFor(batch.idPrefix, nums[i]!),
      `${batch.leaseId}.${i}`,
      batch.bodies[i]!,
      {
        ApproximateReceiveCount: String(nums[n + i]),
        SentTimestamp: sent.of(nums[2 * n + i]!),
        SenderId: 'in-process-bus',
        ApproximateFirstReceiveTimestamp: firstReceived.of(nums[3 * n + i]!),
      },
      {},
      'aws:sqs',
      source.arn,
      source.region,
    );
  }
  return records;
}

/**
 * A {@link ReceivedBatch} in the form that crosses to a worker thread cheaply: the bodies as UTF-8 bytes,
 * one after another in one buffer, so that postMessage transfers three buffers instead of copying text.
 */
export interface PackedBatch extends Omit<ReceivedBatch, 'bodies'> {
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

/** A batch unpacked in a worker: the bodies, and each body's UTF-8 bytes when it has exact ones. */
export interface UnpackedBatch {
  readonly batch: ReceivedBatch;
  readonly bytes: readonly (Uint8Array | undefined)[];
}

/** The buffers of a packed batch, to give postMessage as its transfer list. */
export function transferList(packed: PackedBatch): ArrayBuffer[] {
  return [packed.bytes.buffer, packed.ends.buffer, packed.numbers.buffer] as ArrayBuffer[];
}

/**
 * Packs a batch for postMessage. Thousands of strings are copied by the structured clone (and one joined
 * string is two-byte, twice the bytes, as soon as one body has a character beyond Latin-1); the bytes of
 * one buffer are moved. The landing needs them anyway: they are what it compresses.
 */
export function packBatch(batch: ReceivedBatch): PackedBatch {
  const n = batch.bodies.length;
  const ends = new Uint32Array(n);
  const texts: Record<number, string> = {};
  let chars = 0;
  for (let i = 0; i < n; i++) chars += batch.bodies[i]!.length;
  // Not from Buffer's shared pool: the buffer is transferred to the worker. Room for the bytes of mostly
  // ASCII text; it grows when a body could not fit.
  let bytes: Buffer = Buffer.allocUnsafeSlow(chars + (chars >> 4) + 64);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const body = batch.bodies[i]!;
    if (!body.isWellFormed()) {
      texts[i] = body;
    } else {
      // A UTF-16 code unit takes at most 3 bytes of UTF-8.
      if (bytes.length - at < body.length * 3) bytes = grown(bytes, at, body.length * 3);
      at += bytes.write(body, at);
    }
    ends[i] = at;
  }
  return {
    leaseId: batch.leaseId,
    idPrefix: batch.idPrefix,
    numbers: batch.numbers,
    bytes: new Uint8Array(bytes.buffer, 0, at),
    ends,
    texts,
  };
}

function grown(bytes: Buffer, used: number, needed: number): Buffer {
  const next = Buffer.allocUnsafeSlow(Math.max(bytes.length * 2, used + needed));
  bytes.copy(next, 0, 0, used);
  return next;
}

/** The inverse of {@link packBatch}, with each body's bytes as views of the one buffer. */
export function unpackBatch(packed: PackedBatch): UnpackedBatch {
  const n = packed.ends.length;
  const all = Buffer.from(packed.bytes.buffer, packed.bytes.byteOffset, packed.bytes.byteLength);
  const bodies = new Array<string>(n);
  const bytes = new Array<Uint8Array | undefined>(n);
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = packed.ends[i]!;
    const text = packed.texts[i];
    if (text !== undefined) {
      bodies[i] = text;
    } else {
      bodies[i] = all.toString('utf8', start, end);
      bytes[i] = new Uint8Array(all.buffer, all.byteOffset + start, end - start);
    }
    start = end;
  }
  return {
    batch: { leaseId: packed.leaseId, idPrefix: packed.idPrefix, numbers: packed.numbers, bodies },
    bytes,
  };
}
