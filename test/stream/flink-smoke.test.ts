import { Consumer, Producer } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import type { FlinkSqlSession } from '../../lib/adapters/stream/flink-gateway.js';
import { flinkWithKafka } from '../support/flink-kafka.js';
import { listensOnLoopbackOnly } from '../support/listening.js';

// A real Flink (scripts/services/flink.sh: JobManager, TaskManager, SQL Gateway as host processes) reading a real
// Kafka broker: a Flink SQL job counting events per one-minute event-time window, submitted through the SQL
// Gateway, writing its windows to a topic with Kafka transactions. The counts read back (read_committed) must
// equal the counts computed here from the records produced, also after the TaskManager is killed mid-run.

const stamp = Date.now();
const jobs: string[] = [];
const sessions: FlinkSqlSession[] = [];

const env = flinkWithKafka('flink-smoke-admin', async (flink) => {
  for (const job of jobs) await flink.jobManager.cancel(job).catch(() => undefined);
  for (const session of sessions) await session.close().catch(() => undefined);
});

const KINDS = ['login', 'view', 'bid'] as const;
/** Event time of the first record: windows are whole minutes from here. */
const BASE_MS = Date.parse('2026-12-03T10:00:00Z');
const MINUTE = 60_000;

interface Event {
  readonly kind: string;
  readonly user: string;
  readonly eventMs: number;
}

/** `n` events over `minutes` minutes from `fromMinute`, in event-time order, from a fixed seed. */
function events(n: number, fromMinute: number, minutes: number, seed: number): Event[] {
  let s = seed;
  const next = (): number => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
  return Array.from({ length: n }, () => ({
    kind: KINDS[Math.floor(next() * KINDS.length)]!,
    user: `u_${Math.floor(next() * 50)}`,
    eventMs: BASE_MS + fromMinute * MINUTE + Math.floor(next() * minutes * MINUTE),
  })).sort((a, b) => a.eventMs - b.eventMs);
}

/** The window key the job writes: its start as Flink casts a TIMESTAMP(3) to STRING (UTC session), and the kind. */
const windowKey = (startMs: number, kind: string): string =>
  `${new Date(startMs).toISOString().replace('T', ' ').replace('Z', '')}|${kind}`;

