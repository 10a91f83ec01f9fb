import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { PostgresWarehouse } from '../../lib/adapters/warehouse/postgres-warehouse.js';
import { runElt } from '../../lib/core/elt/run-elt.js';
import { loadModels } from '../../lib/core/elt/sql-sources.js';
import { generateWorkload } from '../../lib/core/generator/workload.js';
import { systemClock, WarehouseLostError, type EltWarehouse } from '../../lib/core/ports.js';
import { publishEvents, type PublishInput } from '../../lib/core/publish/publisher.js';
import { LocalPipeline } from '../../lib/local/local-pipeline.js';
import { runCli } from '../support/cli.js';
import { groundTruth } from '../support/ground-truth.js';
import { postgresServer, scratchDatabase } from '../support/postgres.js';
import { useScratchDatabase } from '../support/scratch-database.js';
import { useTempDirs } from '../support/temp-dir.js';

// The PostgreSQL server ends the warehouse's connection in the middle of a run (a restart, an admin
// terminating it): the run must stop with a typed error that says so, publish nothing half-done, and
// the next run must load what this one did not.
const tempDir = useTempDirs();
const database = useScratchDatabase();

/** Ends every `elt` connection to a database but the caller's, as the server would. */
async function terminateEltConnections(db = database()): Promise<number> {
  const c = new pg.Client({ connectionString: db });
  await c.connect();
  try {
    const r = await c.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'elt' AND pid <> pg_backend_pid()",
    );
    return r.rowCount ?? 0;
  } finally {
    await c.end();
  }
}

async function landedStore(events: number): Promise<{ store: FsObjectStore; distinctValid: number }> {
  const store = new FsObjectStore(await tempDir(), { durable: false });
  const pipeline = new LocalPipeline({ store }).start();
  const items = [...generateWorkload({ events, seed: 'lost' })];
  await publishEvents(
    items.map((i): PublishInput =>
      'line' in i.input
        ? { ref: `g:${i.seq}`, line: i.input.line }
        : { ref: `g:${i.seq}`, value: i.input.value },
    ),
    { bus: pipeline.bus, store, clock: systemClock },
  );
  await pipeline.close();
  return { store, distinctValid: groundTruth(items).distinctValid };
}

describe('a PostgreSQL warehouse whose connection the server ends', () => {
  it('reports the next call as WarehouseLostError, naming the warehouse without its password', async () => {
    const warehouse = await PostgresWarehouse.open(database());
    try {
      expect(await terminateEltConnections()).toBe(1);
      const error = await warehouse.query('SELECT 1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WarehouseLostError);
      expect((error as WarehouseLostError).warehouse).toBe(warehouse.describe());
      expect((error as Error).message).toMatch(/^the connection to postgres:\/\/.* was lost \(/);
      expect((error as Error).message).not.toContain(new URL(database()).password || '\u0000');
    } finally {
      await warehouse.close().catch(() => undefined);
    }
  });

  it('stops runElt mid-run with WarehouseLostError, publishes nothing, and the next run completes it', async () => {
    const { store, distinctValid } = await landedStore(3000);
    const real = await PostgresWarehouse.open(database());
    // The server ends the connection just before the run's first statement after the load: the model
    // builds. (The wrapper only decides when; the failure is the real adapter's on a real dead socket.)
    let loaded = false;
    const warehouse: EltWarehouse = new Proxy(real, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          if (prop === 'loadObjects') loaded = true;
          else if (loaded && (prop === 'execute' || prop === 'executeBatch')) {
            loaded = false;
            expect(await terminateEltConnections()).toBe(1);
          }
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      },
    });
    const error = await runElt({ warehouse, store, clock: systemClock, models: loadModels() }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WarehouseLostError);
    await real.close().catch(() => undefined);

    const after = await PostgresWarehouse.open(database());
    try {
      // Nothing published: no mart exists yet.
      expect(
        await after.query(
          "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'mart\\_%'",
        ),
      ).toEqual([]);
      const run = await runElt({ warehouse: after, store, clock: systemClock, models: loadModels() });
      expect(run.status).toBe('succeeded');
      expect(await after.query('SELECT COUNT(*) AS n FROM stg_events')).toEqual([{ n: distinctValid }]);
    } finally {
      await after.close();
    }
  }, 120_000);

  it('elt run says the warehouse went away during the run, and exits 1', async () => {
    // A database of its own: the run above left a run in status running in the shared one.
    const own = await scratchDatabase(await postgresServer());
    const dataDir = join(await tempDir(), 'data');
    const input = join(dataDir, '..', 'events.ndjson');
    expect((await runCli(['generate', '--events', '20000', '--seed', '3', '--out', input])).code).toBe(0);
    expect((await runCli(['publish', '--file', input, '--data-dir', dataDir])).code).toBe(0);
    // End the run's connection once its plan is recorded (status running); the load and the builds of
    // 20,000 events are still ahead of it then.
    const watcher = (async () => {
      const c = new pg.Client({ connectionString: own.url });
      await c.connect();
      try {
        for (let i = 0; i < 6000; i++) {
          const r = await c
            .query("SELECT 1 FROM pg_tables WHERE tablename = 'elt_runs'")
            .then(async (t) => (t.rowCount ? c.query("SELECT 1 FROM elt_runs WHERE status = 'running'") : t));
          if (r.rowCount) return terminateEltConnections(own.url);
          await new Promise((res) => setTimeout(res, 5));
        }
        return 0;
      } finally {
        await c.end();
      }
    })();
    const run = await runCli(['run', '--data-dir', dataDir, '--warehouse', own.url, '--json']);
    expect(await watcher).toBe(1);
    await own.drop();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the warehouse ${'postgres://'}`);
    expect(run.stderr).toContain('went away during the run');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 180_000);
});
