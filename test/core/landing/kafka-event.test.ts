import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../lib/adapters/store/fs-object-store.js';
import { createEventValidator } from '../../../lib/core/events/validator.js';
import {
  KafkaBatchNotLandedError,
  kafkaLandingRecords,
  kafkaRecordRef,
  landKafkaEvent,
  type KafkaEvent,
  type KafkaEventRecord,
} from '../../../lib/core/landing/kafka-event.js';
import { envelope } from '../../support/envelopes.js';
import { FlakyStore } from '../../support/flaky-store.js';
import { useTempDirs } from '../../support/temp-dir.js';

const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');
const clock = { now: () => new Date('2026-11-01T13:05:00Z') };

function record(
  offset: number,
  value: string | null,
  key: string | null = 'u_1001',
  partition = 0,
): KafkaEventRecord {
  return {
    topic: 'events',
    partition,
    offset,
    timestamp: 1_762_000_000_000,
    timestampType: 'CREATE_TIME',
    ...(key === null ? {} : { key: b64(key) }),
    value,
    headers: [{ trace: [104, 105] }],
  };
}

function event(...records: KafkaEventRecord[]): KafkaEvent {
  const grouped: Record<string, KafkaEventRecord[]> = {};
  for (const r of records) (grouped[`${r.topic}-${r.partition}`] ??= []).push(r);
  return { eventSource: 'SelfManagedKafka', bootstrapServers: '127.0.0.1:9092', records: grouped };
}

const valid = (eventId: string): string =>
  JSON.stringify(envelope('UserLoggedIn', { time: '2026-11-01T12:00:00Z', detail: { eventId } }));