/** What the job must find: events per (one-minute window, kind). */
function expectedCounts(all: readonly Event[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of all) {
    const key = windowKey(Math.floor(e.eventMs / MINUTE) * MINUTE, e.kind);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

const INPUT_PARTITIONS = 2;

/** Produces events round-robin over the input's partitions, in event-time order within each (acks=all). */
async function produce(topic: string, batch: readonly Event[]): Promise<void> {
  const producer = new Producer({
    clientId: 'flink-smoke',
    bootstrapBrokers: [env.broker.bootstrap],
    idempotent: true,
  });
  try {
    await producer.send({
      messages: batch.map((e, i) => ({
        topic,
        partition: i % INPUT_PARTITIONS,
        key: Buffer.from(e.user),
        value: Buffer.from(JSON.stringify({ kind: e.kind, user_id: e.user, event_ms: e.eventMs })),
      })),
    });
  } finally {
    await producer.close();
  }
}

/**
 * One record per input partition an hour after the last event: it moves the watermark of every partition (the
 * source's is their minimum) past the last window, which then closes. Its own kind is filtered out.
 */
async function flushWindows(topic: string): Promise<void> {
  const producer = new Producer({
    clientId: 'flink-smoke',
    bootstrapBrokers: [env.broker.bootstrap],
    idempotent: true,
  });
  try {
    await producer.send({
      messages: Array.from({ length: INPUT_PARTITIONS }, (_, partition) => ({
        topic,
        partition,
        value: Buffer.from(JSON.stringify({ kind: 'flush', user_id: '-', event_ms: BASE_MS + 60 * MINUTE })),
      })),
    });
  } finally {
    await producer.close();
  }
}

/** Opens a gateway session and submits the window job; returns its job id. */
async function submitWindowJob(name: string, input: string, output: string): Promise<string> {
  const session = await env.flink.gateway.openSession({
    name,
    properties: { 'table.local-time-zone': 'UTC', 'pipeline.name': name },
  });
  sessions.push(session);
  await session.execute(`
    CREATE TABLE events (
      kind STRING,
      user_id STRING,
      event_ms BIGINT,
      ts AS TO_TIMESTAMP_LTZ(event_ms, 3),
      WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
    ) WITH (
      'connector' = 'kafka',
      'topic' = '${input}',
      'properties.bootstrap.servers' = '${env.broker.bootstrap}',
      'properties.group.id' = '${name}',
      'scan.startup.mode' = 'earliest-offset',
      'format' = 'json'
    )`);
  // Exactly-once: records go out in a Kafka transaction committed with each checkpoint. The transaction
  // timeout must stay within the broker's transaction.max.timeout.ms (15 min; Flink's default, 1 h, is refused).
  await session.execute(`
    CREATE TABLE window_counts (
      window_start STRING,
      kind STRING,
      events BIGINT
    ) WITH (
      'connector' = 'kafka',
      'topic' = '${output}',
      'properties.bootstrap.servers' = '${env.broker.bootstrap}',
      'properties.transaction.timeout.ms' = '600000',
      'sink.delivery-guarantee' = 'exactly-once',
      'sink.transactional-id-prefix' = '${name}',
      'format' = 'json'
    )`);
  const insert = await session.execute(`
    INSERT INTO window_counts
    SELECT CAST(window_start AS STRING), kind, COUNT(*)
    FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
    WHERE kind <> 'flush'
    GROUP BY window_start, window_end, kind`);
  expect(insert.jobId).toMatch(/^[0-9a-f]{32}$/);
  jobs.push(insert.jobId!);
  await env.flink.jobManager.waitForState(insert.jobId!, ['RUNNING'], 60_000);
  return insert.jobId!;
}

interface WindowCount {
  readonly window_start: string;
  readonly kind: string;
  readonly events: number;
}

/**
 * Reads the output topic from the start, read_committed, until every expected window has arrived and nothing
 * more came for `quietMs`; returns every record read (duplicates included).
 */
async function readWindows(
  topic: string,
  expected: ReadonlyMap<string, number>,
  timeoutMs: number,
): Promise<WindowCount[]> {
  const consumer = new Consumer({
    clientId: 'flink-smoke-reader',
    groupId: `${topic}-reader`,
    bootstrapBrokers: [env.broker.bootstrap],
    isolationLevel: 1, // READ_COMMITTED: only records of committed transactions
    autocommit: false,
    maxWaitTime: 250,
  });
  const seen: WindowCount[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
    const deadline = Date.now() + timeoutMs;
    let lastArrival = Date.now();
    stream.on('data', (message: { value?: Buffer }) => {
      if (!message.value) return;
      seen.push(JSON.parse(message.value.toString()) as WindowCount);
      lastArrival = Date.now();
    });
    const quietMs = 6_000; // over one checkpoint interval (5 s): a duplicate would show within it
    for (;;) {
      const keys = new Set(seen.map((w) => `${w.window_start}|${w.kind}`));
      const all = [...expected.keys()].every((k) => keys.has(k));
      if (all && Date.now() - lastArrival >= quietMs) break;
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  return seen;
}

/** The records read, by window key: the count (the last one read) and how many times the key came. */
function byWindow(records: readonly WindowCount[]): {
  counts: Map<string, number>;
  copies: Map<string, number[]>;
} {
  const copies = new Map<string, number[]>();
  for (const r of records) {
    const key = `${r.window_start}|${r.kind}`;
    copies.set(key, [...(copies.get(key) ?? []), Number(r.events)]);
  }
  const counts = new Map([...copies].map(([k, v]) => [k, v.at(-1)!]));
  return { counts, copies };
}

const sorted = (m: ReadonlyMap<string, number>): [string, number][] =>
  [...m].sort(([a], [b]) => a.localeCompare(b));

describe('Flink on the host', () => {
  it('listens on 127.0.0.1 only and reports one TaskManager with its slots', async () => {
    const overview = await env.flink.jobManager.overview();
    expect(overview.taskmanagers).toBeGreaterThanOrEqual(1);
    expect(overview['slots-total']).toBeGreaterThanOrEqual(2);
    expect((await env.flink.gateway.info()).productName).toBe('Apache Flink');
    for (const url of [env.flink.restUrl, env.flink.gatewayUrl]) {
      const { ok, addresses } = await listensOnLoopbackOnly(Number(new URL(url).port));
      expect({ url, ok, addresses }).toMatchObject({ ok: true });
    }
  });

  it('rejects SQL the planner cannot validate with its own message and the gateway URL', async () => {
    const session = await env.flink.gateway.openSession({ name: `flink-smoke-bad-${stamp}` });
    sessions.push(session);
    await expect(session.execute('SELECT * FROM no_such_table')).rejects.toThrow(
      /gateway at http:\/\/127\.0\.0\.1:\d+: ValidationException: .*Object 'no_such_table' not found/,
    );
  });
});

describe('a Flink SQL job of one-minute event-time windows over Kafka', () => {
  it('writes exactly the window counts computed from the records produced (read_committed)', async () => {
    const input = await env.createTopic(`flink-smoke-in-${stamp}`, INPUT_PARTITIONS);
    const output = await env.createTopic(`flink-smoke-out-${stamp}`, 1);
    const produced = events(200, 0, 5, 7);
    await produce(input, produced);
    await flushWindows(input);
    const expected = expectedCounts(produced);

    const job = await submitWindowJob(`flink-smoke-${stamp}`, input, output);
    const read = await readWindows(output, expected, 120_000);
    const { counts, copies } = byWindow(read);

    expect(sorted(counts)).toEqual(sorted(expected));
    // Exactly once, no failure: every window came once.
    expect([...copies.values()].filter((c) => c.length > 1)).toEqual([]);
    const vertices = await env.flink.jobManager.vertices(job);
    expect(vertices.length).toBeGreaterThanOrEqual(2);
    // The JobManager fetches task metrics lazily (the first request may find none yet) and an idle task's
    // busy time is NaN: ask until a number comes.
    let busy = NaN;
    for (const end = Date.now() + 30_000; !Number.isFinite(busy) && Date.now() < end;) {
      busy = (await env.flink.jobManager.vertexLoad(job, vertices[0]!.id)).busyTimeMsPerSecond?.max ?? NaN;
      if (!Number.isFinite(busy)) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(busy).toBeGreaterThanOrEqual(0);
    expect(await env.flink.jobManager.backpressure(job, vertices[0]!.id)).toHaveProperty('status');
    await env.flink.jobManager.cancel(job);
    expect(await env.flink.jobManager.waitForState(job, ['CANCELED'], 60_000)).toBe('CANCELED');
  }, 240_000);

  it('recovers from a killed TaskManager from its last checkpoint, and the counts stay exact', async () => {
    const input = await env.createTopic(`flink-smoke-kill-in-${stamp}`, INPUT_PARTITIONS);
    const output = await env.createTopic(`flink-smoke-kill-out-${stamp}`, 1);
    const before = events(100, 0, 5, 11);
    const after = events(100, 5, 5, 13);
    const expected = expectedCounts([...before, ...after]);

    await produce(input, before);
    const job = await submitWindowJob(`flink-smoke-kill-${stamp}`, input, output);
    // Wait for a completed checkpoint that holds the first half's state.
    const deadline = Date.now() + 90_000;
    let checkpoint = await env.flink.jobManager.lastCompletedCheckpoint(job);
    while (!checkpoint && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      checkpoint = await env.flink.jobManager.lastCompletedCheckpoint(job);
    }
    expect(checkpoint, 'a checkpoint completed before the kill').toBeDefined();

    await env.flink.killTaskManager();
    const killedAt = Date.now();
    await produce(input, after);
    await flushWindows(input);
    await env.flink.startTaskManager();

    // The job restarts from its last completed checkpoint once the new TaskManager offers slots.
    let stats = await env.flink.jobManager.checkpoints(job);
    while (!stats.lastRestored && Date.now() < killedAt + 180_000) {
      await new Promise((r) => setTimeout(r, 1000));
      stats = await env.flink.jobManager.checkpoints(job);
    }
    expect(stats.lastRestored, 'the job restored a checkpoint').toBeDefined();
    expect(stats.lastRestored!.id).toBeGreaterThanOrEqual(checkpoint!.id);
    await env.flink.jobManager.waitForState(job, ['RUNNING'], 120_000);
    console.error(
      `[flink-smoke] killed the TaskManager after checkpoint ${checkpoint!.id}; the job restored checkpoint ${stats.lastRestored!.id} ${Math.round((stats.lastRestored!.restoredAt - killedAt) / 100) / 10} s after the kill`,
    );

    const read = await readWindows(output, expected, 180_000);
    const { counts, copies } = byWindow(read);
    // Downstream dedupe by window key: every copy of a window carries the same count…
    for (const [key, values] of copies)
      expect({ key, values: new Set(values).size }).toEqual({ key, values: 1 });
    // …and the windows equal those computed from every record produced, before and after the kill.
    expect(sorted(counts)).toEqual(sorted(expected));
    // read_committed: a transaction open at the kill was aborted, not read, so no window came twice.
    expect([...copies].filter(([, c]) => c.length > 1)).toEqual([]);
    await env.flink.jobManager.cancel(job);
  }, 420_000);
});
