import { gunzipSync } from 'node:zlib';
import { PutObjectCommand, S3Client, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLandHandler } from '../../lambdas/land/handlers.js';
import { landingSettings, type LandingSettings } from '../../lambdas/land/settings.js';
import { SettingError } from '../../lib/core/util/settings.js';
import type { EventEnvelope } from '../../lib/core/events/envelope.js';
import type { SqsEvent, SqsRecord } from '../../lib/core/landing/sqs-event.js';
import { envelope } from '../support/envelopes.js';

const BUCKET = 'raw-bucket-123';
const clock = { now: () => new Date('2026-11-01T13:05:00Z') };

const RAW_KEY = (detailType: string, source: string): RegExp =>
  new RegExp(
    `^raw/source=${source.replace('.', '\\.')}/detail_type=${detailType}/dt=2026-11-01/hour=12/part-[0-9a-f]{32}\\.ndjson\\.gz$`,
  );
const QUARANTINE_KEY = /^quarantine\/stage=landing\/dt=2026-11-01\/hour=13\/part-[0-9a-f]{32}\.ndjson\.gz$/;

function sqsRecord(messageId: string, body: string): SqsRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: '1' },
    messageAttributes: {},
    md5OfBody: '0'.repeat(32),
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:000000000000:landing',
    awsRegion: 'eu-west-1',
  };
}

const at = (detailType: string, id: string, eventId: string): EventEnvelope =>
  envelope(detailType, { id, time: '2026-11-01T12:00:00Z', detail: { eventId } });

// Two event types (two partitions) and one envelope that breaks its schema.
const signedUp1 = at(
  'UserSignedUp',
  'aaaaaaaa-0000-4000-8000-000000000001',
  '0b7f2f7e-6a4f-4b8e-9d0a-000000000001',
);
const signedUp2 = at(
  'UserSignedUp',
  'aaaaaaaa-0000-4000-8000-000000000002',
  '0b7f2f7e-6a4f-4b8e-9d0a-000000000002',
);
const loggedIn1 = at(
  'UserLoggedIn',
  'aaaaaaaa-0000-4000-8000-000000000003',
  '5c1a0d3e-2b4f-4c6d-8e9f-000000000003',
);
const loggedIn2 = at(
  'UserLoggedIn',
  'aaaaaaaa-0000-4000-8000-000000000005',
  '5c1a0d3e-2b4f-4c6d-8e9f-000000000005',
);
const badBid = envelope('BidCreated', {
  id: 'aaaaaaaa-0000-4000-8000-000000000004',
  time: '2026-11-01T12:00:00Z',
  detail: { eventId: '7e6d5c4b-3a29-4817-a6f5-000000000004', amountMinor: 'a-secret-amount' },
});

const bodies = {
  'msg-1': JSON.stringify(signedUp1),
  'msg-2': JSON.stringify(signedUp2),
  'msg-3': JSON.stringify(loggedIn1),
  'msg-4': JSON.stringify(badBid),
  'msg-5': JSON.stringify(loggedIn2),
};
const sqsEvent = (ids: (keyof typeof bodies)[]): SqsEvent => ({
  Records: ids.map((id) => sqsRecord(id, bodies[id])),
});

/** Every string in the envelopes a test sent, long enough not to match a log field by chance. */
const eventStrings = (envelopes: EventEnvelope[]): string[] => {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string' && v.length >= 4) out.push(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  envelopes.forEach((e) => walk({ id: e.id, time: e.time, account: e.account, detail: e.detail }));
  return out;
};

describe('landingSettings.fromEnvironment', () => {
  it('reads the bucket and applies the defaults', () => {
    expect(landingSettings.fromEnvironment({ RAW_BUCKET: BUCKET })).toEqual({
      bucket: BUCKET,
      keyPrefix: '',
      gzipLevel: 6,
    });
  });

  it('reads a key prefix and a gzip level', () => {
    expect(
      landingSettings.fromEnvironment({
        RAW_BUCKET: BUCKET,
        RAW_KEY_PREFIX: 'pipeline/v1/',
        GZIP_LEVEL: '9',
      }),
    ).toEqual({
      bucket: BUCKET,
      keyPrefix: 'pipeline/v1/',
      gzipLevel: 9,
    });
  });

  it.each([
    ['missing', {}],
    ['empty', { RAW_BUCKET: '' }],
  ])('fails naming RAW_BUCKET when it is %s', (_what, env) => {
    expect(() => landingSettings.fromEnvironment(env)).toThrow(
      new SettingError('RAW_BUCKET', 'is not set: the landing function needs the raw bucket name'),
    );
  });

  it.each(['pipeline', '../', '/pipeline/', 'a//b/', 'my prefix/', 'a/../b/', '/'])(
    'fails naming RAW_KEY_PREFIX when it is %j',
    (prefix) => {
      expect(() => landingSettings.fromEnvironment({ RAW_BUCKET: BUCKET, RAW_KEY_PREFIX: prefix })).toThrow(
        new SettingError(
          'RAW_KEY_PREFIX',
          `must be a safe key prefix ending in "/", got ${JSON.stringify(prefix)}`,
        ),
      );
    },
  );

  it.each(['0', '10', '6.5', 'fast', ' ', '-1'])('fails naming GZIP_LEVEL when it is %j', (level) => {
    expect(() => landingSettings.fromEnvironment({ RAW_BUCKET: BUCKET, GZIP_LEVEL: level })).toThrow(
      new SettingError('GZIP_LEVEL', `must be an integer from 1 to 9, got ${JSON.stringify(level)}`),
    );
  });

  it('treats an empty GZIP_LEVEL as unset, as every setting (the default level 6)', () => {
    expect(landingSettings.fromEnvironment({ RAW_BUCKET: BUCKET, GZIP_LEVEL: '' }).gzipLevel).toBe(6);
  });

  it('reads the lateness bound the ELT functions get, and fails naming it when out of range', () => {
    expect(
      landingSettings.fromEnvironment({ RAW_BUCKET: BUCKET, ELT_LATENESS_HOURS: '48' }).latenessHours,
    ).toBe(48);
    expect(() => landingSettings.fromEnvironment({ RAW_BUCKET: BUCKET, ELT_LATENESS_HOURS: '721' })).toThrow(
      new SettingError('ELT_LATENESS_HOURS', 'must be an integer from 1 to 720, got "721"'),
    );
  });

  it('throws a SettingError', () => {
    expect(() => landingSettings.fromEnvironment({})).toThrow(SettingError);
  });
});