describe('kafkaLandingRecords', () => {
  it('decodes base64 values into landing records named <topic>-<partition>@<offset>', () => {
    const body = valid('5c1a0d3e-2b4f-4c6d-8e9f-000000000001');
    const { records, unkeyed } = kafkaLandingRecords(event(record(41, b64(body), 'u_1', 2)));
    expect(records).toEqual([{ id: 'events-2@41', body, bytes: Buffer.from(body) }]);
    expect(unkeyed).toBe(0);
  });

  it('decodes every value of an event to its own bytes, whatever lies between them and whatever their padding', () => {
    // Values of 1–3 bytes past a multiple of 3 (base64 padding), across two partitions, with a tombstone,
    // a value that is not UTF-8, an oversized one and unpadded base64 between them.
    const bodies = ['a', 'ab', 'abc', 'abcd', 'é', valid('5c1a0d3e-2b4f-4c6d-8e9f-000000000009')];
    const records = [
      ...bodies.map((b, i) => record(i, b64(b), 'u_1', i % 2)),
      record(10, null),
      record(11, b64(Buffer.from([0xc3, 0x28]))),
      record(12, b64('x'.repeat(1500))),
      record(13, b64('unpadded').replace(/=+$/, '')),
    ];
    const landed = kafkaLandingRecords(event(...records), 1000).records;
    const byId = new Map(landed.map((r) => [r.id, r]));
    bodies.forEach((b, i) => {
      expect(byId.get(`events-${i % 2}@${i}`), b).toEqual({
        id: `events-${i % 2}@${i}`,
        body: b,
        bytes: Buffer.from(b),
      });
    });
    expect(byId.get('events-0@10')!.rejection!.reason).toContain('no value');
    expect(byId.get('events-0@11')!.rejection!.reason).toContain('not UTF-8');
    expect(byId.get('events-0@12')!.rejection!.code).toBe('ENTRY_TOO_LARGE');
    expect(byId.get('events-0@13')).toEqual({
      id: 'events-0@13',
      body: 'unpadded',
      bytes: Buffer.from('unpadded'),
    });
  });

  it('keeps no bytes for a value that starts with a byte order mark, which the text drops', () => {
    const body = valid('5c1a0d3e-2b4f-4c6d-8e9f-000000000002');
    const { records } = kafkaLandingRecords(event(record(42, b64(Buffer.from(`\uFEFF${body}`)))));
    expect(records).toEqual([{ id: 'events-0@42', body }]);
  });

  it('marks a record without a value for quarantine', () => {
    const { records } = kafkaLandingRecords(event(record(1, null)));
    expect(records[0]).toMatchObject({
      id: 'events-0@1',
      rejection: { code: 'NOT_JSON', reason: 'the record has no value (a tombstone or an empty record)' },
    });
  });

  it('marks a value that is not UTF-8 for quarantine, keeping it base64-encoded', () => {
    const bad = b64(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    const { records } = kafkaLandingRecords(event(record(2, bad)));
    expect(records[0]).toMatchObject({
      body: bad,
      rejection: { code: 'NOT_JSON', reason: expect.stringContaining('not UTF-8') },
    });
  });

  it('marks a value over the size limit for quarantine, keeping only its start', () => {
    const big = b64('x'.repeat(5000));
    const { records } = kafkaLandingRecords(event(record(3, big)), 4096);
    expect(records[0]!.rejection).toEqual({
      code: 'ENTRY_TOO_LARGE',
      reason: 'the record value is 5000 bytes; events are limited to 4096 bytes (the PutEvents entry limit)',
    });
    expect(records[0]!.body).toHaveLength(1024);
  });

  it('lands a record without a key and counts it', () => {
    const body = valid('5c1a0d3e-2b4f-4c6d-8e9f-000000000004');
    const { records, unkeyed } = kafkaLandingRecords(event(record(4, b64(body), null)));
    expect(records).toEqual([{ id: 'events-0@4', body, bytes: Buffer.from(body) }]);
    expect(unkeyed).toBe(1);
  });
});

describe('landKafkaEvent', () => {
  const tempDir = useTempDirs();

  it('lands valid records and quarantines the rest with their topic-partition@offset', async () => {
    const store = new FsObjectStore(await tempDir());
    const outcome = await landKafkaEvent(
      event(
        record(10, b64(valid('5c1a0d3e-2b4f-4c6d-8e9f-000000000010'))),
        record(11, b64('not json')),
        record(12, null),
      ),
      { store, validator: createEventValidator(), clock },
    );
    expect(outcome).toMatchObject({ records: 3, unkeyed: 0 });
    expect(outcome.result).toMatchObject({ landedEvents: 1, quarantined: 2, failedIds: [] });
    const quarantine = outcome.result.quarantineKey!;
    const lines = gunzipSync(await store.get(quarantine))
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l: { ref: string; code: string }) => [l.ref, l.code])).toEqual([
      ['events-0@11', 'NOT_JSON'],
      ['events-0@12', 'NOT_JSON'],
    ]);
  });

  it('writes each value as it came, one line per record, without a byte order mark', async () => {
    const store = new FsObjectStore(await tempDir());
    const bodies = ['5c1a0d3e-2b4f-4c6d-8e9f-000000000020', '5c1a0d3e-2b4f-4c6d-8e9f-000000000021'].map(
      valid,
    );
    const outcome = await landKafkaEvent(
      event(record(20, b64(bodies[0]!)), record(21, b64(Buffer.from(`\uFEFF${bodies[1]!}`)))),
      { store, validator: createEventValidator(), clock },
    );
    expect(outcome.result).toMatchObject({ landedEvents: 2, quarantined: 0, failedIds: [] });
    const [object] = outcome.result.objects;
    expect(gunzipSync(await store.get(object!.key)).toString()).toBe(`${bodies.join('\n')}\n`);
  });

  it('fails the whole batch when a write fails, so the event source retries it', async () => {
    const store = new FlakyStore(new FsObjectStore(await tempDir()), (key) => key.startsWith('raw/'));
    await expect(
      landKafkaEvent(event(record(20, b64(valid('5c1a0d3e-2b4f-4c6d-8e9f-000000000020')))), {
        store,
        validator: createEventValidator(),
        clock,
      }),
    ).rejects.toThrow(KafkaBatchNotLandedError);
  });

  it('names records the way quarantine and logs show them', () => {
    expect(kafkaRecordRef({ topic: 'a.b-c', partition: 7, offset: 123 })).toBe('a.b-c-7@123');
  });
});
