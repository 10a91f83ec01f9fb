import { afterEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../lib/adapters/store/fs-object-store.js';
import { DuckDbWarehouse } from '../../../lib/adapters/warehouse/duckdb-warehouse.js';
import { parseModel, type Model } from '../../../lib/core/elt/models.js';
import { EltRunFailedError, runElt, type EltRunOptions } from '../../../lib/core/elt/run-elt.js';
import {
  MAX_RUN_ERROR_CHARS,
  capText,
  loadRun,
  planRun,
  publishRun,
  testRun,
  transformRun,
} from '../../../lib/core/elt/elt-steps.js';
import type { EventEnvelope } from '../../../lib/core/events/envelope.js';
import { createEventValidator } from '../../../lib/core/events/validator.js';
import { landBatch } from '../../../lib/core/landing/land-batch.js';
import type { Clock, RunRecord } from '../../../lib/core/ports.js';
import { loadModels } from '../../../lib/core/elt/sql-sources.js';
import { envelope } from '../../support/envelopes.js';
import { useTempDirs } from '../../support/temp-dir.js';

const tempDir = useTempDirs();
const validator = createEventValidator();
const models = loadModels();
const opened: DuckDbWarehouse[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((w) => w.close()));
});

/** A clock one second further on at every reading, so runs are ordered and durations are exact. */
function tickingClock(start = '2026-11-25T10:00:00Z'): Clock {
  let t = new Date(start).getTime();
  return {
    now: () => {
      const d = new Date(t);
      t += 1000;
      return d;
    },
  };
}

const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** A valid envelope: bus id `bus-<n>`, detail.eventId from `n` unless given. */
function event(
  detailType: string,
  n: number,
  time: string,
  detail: Record<string, unknown> = {},
): EventEnvelope {
  return envelope(detailType, { id: `bus-${n}`, time, detail: { eventId: uuid(n), ...detail } });
}

// One day of a small marketplace: two sign-ups (u_1 goes on to view and bid, u_2 bids without viewing),
// logins, a listing and two bids on the same item in different hours.
const FIRST_BATCH = [
  event('ItemListed', 1, '2026-11-01T09:00:00Z', { userId: 'u_3', itemId: 'i_42' }),
  event('UserSignedUp', 2, '2026-11-01T10:00:00Z', { userId: 'u_1' }),
  event('UserLoggedIn', 3, '2026-11-01T10:01:00Z', { userId: 'u_1' }),
  event('PageViewed', 4, '2026-11-01T10:05:00Z', { userId: 'u_1' }),
  event('BidCreated', 5, '2026-11-01T10:10:00Z', { userId: 'u_1', itemId: 'i_42', amountMinor: 3100 }),
  event('UserSignedUp', 6, '2026-11-01T10:30:00Z', { userId: 'u_2' }),
  event('UserLoggedIn', 7, '2026-11-01T10:31:30Z', { userId: 'u_2' }),
  event('BidCreated', 8, '2026-11-01T11:15:00Z', { userId: 'u_2', itemId: 'i_42', amountMinor: 3500 }),
];
// Six partitions: ItemListed/09, UserSignedUp/10, UserLoggedIn/10, PageViewed/10, BidCreated/10, BidCreated/11.
const FIRST_BATCH_OBJECTS = 6;

const SECOND_BATCH = [
  event('UserSignedUp', 9, '2026-11-02T08:00:00Z', { userId: 'u_4' }),
  event('UserLoggedIn', 10, '2026-11-02T08:00:30Z', { userId: 'u_4' }),
];

interface Pipeline {
  readonly store: FsObjectStore;
  readonly warehouse: DuckDbWarehouse;
  readonly clock: Clock;
  land(envelopes: readonly EventEnvelope[]): Promise<string[]>;
  run(options?: Partial<EltRunOptions>): Promise<RunRecord>;
}

