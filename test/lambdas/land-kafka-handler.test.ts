import { gunzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createKafkaLandHandler } from '../../lambdas/land/handlers.js';
import { KafkaBatchNotLandedError, type KafkaEvent } from '../../lib/core/landing/kafka-event.js';
import { envelope } from '../support/envelopes.js';

// No MSK here: the S3 requests the handler makes are what the test checks, exactly.
const BUCKET = 'raw-bucket-123';
const s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const mock = mockClient(s3);
const clock = { now: () => new Date('2026-11-01T13:05:00Z') };
const b64 = (text: string): string => Buffer.from(text).toString('base64');

const login = (n: number): string =>
  JSON.stringify(
    envelope('UserLoggedIn', {
      id: `aaaaaaaa-0000-4000-8000-00000000000${n}`,
      time: '2026-11-01T12:00:00Z',
      detail: { eventId: `5c1a0d3e-2b4f-4c6d-8e9f-00000000000${n}` },
    }),
  );

// The example event of the Lambda developer guide (with-msk.html), with this pipeline's values.
const mskEvent: KafkaEvent = {
  eventSource: 'aws:kafka',
  eventSourceArn:
    'arn:aws:kafka:eu-west-1:123456789012:cluster/elt-dev-kafka/751d2973-a626-431c-9d4e-d7975eb44dd7-2',
  bootstrapServers: 'boot-abc.c1.kafka-serverless.eu-west-1.amazonaws.com:9098',
  records: {
    'elt-events-0': [
      {
        topic: 'elt-events',
        partition: 0,
        offset: 15,
        timestamp: 1545084650987,
        timestampType: 'CREATE_TIME',
        key: b64('u_1001'),
        value: b64(login(1)),
        headers: [{ headerKey: [104, 101] }],
      },
      {
        topic: 'elt-events',
        partition: 0,
        offset: 16,
        timestamp: 1545084650988,
        timestampType: 'CREATE_TIME',
        key: b64('u_1001'),
        value: b64('{"oops"'),
        headers: [],
      },
    ],
    'elt-events-1': [
      {
        topic: 'elt-events',
        partition: 1,
        offset: 3,
        timestamp: 1545084650989,
        timestampType: 'CREATE_TIME',
        key: b64('u_2002'),
        value: b64(login(2)),
        headers: [],
      },
    ],
  },
};

beforeEach(() => mock.reset());

const puts = (): PutObjectCommandInput[] => mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);

describe('createKafkaLandHandler', () => {
  it('lands the valid records of every partition in one object and quarantines the rest with topic-partition@offset', async () => {
    mock.on(PutObjectCommand).resolves({});
    const land = createKafkaLandHandler(
      { bucket: BUCKET, keyPrefix: '', gzipLevel: 6 },
      { s3, clock, log: () => undefined },
    );
    expect(await land(mskEvent)).toEqual({ landedEvents: 2, quarantined: 1, unkeyed: 0 });
    const [raw, quarantine] = [
      puts().find((p) => p.Key!.startsWith('raw/'))!,
      puts().find((p) => p.Key!.startsWith('quarantine/'))!,
    ];
    expect(puts()).toHaveLength(2);
    expect(raw).toMatchObject({
      Bucket: BUCKET,
      Key: expect.stringMatching(
        /^raw\/source=marketplace\.users\/detail_type=UserLoggedIn\/dt=2026-11-01\/hour=12\/part-[0-9a-f]{32}\.ndjson\.gz$/,
      ),
      ContentType: 'application/x-ndjson',
      ContentEncoding: 'gzip',
    });
    expect(
      gunzipSync(raw.Body as Uint8Array)
        .toString()
        .trim()
        .split('\n'),
    ).toEqual([login(1), login(2)]);
    const q = JSON.parse(
      gunzipSync(quarantine.Body as Uint8Array)
        .toString()
        .trim(),
    );
    expect(q).toMatchObject({ stage: 'landing', code: 'NOT_JSON', ref: 'elt-events-0@16', input: '{"oops"' });
  });

  it('throws when a write fails, so the event source retries the batch', async () => {
    mock.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    const logs: Record<string, unknown>[] = [];
    const land = createKafkaLandHandler(
      { bucket: BUCKET, keyPrefix: '', gzipLevel: 6 },
      { s3, clock, log: (e) => logs.push(e) },
    );
    await expect(land(mskEvent)).rejects.toThrow(KafkaBatchNotLandedError);
    expect(logs[0]).toMatchObject({ level: 'WARN', records: 3, failed: 3 });
  });
});
