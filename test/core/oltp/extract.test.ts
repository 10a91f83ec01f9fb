import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { openOltpDatabase } from '../../../lib/adapters/oltp/oltp-database.js';
import { FsObjectStore } from '../../../lib/adapters/store/fs-object-store.js';
import { oltpExtractCommand } from '../../../lib/cli/commands/oltp-extract.js';
import { CliError } from '../../../lib/cli/output.js';
import { OLTP_EXTRACT_PREFIX, parseOltpExtractKey } from '../../../lib/core/landing/object-keys.js';
import {
  extractTables,
  extractWatermarkKey,
  ExtractSourceMissingError,
  ExtractTableUnknownError,
  ExtractWatermarkInvalidError,
  extractLineId,
  readExtractWatermark,
  type ExtractEnvelope,
  type ExtractLine,
} from '../../../lib/core/oltp/extract.js';
import type { OltpDatabase } from '../../../lib/core/oltp/ports.js';
import type { Clock, ObjectStore } from '../../../lib/core/ports.js';
import { DataDir } from '../../../lib/local/data-dir.js';
import { readObjects, readRecords } from '../../support/objects.js';
import { useTempDirs } from '../../support/temp-dir.js';

const tempDir = useTempDirs();

const T0 = Date.parse('2026-12-03T10:00:00Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();
/** A clock standing at T0 + `seconds`. */
const clockAt = (seconds: number): Clock => ({ now: () => new Date(T0 + seconds * 1000) });
const MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

let db: OltpDatabase;
let store: FsObjectStore;

// One embedded database for the file (it takes seconds to start), emptied before each test.
beforeAll(async () => {
  db = await openOltpDatabase('pglite');
  await db.migrate();
});

afterAll(async () => {
  await db.close();
});

beforeEach(async () => {
  await db.query('TRUNCATE bids, items, users');
  store = new FsObjectStore(join(await tempDir(), 'store'), { durable: false });
});

async function addUser(id: string, updatedSeconds: number, deletedSeconds?: number): Promise<void> {
  await db.query(
    `INSERT INTO users (user_id, display_name, email, country, channel, signed_up_at, updated_at, deleted_at)
     VALUES ($1, $2, $3, 'DE', 'web', $4, $4, $5)`,
    [
      id,
      `User ${id}`,
      `${id}@example.com`,
      at(updatedSeconds),
      deletedSeconds === undefined ? null : at(deletedSeconds),
    ],
  );
}

async function addItem(id: string, seller: string, price: number, updatedSeconds: number): Promise<void> {
  await db.query(
    `INSERT INTO items (item_id, seller_id, title, category, starting_price_minor, price_minor, currency, status, listed_at, updated_at)
     VALUES ($1, $2, 'A lamp', 'home', $3, $3, 'EUR', 'open', $4, $4)`,
    [id, seller, price, at(updatedSeconds)],
  );
}

async function addBid(id: string, item: string, bidder: string, updatedAt: string): Promise<void> {
  await db.query(
    `INSERT INTO bids (bid_id, item_id, bidder_id, session_id, amount_minor, currency, placed_at, updated_at)
     VALUES ($1, $2, $3, 's1', 1500, 'EUR', $4, $4)`,
    [id, item, bidder, updatedAt],
  );
}

/** The details (row versions) of every extract line. */
async function lines(s: ObjectStore = store): Promise<ExtractLine[]> {
  return (await readRecords<ExtractEnvelope>(s, OLTP_EXTRACT_PREFIX)).map((e) => e.detail);
}

/** Three users (one deleted), two items, three bids, all at T0 + 1…8 s. */
async function seed(): Promise<void> {
  await addUser('u1', 1);
  await addUser('u2', 2);
  await addUser('u3', 3, 3);
  await addItem('i1', 'u1', 1200, 4);
  await addItem('i2', 'u2', 9_007_199_254_740, 5);
  await addBid('b1', 'i1', 'u2', at(6));
  await addBid('b2', 'i1', 'u3', at(7));
  await addBid('b3', 'i2', 'u1', '2026-12-03T10:00:08.123456Z');
}

describe('extractTables (incremental)', () => {
  it('extracts every row on the first run, in the documented line format, and nothing on the second', async () => {
    await seed();
    const first = await extractTables(db, store, { mode: 'incremental', clock: clockAt(60) });
    expect(first.tables.map((t) => [t.table, t.rows, t.objects, t.deletes])).toEqual([
      ['users', 3, 1, 1],
      ['items', 2, 1, 0],
      ['bids', 3, 1, 0],
    ]);
    expect(first.tables[2]).toMatchObject({
      watermarkBefore: null,
      watermarkAfter: { updatedAt: '2026-12-03T10:00:08.123456Z', key: 'b3' },
    });
    const all = await lines();
    expect(all).toHaveLength(8);
    const u3 = all.find((l) => l.key === 'u3')!;
    expect(u3).toEqual({
      table: 'users',
      op: 'delete',
      key: 'u3',
      updated_at: '2026-12-03T10:00:03.000000Z',
      extracted_at: '2026-12-03T10:01:00.000000Z',
      mode: 'incremental',
      row: {
        user_id: 'u3',
        display_name: 'User u3',
        email: 'u3@example.com',
        country: 'DE',
        channel: 'web',
        signed_up_at: '2026-12-03T10:00:03.000000Z',
        updated_at: '2026-12-03T10:00:03.000000Z',
        deleted_at: '2026-12-03T10:00:03.000000Z',
      },
    });
    expect(Object.keys(u3)).toEqual(['table', 'op', 'key', 'updated_at', 'extracted_at', 'mode', 'row']);
    // Each line is an event envelope around the row version, so the ELT loads it into raw_events.
    const envelopes = await readRecords<ExtractEnvelope>(store, OLTP_EXTRACT_PREFIX);
    const b3 = envelopes.find((e) => e.detail.key === 'b3')!;
    expect(b3).toEqual({
      version: '0',
      id: extractLineId('bids', 'b3', '2026-12-03T10:00:08.123456Z'),
      'detail-type': 'bids',
      source: 'oltp',
      account: '000000000000',
      time: '2026-12-03T10:00:08Z',
      region: 'local',
      resources: [],
      detail: all.find((l) => l.key === 'b3'),
    });
    expect(Object.keys(b3)).toEqual([
      'version',
      'id',
      'detail-type',
      'source',
      'account',
      'time',
      'region',
      'resources',
      'detail',
    ]);
    expect(b3.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // One id per row version: different versions (or rows) differ.
    expect(new Set(envelopes.map((e) => e.id)).size).toBe(envelopes.length);
    expect(extractLineId('bids', 'b3', '2026-12-03T10:00:08.123457Z')).not.toBe(b3.id);
    const i2 = all.find((l) => l.key === 'i2')!;
    expect(i2).toMatchObject({ op: 'upsert', row: { price_minor: 9_007_199_254_740, closed_at: null } });
    expect(all.find((l) => l.key === 'b3')!.row.updated_at).toBe('2026-12-03T10:00:08.123456Z');
    for (const l of all) {
      expect(l.updated_at).toMatch(MICROS);
      expect(l.row.updated_at).toBe(l.updated_at);
    }
    for (const key of first.tables.flatMap((t) => t.objectKeys))
      expect(parseOltpExtractKey(key)).toMatchObject({ dt: '2026-12-03' });
    expect(await readExtractWatermark(store, 'users')).toMatchObject({
      table: 'users',
      updatedAt: '2026-12-03T10:00:03.000000Z',
      key: 'u3',
    });

    const second = await extractTables(db, store, { mode: 'incremental', clock: clockAt(120) });
    expect(second.tables.map((t) => t.rows)).toEqual([0, 0, 0]);
    expect(second.tables.map((t) => t.watermarkAfter)).toEqual(first.tables.map((t) => t.watermarkAfter));
    expect(await lines()).toHaveLength(8);
  });

  it('carries updates and soft deletes after the watermark once, as upsert and delete', async () => {
    await seed();
    await extractTables(db, store, { mode: 'incremental', clock: clockAt(60) });
    await db.query('UPDATE items SET price_minor = 1800, updated_at = $1 WHERE item_id = $2', [at(70), 'i1']);
    await db.query('UPDATE users SET deleted_at = $1, updated_at = $1 WHERE user_id = $2', [at(71), 'u1']);
    const run = await extractTables(db, store, { mode: 'incremental', clock: clockAt(120) });
    expect(run.tables.map((t) => [t.table, t.rows, t.deletes])).toEqual([
      ['users', 1, 1],
      ['items', 1, 0],
      ['bids', 0, 0],
    ]);
    const latest = (await lines())
      .filter((l) => l.extracted_at === '2026-12-03T10:02:00.000000Z')
      .sort((a, b) => a.key.localeCompare(b.key));
    expect(latest.map((l) => [l.table, l.key, l.op, l.updated_at])).toEqual([
      ['items', 'i1', 'upsert', '2026-12-03T10:01:10.000000Z'],
      ['users', 'u1', 'delete', '2026-12-03T10:01:11.000000Z'],
    ]);
    expect(latest[0]!.row.price_minor).toBe(1800);
    expect(latest[1]!.row.deleted_at).toBe('2026-12-03T10:01:11.000000Z');
    const again = await extractTables(db, store, { mode: 'incremental', clock: clockAt(180) });
    expect(again.tables.map((t) => t.rows)).toEqual([0, 0, 0]);
  });

  it('breaks ties on updated_at by key: no row lost or repeated across page boundaries', async () => {
    await addUser('u1', 1);
    await addItem('i1', 'u1', 100, 1);
    const same = '2026-12-03T10:00:05.000001Z';
    const ids = Array.from({ length: 23 }, (_, i) => `b${String(i).padStart(2, '0')}`);
    for (const id of ids) await addBid(id, 'i1', 'u1', same);
    await addBid('a-early', 'i1', 'u1', at(4));
    await addBid('z-late', 'i1', 'u1', at(6));
    const run = await extractTables(db, store, {
      tables: ['bids'],
      mode: 'incremental',
      clock: clockAt(60),
      batchRows: 4,
    });
    expect(run.tables[0]).toMatchObject({ rows: 25, objects: 7 });
    const keys = (await lines()).map((l) => l.key);
    expect(keys.sort()).toEqual(['a-early', ...ids, 'z-late'].sort());
    // Every object holds one page, in (updated_at, key) order.
    for (const page of (await readObjects(store, OLTP_EXTRACT_PREFIX)).values()) {
      const rows = page.map((l) => (JSON.parse(l) as ExtractEnvelope).detail);
      const order = rows.map((r) => `${r.updated_at} ${r.key}`);
      expect(order).toEqual([...order].sort());
      expect(rows.length).toBeLessThanOrEqual(4);
    }
    expect(run.tables[0]!.watermarkAfter).toEqual({
      updatedAt: '2026-12-03T10:00:06.000000Z',
      key: 'z-late',
    });
  });

  it('resumes from a watermark inside a group of equal times', async () => {
    await addUser('u1', 1);
    await addItem('i1', 'u1', 100, 1);
    const same = '2026-12-03T10:00:05.000001Z';
    for (const id of ['b1', 'b2', 'b3', 'b4', 'b5']) await addBid(id, 'i1', 'u1', same);
    // A crash after the second page's object: the watermark stays at the first page's last row.
    const crashing = failingWatermarkStore(store, 2);
    await expect(
      extractTables(db, crashing, {
        tables: ['bids'],
        mode: 'incremental',
        clock: clockAt(60),
        batchRows: 2,
      }),
    ).rejects.toThrow('store down');
    expect(await readExtractWatermark(store, 'bids')).toMatchObject({ updatedAt: same, key: 'b2' });
    const resumed = await extractTables(db, store, {
      tables: ['bids'],
      mode: 'incremental',
      clock: clockAt(60),
      batchRows: 2,
    });
    expect(resumed.tables[0]).toMatchObject({ rows: 3, watermarkAfter: { updatedAt: same, key: 'b5' } });
    const keys = (await lines()).map((l) => l.key);
    // b3 and b4 were in the object written before the crash and again (same key) after it.
    expect(keys.sort()).toEqual(['b1', 'b2', 'b3', 'b4', 'b5']);
  });

  it('after a crash between an object and its watermark, the rerun writes the same keys and bytes', async () => {
    await seed();
    for (let i = 0; i < 6; i++) await addBid(`c${i}`, 'i1', 'u1', at(10 + i));
    const options = { mode: 'incremental' as const, clock: clockAt(60), batchRows: 3 };

    const clean = new FsObjectStore(join(await tempDir(), 'clean'), { durable: false });
    const reference = await extractTables(db, clean, options);
    const referenceObjects = await rawBodies(clean);

    // The store fails on the second watermark write: the object of that page is durable, its mark is not.
    await expect(extractTables(db, failingWatermarkStore(store, 2), options)).rejects.toThrow('store down');
    const crashed = await rawBodies(store);
    expect(crashed.size).toBe(2);
    expect((await readExtractWatermark(store, 'users'))?.key).toBe('u3');
    expect(await readExtractWatermark(store, 'items')).toBeUndefined();

    const rerun = await extractTables(db, store, options);
    expect(rerun.tables.flatMap((t) => t.objectKeys)).toEqual(
      reference.tables.flatMap((t) => t.objectKeys).slice(1),
    );
    const after = await rawBodies(store);
    expect([...after.keys()].sort()).toEqual([...referenceObjects.keys()].sort());
    for (const [key, body] of after) expect(body.equals(referenceObjects.get(key)!)).toBe(true);
    expect(await lines()).toHaveLength(14);
  });

  it('leaves rows changed within settleSeconds for the next run', async () => {
    await seed();
    // Clock at T0 + 9 s with 5 s to settle: rows up to T0 + 4 s only.
    const early = await extractTables(db, store, {
      mode: 'incremental',
      clock: clockAt(9),
      settleSeconds: 5,
    });
    expect(early.tables.map((t) => t.rows)).toEqual([3, 1, 0]);
    expect(early.tables[1]!.watermarkAfter).toEqual({ updatedAt: '2026-12-03T10:00:04.000000Z', key: 'i1' });
    expect(early.tables[0]!.settledBefore).toBe('2026-12-03T10:00:04.000000Z');
    const later = await extractTables(db, store, {
      mode: 'incremental',
      clock: clockAt(30),
      settleSeconds: 5,
    });
    expect(later.tables.map((t) => t.rows)).toEqual([0, 1, 3]);
    expect((await lines()).map((l) => l.key).sort()).toEqual([
      'b1',
      'b2',
      'b3',
      'i1',
      'i2',
      'u1',
      'u2',
      'u3',
    ]);
  });

  it('reads only the fixed tables and says when the schema is missing', async () => {
    await expect(
      extractTables(db, store, {
        tables: ['users; DROP TABLE users'],
        mode: 'incremental',
        clock: clockAt(0),
      }),
    ).rejects.toBeInstanceOf(ExtractTableUnknownError);
    await db.query('ALTER TABLE bids RENAME TO bids_aside');
    try {
      await expect(extractTables(db, store, { mode: 'incremental', clock: clockAt(0) })).rejects.toThrow(
        ExtractSourceMissingError,
      );
    } finally {
      await db.query('ALTER TABLE bids_aside RENAME TO bids');
    }
  });
});

describe('extractTables (snapshot)', () => {
  it('writes every row and resets the watermark to the largest settled row', async () => {
    await seed();
    await extractTables(db, store, { mode: 'incremental', clock: clockAt(60) });
    // A watermark past every row (e.g. from another database): incremental runs would find nothing.
    await store.put(
      extractWatermarkKey('items'),
      Buffer.from(
        JSON.stringify({
          table: 'items',
          updatedAt: '2027-01-01T00:00:00.000000Z',
          key: 'zz',
          mode: 'incremental',
          extractedAt: at(0),
        }),
      ),
    );
    await db.query('UPDATE items SET price_minor = 1300, updated_at = $1 WHERE item_id = $2', [at(50), 'i1']);
    expect(
      (await extractTables(db, store, { mode: 'incremental', clock: clockAt(120) })).tables[1]!.rows,
    ).toBe(0);

    const snap = await extractTables(db, store, { mode: 'snapshot', clock: clockAt(120), batchRows: 2 });
    expect(snap.tables.map((t) => [t.table, t.rows, t.objects, t.deletes])).toEqual([
      ['users', 3, 2, 1],
      ['items', 2, 1, 0],
      ['bids', 3, 2, 0],
    ]);
    expect(snap.tables[1]).toMatchObject({
      watermarkBefore: { updatedAt: '2027-01-01T00:00:00.000000Z', key: 'zz' },
      watermarkAfter: { updatedAt: '2026-12-03T10:00:50.000000Z', key: 'i1' },
    });
    expect(await readExtractWatermark(store, 'items')).toMatchObject({ mode: 'snapshot', key: 'i1' });
    const snapshotLines = (await lines()).filter((l) => l.mode === 'snapshot');
    expect(snapshotLines.map((l) => l.key).sort()).toEqual(['b1', 'b2', 'b3', 'i1', 'i2', 'u1', 'u2', 'u3']);
    expect(snapshotLines.find((l) => l.key === 'i1')!.row.price_minor).toBe(1300);

    await db.query('UPDATE items SET price_minor = 1400, updated_at = $1 WHERE item_id = $2', [
      at(130),
      'i2',
    ]);
    const next = await extractTables(db, store, { mode: 'incremental', clock: clockAt(200) });
    expect(next.tables.map((t) => t.rows)).toEqual([0, 1, 0]);
  });

  it('counts rows inside settleSeconds in the snapshot but not in its watermark', async () => {
    await seed();
    const snap = await extractTables(db, store, { mode: 'snapshot', clock: clockAt(9), settleSeconds: 5 });
    expect(snap.tables.map((t) => t.rows)).toEqual([3, 2, 3]);
    expect(snap.tables.map((t) => t.watermarkAfter?.key ?? null)).toEqual(['u3', 'i1', null]);
    expect(await readExtractWatermark(store, 'bids')).toBeUndefined();
    const next = await extractTables(db, store, {
      mode: 'incremental',
      clock: clockAt(30),
      settleSeconds: 5,
    });
    expect(next.tables.map((t) => t.rows)).toEqual([0, 1, 3]);
  });

  it('replaces a watermark that cannot be read, which incremental runs refuse', async () => {
    await seed();
    await store.put(extractWatermarkKey('users'), Buffer.from('{not json'));
    await expect(extractTables(db, store, { mode: 'incremental', clock: clockAt(60) })).rejects.toThrow(
      ExtractWatermarkInvalidError,
    );
    const snap = await extractTables(db, store, { mode: 'snapshot', clock: clockAt(60) });
    expect(snap.tables[0]).toMatchObject({ rows: 3, watermarkBefore: null, watermarkAfter: { key: 'u3' } });
    expect(
      (await extractTables(db, store, { mode: 'incremental', clock: clockAt(90) })).tables[0]!.rows,
    ).toBe(0);
  });
});

describe('elt oltp extract', () => {
  let stdout: string[];
  beforeEach(() => {
    stdout = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const run = (args: string[]): Promise<unknown> =>
    oltpExtractCommand().exitOverride().parseAsync(args, { from: 'user' });

  it('extracts from the data directory’s PGlite database into its store, incremental then snapshot', async () => {
    const dataDir = await new DataDir(await tempDir()).ensure();
    const local = await openOltpDatabase(`pglite:${join(dataDir.root, 'oltp')}`);
    await local.migrate();
    await local.query(
      `INSERT INTO users (user_id, display_name, email, country, channel, signed_up_at, updated_at)
       VALUES ('u1', 'Ann', 'ann@example.com', 'FR', 'ios', $1, $1), ('u2', 'Bo', 'bo@example.com', 'FR', 'web', $1, $1)`,
      ['2026-12-01T00:00:00Z'],
    );
    await local.close();

    await run([
      '--data-dir',
      dataDir.root,
      '--table',
      'users',
      '--table',
      'items',
      '--batch-rows',
      '1',
      '--json',
    ]);
    const report = JSON.parse(stdout.join('')) as {
      mode: string;
      tables: { table: string; rows: number; objects: number }[];
    };
    expect(report.mode).toBe('incremental');
    expect(report.tables.map((t) => [t.table, t.rows, t.objects])).toEqual([
      ['users', 2, 2],
      ['items', 0, 0],
    ]);
    const extracted = await readRecords<ExtractEnvelope>(dataDir.store(), OLTP_EXTRACT_PREFIX);
    expect(extracted.map((l) => l.detail.key).sort()).toEqual(['u1', 'u2']);

    stdout = [];
    await run(['--data-dir', dataDir.root, '--snapshot', '--settle-seconds', '0']);
    expect(stdout.join('')).toMatch(/^snapshot extract of pglite:.* 2 rows in/);
    expect(await readExtractWatermark(dataDir.store(), 'users')).toMatchObject({
      mode: 'snapshot',
      key: 'u2',
    });
  });

  it('fails with one clear line on a wrong connection string or table', async () => {
    const dir = await tempDir();
    for (const [database, message] of [
      ['mysql://db/x', /is not valid: unknown scheme/],
      [
        'postgres://elt:secret@127.0.0.1:1/x',
        /cannot connect to the marketplace database at postgres:\/\/127\.0\.0\.1:1\/x/,
      ],
    ] as const) {
      const error = await run(['--data-dir', dir, '--database', database]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(1);
      expect((error as CliError).message).toMatch(message);
      expect((error as CliError).message).not.toContain('\n');
      expect((error as CliError).message).not.toContain('secret');
    }
    await expect(run(['--data-dir', dir, '--table', 'orders'])).rejects.toThrow(
      /expected one of users, items, bids/,
    );
    await expect(run(['--data-dir', join(dir, 'none')])).rejects.toThrow(/no marketplace database at/);
  });
});

/** A store whose `n`-th watermark write fails (after the object before it was written). */
function failingWatermarkStore(inner: ObjectStore, n: number): ObjectStore {
  let marks = 0;
  return {
    put: async (key, body, options) => {
      if (key.startsWith('state/') && ++marks === n) throw new Error('store down');
      return inner.put(key, body, options);
    },
    get: (key) => inner.get(key),
    list: (prefix, options) => inner.list(prefix, options),
    delete: (key) => inner.delete(key),
    describe: () => inner.describe(),
  };
}

async function rawBodies(s: ObjectStore): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for await (const o of s.list(OLTP_EXTRACT_PREFIX)) out.set(o.key, Buffer.from(await s.get(o.key)));
  return out;
}
