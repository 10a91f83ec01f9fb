import { describe, expect, it } from 'vitest';
import { InProcessQueue, type Lease } from '../../lib/local/in-process-queue.js';
import {
  batchOf,
  bodyBytesOf,
  toSqsRecords,
  transferList,
  type ReceivedBatch,
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

  it('reads every field of Lambda’s record from the batch when it is read: a view, not a copy', () => {
    const { batch } = received(['a']);
    const record = toSqsRecords(batch, SOURCE)[0]!;
    const prototype = Object.getPrototypeOf(record) as object;
    for (const field of LAMBDA_FIELDS) {
      expect(Object.hasOwn(record, field), field).toBe(false);
      expect(Object.getOwnPropertyDescriptor(prototype, field)?.get, field).toBeTypeOf('function');
    }
  });

  it('decodes the body on each read instead of keeping it', () => {
    const { batch } = received(['{"a":"é"}']);
    const record = toSqsRecords(batch, SOURCE)[0]!;
    expect(record.body).toBe('{"a":"é"}');
    // The bytes are the body's source: changed there, the next read sees it.
    batch.bytes[2] = 'b'.charCodeAt(0);
    expect(record.body).toBe('{"b":"é"}');
  });

  it('serializes md5OfBody like any other field, as the event crosses to a function as JSON', () => {
    const { batch } = received(['hello']);
    const json = JSON.parse(JSON.stringify(toSqsRecords(batch, SOURCE)[0])) as Record<string, unknown>;
    expect(json.md5OfBody).toBe('5d41402abc4b2a76b9719d911017c592');
  });
});

describe('batchOf and the records of a batch that crossed to a worker', () => {
  /** A batch as it reaches a worker: structured-cloned with its buffers transferred. */
  function crossed(batch: ReceivedBatch): ReceivedBatch {
    return structuredClone(batch, { transfer: transferList(batch) });
  }

  it('copies the bodies as their UTF-8 bytes, one after another, with where each ends', () => {
    const { batch } = received(['{"a":1}', 'é', '']);
    expect(Buffer.from(batch.bytes).toString('utf8')).toBe('{"a":1}é');
    expect([...batch.ends]).toEqual([7, 9, 9]);
    expect(batch.texts).toEqual({});
  });

  it('gives every body, its bytes, the numbers and the lease on the other side', () => {
    const bodies = ['{"a":1}', '', 'two\nlines\r\n', 'Zoë — “𝔘𝔫𝔦𝔠𝔬𝔡𝔢”', 'x'.repeat(100_000)];
    const { batch } = received(bodies);
    const numbers = batch.numbers.slice();
    const { leaseId, idPrefix } = batch;
    const there = crossed(batch);
    const records = toSqsRecords(there, SOURCE);
    expect(records.map((r) => r.body)).toEqual(bodies);
    const bytes = bodyBytesOf(records);
    expect(records.map((_r, i) => Buffer.from(bytes(i)!).toString('utf8'))).toEqual(bodies);
    expect(there.numbers).toEqual(numbers);
    expect(there.leaseId).toBe(leaseId);
    expect(there.idPrefix).toBe(idPrefix);
  });

  it('copies the bodies of messages that lie apart in the queue (a redelivered one among new ones)', async () => {
    const queue = new InProcessQueue('landing', { retryDelayMs: 1 });
    const first = leaseOf(queue, ['one', 'two', 'three']);
    queue.settle(first.id, new Set([1]), 'failed');
    for (const b of ['four', '€five']) queue.trySend(b);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const lease = queue.receiveBatch(10)!;
    const batch = batchOf(lease, queue.messageIdPrefix);
    expect(toSqsRecords(batch, SOURCE).map((r) => r.body)).toEqual(['four', '€five', 'two']);
    expect([...batch.ends]).toEqual([4, 11, 14]);
  });

  it('carries a body with a lone surrogate as text, which UTF-8 would have replaced', () => {
    const bodies = ['{"a":1}', '{"s":"\ud800"}', '{"b":2}'];
    const { batch } = received(bodies);
    const records = toSqsRecords(crossed(batch), SOURCE);
    expect(records.map((r) => r.body)).toEqual(bodies);
    expect(records[1]!.body.isWellFormed()).toBe(false);
    const bytes = bodyBytesOf(records);
    expect(bytes(1)).toBeUndefined();
    expect(Buffer.from(bytes(2)!).toString('utf8')).toBe('{"b":2}');
  });

  it('gives no bytes for records it did not build', () => {
    const plain = [{ body: 'a' }] as unknown as Parameters<typeof bodyBytesOf>[0];
    expect(bodyBytesOf(plain)(0)).toBeUndefined();
  });

  it('makes an empty batch of an empty lease', () => {
    const batch = batchOf({ id: 1, messages: [] }, 'p');
    expect(toSqsRecords(crossed(batch), SOURCE)).toEqual([]);
  });

  it('moves the buffers to the worker instead of copying them', () => {
    const { batch } = received(['{"a":1}']);
    crossed(batch);
    expect(batch.bytes.byteLength).toBe(0);
    expect(batch.ends.byteLength).toBe(0);
    expect(batch.numbers.byteLength).toBe(0);
  });

  it('builds the same records on the other side as here', () => {
    const { batch } = received(['{"a":1}', 'x\ny']);
    const asJson = (records: unknown[]): unknown => JSON.parse(JSON.stringify(records));
    const here = asJson(toSqsRecords(batch, SOURCE));
    const copy = {
      ...batch,
      numbers: batch.numbers.slice(),
      bytes: batch.bytes.slice(),
      ends: batch.ends.slice(),
    };
    expect(asJson(toSqsRecords(crossed(copy), SOURCE))).toEqual(here);
  });
});
