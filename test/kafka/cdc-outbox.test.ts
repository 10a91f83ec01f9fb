import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTopic } from '../../lib/adapters/kafka/kafka-bus.js';
import { KafkaEventSource } from '../../lib/adapters/kafka/kafka-event-source.js';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { DEFAULT_TOPIC } from '../../lib/cli/kafka-options.js';
import { EntryAcceptor } from '../../lib/core/bus/put-events.js';
import { EVENT_CATALOGUE } from '../../lib/core/events/catalogue.js';
import { createEventValidator } from '../../lib/core/events/validator.js';
import { landKafkaEvent, type KafkaEvent } from '../../lib/core/landing/kafka-event.js';
import { systemClock } from '../../lib/core/ports.js';
import {
  CDC_LANDING_TOPIC,
  cdcDatabaseFromUrl,
  connectorStatus,
  connectTarget,
  deleteConnector,
  describeConnectorStatus,
  dropReplicationSlot,
  outboxConnectorConfig,
  registerConnector,
  waitForConnectorRunning,
  type ConnectTarget,
} from '../../lib/local/cdc/debezium.js';
import { packageRoot } from '../../lib/package-paths.js';
import { CHAOS_CONNECT_ENV, kafkaConnect, type ConnectWorker } from '../support/connect.js';
import { kafkaBroker, type KafkaBroker } from '../support/kafka.js';
import { postgresServer, scratchDatabase } from '../support/postgres.js';

// Change data capture of the outbox table: Debezium's PostgreSQL connector on a real Kafka Connect worker
// (scripts/services/connect.sh), reading a scratch database of the shared PostgreSQL server through its WAL,
// writing to a topic of its own on the shared broker, read back by the project's Kafka landing.

const stamp = Date.now().toString(36);
const validator = createEventValidator();
const acceptor = new EntryAcceptor({ account: '000000000000', region: 'us-east-1' });
const signedUp = EVENT_CATALOGUE.find((t) => t.detailType === 'UserSignedUp')!;

let broker: KafkaBroker;
let serverUrl: string;
let work: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  serverUrl = await postgresServer();
  broker = await kafkaBroker();
  work = await mkdtemp(join(tmpdir(), 'elt-cdc-'));
}, 600_000);

afterAll(async () => {
  // Last registered, first undone: connectors, then slots, then databases, then the workers.
  for (const undo of cleanups.reverse()) await undo();
  await broker?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, 180_000);

/** A scratch database with the OLTP schema, an admin client on it, and its cleanup (slot first). */
async function outboxDatabase(slot: string): Promise<{ url: string; db: pg.Client }> {
  const scratch = await scratchDatabase(serverUrl);
  const db = new pg.Client({ connectionString: scratch.url });
  await db.connect();
  await db.query(await readFile(join(packageRoot(), 'sql', 'oltp', 'schema.sql'), 'utf8'));
  cleanups.push(async () => {
    // A slot left behind keeps WAL forever, and a database with a slot cannot be dropped.
    await dropReplicationSlot(db, slot);
    await db.end();
    await scratch.drop();
  });
  return { url: scratch.url, db };
}

/** Inserts outbox rows (one transaction) whose payload is a valid UserSignedUp envelope; returns their ids. */
async function insertOutbox(db: pg.Client, n: number, first: number): Promise<string[]> {
  const ids: string[] = [];
  const values: unknown[] = [];
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = randomUUID();
    const userId = `u_${first + i}`;
    const accepted = acceptor.accept(
      {
        Source: signedUp.source,
        DetailType: signedUp.detailType,
        Detail: JSON.stringify({
          ...signedUp.example,
          eventId: id,
          userId,
          displayName: `User ${first + i}`,
        }),
      },
      id,
      new Date(),
    );
    if (!accepted.ok) throw new Error(`the bus rejected a test event: ${accepted.errorMessage}`);
    const p = values.length;
    rows.push(`($${p + 1}, 'user', $${p + 2}, $${p + 3}, $${p + 4}::jsonb, now())`);
    values.push(id, userId, signedUp.detailType, accepted.body);
    ids.push(id);
  }
  await db.query(
    `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, occurred_at) VALUES ${rows.join(', ')}`,
    values,
  );
  return ids;
}