async function pipeline(): Promise<Pipeline> {
  const store = new FsObjectStore(await tempDir(), { durable: false });
  const warehouse = await DuckDbWarehouse.open(':memory:');
  opened.push(warehouse);
  const clock = tickingClock();
  return {
    store,
    warehouse,
    clock,
    async land(envelopes) {
      const result = await landBatch(
        envelopes.map((e) => ({ id: `msg-${e.id}`, body: JSON.stringify(e) })),
        { store, validator, clock: { now: () => new Date('2026-11-25T09:00:00Z') } },
      );
      if (result.failedIds.length > 0 || result.quarantined > 0)
        throw new Error(`landing failed: ${result.errors.join('; ')}`);
      return result.objects.map((o) => o.key).sort();
    },
    run: (options = {}) => runElt({ warehouse, store, clock, models, ...options }),
  };
}

const MARTS = {
  mart_daily_active_users:
    'SELECT CAST(day AS VARCHAR) AS day, users FROM mart_daily_active_users ORDER BY day',
  mart_logins_per_minute:
    'SELECT CAST(minute AS VARCHAR) AS minute, logins FROM mart_logins_per_minute ORDER BY minute',
  mart_bids_per_item_hour: `SELECT item_id, CAST(hour AS VARCHAR) AS hour, currency, bids, bidders,
                              max_amount_minor, CAST(total_amount_minor AS BIGINT) AS total_amount_minor
                            FROM mart_bids_per_item_hour ORDER BY item_id, hour`,
  mart_signup_funnel: `SELECT CAST(signup_day AS VARCHAR) AS signup_day, signed_up, viewed_page, placed_bid
                       FROM mart_signup_funnel ORDER BY signup_day`,
} as const;

async function marts(w: DuckDbWarehouse): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(MARTS)) out[name] = await w.query(sql);
  return out;
}

async function failure(promise: Promise<unknown>): Promise<EltRunFailedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EltRunFailedError);
  return error as EltRunFailedError;
}

/** A copy of the model list with one more model. */
const modelsWith = (name: string, text: string): Model[] => [...models, parseModel(name, text)];

