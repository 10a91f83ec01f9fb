import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Producer } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../lib/adapters/kafka/kafka-bus.js';
import { listensOnLoopbackOnly } from '../support/listening.js';
import { KafkaEventSource } from '../../lib/adapters/kafka/kafka-event-source.js';
import { parseKafkaFailureRecord } from '../../lib/core/landing/kafka-failures.js';
import { DataDir } from '../../lib/local/data-dir.js';
import { KafkaLanding } from '../../lib/local/kafka-pipeline.js';
import type { KafkaEvent } from '../../lib/core/landing/kafka-event.js';
import { lastJson, okJson, runCli, startCli, waitFor, type CliRun } from '../support/cli.js';
import { envelope } from '../support/envelopes.js';
import { FlakyStore } from '../support/flaky-store.js';
import { kafkaBroker, kafkaScript, type KafkaBroker } from '../support/kafka.js';
import { MART_QUERIES } from '../support/marts.js';

// The pipeline through a real Kafka broker (started here when none runs): producer → topic → consumer
// group → landing → warehouse, with the failures the Kafka path must survive.

let broker: KafkaBroker;
let work: string;
const stamp = Date.now();
const topicName = (name: string): string => `test-${name}-${stamp}`;

beforeAll(async () => {
  broker = await kafkaBroker();
  work = await mkdtemp(join(tmpdir(), 'elt-kafka-'));
}, 600_000);

