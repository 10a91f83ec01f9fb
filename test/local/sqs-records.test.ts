import { describe, expect, it } from 'vitest';
import { InProcessQueue, type Lease } from '../../lib/local/in-process-queue.js';
import {
  batchOf,
  packBatch,
  toSqsRecords,
  transferList,
  unpackBatch,
  type ReceivedBatch,
  type UnpackedBatch,
} from '../../lib/local/sqs-records.js';

/** The fields of a record of Lambda's SQS event, in the order Lambda gives them. */
const LAMBDA_FIELDS = [
  'messageId',
  'receiptHandle',
  'body',
  'attributes',
  'messageAttributes',
  'md5OfBody',
  'eventSource',
  'eventSourceARN',
  'awsRegion',
];

const SOURCE = { arn: 'arn:aws:sqs:eu-west-1:123456789012:landing', region: 'eu-west-1' };

function leaseOf(queue: InProcessQueue, bodies: readonly string[]): Lease {
  for (const b of bodies) queue.trySend(b);
  const lease = queue.receiveBatch(bodies.length);
  if (!lease) throw new Error('expected a lease');
  return lease;
}

function received(bodies: readonly string[]): { queue: InProcessQueue; lease: Lease; batch: ReceivedBatch } {
  const queue = new InProcessQueue('landing');
  const lease = leaseOf(queue, bodies);
  return { queue, lease, batch: batchOf(lease, queue.messageIdPrefix) };
}

describe('batchOf', () => {
  it('lays out seq, receiveCount, sentAt and firstReceivedAt in four columns', () => {
    const { lease, batch } = received(['a', 'b']);
    const [m0, m1] = lease.messages;
    expect(batch.leaseId).toBe(lease.id);
    expect(batch.bodies).toEqual(['a', 'b']);
    expect([...batch.numbers]).toEqual([
      m0!.seq,
      m1!.seq,
      1,
      1,
      m0!.sentAt,
      m1!.sentAt,
      m0!.firstReceivedAt,
      m1!.firstReceivedAt,
    ]);
  });
});

describe('toSqsRecords', () => {
  it('builds each record in the shape Lambda’s SQS event source mapping delivers', () => {
    const { queue, lease, batch } = received(['{"n":1}', '{"n":2}']);
    const m = lease.messages[1]!;
    const record = toSqsRecords(batch, SOURCE)[1]!;
    // As JSON, the form in which an event reaches a function.
    const json = JSON.stringify(record);
    expect(Object.keys(JSON.parse(json) as object)).toEqual(LAMBDA_FIELDS);
    expect(JSON.parse(json)).toEqual({
      messageId: queue.messageId(m.seq),
      receiptHandle: `${lease.id}.1`,
      body: '{"n":2}',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(m.sentAt),
        SenderId: 'in-process-bus',
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt),
      },
      messageAttributes: {},
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
      eventSource: 'aws:sqs',
      eventSourceARN: SOURCE.arn,
      awsRegion: 'eu-west-1',
    });
  });

  it('keeps the order of the batch', () => {
    const { batch } = received(['a', 'b', 'c']);
    expect(toSqsRecords(batch, SOURCE).map((r) => r.body)).toEqual(['a', 'b', 'c']);
  });

  it('writes timestamps as whole epoch milliseconds in decimal', () => {
    const { batch } = received(['a']);
    const { attributes } = toSqsRecords(batch, SOURCE)[0]!;
    expect(attributes.SentTimestamp).toMatch(/^\d{13}$/);
    expect(attributes.ApproximateFirstReceiveTimestamp).toMatch(/^\d{13}$/);
  });

  it('reports the receive count of a redelivered message', async () => {
    const queue = new InProcessQueue('landing', { retryDelayMs: 1 });
    const first = leaseOf(queue, ['a']);
    queue.settle(first.id, 'all', 'failed');
    await queue.whenVisible(1);
    const again = queue.receiveBatch(1)!;
    const [record] = toSqsRecords(batchOf(again, queue.messageIdPrefix), SOURCE);
    expect(record!.attributes.ApproximateReceiveCount).toBe('2');
    expect(record!.messageId).toBe(queue.messageId(first.messages[0]!.seq));
  });

  it.each([
    ['hello', '5d41402abc4b2a76b9719d911017c592'],
    ['{"price":"€5"}', '89a09fd589080e2a1f127e3ade6e600e'],
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
  ])('gives md5OfBody as the MD5 hex of the UTF-8 body %j', (body, md5) => {
    const { batch } = received([body]);
    expect(toSqsRecords(batch, SOURCE)[0]!.md5OfBody).toBe(md5);
  });

  it('has every other field of Lambda’s record as its own, and computes md5OfBody only when it is read', () => {
    const { batch } = received(['a']);
    const record = toSqsRecords(batch, SOURCE)[0]!;
    expect(Object.keys(record)).toEqual(LAMBDA_FIELDS.filter((f) => f !== 'md5OfBody'));
    expect(Object.hasOwn(record, 'md5OfBody')).toBe(false);
    expect(Object.getOwnPropertyDescriptor(Object.getPrototypeOf(record), 'md5OfBody')?.get).toBeTypeOf(
      'function',
    );
  });

  it('serializes md5OfBody like any other field, as the event crosses to a function as JSON', () => {
    const { batch } = received(['hello']);
    const json = JSON.parse(JSON.stringify(toSqsRecords(batch, SOURCE)[0])) as Record<string, unknown>;
    expect(json.md5OfBody).toBe('5d41402abc4b2a76b9719d911017c592');
  });
});

