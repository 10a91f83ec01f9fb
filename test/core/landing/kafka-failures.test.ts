import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../lib/adapters/store/fs-object-store.js';
import { createEventValidator } from '../../../lib/core/events/validator.js';
import type { KafkaEvent, KafkaEventRecord } from '../../../lib/core/landing/kafka-event.js';
import {
  kafkaFailureDocument,
  KafkaFailureRecordError,
  parseKafkaFailureRecord,
  redriveKafkaFailures,
} from '../../../lib/core/landing/kafka-failures.js';
import { kafkaFailureKey } from '../../../lib/core/landing/object-keys.js';
import type { ObjectStore } from '../../../lib/core/ports.js';
import { envelope } from '../../support/envelopes.js';
import { FlakyStore } from '../../support/flaky-store.js';
import { useTempDirs } from '../../support/temp-dir.js';

const clock = { now: () => new Date('2026-11-01T13:05:00Z') };
const b64 = (text: string): string => Buffer.from(text).toString('base64');

function record(offset: number, value: string | null, partition = 0): KafkaEventRecord {
  return {
    topic: 'elt-events',
    partition,
    offset,
    timestamp: 1_762_000_000_000,
    timestampType: 'CREATE_TIME',
    key: b64('u_1'),
    value,
    headers: [],
  };
}

function event(...records: KafkaEventRecord[]): KafkaEvent {
  const grouped: Record<string, KafkaEventRecord[]> = {};
  for (const r of records) (grouped[`${r.topic}-${r.partition}`] ??= []).push(r);
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/elt-dev-kafka/abc',
    bootstrapServers: 'boot-1.example:9098',
    records: grouped,
  };
}

const login = (eventId: string, time = '2026-11-01T12:00:00Z'): string =>
  JSON.stringify(envelope('UserLoggedIn', { time, detail: { eventId } }));