describe('runElt', () => {
  describe('a first run', () => {
    it('loads every landed object and event and records a succeeded run', async () => {
      const p = await pipeline();
      await p.land(FIRST_BATCH);

      const run = await p.run({ runId: 'run-1' });

      expect(run).toMatchObject({
        runId: 'run-1',
        status: 'succeeded',
        startedAt: '2026-11-25T10:00:00.000Z',
        objectsLoaded: FIRST_BATCH_OBJECTS,
        eventsLoaded: FIRST_BATCH.length,
      });
      expect(run.error).toBeUndefined();
      expect(await p.warehouse.query('SELECT COUNT(*) AS n FROM raw_events')).toEqual([{ n: 8 }]);
    });

    it('builds every model, stg_events before the marts, and passes every data test', async () => {
      const p = await pipeline();
      await p.land(FIRST_BATCH);

      const run = await p.run();

      // No table extracts landed: the marketplace database's dimensions and the marts on them are empty.
      expect(run.models.map((m) => [m.name, m.rows])).toEqual([
        ['stg_oltp_rows', 0],
        ['dim_users', 0],
        ['dim_items', 0],
        ['stg_events', 8],
        // The example BidCreated detail carries a bidId: both bids report the same one, which the
        // reconciliation with the (empty) bids table does not compare.
        ['stg_bid_events', 2],
        ['fct_bids', 0],
        ['mart_bids_by_category_day', 0],
        ['mart_bids_per_item_hour', 2],
        ['mart_daily_active_users', 1],
        ['mart_logins_per_minute', 2],
        ['mart_revenue_by_seller_country', 0],
        ['mart_signup_funnel', 1],
        ['stg_pipeline_events', 0],
        // No stream results landed: nothing to compare.
        ['stg_stream_late_events', 0],
        ['stg_stream_windows', 0],
        ['stream_batch_agreement', 0],
      ]);
      const declared = models.reduce((n, m) => n + m.tests.length, 0);
      expect(run.tests).toHaveLength(declared);
      expect(run.tests.filter((t) => t.failures !== 0)).toEqual([]);
    });

    it('builds stg_events with one typed row per event', async () => {
      const p = await pipeline();
      await p.land(FIRST_BATCH);

      await p.run();

      expect(
        await p.warehouse.query(
          `SELECT event_id, bus_event_id, source, detail_type, CAST(event_time AS VARCHAR) AS event_time,
                  user_id, item_id, amount_minor, currency
           FROM stg_events WHERE detail_type = 'BidCreated' ORDER BY event_time`,
        ),
      ).toEqual([
        {
          event_id: uuid(5),
          bus_event_id: 'bus-5',
          source: 'marketplace.auctions',
          detail_type: 'BidCreated',
          event_time: '2026-11-01 10:10:00',
          user_id: 'u_1',
          item_id: 'i_42',
          amount_minor: 3100,
          currency: 'EUR',
        },
        {
          event_id: uuid(8),
          bus_event_id: 'bus-8',
          source: 'marketplace.auctions',
          detail_type: 'BidCreated',
          event_time: '2026-11-01 11:15:00',
          user_id: 'u_2',
          item_id: 'i_42',
          amount_minor: 3500,
          currency: 'EUR',
        },
      ]);
    });

    it('builds the marts from the landed events', async () => {
      const p = await pipeline();
      await p.land(FIRST_BATCH);

      await p.run();

      expect(await marts(p.warehouse)).toEqual({
        mart_daily_active_users: [{ day: '2026-11-01', users: 3 }],
        mart_logins_per_minute: [
          { minute: '2026-11-01 10:01:00', logins: 1 },
          { minute: '2026-11-01 10:31:00', logins: 1 },
        ],
        mart_bids_per_item_hour: [
          {
            item_id: 'i_42',
            hour: '2026-11-01 10:00:00',
            currency: 'EUR',
            bids: 1,
            bidders: 1,
            max_amount_minor: 3100,
            total_amount_minor: 3100,
          },
          {
            item_id: 'i_42',
            hour: '2026-11-01 11:00:00',
            currency: 'EUR',
            bids: 1,
            bidders: 1,
            max_amount_minor: 3500,
            total_amount_minor: 3500,
          },
        ],
        mart_signup_funnel: [{ signup_day: '2026-11-01', signed_up: 2, viewed_page: 1, placed_bid: 1 }],
      });
    });

    it('records the finished run in the run history', async () => {
      const p = await pipeline();
      await p.land(FIRST_BATCH);

      const run = await p.run();

      expect(await p.warehouse.listRuns(10)).toEqual([run]);
      expect(run.finishedAt).toBe('2026-11-25T10:00:01.000Z');
      expect(run.durationMs).toBe(1000);
    });

    it('loads in chunks of at most maxObjectsPerLoad objects', async () => {
      const p = await pipeline();
      await p.land(FIRST_BATCH);
      const progress: string[] = [];

      const run = await p.run({ maxObjectsPerLoad: 4, onProgress: (m) => progress.push(m) });

      expect(progress.filter((m) => m.startsWith('load:'))).toEqual([
        'load: 4/6 objects, 5 events',
        'load: 6/6 objects, 8 events',
      ]);
      expect(run.eventsLoaded).toBe(8);
    });

    it("loads in the warehouse's own chunk size when the run sets none, and the run's wins when set", async () => {
      const p = await pipeline();
      await p.land(FIRST_BATCH);
      Object.defineProperty(p.warehouse, 'loadChunk', { value: { maxObjects: 2, maxBytes: 1 << 30 } });
      const progress: string[] = [];
      await p.run({ onProgress: (m) => progress.push(m) });
      expect(progress.filter((m) => m.startsWith('load:'))).toHaveLength(3);

      const q = await pipeline();
      await q.land(FIRST_BATCH);
      Object.defineProperty(q.warehouse, 'loadChunk', { value: { maxObjects: 2, maxBytes: 1 << 30 } });
      const chunks: string[] = [];
      await q.run({ maxObjectsPerLoad: 5, onProgress: (m) => chunks.push(m) });
      expect(chunks.filter((m) => m.startsWith('load:'))).toEqual([
        expect.stringMatching(/^load: 5\/6 objects/),
        expect.stringMatching(/^load: 6\/6 objects/),
      ]);
    });
  });

  describe('reruns', () => {
    it('loads nothing when nothing new has landed', async () => {
      const p = await pipeline();
      await p.land(FIRST_BATCH);
      await p.run();

      const second = await p.run();

      expect(second).toMatchObject({ status: 'succeeded', objectsLoaded: 0, eventsLoaded: 0 });
      expect(await p.warehouse.query('SELECT COUNT(*) AS n FROM raw_events')).toEqual([{ n: 8 }]);
    });

    it('rebuilds the same mart rows when nothing new has landed', async () => {
      const p = await pipeline();
      await p.land(FIRST_BATCH);
      await p.run();
      const before = await marts(p.warehouse);

      await p.run();

      expect(await marts(p.warehouse)).toEqual(before);
    });

    it('loads the objects landed since the last run, and only those', async () => {
      const p = await pipeline();
      await p.land(FIRST_BATCH);
      await p.run({ runId: 'run-1' });
      const later = await p.land(SECOND_BATCH);

      const run = await p.run({ runId: 'run-2' });

      expect(run).toMatchObject({ objectsLoaded: later.length, eventsLoaded: SECOND_BATCH.length });
      expect(
        (
          await p.warehouse.query(
            `SELECT object_key FROM elt_loaded_objects WHERE run_id = 'run-2' ORDER BY 1`,
          )
        ).map((r) => r.object_key),
      ).toEqual(later);
      expect(await p.warehouse.query('SELECT COUNT(*) AS n FROM raw_events')).toEqual([{ n: 10 }]);
      expect(await p.warehouse.query(MARTS.mart_daily_active_users)).toEqual([
        { day: '2026-11-01', users: 3 },
        { day: '2026-11-02', users: 1 },
      ]);
    });

    it('lists runs newest first', async () => {
      const p = await pipeline();
      await p.land(FIRST_BATCH);
      await p.run({ runId: 'run-b' });
      await p.run({ runId: 'run-a' });

      expect((await p.warehouse.listRuns(10)).map((r) => r.runId)).toEqual(['run-a', 'run-b']);
    });
  });

  describe('duplicates', () => {
    it('keeps one stg_events row, the earliest copy, for an event republished with a new bus id', async () => {
      const p = await pipeline();
      await p.land(FIRST_BATCH);
      const original = FIRST_BATCH[4]!;
      const republished: EventEnvelope = { ...original, id: 'bus-republished', time: '2026-11-01T10:10:05Z' };
      await p.land([republished]);

      await p.run();

      expect(
        await p.warehouse.query(
          `SELECT COUNT(*) AS n FROM raw_events WHERE id IN ('bus-5', 'bus-republished')`,
        ),
      ).toEqual([{ n: 2 }]);
      expect(
        await p.warehouse.query(`SELECT bus_event_id FROM stg_events WHERE event_id = $1`, [uuid(5)]),
      ).toEqual([{ bus_event_id: 'bus-5' }]);
      expect(await p.warehouse.query(MARTS.mart_bids_per_item_hour)).toMatchObject([
        { bids: 1 },
        { bids: 1 },
      ]);
    });
  });

  describe('a model with an SQL error', () => {
    const broken = "select no_such_column from {{ ref('stg_events') }}";

    it('fails the run with EltRunFailedError naming the model', async () => {
      const p = await pipeline();
      await p.land(FIRST_BATCH);

      const error = await failure(p.run({ runId: 'run-1', models: modelsWith('mart_broken', broken) }));

      expect(error.message).toMatch(/^ELT run run-1 failed: model mart_broken failed: /);
      expect(error.run).toMatchObject({ runId: 'run-1', status: 'failed' });
    });

    it('records the failed run, with its error, in the run history', async () => {
      const p = await pipeline();
      await p.land(FIRST_BATCH);

      const error = await failure(p.run({ models: modelsWith('mart_broken', broken) }));

      const [recorded] = await p.warehouse.listRuns(1);
      expect(recorded).toEqual(error.run);
      expect(recorded?.error).toMatch(/^model mart_broken failed: .*no_such_column/);
    });

    it('keeps the objects it loaded, so the next run does not load them again', async () => {
      const p = await pipeline();
      await p.land(FIRST_BATCH);
      await failure(p.run({ models: modelsWith('mart_broken', broken) }));

      const next = await p.run();

      expect(next).toMatchObject({ status: 'succeeded', objectsLoaded: 0 });
      expect(await p.warehouse.query('SELECT COUNT(*) AS n FROM stg_events')).toEqual([{ n: 8 }]);
    });
  });

  describe('a failing data test', () => {
    const nullReferrer = [
      '-- test: not_null user_id, referrer',
      "select user_id, cast(null as varchar) as referrer from {{ ref('stg_events') }}",
    ].join('\n');

    it('fails the run naming the test and its failing row count', async () => {
      const p = await pipeline();
      await p.land(FIRST_BATCH);

      const error = await failure(p.run({ models: modelsWith('mart_referrers', nullReferrer) }));

      expect(error.run.error).toBe(
        'data tests failed (nothing published): not_null(mart_referrers.referrer): 8 row(s)',
      );
      expect(error.run.tests).toContainEqual({ name: 'not_null(mart_referrers.referrer)', failures: 8 });
      expect(error.run.tests).toContainEqual({ name: 'not_null(mart_referrers.user_id)', failures: 0 });
      expect((await p.warehouse.listRuns(1))[0]).toEqual(error.run);
    });

    it('rolls the models back, leaving the previous tables as they were', async () => {
      const p = await pipeline();
      await p.land(FIRST_BATCH);
      await p.run();
      const before = await marts(p.warehouse);
      await p.land(SECOND_BATCH);

      await failure(p.run({ models: modelsWith('mart_referrers', nullReferrer) }));

      expect(await marts(p.warehouse)).toEqual(before);
      expect(await p.warehouse.query('SELECT COUNT(*) AS n FROM stg_events')).toEqual([{ n: 8 }]);
      expect(
        await p.warehouse.query(
          `SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = 'mart_referrers'`,
        ),
      ).toEqual([{ n: 0 }]);
    });
  });
});

