import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../lib/adapters/store/fs-object-store.js';
import { DuckDbWarehouse } from '../../../lib/adapters/warehouse/duckdb-warehouse.js';
import {
  compactRaw,
  recordStatements,
  type CompactionOptions,
  type CompactionStep,
} from '../../../lib/core/elt/compaction.js';
import { runElt } from '../../../lib/core/elt/run-elt.js';
import { parseRunId } from '../../../lib/core/elt/sql-values.js';
import { loadModels } from '../../../lib/core/elt/sql-sources.js';
import { redshiftDialect } from '../../../lib/core/elt/dialect.js';
import type { EventEnvelope } from '../../../lib/core/events/envelope.js';
import { createEventValidator } from '../../../lib/core/events/validator.js';
import { landBatch } from '../../../lib/core/landing/land-batch.js';
import { RAW_PREFIX } from '../../../lib/core/landing/object-keys.js';
import type { Clock } from '../../../lib/core/ports.js';
import { gzipNdjson } from '../../../lib/core/landing/ndjson-gzip.js';
import { envelope } from '../../support/envelopes.js';
import { useTempDirs } from '../../support/temp-dir.js';

const tempDir = useTempDirs();
const validator = createEventValidator();
const models = loadModels();
const opened: DuckDbWarehouse[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((w) => w.close()));
});

const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const at = (iso: string): Clock => ({ now: () => new Date(iso) });
/** Long after the test partitions (2026-11-01) closed. */
const LATER = at('2026-11-25T12:00:00Z');

function event(detailType: string, n: number, time: string): EventEnvelope {
  return envelope(detailType, {
    id: `bus-${n}`,
    time,
    detail: {
      eventId: uuid(n),
      userId: `u_${n % 7}`,
      ...(detailType === 'BidCreated' ? { itemId: 'i_1', amountMinor: 100 + n } : {}),
    },
  });
}

/** `batches` landing batches of `perBatch` events each, over two partitions (logins and bids of 10:00). */
function batches(count: number, perBatch: number, from = 0): EventEnvelope[][] {
  return Array.from({ length: count }, (_b, b) =>
    Array.from({ length: perBatch }, (_e, e) => {
      const n = from + b * perBatch + e + 1;
      return event(
        n % 2 === 0 ? 'UserLoggedIn' : 'BidCreated',
        n,
        `2026-11-01T10:${String(n % 60).padStart(2, '0')}:00Z`,
      );
    }),
  );
}

async function setup() {
  const store = new FsObjectStore(await tempDir(), { durable: false });
  const warehouse = await DuckDbWarehouse.open(':memory:');
  opened.push(warehouse);
  const land = async (envelopes: readonly EventEnvelope[]): Promise<void> => {
    const result = await landBatch(
      envelopes.map((e) => ({ id: `msg-${e.id}`, body: JSON.stringify(e) })),
      { store, validator, clock: at('2026-11-01T10:30:00Z') },
    );
    expect(result.failedIds).toEqual([]);
  };
  const keys = async (): Promise<string[]> => {
    const out: string[] = [];
    for await (const o of store.list(RAW_PREFIX)) out.push(o.key);
    return out.sort();
  };
  const compact = (extra: Partial<CompactionOptions> = {}) =>
    compactRaw({ store, warehouse, clock: LATER, ...extra });
  const run = () => runElt({ warehouse, store, clock: LATER, models });
  /** raw_events rows, and how many distinct bus ids: equal when no event was loaded twice. */
  const raw = async (): Promise<{ rows: number; ids: number }> => {
    const [r] = await warehouse.query('SELECT COUNT(*) AS rows, COUNT(DISTINCT id) AS ids FROM raw_events');
    return { rows: Number(r!.rows), ids: Number(r!.ids) };
  };
  /** The events in the store, counted from the objects' lines. */
  const stored = async (): Promise<number> => {
    let n = 0;
    for (const k of await keys())
      n += gunzipSync(await store.get(k))
        .toString('utf8')
        .split('\n')
        .filter(Boolean).length;
    return n;
  };
  return { store, warehouse, land, keys, compact, run, raw, stored };
}

/** Throws at one step of one compaction, as a crash there would stop it. */
class Crash extends Error {}
const crashAt =
  (step: CompactionStep, nth = 1) =>
  (s: CompactionStep): void => {
    if (s === step && --nth === 0) throw new Crash(`crash after ${step}`);
  };

