import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { PostgresWarehouse } from '../../lib/adapters/warehouse/postgres-warehouse.js';
import { parseModel } from '../../lib/core/elt/models.js';
import { EltRunFailedError, runElt, type EltRunOptions } from '../../lib/core/elt/run-elt.js';
import { loadModels } from '../../lib/core/elt/sql-sources.js';
import type { EventEnvelope } from '../../lib/core/events/envelope.js';
import { createEventValidator } from '../../lib/core/events/validator.js';
import { landBatch } from '../../lib/core/landing/land-batch.js';
import { systemClock, type RunRecord } from '../../lib/core/ports.js';
import { envelope } from '../support/envelopes.js';
import { useScratchDatabase } from '../support/scratch-database.js';
import { useTempDirs } from '../support/temp-dir.js';

// Publishing must keep each live table itself: a grant an administrator made on a mart, and a view a
// reader built on one, survive every later run (dropping and renaming the build in place lost the grant
// and, once a view existed, failed every publish after). The same holds on Redshift, where a schema-bound
// view blocks DROP TABLE too (r_DROP_VIEW.html).
const tempDir = useTempDirs();
const database = useScratchDatabase();
const suffix = randomBytes(3).toString('hex');
const ANALYST = `analyst_${suffix}`;
const BI = `bi_${suffix}`;
const validator = createEventValidator();
const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const login = (n: number, day: string): EventEnvelope =>
  envelope('UserLoggedIn', {
    id: `bus-${n}`,
    time: `${day}T10:00:00Z`,
    detail: { eventId: uuid(n), userId: `u_${n}` },
  });

async function sql<T = Record<string, unknown>>(text: string, role?: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: database() });
  await c.connect();
  try {
    if (role) await c.query(`SET ROLE ${role}`);
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

let store: FsObjectStore;
async function land(envelopes: readonly EventEnvelope[]): Promise<void> {
  const result = await landBatch(
    envelopes.map((e) => ({ id: e.id, body: JSON.stringify(e) })),
    { store, validator, clock: systemClock },
  );
  expect(result.failedIds).toEqual([]);
}
async function run(options: Partial<EltRunOptions> = {}): Promise<RunRecord> {
  const warehouse = await PostgresWarehouse.open(database());
  try {
    return await runElt({ warehouse, store, clock: systemClock, models: loadModels(), ...options });
  } finally {
    await warehouse.close();
  }
}

beforeAll(async () => {
  store = new FsObjectStore(await tempDir(), { durable: false });
  await sql(`CREATE ROLE ${ANALYST}`);
  await sql(`CREATE ROLE ${BI}`);
  // PostgreSQL 15 no longer lets every user create in schema public; Redshift does.
  await sql(`GRANT USAGE, CREATE ON SCHEMA public TO ${ANALYST}`);
  await sql(`GRANT USAGE ON SCHEMA public TO ${BI}`);
});
afterAll(async () => {
  for (const role of [ANALYST, BI]) {
    await sql(`DROP OWNED BY ${role}`).catch(() => undefined);
    await sql(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  }
});

describe('publishing on PostgreSQL', () => {
  it("keeps an administrator's grant and a reader's view on a mart through every later run", async () => {
    await land([login(1, '2026-11-01')]);
    expect((await run()).status).toBe('succeeded');
    await sql(`GRANT SELECT ON mart_daily_active_users TO ${ANALYST}`);
    await sql('CREATE VIEW analyst_dau AS SELECT day, users FROM mart_daily_active_users', ANALYST);

    await land([login(2, '2026-11-02'), login(3, '2026-11-02')]);
    expect((await run()).status).toBe('succeeded');
    await land([login(4, '2026-11-03')]);
    expect((await run()).status).toBe('succeeded');

    // The analyst still reads the mart, through the grant and through the view, and sees the new rows.
    expect(
      await sql('SELECT CAST(day AS TEXT) AS day, users FROM analyst_dau ORDER BY day', ANALYST),
    ).toEqual([
      { day: '2026-11-01', users: '1' },
      { day: '2026-11-02', users: '2' },
      { day: '2026-11-03', users: '1' },
    ]);
    expect(await sql('SELECT COUNT(*) AS n FROM mart_daily_active_users', ANALYST)).toEqual([{ n: '3' }]);
    // Nothing of the builds is left behind.
    expect(
      await sql("SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%\\_\\_%'"),
    ).toEqual([]);
  }, 120_000);

  it('grants the configured readers SELECT on every model at every publish', async () => {
    await land([login(5, '2026-11-04')]);
    expect((await run({ readers: { roles: [BI] } })).status).toBe('succeeded');
    for (const model of loadModels())
      expect(await sql(`SELECT COUNT(*) >= 0 AS ok FROM ${model.name}`, BI)).toEqual([{ ok: true }]);
    // A reader that does not exist yet (on Redshift: an IAM identity that never signed in) is a warning,
    // not a failed publish: a GRANT to it would fail the whole transaction.
    await land([login(6, '2026-11-05')]);
    const warned = await run({ readers: { roles: [BI], users: ['IAM:nobody-yet'] } });
    expect(warned.status).toBe('succeeded');
    expect(warned.tests).toContainEqual({
      name: 'reader exists(user IAM:nobody-yet)',
      failures: 1,
      warn: true,
    });
    // Without the setting nobody else reads them.
    const denied = await sql('SELECT 1 FROM mart_signup_funnel', ANALYST).catch((e: Error) => e.message);
    expect(denied).toBe('permission denied for table mart_signup_funnel');
  }, 120_000);

  it('replaces a model whose columns changed, and says what to do when a view depends on it', async () => {
    const withMart = (select: string) => [...loadModels(), parseModel('mart_shape', select)];
    expect((await run({ models: withMart('select 1 as a') })).status).toBe('succeeded');
    await sql('CREATE VIEW shape_view AS SELECT a FROM mart_shape');
    const failed = await run({ models: withMart('select 1 as a, 2 as b') }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(EltRunFailedError);
    expect((failed as EltRunFailedError).run.error).toMatch(
      /^publishing failed while replacing mart_shape, whose columns changed \(a changed model is a new table\): cannot drop table mart_shape because other objects depend on it\. If a view depends on the table, drop the view, run again, and create it again on the new columns$/,
    );
    await sql('DROP VIEW shape_view');
    expect((await run({ models: withMart('select 1 as a, 2 as b') })).status).toBe('succeeded');
    expect(await sql('SELECT a, b FROM mart_shape')).toEqual([{ a: 1, b: 2 }]);
  }, 120_000);
});