/** An object as Lambda writes it to an S3 on-failure destination (the event as a JSON string). */
function failureObject(e: KafkaEvent, payloadAs: 'string' | 'object' = 'string'): string {
  const records = Object.values(e.records).flat();
  return JSON.stringify({
    requestContext: {
      requestId: '316aa6d0-8154-4c55-9af7-85d5f4a6bc81',
      functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:elt-dev-kafka-landing',
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 3,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2026-11-01T13:00:00.000Z',
    KafkaBatchInfo: {
      batchSize: records.length,
      eventSourceArn: e.eventSourceArn,
      bootstrapServers: e.bootstrapServers,
      payloadSize: JSON.stringify(e).length,
    },
    payload: payloadAs === 'string' ? JSON.stringify(e) : e,
  });
}

const ID = (n: number): string => `5c1a0d3e-2b4f-4c6d-8e9f-${String(n).padStart(12, '0')}`;

describe('parseKafkaFailureRecord', () => {
  it('reads the event Lambda stored as a JSON string under payload, with the condition', () => {
    const e = event(record(7, b64(login(ID(1)))), record(8, b64(login(ID(2))), 1));
    const parsed = parseKafkaFailureRecord(failureObject(e));
    expect(parsed).toEqual({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 3,
      event: e,
      records: 2,
    });
  });

  it('accepts the payload as an object too', () => {
    const e = event(record(7, b64(login(ID(1)))));
    expect(parseKafkaFailureRecord(failureObject(e, 'object')).event).toEqual(e);
  });

  it('says why each kind of object cannot be redriven', () => {
    const cases: [string, RegExp][] = [
      ['{not json', /^not JSON/],
      ['[1,2]', /^not a JSON object$/],
      [
        JSON.stringify({ requestContext: { condition: 'RetryAttemptsExhausted' }, KafkaBatchInfo: {} }),
        /^no payload \(condition RetryAttemptsExhausted\): only S3 destinations receive the records; SQS and SNS ones get offsets$/,
      ],
      [JSON.stringify({ payload: '{"records":' }), /^payload is not JSON/],
      [JSON.stringify({ payload: { eventSource: 'aws:kafka' } }), /no "records" object/],
      [JSON.stringify({ payload: { records: { 't-0': 'x' } } }), /payload.records\["t-0"\] is not an array/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseKafkaFailureRecord(text), text).toThrow(KafkaFailureRecordError);
      expect(() => parseKafkaFailureRecord(text), text).toThrow(message);
    }
  });
});

describe('kafkaFailureDocument (what the local event source writes when it gives up)', () => {
  it('has the shape Lambda writes to an S3 destination, the place in the topic, the error, and reads back', () => {
    const e = event(record(7, b64(login(ID(1)))), record(9, b64(login(ID(2)))), record(3, null, 2));
    const error = new Error('writing raw/… failed: disk full');
    error.name = 'KafkaBatchNotLandedError';
    const text = kafkaFailureDocument(e, error, 3, 'elt land --group g1', clock.now());
    const doc = JSON.parse(text) as Record<string, unknown>;
    expect(doc).toEqual({
      requestContext: {
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
        functionArn: 'elt land --group g1',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'KafkaBatchNotLandedError', errorMessage: error.message },
      version: '1.0',
      timestamp: '2026-11-01T13:05:00.000Z',
      KafkaBatchInfo: {
        batchSize: 3,
        eventSourceArn: e.eventSourceArn,
        bootstrapServers: 'boot-1.example:9098',
        payloadSize: Buffer.byteLength(JSON.stringify(e)),
        recordsInfo: {
          'elt-events-0': {
            firstRecordOffset: '7',
            lastRecordOffset: '9',
            firstRecordTimestamp: '2025-11-01T12:26:40.000Z',
            lastRecordTimestamp: '2025-11-01T12:26:40.000Z',
          },
          'elt-events-2': {
            firstRecordOffset: '3',
            lastRecordOffset: '3',
            firstRecordTimestamp: '2025-11-01T12:26:40.000Z',
            lastRecordTimestamp: '2025-11-01T12:26:40.000Z',
          },
        },
      },
      payload: JSON.stringify(e),
    });
    expect(parseKafkaFailureRecord(text)).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      records: 3,
      event: e,
    });
  });

  it('is named under dlq/queue=kafka-<topic>/ by processing time and the hash of its record refs', () => {
    const key = kafkaFailureKey('elt-events', clock.now(), ['elt-events-0@7', 'elt-events-0@9']);
    expect(key).toMatch(/^dlq\/queue=kafka-elt-events\/dt=2026-11-01\/hour=13\/failure-[0-9a-f]{32}\.json$/);
    expect(kafkaFailureKey('elt-events', clock.now(), ['elt-events-0@9', 'elt-events-0@7'])).toBe(key);
    expect(kafkaFailureKey('elt-events', clock.now(), ['elt-events-0@8'])).not.toBe(key);
  });
});