describe('landingSettings.toEnvironment', () => {
  it('writes the settings under the names fromEnvironment reads them by', () => {
    const settings: LandingSettings = {
      bucket: BUCKET,
      keyPrefix: 'pipeline/v1/',
      gzipLevel: 9,
      latenessHours: 48,
    };
    expect(landingSettings.fromEnvironment(landingSettings.toEnvironment(settings))).toEqual(settings);
  });

  it('writes only what is given, so the defaults stay in one place', () => {
    expect(landingSettings.toEnvironment({ bucket: BUCKET })).toEqual({ RAW_BUCKET: BUCKET });
  });
});

describe('createLandHandler', () => {
  const s3Client = new S3Client({ region: 'eu-west-1' });
  const s3 = mockClient(s3Client);
  const config: LandingSettings = { bucket: BUCKET, keyPrefix: '', gzipLevel: 6 };
  let logged: string[];

  beforeEach(() => {
    s3.reset();
    logged = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => {
      logged.push(line);
    });
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  const puts = (): PutObjectCommandInput[] =>
    s3
      .commandCalls(PutObjectCommand)
      .map((c) => c.args[0].input)
      .sort((a, b) => String(a.Key).localeCompare(String(b.Key)));
  const gunzipLines = (input: PutObjectCommandInput): string[] =>
    gunzipSync(input.Body as Uint8Array)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0);

  describe('a batch that lands', () => {
    beforeEach(() => {
      s3.on(PutObjectCommand).resolves({});
    });

    it('puts one gzip NDJSON object per partition and one quarantine object', async () => {
      const handler = createLandHandler(config, { s3: s3Client, clock });

      await handler(sqsEvent(['msg-1', 'msg-2', 'msg-3', 'msg-4']));

      const inputs = puts();
      expect(inputs.map((i) => ({ ...i, Body: undefined }))).toEqual([
        {
          Bucket: BUCKET,
          Key: expect.stringMatching(QUARANTINE_KEY),
          ContentType: 'application/x-ndjson',
          ContentEncoding: 'gzip',
        },
        {
          Bucket: BUCKET,
          Key: expect.stringMatching(RAW_KEY('UserLoggedIn', 'marketplace.users')),
          ContentType: 'application/x-ndjson',
          ContentEncoding: 'gzip',
        },
        {
          Bucket: BUCKET,
          Key: expect.stringMatching(RAW_KEY('UserSignedUp', 'marketplace.users')),
          ContentType: 'application/x-ndjson',
          ContentEncoding: 'gzip',
        },
      ]);
    });

    it('writes each partition object as the exact message bodies, one per line', async () => {
      const handler = createLandHandler(config, { s3: s3Client, clock });

      await handler(sqsEvent(['msg-1', 'msg-2', 'msg-3', 'msg-4']));

      const [, loggedIn, signedUp] = puts();
      expect(gunzipLines(loggedIn!)).toEqual([bodies['msg-3']]);
      expect(gunzipLines(signedUp!)).toEqual([bodies['msg-1'], bodies['msg-2']]);
    });

    it('writes the invalid envelope to quarantine with its reason, its message id and its exact body', async () => {
      const handler = createLandHandler(config, { s3: s3Client, clock });

      await handler(sqsEvent(['msg-1', 'msg-2', 'msg-3', 'msg-4']));

      const [quarantine] = puts();
      expect(gunzipLines(quarantine!).map((l) => JSON.parse(l) as unknown)).toEqual([
        {
          quarantinedAt: '2026-11-01T13:05:00.000Z',
          stage: 'landing',
          code: 'SCHEMA_VIOLATION',
          reason: 'detail.amountMinor must be integer',
          ref: 'msg-4',
          eventId: badBid.id,
          input: bodies['msg-4'],
        },
      ]);
    });

    it('reports no batch item failures when every write succeeds', async () => {
      const handler = createLandHandler(config, { s3: s3Client, clock });

      expect(await handler(sqsEvent(['msg-1', 'msg-2', 'msg-3', 'msg-4']))).toEqual({
        batchItemFailures: [],
      });
    });

    it('puts every key under RAW_KEY_PREFIX', async () => {
      const handler = createLandHandler({ ...config, keyPrefix: 'pipeline/v1/' }, { s3: s3Client, clock });

      await handler(sqsEvent(['msg-1', 'msg-3', 'msg-4']));

      expect(puts().map((i) => i.Key)).toEqual([
        expect.stringMatching(/^pipeline\/v1\/quarantine\/stage=landing\//),
        expect.stringMatching(/^pipeline\/v1\/raw\/source=marketplace\.users\/detail_type=UserLoggedIn\//),
        expect.stringMatching(/^pipeline\/v1\/raw\/source=marketplace\.users\/detail_type=UserSignedUp\//),
      ]);
    });

    it.each([
      // RFC 1952 XFL byte (offset 8): zlib writes 4 for its fastest level and 2 for its best.
      [1, 4],
      [9, 2],
    ])('compresses partition objects at GZIP_LEVEL %i', async (gzipLevel, xfl) => {
      const handler = createLandHandler({ ...config, gzipLevel }, { s3: s3Client, clock });

      await handler(sqsEvent(['msg-1']));

      expect((puts()[0]!.Body as Uint8Array)[8]).toBe(xfl);
    });

    it('logs one JSON entry with the counts of the batch', async () => {
      const handler = createLandHandler(config, { s3: s3Client, clock });

      await handler(sqsEvent(['msg-1', 'msg-2', 'msg-3', 'msg-4']));

      expect(logged.map((l) => JSON.parse(l) as unknown)).toEqual([
        {
          level: 'INFO',
          message: 'batch landed',
          records: 4,
          landedEvents: 3,
          objects: 2,
          quarantined: 1,
          failed: 0,
        },
      ]);
    });

    it('logs no event contents', async () => {
      const handler = createLandHandler(config, { s3: s3Client, clock });

      await handler(sqsEvent(['msg-1', 'msg-2', 'msg-3', 'msg-4']));

      const strings = eventStrings([signedUp1, signedUp2, loggedIn1, badBid]);
      expect(strings).toContain('a-secret-amount');
      expect(logged).toHaveLength(1);
      expect(strings.filter((s) => logged[0]!.includes(s))).toEqual([]);
    });
  });

  describe('a batch with a failed write', () => {
    it('reports exactly the messages of the partition whose PutObject failed', async () => {
      s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
        if (String(input.Key).includes('/detail_type=UserLoggedIn/')) throw new Error('Access Denied');
        return {};
      });
      const handler = createLandHandler(config, { s3: s3Client, clock });

      const response = await handler(sqsEvent(['msg-1', 'msg-3', 'msg-2', 'msg-5']));

      expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['msg-3', 'msg-5']);
    });

    it('still lands the other partition', async () => {
      s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
        if (String(input.Key).includes('/detail_type=UserLoggedIn/')) throw new Error('Access Denied');
        return {};
      });
      const handler = createLandHandler(config, { s3: s3Client, clock });

      await handler(sqsEvent(['msg-1', 'msg-3', 'msg-2', 'msg-5']));

      const signedUp = puts().filter((i) => RAW_KEY('UserSignedUp', 'marketplace.users').test(String(i.Key)));
      expect(signedUp.map(gunzipLines)).toEqual([[bodies['msg-1'], bodies['msg-2']]]);
    });

    it('logs a warning naming the failed key and the S3 error, without event contents', async () => {
      s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
        if (String(input.Key).includes('/detail_type=UserLoggedIn/')) throw new Error('Access Denied');
        return {};
      });
      const handler = createLandHandler(config, { s3: s3Client, clock });

      await handler(sqsEvent(['msg-1', 'msg-3', 'msg-2', 'msg-5']));

      const failedKey = puts().find((i) => String(i.Key).includes('/detail_type=UserLoggedIn/'))!.Key;
      expect(logged.map((l) => JSON.parse(l) as unknown)).toEqual([
        {
          level: 'WARN',
          message: 'batch landed',
          records: 4,
          landedEvents: 2,
          objects: 1,
          quarantined: 0,
          failed: 2,
          errors: [`writing ${failedKey} failed: Access Denied`],
        },
      ]);
      const strings = eventStrings([signedUp1, signedUp2, loggedIn1, loggedIn2]);
      expect(strings.filter((s) => logged[0]!.includes(s))).toEqual([]);
    });

    it('reports the quarantined messages when the quarantine write fails', async () => {
      s3.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
        if (String(input.Key).startsWith('quarantine/')) throw new Error('SlowDown');
        return {};
      });
      const handler = createLandHandler(config, { s3: s3Client, clock });

      const response = await handler(sqsEvent(['msg-1', 'msg-4', 'msg-3']));

      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-4' }] });
    });
  });
});