afterAll(async () => {
  await broker?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, 120_000);

const cli = (args: string[], timeoutMs = 600_000): Promise<CliRun> => runCli(args, { timeoutMs });

/** Generates a workload; returns its file and its ground truth. */
async function workload(
  name: string,
  events: number,
  seed: string,
): Promise<{ file: string; distinctValid: number }> {
  const file = join(work, `${name}.ndjson`);
  const summary = await okJson(
    cli(['generate', '--events', String(events), '--seed', seed, '--out', file, '--json']),
  );
  return { file, distinctValid: Number(summary.distinctValid) };
}

async function scalar(dataDir: string, sql: string): Promise<number> {
  const rows = (await okJson(cli(['query', sql, '--json', '--data-dir', dataDir]))) as unknown as {
    n: number;
  }[];
  return Number(rows[0]!.n);
}

/** Creates `topic` and publishes `count` logins (event ids `<prefix>-<n>`) of `users` users, 10 per call. */
async function publishLogins(
  topic: string,
  o: { partitions: number; count: number; prefix: string; users: number },
): Promise<void> {
  const bus = new KafkaBus({ brokers: [broker.bootstrap], topic, lingerMs: 2 });
  await bus.open({ partitions: o.partitions });
  for (let i = 0; i < o.count; i += 10)
    await bus.putEvents(
      Array.from({ length: 10 }, (_, j) => ({
        Source: 'marketplace.users',
        DetailType: 'UserLoggedIn',
        Detail: JSON.stringify({ eventId: `${o.prefix}-${i + j}`, userId: `u_${(i + j) % o.users}` }),
      })),
    );
  await bus.close();
}

describe('the Kafka demo', () => {
  it('gives the same warehouse, marts and daily active users as the embedded demo for a seed', async () => {
    const [kafka, embedded] = [join(work, 'demo-kafka'), join(work, 'demo-embedded')];
    const onKafka = await okJson(
      cli([
        'demo',
        '--transport',
        'kafka',
        '--brokers',
        broker.bootstrap,
        '--events',
        '20000',
        '--seed',
        '7',
        '--json',
        '--data-dir',
        kafka,
      ]),
    );
    const onEmbedded = await okJson(
      cli(['demo', '--events', '20000', '--seed', '7', '--json', '--data-dir', embedded]),
    );
    expect((onKafka.checks as { ok: boolean }[]).every((c) => c.ok)).toBe(true);
    for (const k of ['warehouseUniqueEvents', 'distinctValid', 'landedEvents', 'quarantined', 'dau'])
      expect(onKafka[k], k).toEqual(onEmbedded[k]);
    for (const [table, sql] of Object.entries(MART_QUERIES)) {
      const [a, b] = await Promise.all([
        okJson(cli(['query', sql, '--json', '--data-dir', kafka])),
        okJson(cli(['query', sql, '--json', '--data-dir', embedded])),
      ]);
      expect(a, table).toEqual(b);
    }
  }, 300_000);
});

describe('the event source', () => {
  it('hands the function Lambda-shaped events, keeps at most maxInFlight batches in flight, and reaches lag 0', async () => {
    const topic = topicName('shape');
    const bus = new KafkaBus({ brokers: [broker.bootstrap], topic, lingerMs: 2 });
    await bus.open({ partitions: 2 });
    const entries = Array.from({ length: 600 }, (_, i) => ({
      Source: 'marketplace.users',
      DetailType: 'UserLoggedIn',
      Detail: JSON.stringify({
        ...envelope('UserLoggedIn').detail,
        eventId: `5c1a0d3e-2b4f-4c6d-8e9f-${String(i).padStart(12, '0')}`,
        userId: `u_${i % 7}`,
      }),
    }));
    for (let i = 0; i < entries.length; i += 10) await bus.putEvents(entries.slice(i, i + 10));
    await bus.close();

    const events: KafkaEvent[] = [];
    let inFlight = 0;
    let maxSeen = 0;
    const source = new KafkaEventSource({
      brokers: [broker.bootstrap],
      topic,
      groupId: `${topic}-g`,
      batchSize: 50,
      batchWindowMs: 50,
      maxInFlight: 2,
      invoke: async (event) => {
        inFlight++;
        maxSeen = Math.max(maxSeen, inFlight);
        events.push(event);
        await new Promise((r) => setTimeout(r, 40));
        inFlight--;
      },
    });
    const stats = await source.run({ until: () => true });
    expect(maxSeen).toBeLessThanOrEqual(2);
    expect(maxSeen).toBe(2);
    expect(stats.lag).toBe(0);
    expect(stats.records).toBe(600);

    const first = events[0]!;
    expect(first).toMatchObject({ eventSource: 'SelfManagedKafka', bootstrapServers: broker.bootstrap });
    const [partitionKey, records] = Object.entries(first.records)[0]!;
    expect(partitionKey).toBe(`${topic}-${records[0]!.partition}`);
    const r = records[0]!;
    expect(r).toMatchObject({ topic, timestampType: 'CREATE_TIME', headers: [] });
    expect(typeof r.offset).toBe('number');
    const value = JSON.parse(Buffer.from(r.value!, 'base64').toString('utf8'));
    expect(value).toMatchObject({ version: '0', source: 'marketplace.users', 'detail-type': 'UserLoggedIn' });
    // Keyed by user: the key is the detail's userId, and one user's events all sit in one partition.
    expect(Buffer.from(r.key!, 'base64').toString()).toBe(value.detail.userId);
    const partitionsOfUser = new Map<string, Set<number>>();
    for (const e of events)
      for (const list of Object.values(e.records))
        for (const rec of list) {
          const user = Buffer.from(rec.key!, 'base64').toString();
          (partitionsOfUser.get(user) ?? partitionsOfUser.set(user, new Set()).get(user)!).add(rec.partition);
        }
    for (const [user, parts] of partitionsOfUser) expect(parts.size, user).toBe(1);
  });

  it('ends a batch before its event passes the payload limit, as Lambda does at 6 MiB', async () => {
    const topic = topicName('payload');
    await publishLogins(topic, { partitions: 2, count: 200, prefix: 'pl', users: 7 });

    const limit = 16 * 1024;
    const sizes: number[] = [];
    let records = 0;
    const source = new KafkaEventSource({
      brokers: [broker.bootstrap],
      topic,
      groupId: `${topic}-g`,
      batchSize: 10_000,
      batchWindowMs: 500,
      maxPayloadBytes: limit,
      invoke: async (event) => {
        sizes.push(Buffer.byteLength(JSON.stringify(event)));
        records += Object.values(event.records).reduce((n, list) => n + list.length, 0);
      },
    });
    const stats = await source.run({ until: () => true });
    expect(stats.records).toBe(200);
    expect(records).toBe(200);
    // Every event within the limit, and batches cut near it: the 200 records take few more events than the
    // limit forces.
    for (const size of sizes) expect(size).toBeLessThanOrEqual(limit);
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(2 * limit);
    expect(sizes.length).toBeGreaterThanOrEqual(Math.ceil(total / limit));
    expect(sizes.length).toBeLessThanOrEqual(Math.ceil(total / limit) * 2);
  });
});

describe('a client that gives up rejoining its group', () => {
  it('restarts the stream (a new member joins) instead of throwing out of the process, and still lands every record', async () => {
    const topic = topicName('client-error');
    await publishLogins(topic, { partitions: 1, count: 300, prefix: 'ce', users: 5 });
    const seen = new Set<number>();
    let emitted = false;
    const source: KafkaEventSource = new KafkaEventSource({
      brokers: [broker.bootstrap],
      topic,
      groupId: `${topic}-g`,
      batchSize: 50,
      batchWindowMs: 20,
      maxInFlight: 1,
      invoke: async (event) => {
        for (const list of Object.values(event.records)) for (const r of list) seen.add(r.offset);
        if (!emitted) {
          emitted = true;
          // What the client emits once its rejoin retries are spent (consumer.js, heartbeat → rejoinGroup).
          (source as unknown as { consumer: NodeJS.EventEmitter }).consumer.emit(
            'error',
            new Error('rejoinGroup failed 6 times.'),
          );
        }
      },
    });
    const stats = await source.run({ until: () => true });
    expect(stats.restarts).toBeGreaterThanOrEqual(1);
    expect(stats.lastError).toContain('rejoinGroup failed');
    expect(stats.failedInvocations).toBe(0);
    expect(stats.lag).toBe(0);
    expect(seen.size).toBe(300);
  }, 120_000);
});

describe('bad records', () => {
  it('are quarantined with topic/partition/offset and a reason while the consumer keeps going', async () => {
    const topic = topicName('bad');
    const dataDir = join(work, 'bad');
    const bus = new KafkaBus({ brokers: [broker.bootstrap], topic });
    await bus.open({ partitions: 1 });
    await bus.close();
    const producer = new Producer({ clientId: 'test-bad', bootstrapBrokers: [broker.bootstrap], retries: 3 });
    const good = (n: number): Buffer =>
      Buffer.from(
        JSON.stringify(
          envelope('UserLoggedIn', {
            id: `aaaaaaaa-0000-4000-8000-00000000000${n}`,
            time: '2026-11-01T12:00:00Z',
            detail: { eventId: `5c1a0d3e-2b4f-4c6d-8e9f-00000000000${n}` },
          }),
        ),
      );
    await producer.send({
      messages: [
        { topic, key: Buffer.from('u_1001'), value: good(1) },
        { topic, key: Buffer.from('u_1001'), value: Buffer.from('this is not json') },
        { topic, key: Buffer.from('u_1001'), value: Buffer.from(`{"pad":"${'x'.repeat(1_200_000)}"}`) },
        { topic, key: Buffer.from('u_1001'), value: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]) },
        { topic, key: Buffer.from('u_1001') },
        { topic, value: good(2) },
        { topic, key: Buffer.from('u_1001'), value: good(3) },
      ],
    });
    await producer.close();

    const landed = await okJson(
      cli([
        'land',
        '--transport',
        'kafka',
        '--brokers',
        broker.bootstrap,
        '--topic',
        topic,
        '--group',
        `${topic}-g`,
        '--data-dir',
        dataDir,
        '--until-caught-up',
        '--json',
      ]),
    );
    expect(landed).toMatchObject({
      records: 7,
      landedEvents: 3,
      quarantined: 4,
      unkeyed: 1,
      lag: 0,
      deadLettered: 0,
    });
    const dir = join(dataDir, 'store', 'quarantine');
    const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.ndjson.gz'));
    const lines = (
      await Promise.all(files.map(async (f) => gunzipSync(await readFile(join(dir, f))).toString()))
    )
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ref: string; code: string; reason: string });
    expect(lines.map((l) => [l.ref, l.code]).sort()).toEqual([
      [`${topic}-0@1`, 'NOT_JSON'],
      [`${topic}-0@2`, 'ENTRY_TOO_LARGE'],
      [`${topic}-0@3`, 'NOT_JSON'],
      [`${topic}-0@4`, 'NOT_JSON'],
    ]);
    expect(lines.find((l) => l.ref.endsWith('@3'))!.reason).toContain('not UTF-8');
    expect(lines.find((l) => l.ref.endsWith('@4'))!.reason).toContain('no value');
  });
});

