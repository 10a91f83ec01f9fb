import type { Message } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { eventRecordBytes, toEventRecord } from '../../lib/adapters/kafka/kafka-event-source.js';

type AnyMessage = Message<Buffer | undefined, Buffer | undefined, Buffer, Buffer>;

const message = (over: Partial<AnyMessage>): AnyMessage =>
  ({
    topic: 'elt-events',
    partition: 2_147_483_647,
    offset: 9_223_372_036_854_775_807n,
    timestamp: 9_223_372_036_854_775_807n,
    key: Buffer.from('user-1'),
    value: Buffer.from('{"a":1}'),
    headers: new Map<Buffer, Buffer>(),
    ...over,
  }) as unknown as AnyMessage;

describe('eventRecordBytes', () => {
  it('is never less than what a record adds to its Lambda event: the record, a comma and its partition key', () => {
    const cases: AnyMessage[] = [
      message({}),
      message({ key: undefined, value: undefined }),
      message({ value: Buffer.alloc(1) }),
      message({ value: Buffer.alloc(2) }),
      message({ value: Buffer.from('é€'.repeat(5000)) }),
      message({ topic: `t.${'x'.repeat(247)}` }),
      // Header names that JSON escapes (a control character becomes \u0001), values of high bytes (255,).
      message({ headers: new Map([[Buffer.from('\u0001\u0002"'), Buffer.alloc(300, 255)]]) }),
      message({
        headers: new Map([
          [Buffer.from('trace'), Buffer.from('abc')],
          [Buffer.from('empty'), Buffer.alloc(0)],
        ]),
      }),
    ];
    for (const m of cases) {
      const record = JSON.stringify(toEventRecord(m));
      const partitionKey = JSON.stringify({ [`${m.topic}-${m.partition}`]: [] }).length;
      expect(eventRecordBytes(m), record.slice(0, 80)).toBeGreaterThanOrEqual(
        Buffer.byteLength(record) + 1 + partitionKey,
      );
    }
  });

  it('stays within a few percent of the record for a usual event, so batches are cut near the limit', () => {
    const m = message({ value: Buffer.alloc(600, 0x61) });
    const record = Buffer.byteLength(JSON.stringify(toEventRecord(m)));
    expect(eventRecordBytes(m) / record).toBeLessThan(1.1);
  });
});