describe('compactRaw', () => {
  it('merges the loaded objects of each closed partition into one, which no ELT run loads again', async () => {
    const p = await setup();
    for (const b of batches(5, 20)) await p.land(b);
    expect(await p.keys()).toHaveLength(10); // 5 batches × 2 partitions
    const first = await p.run();
    expect(first.eventsLoaded).toBe(100);

    const report = await p.compact();
    expect(report).toMatchObject({
      closedPartitions: 2,
      compactedPartitions: 2,
      objectsBefore: 10,
      objectsAfter: 2,
      compactedObjects: 2,
      originalsReplaced: 10,
      events: 100,
      gets: 10,
      puts: 2,
      deletes: 10,
      problems: [],
    });
    const keys = await p.keys();
    expect(keys.every((k) => /\/compacted-loaded-[0-9a-f]{32}\.ndjson\.gz$/.test(k))).toBe(true);
    expect(await p.stored()).toBe(100);

    const second = await p.run();
    expect(second.objectsLoaded).toBe(0);
    expect(await p.raw()).toEqual({ rows: 100, ids: 100 });
    // The ledger knows what each compacted object replaces.
    const [mapped] = await p.warehouse.query(
      'SELECT COUNT(*) AS n, COUNT(DISTINCT compacted_key) AS objects FROM elt_compacted_objects',
    );
    expect(mapped).toEqual({ n: 10, objects: 2 });
  });

  it('merges objects not loaded yet into one that the next ELT run loads, instead of the originals', async () => {
    const p = await setup();
    for (const b of batches(4, 10)) await p.land(b);
    const report = await p.compact();
    expect(report).toMatchObject({ compactedObjects: 2, originalsReplaced: 8, events: 40 });
    expect((await p.keys()).every((k) => /\/compacted-[0-9a-f]{32}\.ndjson\.gz$/.test(k))).toBe(true);
    const run = await p.run();
    expect(run).toMatchObject({ objectsLoaded: 2, eventsLoaded: 40 });
    expect(await p.raw()).toEqual({ rows: 40, ids: 40 });
    expect((await p.run()).objectsLoaded).toBe(0);
  });

  it('keeps loaded and unloaded originals in different objects, so each event is loaded once', async () => {
    const p = await setup();
    for (const b of batches(3, 10)) await p.land(b);
    await p.run();
    for (const b of batches(3, 10, 30)) await p.land(b);
    const report = await p.compact();
    expect(report).toMatchObject({ compactedObjects: 4, originalsReplaced: 12, objectsAfter: 4 });
    const run = await p.run();
    expect(run).toMatchObject({ objectsLoaded: 2, eventsLoaded: 30 });
    expect(await p.raw()).toEqual({ rows: 60, ids: 60 });
    // A later compaction merges the two of each partition (both loaded now) into one.
    const again = await p.compact();
    expect(again).toMatchObject({ compactedObjects: 2, originalsReplaced: 4, objectsAfter: 2 });
    expect((await p.run()).objectsLoaded).toBe(0);
    expect(await p.raw()).toEqual({ rows: 60, ids: 60 });
    expect(await p.stored()).toBe(60);
  });

  it('leaves table extract objects as they are (already pages of up to 10,000 rows), with or without a lookback', async () => {
    const p = await setup();
    for (const b of batches(2, 10)) await p.land(b);
    const extracts = [
      'raw/source=oltp/table=users/dt=2026-11-01/extract-a.ndjson.gz',
      'raw/source=oltp/table=users/dt=2026-11-01/extract-b.ndjson.gz',
    ];
    for (const [i, k] of extracts.entries()) {
      const t = '2026-11-01T10:00:00.000000Z';
      const row = { user_id: `u_x${i}`, display_name: 'X', country: 'DE', channel: 'web', signed_up_at: t };
      const line = {
        ...{ version: '0', id: uuid(900 + i), 'detail-type': 'users', source: 'oltp', account: '0' },
        ...{ time: '2026-11-01T10:00:00Z', region: 'local', resources: [] },
        detail: {
          table: 'users',
          op: 'upsert',
          key: row.user_id,
          updated_at: t,
          extracted_at: t,
          mode: 'incremental',
          row,
        },
      };
      await p.store.put(k, await gzipNdjson([JSON.stringify(line)]));
    }
    // The ELT loads them with the events (and its ledger keeps them from loading twice).
    expect((await p.run()).eventsLoaded).toBe(22);
    const full = await p.compact();
    expect(full).toMatchObject({ compactedPartitions: 2, objectsBefore: 4, objectsAfter: 2 });
    const recent = await p.compact({ lookbackHours: 24 * 30 });
    expect(recent).toMatchObject({ compactedPartitions: 0, objectsBefore: 2 });
    expect((await p.keys()).filter((k) => k.includes('source=oltp'))).toEqual(extracts);
  });

  it('leaves open partitions alone: an hour is closed only after the lateness', async () => {
    const p = await setup();
    for (const b of batches(3, 10)) await p.land(b);
    const before = await p.keys();
    // 10:00–11:00 partitions, lateness 2 h: still open at 12:30.
    const report = await p.compact({ clock: at('2026-11-01T12:30:00Z'), latenessHours: 2 });
    expect(report).toMatchObject({ partitions: 2, closedPartitions: 0, compactedObjects: 0 });
    expect(await p.keys()).toEqual(before);
    const closed = await p.compact({ clock: at('2026-11-01T13:00:00Z'), latenessHours: 2 });
    expect(closed).toMatchObject({ closedPartitions: 2, compactedObjects: 2 });
  });

  it('with a lookback lists only the recent partitions (as the scheduled step does), leaving older ones', async () => {
    const p = await setup();
    for (const b of batches(3, 10)) await p.land(b);
    // The partitions are of 2026-11-01 10:00; three days later, a 24 h lookback does not reach them.
    const far = await p.compact({ clock: at('2026-11-04T12:00:00Z'), lookbackHours: 24 });
    expect(far).toMatchObject({ partitions: 0, compactedObjects: 0 });
    const near = await p.compact({ clock: at('2026-11-01T20:00:00Z'), lookbackHours: 24 });
    expect(near).toMatchObject({ partitions: 2, compactedObjects: 2 });
  });

  it('splits a partition into objects of the target size', async () => {
    const p = await setup();
    for (const b of batches(6, 10)) await p.land(b);
    const sizes: number[] = [];
    for await (const o of p.store.list(RAW_PREFIX)) sizes.push(o.size);
    const target = Math.max(...sizes) * 2.5; // two or three originals an object
    const report = await p.compact({ targetBytes: target });
    expect(report.compactedObjects).toBeGreaterThanOrEqual(4);
    expect(report.objectsAfter).toBe(report.compactedObjects);
    const run = await p.run();
    expect(run.eventsLoaded).toBe(60);
    expect(await p.raw()).toEqual({ rows: 60, ids: 60 });
  });

  it('with --dry-run reports the same plan and changes nothing', async () => {
    const p = await setup();
    for (const b of batches(3, 10)) await p.land(b);
    const before = await p.keys();
    const dry = await p.compact({ dryRun: true });
    expect(dry).toMatchObject({
      dryRun: true,
      compactedObjects: 2,
      originalsReplaced: 6,
      objectsAfter: 2,
      puts: 0,
    });
    expect(await p.keys()).toEqual(before);
    expect(await p.warehouse.query('SELECT * FROM elt_compacted_objects')).toEqual([]);
  });

  it('leaves a partition with an unreadable original as it is and says why, compacting the others', async () => {
    const p = await setup();
    for (const b of batches(3, 10)) await p.land(b);
    const [bad] = (await p.keys()).filter((k) => k.includes('UserLoggedIn'));
    await p.store.put(bad!, Buffer.from('not gzip'));
    const report = await p.compact();
    expect(report.compactedObjects).toBe(1);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toContain(bad);
    expect(report.problems[0]).toMatch(/cannot read .* as gzip NDJSON/);
    expect((await p.keys()).filter((k) => k.includes('UserLoggedIn'))).toHaveLength(3);
  });

  // A crash after each step, for a partition of loaded and one of unloaded originals: the next ELT run and
  // the next compaction handle the state it leaves; no event is lost or loaded twice.
  for (const loadedFirst of [true, false]) {
    for (const [step, nth] of [
      ['recorded', 1],
      ['written', 1],
      ['deleted', 1],
      ['deleted', 3],
    ] as const) {
      it(`after a crash ${step === 'deleted' ? `after deleting original ${nth}` : `after the ${step} step`} (${loadedFirst ? 'loaded' : 'unloaded'} originals)`, async () => {
        const p = await setup();
        for (const b of batches(4, 10)) await p.land(b);
        if (loadedFirst) await p.run();
        await expect(p.compact({ onStep: crashAt(step, nth) })).rejects.toThrow(Crash);
        // The store holds every event at least once whatever the step.
        expect(await p.stored()).toBeGreaterThanOrEqual(40);
        // An ELT run in between: never an event twice.
        await p.run();
        const between = await p.raw();
        expect(between.rows).toBe(between.ids);
        // The next compaction finishes the work, and the next run loads what is left.
        const next = await p.compact();
        expect(next.problems).toEqual([]);
        await p.run();
        expect(await p.raw()).toEqual({ rows: 40, ids: 40 });
        const keys = await p.keys();
        expect(keys).toHaveLength(2);
        expect(keys.every((k) => k.includes('/compacted-'))).toBe(true);
        expect(await p.stored()).toBe(40);
        // And nothing more happens after that.
        expect(await p.compact()).toMatchObject({ compactedObjects: 0, leftoversRemoved: 0, resumed: 0 });
        expect((await p.run()).objectsLoaded).toBe(0);
      });
    }
  }

  it('stops before a partition that would not fit before the deadline, and the next compaction goes on', async () => {
    const p = await setup();
    for (const b of batches(3, 10)) await p.land(b);
    const stopped = await p.compact({ deadline: Date.now() + 1000 });
    expect(stopped).toMatchObject({ complete: false, compactedObjects: 0, closedPartitions: 2 });
    expect(await p.keys()).toHaveLength(6);
    expect(await p.compact()).toMatchObject({ complete: true, compactedObjects: 2 });
  });

  it('does not compact while an ELT run holds the run lock', async () => {
    const p = await setup();
    for (const b of batches(2, 10)) await p.land(b);
    await p.warehouse.ensureSchema();
    const lock = {
      ...p.warehouse.runLock,
      claim: async () => 'run-20261125T110000Z-aaaaaa',
      release: async () => {},
    };
    const warehouse = Object.assign(
      Object.create(Object.getPrototypeOf(p.warehouse) as object),
      p.warehouse,
      {
        runLock: lock,
      },
    ) as DuckDbWarehouse;
    const report = await compactRaw({ store: p.store, warehouse, clock: LATER });
    expect(report.lockedBy).toBe('run-20261125T110000Z-aaaaaa');
    expect(report.compactedObjects).toBe(0);
    expect(await p.keys()).toHaveLength(4);
  });
});