describe('incremental staging', () => {
  const stgCount = async (w: DuckDbWarehouse): Promise<number> =>
    Number((await w.query('SELECT COUNT(*) AS n FROM stg_events'))[0]!.n);
  const leftovers = async (w: DuckDbWarehouse) =>
    w.query(
      "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%\\_\\_build' ESCAPE '\\' OR table_name LIKE '%\\_\\_new' ESCAPE '\\'",
    );

  it('appends only the events new since the last published run, and a republished event not at all', async () => {
    const p = await pipeline();
    await p.land(FIRST_BATCH);
    await p.run({ runId: 'run-1' });
    // A later batch with two new events and a republication (new bus id, same eventId) of one already staged.
    await p.land([
      ...SECOND_BATCH,
      envelope('UserLoggedIn', {
        id: 'bus-again',
        time: '2026-11-01T10:01:00Z',
        detail: { eventId: uuid(3), userId: 'u_1' },
      }),
    ]);
    const run = await p.run({ runId: 'run-2' });
    expect(await stgCount(p.warehouse)).toBe(FIRST_BATCH.length + SECOND_BATCH.length);
    expect(run.models.find((m) => m.name === 'stg_events')?.rows).toBe(
      FIRST_BATCH.length + SECOND_BATCH.length,
    );
    expect(await leftovers(p.warehouse)).toEqual([]);
    // Only the second run's rows were candidates: the first run's raw rows were already merged.
    const raw = await p.warehouse.query("SELECT COUNT(*) AS n FROM raw_events WHERE run_id = 'run-2'");
    expect(raw[0]!.n).toBe(SECOND_BATCH.length + 1);
  });

  it('merges the rows of a run that loaded and then failed in the next run that publishes', async () => {
    const p = await pipeline();
    await p.land(FIRST_BATCH);
    await p.run({ runId: 'run-1' });
    await p.land(SECOND_BATCH);
    await failure(
      p.run({ runId: 'run-2', models: modelsWith('mart_broken', 'select * from no_such_table') }),
    );
    expect(await stgCount(p.warehouse)).toBe(FIRST_BATCH.length);
    expect(await leftovers(p.warehouse)).toEqual([]);
    const run = await p.run({ runId: 'run-3' });
    expect(run.objectsLoaded).toBe(0);
    expect(await stgCount(p.warehouse)).toBe(FIRST_BATCH.length + SECOND_BATCH.length);
  });

  it('rebuilds incremental models from all raw data with fullRefresh', async () => {
    const p = await pipeline();
    await p.land(FIRST_BATCH);
    await p.run({ runId: 'run-1' });
    await p.warehouse.execute('DELETE FROM stg_events');
    await p.run({ runId: 'run-2' });
    expect(await stgCount(p.warehouse)).toBe(0);
    await p.run({ runId: 'run-3', fullRefresh: true });
    expect(await stgCount(p.warehouse)).toBe(FIRST_BATCH.length);
  });
});

