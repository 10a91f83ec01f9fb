import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createRelayHandler,
  databaseCredentials,
  DatabaseSecretError,
  postgresUrl,
  relayTelemetry,
  type DatabaseCredentials,
  type RelayHandlerDeps,
} from '../../lambdas/oltp/relay.js';
import { relaySettings, type RelaySettings, type SslMode } from '../../lambdas/oltp/settings.js';
import { SOURCES } from '../../lib/core/events/catalogue.js';
import { openOltpDatabase } from '../../lib/adapters/oltp/oltp-database.js';
import type { OltpDatabase, OltpSql } from '../../lib/core/oltp/ports.js';
import { insertOutboxRows, outboxEnvelopeText } from '../support/outbox-rows.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-marketplace-AbCdEf';
const BUS = 'elt-dev-bus';
const BUCKET = 'elt-dev-raw';
const PASSWORD = 'Pa55/w0rd:with@odd&chars';
const SECRET = {
  engine: 'postgres',
  host: 'marketplace.abc123.eu-west-1.rds.amazonaws.com',
  port: 5432,
  username: 'relay',
  password: PASSWORD,
  dbname: 'marketplace',
};
const settings: RelaySettings = {
  bucket: BUCKET,
  keyPrefix: '',
  secretArn: SECRET_ARN,
  sslMode: 'verify-full',
  batchSize: 500,
  busName: BUS,
};

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
const secretsManager = new SecretsManagerClient({ region: 'eu-west-1', credentials });
const eventBridge = new EventBridgeClient({ region: 'eu-west-1', credentials });
const s3 = new S3Client({ region: 'eu-west-1', credentials });
const smMock = mockClient(secretsManager);
const ebMock = mockClient(eventBridge);
const s3Mock = mockClient(s3);

const sentIds = async (db: OltpSql): Promise<string[]> =>
  (await db.query<{ id: string }>('SELECT id FROM outbox WHERE sent_at IS NOT NULL ORDER BY seq')).rows.map(
    (r) => r.id,
  );

const putEntries = () => ebMock.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);

/** A Lambda context with `remainingMs` left. */
const context = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs });

let db: OltpDatabase;
let logs: Record<string, unknown>[];
let opened: { credentials: DatabaseCredentials; sslMode: SslMode }[];
const consoleLines: string[] = [];

/** The handler on the PGlite database, with the clients mocked and the log lines captured. */
function relay(over: Partial<RelayHandlerDeps> = {}, s: RelaySettings = settings) {
  return createRelayHandler(s, {
    secretsManager,
    eventBridge,
    s3,
    openDatabase: async (c, sslMode) => {
      opened.push({ credentials: c, sslMode });
      return db;
    },
    retryBaseMs: 1,
    log: (entry) => logs.push(entry),
    ...over,
  });
}

beforeEach(async () => {
  smMock.reset();
  ebMock.reset();
  s3Mock.reset();
  smMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(SECRET) });
  ebMock.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map(() => ({ EventId: randomUUID() })),
  }));
  s3Mock.on(PutObjectCommand).resolves({});
  await db.query('TRUNCATE outbox');
  logs = [];
  opened = [];
  consoleLines.length = 0;
  for (const method of ['log', 'info', 'warn', 'error'] as const)
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      consoleLines.push(args.map(String).join(' '));
    });
});

beforeAll(async () => {
  db = await openOltpDatabase('pglite');
  await db.migrate();
});