describe('redriveKafkaFailures', () => {
  const tempDir = useTempDirs();

  async function keys(store: ObjectStore, prefix: string): Promise<string[]> {
    const out: string[] = [];
    for await (const o of store.list(prefix)) out.push(o.key);
    return out.sort();
  }

  async function landedIds(store: ObjectStore): Promise<string[]> {
    const ids: string[] = [];
    for (const key of await keys(store, 'raw/')) {
      const lines = gunzipSync(await store.get(key))
        .toString('utf8')
        .trim()
        .split('\n');
      for (const line of lines)
        ids.push((JSON.parse(line) as { detail: { eventId: string } }).detail.eventId);
    }
    return ids.sort();
  }

  it('lands every failure object, quarantines its bad records, deletes it; keeps the unreadable and the unlandable', async () => {
    const failures = new FsObjectStore(await tempDir());
    const raw = new FsObjectStore(await tempDir());
    const base = 'aws/lambda/6f1e0c2a-0000-4000-8000-000000000001/elt-events-0/2026/11/01';
    // 1: two good records and one that is not JSON; 2: one good record; 3: no payload (an SQS-style
    // record); 4: a batch whose partition the store refuses (2020-02-29).
    await failures.put(
      `${base}/2026-11-01T13.00.00-a`,
      Buffer.from(
        failureObject(
          event(record(1, b64(login(ID(1)))), record(2, b64('{oops')), record(3, b64(login(ID(2))), 2)),
        ),
      ),
    );
    await failures.put(
      `${base}/2026-11-01T13.00.01-b`,
      Buffer.from(failureObject(event(record(4, b64(login(ID(3), '2026-11-01T14:00:00Z')))))),
    );
    await failures.put(
      `${base}/2026-11-01T13.00.02-c`,
      Buffer.from(JSON.stringify({ requestContext: { condition: 'RetryAttemptsExhausted' } })),
    );
    await failures.put(
      `${base}/2026-11-01T13.00.03-d`,
      Buffer.from(failureObject(event(record(5, b64(login(ID(4), '2020-02-29T10:00:00Z')))))),
    );
    const store = new FlakyStore(
      raw,
      (key) => key.includes('dt=2020-02-29'),
      () => 'SlowDown',
    );
    const seen: string[] = [];
    const result = await redriveKafkaFailures(
      failures,
      { store, validator: createEventValidator(), clock },
      { onObject: (key, outcome) => seen.push(`${key.slice(-1)}:${outcome}`) },
    );

    expect(result).toMatchObject({ objects: 4, redriven: 2, records: 4, landedEvents: 3, quarantined: 1 });
    expect(result.unreadable).toEqual([
      {
        key: `${base}/2026-11-01T13.00.02-c`,
        reason:
          'no payload (condition RetryAttemptsExhausted): only S3 destinations receive the records; SQS and SNS ones get offsets',
      },
    ]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]!.key).toBe(`${base}/2026-11-01T13.00.03-d`);
    expect(result.failed[0]!.reason).toMatch(/not landed .*SlowDown/);
    expect(seen).toEqual(['a:redriven', 'b:redriven', 'c:unreadable', 'd:failed']);

    // Landed once each; the bad record is in quarantine with its place in the topic.
    expect(await landedIds(raw)).toEqual([ID(1), ID(2), ID(3)]);
    const [q] = await keys(raw, 'quarantine/');
    const quarantined = gunzipSync(await raw.get(q!)).toString('utf8');
    expect(quarantined).toContain('elt-events-0@2');
    expect(quarantined).toContain('NOT_JSON');
    // Only the redriven objects are gone.
    expect(await keys(failures, 'aws/')).toEqual([
      `${base}/2026-11-01T13.00.02-c`,
      `${base}/2026-11-01T13.00.03-d`,
    ]);

    // The cause is fixed: a second run lands the rest and leaves only the unreadable object.
    const again = await redriveKafkaFailures(failures, {
      store: raw,
      validator: createEventValidator(),
      clock,
    });
    expect(again).toMatchObject({ objects: 2, redriven: 1, records: 1, landedEvents: 1, failed: [] });
    expect(await landedIds(raw)).toEqual([ID(1), ID(2), ID(3), ID(4)]);
    expect(await keys(failures, 'aws/')).toEqual([`${base}/2026-11-01T13.00.02-c`]);
  });

  it('stops after max objects, in key order', async () => {
    const failures = new FsObjectStore(await tempDir());
    const raw = new FsObjectStore(await tempDir());
    for (const n of [3, 1, 2])
      await failures.put(`f/${n}`, Buffer.from(failureObject(event(record(n, b64(login(ID(n))))))));
    const result = await redriveKafkaFailures(
      failures,
      { store: raw, validator: createEventValidator(), clock },
      { max: 2 },
    );
    expect(result).toMatchObject({ objects: 2, redriven: 2 });
    expect(await keys(failures, 'f/')).toEqual(['f/3']);
  });
});