describe('freshness', () => {
  it('warns, and still publishes, when the newest staged row is older than its limit (a quiet pipeline)', async () => {
    const p = await pipeline();
    await p.land(FIRST_BATCH);
    await p.run();
    // Three quiet days later only a republished copy of an event arrives: nothing new reaches stg_events.
    await p.warehouse.execute("UPDATE stg_events SET loaded_at = loaded_at - INTERVAL '3 days'");
    await p.land([
      envelope('UserLoggedIn', {
        id: 'bus-again',
        time: '2026-11-01T10:01:00Z',
        detail: { eventId: uuid(3), userId: 'u_1' },
      }),
    ]);

    const run = await p.run();

    expect(run.status).toBe('succeeded');
    expect(run.error).toBeUndefined();
    expect(run.tests).toContainEqual({
      name: 'freshness(stg_events.loaded_at ≤ 48h)',
      failures: 1,
      warn: true,
    });
    expect((await p.warehouse.listRuns(1))[0]?.tests).toContainEqual({
      name: 'freshness(stg_events.loaded_at ≤ 48h)',
      failures: 1,
      warn: true,
    });
  });
});

describe('steps under a deadline', () => {
  it('loads one chunk and builds one model per call once the deadline has passed, and finishes when called again', async () => {
    const p = await pipeline();
    await p.land(FIRST_BATCH);
    const ctx = { warehouse: p.warehouse, store: p.store, clock: p.clock, models, maxObjectsPerLoad: 2 };
    let state = await planRun(ctx, 'run-deadline');
    expect(state).toMatchObject({ pendingObjects: FIRST_BATCH_OBJECTS, loadComplete: false });
    const loads: number[] = [];
    while (state.loadComplete === false) {
      state = await loadRun({ ...ctx, deadline: Date.now() - 1 }, state);
      loads.push(state.objectsLoaded);
    }
    expect(loads).toEqual([2, 4, 6]);
    const built: number[] = [];
    do {
      state = await transformRun({ ...ctx, deadline: Date.now() - 1 }, state);
      built.push(state.models.length);
    } while (state.transformComplete === false);
    expect(built).toEqual(models.map((_, i) => i + 1));
    state = await testRun(ctx, state);
    await publishRun(ctx, state);

    const reference = await pipeline();
    await reference.land(FIRST_BATCH);
    await reference.run();
    expect(await marts(p.warehouse)).toEqual(await marts(reference.warehouse));
  });

  it('does everything in one call when the deadline leaves time', async () => {
    const p = await pipeline();
    await p.land(FIRST_BATCH);
    const ctx = {
      warehouse: p.warehouse,
      store: p.store,
      clock: p.clock,
      models,
      maxObjectsPerLoad: 2,
      deadline: Date.now() + 600_000,
    };
    const planned = await planRun(ctx, 'run-roomy');
    expect(await loadRun(ctx, planned)).toMatchObject({ loadComplete: true, objectsLoaded: 6 });
  });
});