afterAll(async () => {
  await db.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the outbox relay function', () => {
  it('reads the secret, publishes the outbox to the bus with the exact entries and marks the rows sent', async () => {
    const ids = await insertOutboxRows(db, 3);

    const result = await relay()({}, context(60_000));

    expect(result).toEqual({
      database: db.description,
      bus: `eventbridge:${BUS}`,
      published: 3,
      quarantined: 0,
      rounds: 1,
      failedRounds: 0,
      unsent: 0,
      oldestUnsentAgeSeconds: 0,
      stoppedBy: 'drained',
    });
    expect(smMock.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: SECRET_ARN },
    ]);
    expect(opened).toEqual([
      {
        credentials: {
          host: SECRET.host,
          port: 5432,
          username: 'relay',
          password: PASSWORD,
          dbname: 'marketplace',
        },
        sslMode: 'verify-full',
      },
    ]);
    const entries = putEntries();
    expect(entries.map((e) => JSON.parse(e.Detail!).eventId)).toEqual(ids);
    expect(entries.map((e) => [e.EventBusName, e.Source, e.DetailType])).toEqual([
      [BUS, SOURCES.users, 'UserSignedUp'],
      [BUS, SOURCES.auctions, 'BidCreated'],
      [BUS, SOURCES.users, 'UserSignedUp'],
    ]);
    expect(await sentIds(db)).toEqual(ids);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('keeps the secret and the database for the next runs of the container', async () => {
    const handler = relay();
    await insertOutboxRows(db, 2);
    await handler({}, context(60_000));
    const later = await insertOutboxRows(db, 1);
    const second = await handler({}, context(60_000));

    expect(second).toMatchObject({ published: 1, stoppedBy: 'drained' });
    expect(
      putEntries()
        .map((e) => JSON.parse(e.Detail!).eventId)
        .at(-1),
    ).toBe(later[0]);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(opened).toHaveLength(1);
  });

  it('quarantines a row no schema accepts to quarantine/ of the raw bucket and publishes the rest', async () => {
    const good = await insertOutboxRows(db, 2);
    const [poison] = await insertOutboxRows(db, 1, (id) =>
      outboxEnvelopeText('UserSignedUp', id).replace(
        '"detail-type":"UserSignedUp"',
        '"detail-type":"NoSuchType"',
      ),
    );

    const result = await relay()({}, context(60_000));

    expect(result).toMatchObject({ published: 2, quarantined: 1, unsent: 0 });
    expect(await sentIds(db)).toEqual(good);
    const { rows } = await db.query<{ reason: string }>(
      'SELECT quarantine_reason AS reason FROM outbox WHERE id = $1 AND quarantined_at IS NOT NULL',
      [poison],
    );
    expect(rows[0]!.reason).toMatch(/^UNKNOWN_EVENT_TYPE: /);
    const puts = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts).toHaveLength(1);
    expect(puts[0]!.Bucket).toBe(BUCKET);
    expect(puts[0]!.Key).toMatch(/^quarantine\/stage=publish\//);
    const record = JSON.parse(
      gunzipSync(puts[0]!.Body as Uint8Array)
        .toString('utf8')
        .trim(),
    ) as {
      ref: string;
    };
    expect(record.ref).toBe(poison);
  });

  it('claims nothing when less than 20 s are left before the timeout: every row stays unsent', async () => {
    await insertOutboxRows(db, 4);

    const result = await relay()({}, context(20_000));

    expect(result).toMatchObject({ published: 0, rounds: 0, unsent: 4, stoppedBy: 'deadline' });
    expect(result.oldestUnsentAgeSeconds).toBeGreaterThanOrEqual(59);
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(await sentIds(db)).toEqual([]);
  });

  it('stops claiming new batches 20 s before the timeout, leaving the rest for the next run', async () => {
    const ids = await insertOutboxRows(db, 30);
    ebMock.on(PutEventsCommand).callsFake(async (input: { Entries: unknown[] }) => {
      await new Promise((resolve) => setTimeout(resolve, 40));
      return { FailedEntryCount: 0, Entries: input.Entries.map(() => ({ EventId: randomUUID() })) };
    });

    const result = await relay({}, { ...settings, batchSize: 1 })({}, context(20_000 + 150));

    expect(result.stoppedBy).toBe('deadline');
    expect(result.published).toBeGreaterThan(0);
    expect(result.published).toBeLessThan(30);
    expect(result.unsent).toBe(30 - result.published);
    // The rows sent are the oldest ones, each published before it was marked sent.
    expect(await sentIds(db)).toEqual(ids.slice(0, result.published));
    expect(putEntries().map((e) => JSON.parse(e.Detail!).eventId)).toEqual(ids.slice(0, result.published));
  });

  it('never logs the password, also when opening the database fails with it in the message; then reads the secret again', async () => {
    const handler = relay({
      openDatabase: async (c) => {
        opened.push({ credentials: c, sslMode: 'verify-full' });
        throw new Error(`connect failed for postgres://relay:${c.password}@${c.host}:5432/marketplace`);
      },
    });

    const failure = await handler({}, context(60_000)).then(
      () => new Error('expected the run to fail'),
      (e: unknown) => e as Error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(failure.message).toContain('the outbox relay failed: connect failed for postgres://relay:****@');
    expect(failure.message).not.toContain(PASSWORD);
    await handler({}, context(60_000)).catch(() => undefined);

    // The second run asks Secrets Manager again (a rotated password is picked up).
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(logs.filter((l) => l.level === 'ERROR')).toHaveLength(2);
    const ok = relay();
    await insertOutboxRows(db, 1);
    await ok({}, context(60_000));
    expect(logs.some((l) => l.message === 'relay run finished')).toBe(true);
    const everything = JSON.stringify(logs) + consoleLines.join('\n');
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(encodeURIComponent(PASSWORD));
  });
});

describe('the database secret', () => {
  it('becomes a URL with user, password and database percent-encoded and the TLS mode', () => {
    const c = databaseCredentials({ ...SECRET, port: '6432' });
    expect(c.port).toBe(6432);
    const url = postgresUrl(c, 'verify-full');
    expect(url).toBe(
      `postgres://relay:${encodeURIComponent(PASSWORD)}@${SECRET.host}:6432/marketplace?sslmode=verify-full`,
    );
    expect(decodeURIComponent(new URL(url).password)).toBe(PASSWORD);
    expect(databaseCredentials({ ...SECRET, dbname: undefined }).dbname).toBe('postgres');
  });

  it.each([
    ['not an object', 'x', 'is not a JSON object'],
    ['no host', { ...SECRET, host: undefined }, 'has no "host"'],
    ['a host with a path', { ...SECRET, host: 'db/evil' }, 'has a "host" that is not a host name'],
    ['a bad port', { ...SECRET, port: 70_000 }, 'has a "port" that is not a port number'],
    ['no password', { ...SECRET, password: '' }, 'has no "password"'],
  ])('is refused with %s, naming the field and never a value', (_what, secret, problem) => {
    const run = () => databaseCredentials(secret);
    expect(run).toThrow(DatabaseSecretError);
    expect(run).toThrow(`the database secret ${problem}`);
    try {
      run();
    } catch (e) {
      expect((e as Error).message).not.toContain(PASSWORD);
    }
  });
});

describe('the relay settings', () => {
  it('round-trip through the environment with their defaults', () => {
    const env = relaySettings.toEnvironment({ bucket: BUCKET, secretArn: SECRET_ARN, busName: BUS });
    expect(env).toEqual({ RAW_BUCKET: BUCKET, OLTP_SECRET_ARN: SECRET_ARN, BUS_NAME: BUS });
    expect(relaySettings.fromEnvironment(env)).toEqual(settings);
    expect(
      relaySettings.fromEnvironment(
        relaySettings.toEnvironment({
          bucket: BUCKET,
          secretArn: SECRET_ARN,
          busName: BUS,
          sslMode: 'disable',
          batchSize: 50,
        }),
      ),
    ).toMatchObject({ sslMode: 'disable', batchSize: 50 });
  });

  it.each([
    [{ OLTP_SECRET_ARN: undefined }, 'OLTP_SECRET_ARN is not set'],
    [{ OLTP_SECRET_ARN: 'marketplace-db' }, 'OLTP_SECRET_ARN must be a Secrets Manager secret ARN'],
    [
      { OLTP_SSL_MODE: 'require' },
      'OLTP_SSL_MODE must be "verify-full", "no-verify", "disable", got "require"',
    ],
    [{ OLTP_BATCH_SIZE: '0' }, 'OLTP_BATCH_SIZE'],
    [{ BUS_NAME: undefined }, 'BUS_NAME is not set'],
  ])('refuses %j', (patch, message) => {
    const env = { RAW_BUCKET: BUCKET, OLTP_SECRET_ARN: SECRET_ARN, BUS_NAME: BUS, ...patch };
    expect(() => relaySettings.fromEnvironment(env)).toThrow(message);
  });
});

describe('the relay telemetry', () => {
  it('emits published, quarantined and the lag as Powertools metrics, and logs at the entry level', () => {
    const metrics = new Metrics({ namespace: 'ServerlessElt', serviceName: 'elt-oltp-relay' });
    const logger = new Logger({ serviceName: 'elt-oltp-relay' });
    const added = vi.spyOn(metrics, 'addMetric').mockImplementation(() => metrics);
    const warned = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const hooks = relayTelemetry(logger, metrics);

    hooks.onResult({
      database: 'postgres://db:5432/marketplace',
      bus: `eventbridge:${BUS}`,
      published: 7,
      quarantined: 1,
      rounds: 2,
      failedRounds: 1,
      unsent: 3,
      oldestUnsentAgeSeconds: 42.5,
      stoppedBy: 'deadline',
    });
    hooks.log({ level: 'WARN', message: 'relay round rolled back', failures: 1 });

    expect(added.mock.calls).toEqual([
      ['OutboxEventsPublished', 'Count', 7],
      ['OutboxRowsQuarantined', 'Count', 1],
      ['OutboxUnsent', 'Count', 3],
      ['OutboxOldestUnsentAgeSeconds', 'Seconds', 42.5],
      ['RelayFailedRounds', 'Count', 1],
    ]);
    expect(warned.mock.calls).toEqual([['relay round rolled back', { failures: 1 }]]);
  });
});
