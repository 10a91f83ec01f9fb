import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresOltpDatabase } from '../../lib/adapters/oltp/oltp-database.js';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { DuckDbWarehouse } from '../../lib/adapters/warehouse/duckdb-warehouse.js';
import { runElt } from '../../lib/core/elt/run-elt.js';
import { loadModels } from '../../lib/core/elt/sql-sources.js';
import { createEventValidator } from '../../lib/core/events/validator.js';
import { gunzipNdjson } from '../../lib/core/landing/ndjson-gzip.js';
import { extractTables } from '../../lib/core/oltp/extract.js';
import { reconcileOltp } from '../../lib/core/oltp/reconcile.js';
import { outboxLag, relayOutbox } from '../../lib/core/oltp/relay.js';
import { runWorkload } from '../../lib/core/oltp/workload.js';
import { systemClock } from '../../lib/core/ports.js';
import { LocalPipeline } from '../../lib/local/local-pipeline.js';
import { packageRoot } from '../../lib/package-paths.js';
import { runServiceScript } from '../support/service-script.js';
import { useTempDirs } from '../support/temp-dir.js';

// A PostgreSQL server of this suite's own (its folder and port), so crashing it disturbs no other suite. Its
// commits wait for their WAL to be written, as a production server's do: with synchronous_commit off (the
// test servers' default), a crash may take back the last commits after the relay has read and published
// them, and the events would land with no outbox row left behind them.
const PG_ENV = {
  ELT_PG_HOME: join(packageRoot(), '.services', 'postgres-restart-test'),
  ELT_PG_PORT: process.env.ELT_PG_RESTART_PORT ?? '55439',
  ELT_PG_SYNCHRONOUS_COMMIT: 'on',
};
const script = join(packageRoot(), 'scripts', 'services', 'postgres.sh');
const pg = (command: string): Promise<string> =>
  runServiceScript(script, [command], { env: PG_ENV, timeoutMs: 600_000 }).catch((error: unknown) => {
    const e = error as { stderr?: string; message: string };
    throw new Error(`scripts/services/postgres.sh ${command} failed: ${e.stderr?.trim() || e.message}`);
  });

const tempDir = useTempDirs();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the marketplace database restarted under load', () => {
  let url: string;
  beforeAll(async () => {
    url = (await pg('up')).trim().split('\n').at(-1)!;
  }, 600_000);
  afterAll(async () => {
    await pg('down');
  });

  it('loses nothing and counts nothing twice: the relay recovers, and the warehouse reconciles', async () => {
    const db = await PostgresOltpDatabase.open(url);
    const setting = await db.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
    expect(setting.rows[0]!.synchronous_commit).toBe('on');
    await db.migrate();
    await db.query('TRUNCATE outbox, bids, items, users');
    const store = new FsObjectStore(await tempDir(), { durable: false });
    const pipeline = new LocalPipeline({ store, clock: systemClock }).start();
    const stop = new AbortController();
    let retries = 0;
    const relay = relayOutbox(db, {
      bus: pipeline.bus,
      store,
      clock: systemClock,
      batchSize: 100,
      validator: createEventValidator(),
      signal: stop.signal,
      pollIntervalMs: 50,
      retryBaseMs: 100,
      retryMaxMs: 1000,
      onRetry: () => retries++,
    });

    // Business transactions in chunks (a seed each); a chunk the crash cuts short ends with an error and
    // the next one starts once the server is back.
    let chunkFailures = 0;
    let crashed = false;
    let crash: Promise<void> = Promise.resolve();
    for (let chunk = 0; chunk < 16; chunk++) {
      // The crash comes while the writers and the relay are busy: a few chunks in, without waiting for it.
      if (chunk === 3)
        crash = (async () => {
          await sleep(200);
          await pg('crash');
          crashed = true;
          await sleep(1000);
          await pg('up');
        })();
      try {
        await runWorkload(db, { transactions: 80, seed: `restart-${chunk}`, concurrency: 4 });
      } catch {
        chunkFailures++;
        await sleep(300);
      }
    }
    await crash;
    expect(crashed).toBe(true);
    // The crash reached the writers: otherwise this test proves nothing.
    expect(chunkFailures).toBeGreaterThan(0);

    // Wait until the relay has sent every committed outbox row, then stop it.
    for (let i = 0; i < 600; i++) {
      const lag = await outboxLag(db).catch(() => undefined);
      if (lag?.unsent === 0) break;
      await sleep(100);
    }
    stop.abort();
    const summary = await relay;
    await pipeline.close();
    expect(summary.lag.unsent).toBe(0);
    expect(retries + summary.failedRounds).toBeGreaterThan(0);

    // Every committed outbox row landed, at least once; nothing landed that the database does not have.
    const outboxIds = new Set(
      (await db.query<{ id: string }>('SELECT id::text AS id FROM outbox')).rows.map((r) => r.id),
    );
    const landed = new Set<string>();
    for await (const o of store.list('raw/')) {
      for (const line of await gunzipNdjson(await store.get(o.key))) {
        landed.add((JSON.parse(line) as { detail: { eventId: string } }).detail.eventId);
      }
    }
    expect(outboxIds.size).toBeGreaterThan(300);
    expect([...landed].filter((id) => !outboxIds.has(id))).toEqual([]);
    expect([...outboxIds].filter((id) => !landed.has(id))).toEqual([]);

    // Through the warehouse, each event counts once: the warehouse agrees with the database.
    await extractTables(db, store, { mode: 'incremental', clock: systemClock, settleSeconds: 0 });
    const warehouse = await DuckDbWarehouse.open(':memory:');
    try {
      const run = await runElt({ warehouse, store, clock: systemClock, models: loadModels() });
      expect(run.status).toBe('succeeded');
      const reconciliation = await reconcileOltp(db, warehouse);
      expect(reconciliation.checks.filter((c) => !c.ok)).toEqual([]);
      expect(reconciliation.reconciled).toBe(true);
    } finally {
      await warehouse.close();
      await db.close();
    }
  }, 300_000);
});