describe('limits', () => {
  it('refuses, at the plan and before touching the warehouse, models too many to publish in one transaction', async () => {
    const p = await pipeline();
    const tight = Object.create(p.warehouse, {
      maxStatementsPerTransaction: { value: 10 },
    }) as DuckDbWarehouse;
    const many = [...models, ...[1, 2, 3].map((i) => parseModel(`mart_extra_${i}`, 'select 1 as x'))];
    await expect(planRun({ warehouse: tight, store: p.store, clock: p.clock, models: many })).rejects.toThrow(
      `publishing 19 models needs up to 39 statements in one transaction, and ${p.warehouse.describe()} takes at most 10: keep to 4 models (2 statements each, plus 1 for the readers' grants and the run lock), or fewer readers`,
    );
    expect(
      await p.warehouse.query(
        "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = 'elt_runs'",
      ),
    ).toEqual([{ n: 0 }]);
  });

  it("keeps at most 4,000 characters of a failed run's error, so the history row stays listable", async () => {
    const p = await pipeline();
    await p.land(FIRST_BATCH);
    const error = await failure(
      p.run({ models: modelsWith('mart_long', `select * from "${'x'.repeat(10_000)}"`) }),
    );
    expect(error.run.error!.length).toBeLessThanOrEqual(MAX_RUN_ERROR_CHARS);
    expect(error.run.error).toMatch(/more characters cut\]$/);
    expect((await p.warehouse.listRuns(1))[0]?.error).toBe(error.run.error);
  });

  it('cuts text to its limit and says how much it cut', () => {
    expect(capText('abc', 10)).toBe('abc');
    const cut = capText('x'.repeat(100), 40);
    expect(cut).toHaveLength(40);
    expect(cut).toMatch(/^x+ … \[\d+ more characters cut\]$/);
  });
});

