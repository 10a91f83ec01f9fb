import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { DuckDbWarehouse } from '../../lib/adapters/warehouse/duckdb-warehouse.js';
import { PostgresWarehouse } from '../../lib/adapters/warehouse/postgres-warehouse.js';
import { EltRunFailedError, runElt } from '../../lib/core/elt/run-elt.js';
import { parseModel, type Model } from '../../lib/core/elt/models.js';
import { loadModels } from '../../lib/core/elt/sql-sources.js';
import { jsonPath } from '../../lib/core/elt/dialect.js';
import { createEventValidator } from '../../lib/core/events/validator.js';
import { landBatch } from '../../lib/core/landing/land-batch.js';
import type { EltWarehouse } from '../../lib/core/ports.js';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { envelope } from '../support/envelopes.js';
import { postgresServer, scratchDatabase } from '../support/postgres.js';

// The bad input of the warehouse path, on each real warehouse here: strings warehouses reject never reach
// them (quarantined at landing with a reason), and awkward but valid strings load and come back verbatim.
const BIG = 'é'.repeat(150 * 1024); // 300 KB of UTF-8 in one string
const HOSTILE = `'); DROP TABLE raw_events; -- "quoted" \\ back\\slash 🦆 tab\tnewline\n`;

const uuid = (n: number): string => `6f1c1f1e-8a7b-4c5d-9e0f-${String(n).padStart(12, '0')}`;
const records = [
  {
    id: 'big',
    body: JSON.stringify(envelope('ItemListed', { id: 'e-big', detail: { eventId: uuid(1), note: BIG } })),
  },
  {
    id: 'hostile',
    body: JSON.stringify(
      envelope('PageViewed', { id: 'e-hostile', detail: { eventId: uuid(2), note: HOSTILE } }),
    ),
  },
  {
    id: 'nul',
    body: JSON.stringify(
      envelope('PageViewed', { id: 'e-nul', detail: { eventId: uuid(3), note: 'a\u0000b' } }),
    ),
  },
  {
    id: 'surrogate',
    body: JSON.stringify(envelope('PageViewed', { id: 'e-sur', detail: { eventId: uuid(4) } })).replace(
      /}}$/,
      ',"note":"\\ud800"}}',
    ),
  },
  {
    id: 'int64',
    body: JSON.stringify(envelope('BidCreated', { id: 'e-int', detail: { eventId: uuid(5) } })).replace(
      /"amountMinor":\d+/,
      '"amountMinor":9223372036854775808',
    ),
  },
];

const opens: [string, () => Promise<{ warehouse: EltWarehouse; close: () => Promise<void> }>][] = [
  [
    'DuckDB',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'elt-bad-duck-'));
      const warehouse = await DuckDbWarehouse.open(join(dir, 'w.duckdb'));
      return { warehouse, close: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const db = await scratchDatabase(await postgresServer());
      return { warehouse: await PostgresWarehouse.open(db.url), close: db.drop };
    },
  ],
];

describe.each(opens)('bad input on %s', (_name, open) => {
  let dir: string;
  let store: FsObjectStore;
  let warehouse: EltWarehouse;
  let close: () => Promise<void>;
  let quarantine: { ref: string; code: string; reason: string }[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'elt-bad-'));
    store = new FsObjectStore(dir, { durable: false });
    ({ warehouse, close } = await open());
    const result = await landBatch(records, {
      store,
      validator: createEventValidator(),
      clock: { now: () => new Date('2026-11-25T10:00:00Z') },
    });
    expect(result.failedIds).toEqual([]);
    const text = gunzipSync(await store.get(result.quarantineKey!)).toString('utf8');
    quarantine = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ref: string; code: string; reason: string });
  }, 600_000);

  afterAll(async () => {
    await warehouse?.close();
    await close?.();
    await rm(dir, { recursive: true, force: true });
  });

  it('quarantines NUL, an unpaired surrogate and an integer beyond int64 at landing, each with its reason', () => {
    expect(quarantine.map((q) => [q.ref, q.code]).sort()).toEqual([
      ['int64', 'SCHEMA_VIOLATION'],
      ['nul', 'MALFORMED_STRING'],
      ['surrogate', 'MALFORMED_STRING'],
    ]);
    const reason = Object.fromEntries(quarantine.map((q) => [q.ref, q.reason]));
    expect(reason.nul).toContain('NUL character');
    expect(reason.surrogate).toContain('unpaired UTF-16 surrogate');
    expect(reason.int64).toContain('detail.amountMinor must be <= 9007199254740991');
  });

  it('loads and transforms the valid events, a 300 KB string and hostile text verbatim', async () => {
    const run = await runElt({
      warehouse,
      store,
      clock: { now: () => new Date() },
      models: loadModels(),
    });
    expect(run.status).toBe('succeeded');
    expect(run.eventsLoaded).toBe(2);
    const d = warehouse.dialect;
    const rows = await warehouse.query(
      `SELECT event_id, ${d.jsonText('detail', jsonPath('note'), 65535)} AS note FROM stg_events ORDER BY event_id`,
    );
    // Compared by digest: a 300 KB string in a failure message helps no one.
    const digest = (v: unknown): string => createHash('sha256').update(String(v)).digest('hex').slice(0, 16);
    expect(rows.map((r) => [r.event_id, digest(r.note), String(r.note).length])).toEqual([
      [uuid(1), digest(BIG), BIG.length],
      [uuid(2), digest(HOSTILE), HOSTILE.length],
    ]);
  });

  it('fails a run whose model has an SQL error, naming the model and the database message', async () => {
    const broken: Model = parseModel(
      'mart_broken',
      "-- description: a typo\nselect no_such_column from {{ ref('stg_events') }}",
    );
    const error = await runElt({
      warehouse,
      store,
      clock: { now: () => new Date() },
      models: [...loadModels(), broken],
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EltRunFailedError);
    const run = (error as EltRunFailedError).run;
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/model mart_broken failed: .*no_such_column/i);
    const [recorded] = await warehouse.listRuns(1);
    expect(recorded?.error).toBe(run.error);
    // The published tables are untouched.
    expect(await warehouse.query('SELECT COUNT(*) AS n FROM stg_events')).toEqual([{ n: expect.anything() }]);
  });
});
