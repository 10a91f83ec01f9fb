import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOltpDatabase } from '../../lib/adapters/oltp/oltp-database.js';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { ensureTopic } from '../../lib/adapters/kafka/kafka-bus.js';
import type { EltWarehouse } from '../../lib/core/ports.js';
import { cdcDatabaseFromUrl } from '../../lib/local/cdc/debezium.js';
import { KafkaPipeline } from '../../lib/local/kafka-pipeline.js';
import { OltpDemoCdcStalledError, runOltpDemo } from '../../lib/local/oltp-demo.js';
import { runCli } from '../support/cli.js';
import { kafkaConnect, type ConnectWorker } from '../support/connect.js';
import { kafkaBroker, type KafkaBroker } from '../support/kafka.js';
import { useScratchDatabase } from '../support/scratch-database.js';
import { useTempDirs } from '../support/temp-dir.js';

// `elt oltp demo --transport cdc`: the outbox captured from the WAL of a scratch database on the shared
// PostgreSQL server by Debezium on a real Kafka Connect worker, through the shared broker, into the warehouse.

const tempDir = useTempDirs();
const scratch = useScratchDatabase();

interface DemoJson {
  transport: string;
  transactions: number;
  outboxEvents: number;
  relayed: number;
  captured: number;
  connector: string;
  landedEvents: number;
  warehouseBids: number;
  oltpBids: number;
  reconciled: boolean;
}

describe('elt oltp demo --transport cdc', () => {
  let broker: KafkaBroker | undefined;
  let worker: ConnectWorker | undefined;
  beforeAll(async () => {
    broker = await kafkaBroker();
    worker = await kafkaConnect();
  }, 600_000);
  afterAll(async () => {
    await worker?.stop();
    await broker?.stop();
  }, 180_000);

  it('captures every outbox row from the WAL, reconciles, and leaves no replication slot behind', async () => {
    const dataDir = await tempDir();
    const run = await runCli(
      [
        'oltp',
        'demo',
        '--data-dir',
        dataDir,
        '--transport',
        'cdc',
        '--database',
        scratch(),
        '--brokers',
        broker!.bootstrap,
        '--connect',
        worker!.url,
        '--transactions',
        '300',
        '--json',
      ],
      { timeoutMs: 170_000 },
    );
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const demo = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as DemoJson;
    expect(demo.transport).toBe('cdc');
    expect(demo.transactions).toBe(300);
    expect(demo.outboxEvents).toBeGreaterThan(0);
    expect(demo.relayed).toBe(0);
    expect(demo.captured).toBe(demo.outboxEvents);
    expect(demo.landedEvents).toBe(demo.outboxEvents);
    expect(demo.oltpBids).toBeGreaterThan(0);
    expect(demo.warehouseBids).toBe(demo.oltpBids);
    expect(demo.reconciled).toBe(true);

    const db = new pg.Client({ connectionString: scratch() });
    await db.connect();
    try {
      // No relay ran: every outbox row is still unsent.
      const unsent = await db.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL');
      expect(Number(unsent.rows[0]!.n)).toBe(demo.outboxEvents);
      const slots = await db.query(
        'SELECT slot_name FROM pg_replication_slots WHERE database = current_database()',
      );
      expect(slots.rows).toEqual([]);
      const publications = await db.query('SELECT pubname FROM pg_publication');
      expect(publications.rows).toEqual([]);
    } finally {
      await db.end();
    }
    // The connector is gone from Connect too.
    const connectors = (await (await fetch(`${worker!.url}/connectors`)).json()) as string[];
    expect(connectors).not.toContain(demo.connector);
  }, 180_000);

  it('removes the connector, its slot and its publication when the rows never land', async () => {
    const dir = await tempDir();
    const stamp = Date.now().toString(36);
    // The pipeline lands from one topic, the connector writes to another: nothing lands, the wait stalls.
    const landingTopic = `test-oltp-cdc-landing-${stamp}`;
    const elsewhere = `test-oltp-cdc-elsewhere-${stamp}`;
    await ensureTopic([broker!.bootstrap], elsewhere, { partitions: 1 });
    const store = new FsObjectStore(join(dir, 'store'), { durable: false });
    const db = await openOltpDatabase(scratch());
    try {
      const error = await runOltpDemo({
        db,
        store,
        // Never reached: the capture fails first.
        warehouse: {} as EltWarehouse,
        models: [],
        transactions: 20,
        seed: '7',
        resetDatabase: true,
        transport: 'cdc',
        startPipeline: () =>
          new KafkaPipeline({
            brokers: [broker!.bootstrap],
            topic: landingTopic,
            groupId: landingTopic,
            store,
            batchWindowMs: 100,
          }).start(),
        cdc: {
          connectUrl: worker!.url,
          database: cdcDatabaseFromUrl(scratch()),
          topic: elsewhere,
          runId: `stall${stamp}`,
          stallTimeoutMs: 3000,
        },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(OltpDemoCdcStalledError);
      expect((error as Error).message).toMatch(/^0 of \d+ outbox rows landed and none more in 3 s/);
      const slots = await db.query(
        'SELECT slot_name FROM pg_replication_slots WHERE database = current_database()',
      );
      expect(slots.rows).toEqual([]);
      expect((await db.query('SELECT pubname FROM pg_publication')).rows).toEqual([]);
      const connectors = (await (await fetch(`${worker!.url}/connectors`)).json()) as string[];
      expect(connectors).not.toContain(`elt-oltp-cdc-stall${stamp}`);
    } finally {
      await db.close();
    }
  }, 120_000);
});

describe('elt oltp demo --transport cdc on PGlite', () => {
  it('is refused in one line naming --database postgres://', async () => {
    const dataDir = await tempDir();
    const run = await runCli(['oltp', 'demo', '--data-dir', dataDir, '--transport', 'cdc'], {
      env: { ELT_OLTP_DATABASE: `pglite:${dataDir}/oltp` },
    });
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^elt: --transport cdc needs a PostgreSQL server with wal_level=logical/);
    expect(lines[0]).toContain('--database postgres://');
  });
});