describe('recordStatements', () => {
  const originals = Array.from({ length: 600 }, (_v, i) => ({
    key: `raw/source=marketplace.web/detail_type=BidCreated/dt=2026-11-01/hour=10/part-${String(i).padStart(32, '0')}.ndjson.gz`,
    size: 1000 + i,
  }));
  const key =
    'raw/source=marketplace.web/detail_type=BidCreated/dt=2026-11-01/hour=10/compacted-loaded-00000000000000000000000000000000.ndjson.gz';

  it('fits a Redshift Data API batch: the ledger lock first, at most 40 statements, each under 100 KB', () => {
    const statements = recordStatements(
      { dialect: redshiftDialect },
      parseRunId('run-20261125T120000Z-abcdef'),
      key,
      123,
      originals,
      true,
    );
    expect(statements[0]).toBe('LOCK elt_loaded_objects');
    expect(statements.length).toBeLessThanOrEqual(40);
    for (const s of statements) expect(Buffer.byteLength(s)).toBeLessThan(100_000);
    expect(statements.at(-1)).toContain(`SELECT '${key}', 123, 0`);
  });

  it('refuses a key that is not a safe object key, so no text reaches the SQL unchecked', () => {
    expect(() =>
      recordStatements(
        { dialect: redshiftDialect },
        parseRunId('run-20261125T120000Z-abcdef'),
        "raw/x/it's.ndjson.gz",
        1,
        [],
        true,
      ),
    ).toThrow(/not a safe object key/);
  });
});