describe('a batch that can never be landed', () => {
  it('goes to a failure record after 3 attempts while the consumer goes on; elt redrive --kafka lands it once fixed', async () => {
    const topic = topicName('poison');
    const dataDir = join(work, 'poison');
    const bus = new KafkaBus({ brokers: [broker.bootstrap], topic });
    await bus.open({ partitions: 1 });
    await bus.close();
    const login = (n: number, time: string): Buffer =>
      Buffer.from(
        JSON.stringify(
          envelope('UserLoggedIn', {
            id: `bbbbbbbb-0000-4000-8000-00000000000${n}`,
            time,
            detail: { eventId: `6c1a0d3e-2b4f-4c6d-8e9f-00000000000${n}` },
          }),
        ),
      );
    const producer = new Producer({
      clientId: 'test-poison',
      bootstrapBrokers: [broker.bootstrap],
      retries: 3,
    });
    await producer.send({
      messages: [
        // Batch 1 (2 records): the second one's partition (a day nothing else has) cannot be written.
        { topic, key: Buffer.from('u_1'), value: login(1, '2026-11-02T08:00:00Z') },
        { topic, key: Buffer.from('u_2'), value: login(2, '2020-02-29T08:00:00Z') },
        // Batch 2: lands.
        { topic, key: Buffer.from('u_3'), value: login(3, '2026-11-02T09:00:00Z') },
        { topic, key: Buffer.from('u_4'), value: login(4, '2026-11-02T09:30:00Z') },
      ],
    });
    await producer.close();

    const dir = await new DataDir(dataDir).ensure();
    const broken = new FlakyStore(
      dir.store(),
      (key) => key.includes('dt=2020-02-29'),
      () => 'SlowDown: reduce your request rate',
    );
    const landing = new KafkaLanding({
      brokers: [broker.bootstrap],
      topic,
      groupId: `${topic}-g`,
      store: broken,
      batchSize: 2,
      batchWindowMs: 200,
      maxInFlight: 1,
    });
    const stats = await landing.run({ until: () => true });
    // The failed batch was handed on and its offsets committed (records counts landed ones): the partition
    // moved on to batch 2.
    expect(stats).toMatchObject({ records: 2, lag: 0, toFailureDestination: 1, failedInvocations: 3 });
    expect(landing.stats).toMatchObject({ deadLettered: 2 });

    const failureDir = join(dataDir, 'store', 'dlq', `queue=kafka-${topic}`);
    const files = (await readdir(failureDir, { recursive: true })).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    const failure = parseKafkaFailureRecord(await readFile(join(failureDir, files[0]!), 'utf8'));
    expect(failure).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 3,
      records: 2,
    });
    expect(Object.keys(failure.event.records)).toEqual([`${topic}-0`]);
    expect(failure.event.records[`${topic}-0`]!.map((r) => r.offset)).toEqual([0, 1]);

    // The cause is fixed: redrive lands both records of the failed batch and removes the failure record.
    const redriven = await okJson(cli(['redrive', '--kafka', '--data-dir', dataDir, '--json']));
    expect(redriven).toMatchObject({
      objects: 1,
      redriven: 1,
      records: 2,
      landedEvents: 2,
      unreadable: [],
      failed: [],
    });
    expect((await readdir(failureDir, { recursive: true })).filter((f) => f.endsWith('.json'))).toEqual([]);
    await okJson(cli(['run', '--data-dir', dataDir, '--json']));
    expect(await scalar(dataDir, 'select count(distinct event_id) as n from stg_events')).toBe(4);
  }, 120_000);
});