describe('packBatch and unpackBatch', () => {
  /** A batch as it reaches a worker: packed, structured-cloned with its buffers transferred, unpacked. */
  function crossed(batch: ReceivedBatch): UnpackedBatch {
    const packed = packBatch(batch);
    return unpackBatch(structuredClone(packed, { transfer: transferList(packed) }));
  }

  it('packs the bodies as their UTF-8 bytes, one after another, with where each ends', () => {
    const { batch } = received(['{"a":1}', 'é', '']);
    const packed = packBatch(batch);
    expect(Buffer.from(packed.bytes).toString('utf8')).toBe('{"a":1}é');
    expect([...packed.ends]).toEqual([7, 9, 9]);
    expect(packed.texts).toEqual({});
  });

  it('restores every body, its bytes, the numbers and the lease', () => {
    const bodies = ['{"a":1}', '', 'two\nlines\r\n', 'Zoë — “𝔘𝔫𝔦𝔠𝔬𝔡𝔢”', 'x'.repeat(100_000)];
    const { batch } = received(bodies);
    const numbers = batch.numbers.slice();
    const { batch: restored, bytes } = crossed(batch);
    expect(restored.bodies).toEqual(bodies);
    expect(bytes.map((b) => Buffer.from(b!).toString('utf8'))).toEqual(bodies);
    expect(restored.numbers).toEqual(numbers);
    expect(restored.leaseId).toBe(batch.leaseId);
    expect(restored.idPrefix).toBe(batch.idPrefix);
  });

  it('grows its buffer for bodies of characters that take three bytes each', () => {
    const bodies = ['€'.repeat(50_000), 'a', '€'.repeat(70_000)];
    const { batch } = received(bodies);
    expect(crossed(batch).batch.bodies).toEqual(bodies);
  });

  it('carries a body with a lone surrogate as text, which UTF-8 would have replaced', () => {
    const bodies = ['{"a":1}', '{"s":"\ud800"}', '{"b":2}'];
    const { batch } = received(bodies);
    const { batch: restored, bytes } = crossed(batch);
    expect(restored.bodies).toEqual(bodies);
    expect(restored.bodies[1]!.isWellFormed()).toBe(false);
    expect(bytes[1]).toBeUndefined();
    expect(Buffer.from(bytes[2]!).toString('utf8')).toBe('{"b":2}');
  });

  it('restores an empty batch as empty', () => {
    const batch: ReceivedBatch = { leaseId: 1, idPrefix: 'p', bodies: [], numbers: new Float64Array(0) };
    expect(crossed(batch).batch.bodies).toEqual([]);
  });

  it('moves the buffers to the worker instead of copying them', () => {
    const { batch } = received(['{"a":1}']);
    const packed = packBatch(batch);
    structuredClone(packed, { transfer: transferList(packed) });
    expect(packed.bytes.byteLength).toBe(0);
    expect(packed.ends.byteLength).toBe(0);
    expect(batch.numbers.byteLength).toBe(0);
  });

  it('builds the same records from an unpacked batch as from the original', () => {
    const { batch } = received(['{"a":1}', 'x\ny']);
    const asJson = (records: unknown[]): unknown => JSON.parse(JSON.stringify(records));
    const direct = asJson(toSqsRecords(batch, SOURCE));
    const viaPack = asJson(toSqsRecords(crossed({ ...batch, numbers: batch.numbers.slice() }).batch, SOURCE));
    expect(viaPack).toEqual(direct);
  });
});
