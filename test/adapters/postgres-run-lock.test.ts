import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { PostgresWarehouse } from '../../lib/adapters/warehouse/postgres-warehouse.js';
import { runElt } from '../../lib/core/elt/run-elt.js';
import { loadModels } from '../../lib/core/elt/sql-sources.js';
import { EltRunInProgressError, systemClock } from '../../lib/core/ports.js';
import { useScratchDatabase } from '../support/scratch-database.js';
import { useTempDirs } from '../support/temp-dir.js';

// Two ELT runs at once on one PostgreSQL warehouse would build the same tables: the second must stop
// before it touches anything, and the lock must go with the first run's connection.
const tempDir = useTempDirs();
const database = useScratchDatabase();

describe('the ELT run lock on PostgreSQL', () => {
  it('lets one run in, refuses a second while the first holds it, and frees it when the first closes', async () => {
    const first = await PostgresWarehouse.open(database());
    const second = await PostgresWarehouse.open(database());
    try {
      await first.runLock.acquireForSession();
      const refused = await second.runLock.acquireForSession().catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(EltRunInProgressError);
      expect((refused as Error).message).toBe(
        `another ELT run is in progress on ${second.describe()} (it holds the run lock); wait for it to finish (elt runs shows it) and run again`,
      );
      await first.close();
      await expect(second.runLock.acquireForSession()).resolves.toBeUndefined();
    } finally {
      await second.close();
      await first.close().catch(() => undefined);
    }
  });

  it('stops runElt before it plans, records or builds anything while another run holds the lock', async () => {
    const holder = await PostgresWarehouse.open(database());
    const warehouse = await PostgresWarehouse.open(database());
    try {
      await holder.runLock.acquireForSession();
      const store = new FsObjectStore(await tempDir());
      const refused = await runElt({ warehouse, store, clock: systemClock, models: loadModels() }).catch(
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(EltRunInProgressError);
      const tables = await warehouse.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
      );
      expect(tables).toEqual([]);
      await holder.close();
      const run = await runElt({ warehouse, store, clock: systemClock, models: loadModels() });
      expect(run.status).toBe('succeeded');
    } finally {
      await warehouse.close();
      await holder.close().catch(() => undefined);
    }
  }, 120_000);
});