describe('clear errors', () => {
  it.each([
    ['land', ['land', '--transport', 'kafka', '--topic', 'x']],
    ['publish', ['publish', '--file', '-', '--transport', 'kafka', '--topic', 'x']],
    ['demo', ['demo', '--transport', 'kafka', '--events', '100']],
  ])('elt %s with a broker that is down names the fix', async (_name, args) => {
    const r = await cli([...args, '--brokers', '127.0.0.1:9', '--data-dir', join(work, 'down')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'cannot reach Kafka at 127.0.0.1:9 (connection refused). Start the broker: npm run kafka:up',
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    ['land', ['land', '--transport', 'kafka']],
    ['publish', ['publish', '--file', '-', '--transport', 'kafka']],
  ])('elt %s on a topic that does not exist says how to create it', async (_name, args) => {
    const r = await cli([
      ...args,
      '--brokers',
      broker.bootstrap,
      '--topic',
      'no-such-topic',
      '--data-dir',
      join(work, 'nt'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`topic no-such-topic does not exist on ${broker.bootstrap}`);
  });
});

describe('failures the Kafka path survives', () => {
  it('a rebalance (a second member joins mid-stream) loses nothing', async () => {
    const topic = topicName('rebalance');
    const total = 4000;
    await publishLogins(topic, { partitions: 4, count: total, prefix: 'r', users: 50 });
    const seen = new Map<string, number>();
    const member = (): KafkaEventSource =>
      new KafkaEventSource({
        brokers: [broker.bootstrap],
        topic,
        groupId: `${topic}-g`,
        batchSize: 50,
        batchWindowMs: 20,
        maxInFlight: 1,
        sessionTimeoutMs: 6000,
        invoke: async (event) => {
          for (const list of Object.values(event.records))
            for (const r of list)
              seen.set(`${r.partition}@${r.offset}`, (seen.get(`${r.partition}@${r.offset}`) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 30));
        },
      });
    const [a, b] = [member(), member()];
    const runA = a.run({ until: () => true });
    await waitFor('the first member to land some batches', () => a.stats.invocations >= 5);
    const runB = b.run({ until: () => true });
    const [sa, sb] = await Promise.all([runA, runB]);
    expect(sa.rebalances + sb.rebalances).toBeGreaterThanOrEqual(1);
    expect(sb.records).toBeGreaterThan(0);
    // Every record was handed to the function at least once; a rebalance may repeat some, never skip one.
    expect(seen.size).toBe(total);
  }, 300_000);

  it('SIGTERM stops a consumer after committing what it landed; a restart lands the rest', async () => {
    const topic = topicName('sigterm');
    const dataDir = join(work, 'sigterm');
    const { file, distinctValid } = await workload('sigterm', 20_000, '9');
    await okJson(
      cli([
        'publish',
        '--file',
        file,
        '--transport',
        'kafka',
        '--brokers',
        broker.bootstrap,
        '--topic',
        topic,
        '--create-topic',
        '3',
        '--data-dir',
        dataDir,
        '--json',
      ]),
    );
    const args = [
      'land',
      '--transport',
      'kafka',
      '--brokers',
      broker.bootstrap,
      '--topic',
      topic,
      '--group',
      `${topic}-g`,
      '--data-dir',
      dataDir,
      '--batch-size',
      '200',
      '--batch-window',
      '0.05',
    ];
    const first = startCli([...args, '--emf', '--json']);
    await waitFor('a lag metric line', () => /"OffsetLag":\d+/.test(first.stderr()));
    first.child.kill('SIGTERM');
    const stopped = await first.done;
    expect(stopped.code, stopped.stderr.slice(-2000)).toBe(0);
    const result = lastJson(stopped);
    expect(result.stoppedBy).toBe('signal');
    expect(result.committedBatches).toBe(result.invocations);
    const metric = JSON.parse(stopped.stderr.split('\n').find((l) => l.includes('"OffsetLag"'))!);
    expect(metric).toMatchObject({
      Topic: topic,
      ConsumerGroup: `${topic}-g`,
      _aws: { CloudWatchMetrics: [{ Namespace: 'ServerlessElt' }] },
    });
    await okJson(cli([...args, '--until-caught-up', '--json']));
    await okJson(cli(['run', '--data-dir', dataDir, '--json']));
    expect(await scalar(dataDir, 'SELECT COUNT(*) AS n FROM stg_events')).toBe(distinctValid);
  }, 300_000);

  it('a consumer killed mid-batch and restarted loses nothing; the warehouse removes the duplicates', async () => {
    const topic = topicName('kill');
    const dataDir = join(work, 'kill');
    const { file, distinctValid } = await workload('kill', 30_000, '3');
    await okJson(
      cli([
        'publish',
        '--file',
        file,
        '--transport',
        'kafka',
        '--brokers',
        broker.bootstrap,
        '--topic',
        topic,
        '--create-topic',
        '3',
        '--data-dir',
        dataDir,
        '--json',
      ]),
    );
    const args = [
      'land',
      '--transport',
      'kafka',
      '--brokers',
      broker.bootstrap,
      '--topic',
      topic,
      '--group',
      `${topic}-g`,
      '--data-dir',
      dataDir,
      '--batch-size',
      '300',
      '--batch-window',
      '0.05',
    ];
    const first = startCli(args);
    await waitFor('some batches to land', () => /[1-9][\d,]{3,} records landed/.test(first.stderr()));
    first.child.kill('SIGKILL');
    await first.done;
    const second = await okJson(cli([...args, '--until-caught-up', '--json']));
    expect(second.lag).toBe(0);
    const run = await okJson(cli(['run', '--data-dir', dataDir, '--json']));
    expect(run.status).toBe('succeeded');
    // Every valid event is in the warehouse once, whatever the kill left half done.
    expect(await scalar(dataDir, 'SELECT COUNT(*) AS n FROM stg_events')).toBe(distinctValid);
    expect(await scalar(dataDir, 'SELECT COUNT(*) - COUNT(DISTINCT event_id) AS n FROM stg_events')).toBe(0);
  }, 300_000);

  it('a broker restarted mid-publish: the producer retries and the run completes with nothing lost', async () => {
    const topic = topicName('restart');
    const dataDir = join(work, 'restart');
    const { file, distinctValid } = await workload('restart', 60_000, '5');
    // Only CLI processes talk to the broker here: this process holds no Kafka client while it is killed.
    const publishing = startCli([
      'publish',
      '--file',
      file,
      '--transport',
      'kafka',
      '--brokers',
      broker.bootstrap,
      '--topic',
      topic,
      '--create-topic',
      '3',
      '--data-dir',
      dataDir,
      '--json',
    ]);
    await waitFor(
      'publishing to start',
      () => / read, [1-9][\d,]* accepted/.test(publishing.stderr()),
      60_000,
    ).catch(() => undefined);
    await kafkaScript('kill');
    await new Promise((r) => setTimeout(r, 1000));
    await kafkaScript('up');
    const published = await publishing.done;
    expect(published.code, published.stderr.slice(-3000)).toBe(0);
    const summary = lastJson(published);
    expect(Number(summary.accepted) + Number(summary.quarantined)).toBe(60_000);
    await okJson(
      cli([
        'land',
        '--transport',
        'kafka',
        '--brokers',
        broker.bootstrap,
        '--topic',
        topic,
        '--group',
        `${topic}-g`,
        '--data-dir',
        dataDir,
        '--until-caught-up',
        '--json',
      ]),
    );
    await okJson(cli(['run', '--data-dir', dataDir, '--json']));
    expect(await scalar(dataDir, 'SELECT COUNT(*) AS n FROM stg_events')).toBe(distinctValid);
  }, 300_000);
});

describe('the Kafka broker as the repository starts it', () => {
  it('listens on 127.0.0.1 only, clients and controller alike', async () => {
    const port = Number(broker.bootstrap.split(',')[0]!.split(':').at(-1));
    const clients = await listensOnLoopbackOnly(port);
    expect(clients.ok, `listening on ${clients.addresses.join(', ') || 'nothing'}`).toBe(true);
    const controller = Number(process.env.ELT_KAFKA_CONTROLLER_PORT ?? '9093');
    const kraft = await listensOnLoopbackOnly(controller);
    expect(kraft.ok, `listening on ${kraft.addresses.join(', ') || 'nothing'}`).toBe(true);
  });
});