/** What the landing's event source read off the topic. */
interface Seen {
  readonly id: string;
  readonly key: string;
  readonly value: string;
  /** When the consumer got it. */
  readonly at: number;
  /** The record's timestamp (when the connector produced it). */
  readonly ts: number;
}

/** The project's Kafka event source on `topic`, landing every batch with landKafkaEvent into a local store. */
function startLanding(topic: string, name: string) {
  const seen: Seen[] = [];
  const firstSeen = new Map<string, number>();
  const landed = { events: 0, quarantined: 0, batches: 0 };
  const deps = {
    store: new FsObjectStore(join(work, name), { durable: false }),
    validator,
    clock: systemClock,
  };
  const source = new KafkaEventSource({
    brokers: [broker.bootstrap],
    topic,
    groupId: `${topic}-landing`,
    batchWindowMs: 20,
    lagIntervalMs: 1000,
    invoke: async (event: KafkaEvent) => {
      const at = Date.now();
      for (const r of Object.values(event.records).flat()) {
        const idHeader = r.headers.find((h) => 'id' in h)?.id;
        const id = idHeader ? Buffer.from(idHeader).toString('utf8') : '';
        seen.push({
          id,
          key: r.key ? Buffer.from(r.key, 'base64').toString('utf8') : '',
          value: r.value ? Buffer.from(r.value, 'base64').toString('utf8') : '',
          at,
          ts: r.timestamp,
        });
        if (!firstSeen.has(id)) firstSeen.set(id, at);
      }
      const outcome = await landKafkaEvent(event, deps);
      landed.events += outcome.result.landedEvents;
      landed.quarantined += outcome.result.quarantined;
      landed.batches++;
    },
  });
  const abort = new AbortController();
  const running = source.run({ signal: abort.signal });
  return {
    seen,
    firstSeen,
    landed,
    source,
    stop: async () => {
      abort.abort();
      await running;
    },
  };
}