describe('the watermark of a warehouse', () => {
  it('after two loads inside the margin, a plan with nothing new stops before the warehouse', async () => {
    // Every object here is written within seconds, so all of them stay inside the watermark's 15-minute
    // margin: the second run's watermark must remember the first run's keys as well as its own. The plans
    // run as the state machine runs them (stop when nothing is new), between which the pipeline's own
    // outcome events land: never new data.
    const p = await pipeline();
    await p.land(FIRST_BATCH);
    await p.run();
    await p.land(SECOND_BATCH);
    const second = await p.run();
    expect(second.objectsLoaded).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) {
      const plan = await planRun({
        warehouse: p.warehouse,
        store: p.store,
        clock: p.clock,
        models,
        skipWhenNothingNew: true,
      });
      expect(plan.nothingNew, `plan ${i + 1} after the second run: ${plan.pendingObjects ?? 0} pending`).toBe(
        true,
      );
      await p.land([
        envelope('EltRunSucceeded', {
          id: `00000000-0000-4000-8000-00000000010${i}`,
          time: '2026-11-25T10:00:00Z',
        }),
      ]);
    }
  });

  it('is not trusted by another warehouse on the same store, which loads everything', async () => {
    const p = await pipeline();
    await p.land(FIRST_BATCH);
    await p.run();
    const other = await DuckDbWarehouse.open(':memory:');
    opened.push(other);
    const run = await runElt({ warehouse: other, store: p.store, clock: p.clock, models });
    expect(run.objectsLoaded).toBe(FIRST_BATCH_OBJECTS);
    expect(await marts(other)).toEqual(await marts(p.warehouse));
  });

  it('is not trusted by a warehouse recreated under the same name, which loads everything', async () => {
    const p = await pipeline();
    await p.land(FIRST_BATCH);
    await p.run();
    const recreated = await DuckDbWarehouse.open(':memory:');
    opened.push(recreated);
    // The same scope (name), but none of the runs the watermark names.
    const run = await runElt({
      warehouse: recreated,
      store: p.store,
      clock: p.clock,
      models,
      watermarkScope: p.warehouse.describe(),
    });
    expect(run.objectsLoaded).toBe(FIRST_BATCH_OBJECTS);
  });
});
