// Compaction killed with SIGKILL after each of its steps, in a process of its own over a data directory (a
// store directory and a DuckDB file): the next ELT run and the next compaction, in new processes, lose no
// event and load none twice.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { DuckDbWarehouse } from '../../lib/adapters/warehouse/duckdb-warehouse.js';
import { compactRaw } from '../../lib/core/elt/compaction.js';
import { runElt } from '../../lib/core/elt/run-elt.js';
import { loadModels } from '../../lib/core/elt/sql-sources.js';
import { createEventValidator } from '../../lib/core/events/validator.js';
import { landBatch } from '../../lib/core/landing/land-batch.js';
import { RAW_PREFIX } from '../../lib/core/landing/object-keys.js';
import { packageRoot } from '../../lib/package-paths.js';
import { envelope } from '../support/envelopes.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();
const clock = { now: () => new Date('2026-11-25T12:00:00Z') };
const EVENTS = 60;

/** Six landing batches over two hour partitions of 2026-11-01. */
async function landed(store: FsObjectStore): Promise<void> {
  const validator = createEventValidator();
  for (let b = 0; b < 6; b++) {
    const records = Array.from({ length: EVENTS / 6 }, (_v, i) => {
      const n = b * 10 + i + 1;
      const e = envelope(n % 2 ? 'UserLoggedIn' : 'PageViewed', {
        id: `bus-${n}`,
        time: `2026-11-01T10:${String(n % 60).padStart(2, '0')}:00Z`,
        detail: { eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, userId: `u_${n % 5}` },
      });
      return { id: `m-${n}`, body: JSON.stringify(e) };
    });
    const result = await landBatch(records, { store, validator, clock });
    expect(result.failedIds).toEqual([]);
  }
}

function compactAndDie(
  storeDir: string,
  file: string,
  step: string,
  nth: number,
): Promise<NodeJS.Signals | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        import.meta.resolve('tsx'),
        join(packageRoot(), 'test/support/compact-and-die.ts'),
        storeDir,
        file,
        step,
        String(nth),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      signal ? resolve(signal) : reject(new Error(`exit ${code}: ${stderr}`)),
    );
  });
}

async function withWarehouse<T>(file: string, use: (w: DuckDbWarehouse) => Promise<T>): Promise<T> {
  const warehouse = await DuckDbWarehouse.open(file);
  try {
    return await use(warehouse);
  } finally {
    await warehouse.close();
  }
}

describe('compaction killed with SIGKILL', () => {
  for (const [loadedFirst, step, nth] of [
    [true, 'recorded', 1],
    [true, 'written', 1],
    [true, 'deleted', 2],
    [false, 'recorded', 1],
    [false, 'written', 1],
    [false, 'deleted', 2],
  ] as const) {
    it(`after ${step}${step === 'deleted' ? ` ${nth}` : ''} (${loadedFirst ? 'originals loaded' : 'originals not loaded'}) leaves a state the next run and compaction finish`, async () => {
      const dir = await tempDir();
      const storeDir = join(dir, 'store');
      const file = join(dir, 'warehouse.duckdb');
      const store = new FsObjectStore(storeDir);
      await landed(store);
      const models = loadModels();
      if (loadedFirst) await withWarehouse(file, (warehouse) => runElt({ warehouse, store, clock, models }));

      expect(await compactAndDie(storeDir, file, step, nth)).toBe('SIGKILL');

      await withWarehouse(file, async (warehouse) => {
        await runElt({ warehouse, store, clock, models });
        const [between] = await warehouse.query(
          'SELECT COUNT(*) AS rows, COUNT(DISTINCT id) AS ids FROM raw_events',
        );
        expect(between!.rows).toBe(between!.ids);
        const next = await compactRaw({ store, warehouse, clock });
        expect(next.problems).toEqual([]);
        await runElt({ warehouse, store, clock, models });
        expect(
          await warehouse.query('SELECT COUNT(*) AS rows, COUNT(DISTINCT id) AS ids FROM raw_events'),
        ).toEqual([{ rows: EVENTS, ids: EVENTS }]);
      });
      const keys: string[] = [];
      let lines = 0;
      for await (const o of store.list(RAW_PREFIX)) {
        keys.push(o.key);
        lines += gunzipSync(await store.get(o.key))
          .toString()
          .split('\n')
          .filter(Boolean).length;
      }
      expect(keys).toHaveLength(2);
      expect(keys.every((k) => k.includes('/compacted-'))).toBe(true);
      expect(lines).toBe(EVENTS);
    });
  }
});