async function waitUntil(
  what: string,
  test: () => boolean,
  timeoutMs: number,
  why: () => string | Promise<string>,
): Promise<number> {
  const started = Date.now();
  while (!test()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`${what} within ${timeoutMs / 1000} s: ${await why()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - started;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

/** A connector for the suite: registered, running, and deleted at the end. */
async function startConnector(
  target: ConnectTarget & { url: string },
  name: string,
  config: Record<string, string>,
): Promise<void> {
  cleanups.push(async () => {
    await deleteConnector(target, name).catch(() => undefined);
  });
  const { created } = await registerConnector(target, name, config);
  expect(created).toBe(true);
  await waitForConnectorRunning(target, name, { timeoutMs: 90_000 });
}

describe('the outbox connector config', () => {
  it('routes every row to the landing topic as the payload text, keyed by aggregate id, with the id as header', () => {
    expect(CDC_LANDING_TOPIC).toBe(DEFAULT_TOPIC);
    const config = outboxConnectorConfig({
      database: cdcDatabaseFromUrl('postgres://cdc:s3cret@127.0.0.1:55432/marketplace'),
      slotName: 'elt_outbox',
      publicationName: 'elt_outbox',
    });
    expect(config).toMatchObject({
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'plugin.name': 'pgoutput',
      'database.hostname': '127.0.0.1',
      'database.port': '55432',
      'database.user': 'cdc',
      'database.password': 's3cret',
      'database.dbname': 'marketplace',
      'slot.name': 'elt_outbox',
      'publication.name': 'elt_outbox',
      'publication.autocreate.mode': 'filtered',
      'table.include.list': 'public.outbox',
      'snapshot.mode': 'initial',
      'transforms.outbox.type': 'io.debezium.transforms.outbox.EventRouter',
      'transforms.outbox.route.topic.replacement': 'elt-events',
      'transforms.outbox.table.field.event.key': 'aggregateid',
      'transforms.outbox.table.field.event.id': 'id',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    });
    expect(() => outboxConnectorConfig({ ...baseOptions(), slotName: 'bad-slot' })).toThrow(/slot name/);
    expect(() => outboxConnectorConfig({ ...baseOptions(), publicationName: 'x; DROP' })).toThrow(
      /publication/,
    );
    expect(() => cdcDatabaseFromUrl('postgres://u:hunter22@[bad')).toThrow(/not a URL/);
    expect(() => cdcDatabaseFromUrl('postgres://u:hunter22@[bad')).not.toThrow(/hunter22/);
  });

  it('keeps the password out of the message when Connect refuses or cannot be reached', async () => {
    const config = outboxConnectorConfig({
      ...baseOptions(),
      database: { ...baseOptions().database, password: 'pw-9f3a' },
    });
    const target = connectTarget('http://127.0.0.1:1', config);
    const error = await registerConnector(target, 'cdc-unreachable', config).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/did not answer PUT \/connectors\/cdc-unreachable\/config/);
    expect((error as Error).message).not.toContain('pw-9f3a');
  });
});

function baseOptions() {
  return {
    database: { host: '127.0.0.1', port: 55432, user: 'postgres', dbname: 'x' },
    slotName: 'elt_outbox',
    publicationName: 'elt_outbox',
  };
}

describe('change data capture of the outbox', () => {
  let worker: ConnectWorker;
  beforeAll(async () => {
    worker = await kafkaConnect();
    cleanups.unshift(() => worker.stop());
  }, 600_000);

  it('puts rows inserted before (snapshot) and after (streaming) the connector starts on the topic, and the landing lands them', async () => {
    const slot = `elt_cdc_a_${stamp}`;
    const topic = `test-cdc-a-${stamp}`;
    const name = `test-cdc-a-${stamp}`;
    const { url, db } = await outboxDatabase(slot);
    await ensureTopic([broker.bootstrap], topic, { partitions: 3 });
    const snapshotIds = await insertOutbox(db, 200, 0);
    const landing = startLanding(topic, 'a');
    // The server trusts local connections, so any password works: this one must never reach a log line.
    const password = `cdc-pw-${stamp}`;
    const config = outboxConnectorConfig({
      database: { ...cdcDatabaseFromUrl(url), password },
      slotName: slot,
      publicationName: slot,
      topic,
    });
    const target = connectTarget(worker.url, config);
    const registered = Date.now();
    await startConnector(target, name, config);
    expect((await connectorStatus(target, name))?.tasks[0]?.state).toBe('RUNNING');
    const snapshotMs = await waitUntil(
      'the snapshot rows did not all arrive',
      () => snapshotIds.every((id) => landing.firstSeen.has(id)),
      60_000,
      () => `${landing.firstSeen.size} of ${snapshotIds.length} seen`,
    );
    const snapshotWall = Date.now() - registered;

    // Streaming: 1000 rows in 100 transactions of 10, about 50 a second apart.
    const committedAt = new Map<string, number>();
    const streamIds: string[] = [];
    for (let b = 0; b < 100; b++) {
      const ids = await insertOutbox(db, 10, 1000 + b * 10);
      const at = Date.now();
      for (const id of ids) committedAt.set(id, at);
      streamIds.push(...ids);
      await new Promise((r) => setTimeout(r, 20));
    }
    // The relay's update of a row is not an event: the router skips it.
    await db.query('UPDATE outbox SET sent_at = now() WHERE id = $1', [streamIds[0]]);
    const all = [...snapshotIds, ...streamIds];
    await waitUntil(
      'the streamed rows did not all arrive',
      () => all.every((id) => landing.firstSeen.has(id)),
      120_000,
      async () => describeConnectorStatus(await connectorStatus(target, name)),
    );
    await waitUntil(
      'the landing did not land everything',
      () => landing.landed.events >= all.length,
      30_000,
      () => JSON.stringify(landing.landed),
    );
    const lags = streamIds.map((id) => landing.firstSeen.get(id)! - committedAt.get(id)!);
    const stampOf = new Map(landing.seen.map((s) => [s.id, s.ts]));
    const produced = streamIds.map((id) => stampOf.get(id)! - committedAt.get(id)!);
    console.log(
      `cdc: snapshot of ${snapshotIds.length} rows on the topic ${snapshotWall} ms after registration (${snapshotMs} ms after running); streaming lag insert→consumer over ${lags.length} rows: median ${median(lags)} ms, p90 ${[...lags].sort((a, b) => a - b)[Math.floor(lags.length * 0.9)]} ms, max ${Math.max(...lags)} ms; insert→record timestamp median ${median(produced)} ms`,
    );
    await landing.stop();

    // Exactly what was inserted, once each (no fault here), and nothing for the update.
    expect(landing.seen.length).toBe(all.length);
    expect(new Set(landing.seen.map((s) => s.id))).toEqual(new Set(all));
    const { rows } = await db.query<{ id: string; aggregateid: string; payload: string }>(
      'SELECT id::text, aggregateid, payload::text AS payload FROM outbox',
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const s of landing.seen) {
      const row = byId.get(s.id)!;
      expect(s.value).toBe(row.payload);
      expect(s.key).toBe(row.aggregateid);
      const v = validator.validateText(s.value);
      expect(v.ok, s.value).toBe(true);
      if (v.ok) {
        expect(v.envelope.id).toBe(s.id);
        expect(v.envelope.detail.eventId).toBe(s.id);
      }
    }
    expect(landing.landed).toMatchObject({ events: all.length, quarantined: 0 });
    // Connect logged the connector's config when it started it, with the password masked.
    const log = await readFile(join(packageRoot(), '.services', 'connect', 'connect.log'), 'utf8');
    expect(log).toContain(`slot.name = ${slot}`);
    expect(log).not.toContain(password);
  }, 300_000);
});

describe('change data capture when Kafka Connect is killed', () => {
  let worker: ConnectWorker;
  beforeAll(async () => {
    worker = await kafkaConnect(CHAOS_CONNECT_ENV);
    cleanups.unshift(() => worker.stop());
  }, 600_000);

  it('puts every outbox row on the topic at least once across SIGKILLs mid-snapshot and mid-stream', async () => {
    const slot = `elt_cdc_b_${stamp}`;
    const topic = `test-cdc-b-${stamp}`;
    const name = `test-cdc-b-${stamp}`;
    const { url, db } = await outboxDatabase(slot);
    await ensureTopic([broker.bootstrap], topic, { partitions: 3 });
    const all: string[] = [];
    for (let b = 0; b < 10; b++) all.push(...(await insertOutbox(db, 500, b * 500)));
    const landing = startLanding(topic, 'b');
    const config = outboxConnectorConfig({
      database: cdcDatabaseFromUrl(url),
      slotName: slot,
      publicationName: slot,
      topic,
    });
    const target = connectTarget(worker.url, config);
    await startConnector(target, name, config);

    // Mid-snapshot: killed as soon as the first records are on the topic.
    await waitUntil(
      'no snapshot record arrived',
      () => landing.seen.length > 0,
      60_000,
      () => 'none seen',
    );
    await worker.kill();
    const atSnapshotKill = landing.firstSeen.size;
    all.push(...(await insertOutbox(db, 100, 10_000)));
    await worker.up();
    await waitForConnectorRunning(target, name, { timeoutMs: 90_000 });
    await waitUntil(
      'the rows did not all arrive after the restart mid-snapshot',
      () => all.every((id) => landing.firstSeen.has(id)),
      120_000,
      () => `${all.filter((id) => landing.firstSeen.has(id)).length} of ${all.length} seen`,
    );

    // Mid-stream: rows keep coming while the worker is killed, stays down, and comes back.
    let seq = 20_000;
    const before = landing.seen.length;
    for (let b = 0; b < 20; b++) all.push(...(await insertOutbox(db, 20, (seq += 20))));
    await waitUntil(
      'streaming did not resume',
      () => landing.seen.length > before,
      60_000,
      () => 'none seen',
    );
    await worker.kill();
    for (let b = 0; b < 20; b++) all.push(...(await insertOutbox(db, 20, (seq += 20))));
    await worker.up();
    await waitForConnectorRunning(target, name, { timeoutMs: 90_000 });
    for (let b = 0; b < 10; b++) all.push(...(await insertOutbox(db, 20, (seq += 20))));
    await waitUntil(
      'the rows did not all arrive after the restart mid-stream',
      () => all.every((id) => landing.firstSeen.has(id)),
      120_000,
      () => `${all.filter((id) => landing.firstSeen.has(id)).length} of ${all.length} seen`,
    );
    await landing.stop();

    const distinct = new Set(landing.seen.map((s) => s.id));
    console.log(
      `cdc chaos: ${all.length} rows, ${landing.seen.length} records (${landing.seen.length - distinct.size} duplicates); ${atSnapshotKill} of 5000 snapshot rows seen at the mid-snapshot kill`,
    );
    expect(atSnapshotKill).toBeLessThan(5000);
    expect(distinct).toEqual(new Set(all));
    expect(landing.landed.quarantined).toBe(0);
  }, 600_000);
});
