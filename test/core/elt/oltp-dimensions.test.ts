import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openOltpDatabase } from '../../../lib/adapters/oltp/oltp-database.js';
import { FsObjectStore } from '../../../lib/adapters/store/fs-object-store.js';
import { DuckDbWarehouse } from '../../../lib/adapters/warehouse/duckdb-warehouse.js';
import { EltRunFailedError, runElt } from '../../../lib/core/elt/run-elt.js';
import { loadModels } from '../../../lib/core/elt/sql-sources.js';
import { timePartition } from '../../../lib/core/events/event-time.js';
import { gzipNdjson } from '../../../lib/core/landing/ndjson-gzip.js';
import { objectNameFor, rawObjectKey } from '../../../lib/core/landing/object-keys.js';
import { extractTables, type ExtractMode } from '../../../lib/core/oltp/extract.js';
import type { OltpDatabase } from '../../../lib/core/oltp/ports.js';
import { systemClock, type Row } from '../../../lib/core/ports.js';
import { useTempDirs } from '../../support/temp-dir.js';

const tempDir = useTempDirs();

const T0 = Date.parse('2026-12-03T10:00:00Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

let db: OltpDatabase;
let store: FsObjectStore;
let warehouse: DuckDbWarehouse;

async function extract(seconds: number, mode: ExtractMode = 'incremental'): Promise<void> {
  await extractTables(db, store, {
    mode,
    clock: { now: () => new Date(T0 + seconds * 1000) },
    settleSeconds: 0,
  });
}

/** A bus event as landed: an envelope under raw/source=…/detail_type=…/dt=…/hour=…/. */
async function landEvent(
  detailType: string,
  seconds: number,
  detail: Record<string, unknown>,
  eventId = `00000000-0000-4000-8000-${String(seconds).padStart(12, '0')}`,
): Promise<void> {
  const time = new Date(T0 + seconds * 1000);
  const envelope = {
    version: '0',
    id: eventId,
    'detail-type': detailType,
    source: 'marketplace.auctions',
    account: '000000000000',
    time: `${time.toISOString().slice(0, 19)}Z`,
    region: 'local',
    resources: [],
    detail: { eventId, ...detail },
  };
  const key = rawObjectKey('marketplace.auctions', detailType, timePartition(time), objectNameFor([eventId]));
  await store.put(key, await gzipNdjson([JSON.stringify(envelope)]));
}

const rows = (sql: string): Promise<Row[]> => warehouse.query(sql);
const iso = (value: unknown): string | null =>
  value === null ? null : new Date(`${String(value).replace(' ', 'T')}Z`).toISOString();

/**
 * The history of the marketplace database, extracted after each change (so every version is seen), plus
 * a snapshot that extracts every current version again:
 * - u1 signs up (1.25 s), changes country DE → AT (150 s); u2 signs up (2 s), closes the account (210 s);
 *   u3 signs up (5 s) and renames (50 s) before the first extract, which sees only the renamed row;
 * - i1 (u1's) is listed at 3.4 s in home, moved to art at 100.6 s, closed at 200.3 s with a sale of 2000;
 * - BidCreated at 10 s, 99 s and 100 s (the same second as the move to art), AuctionClosed at 200 s.
 */
beforeAll(async () => {
  db = await openOltpDatabase('pglite');
  await db.migrate();
  store = new FsObjectStore(join(await tempDir(), 'store'), { durable: false });
  warehouse = await DuckDbWarehouse.open(':memory:');
  const user = (id: string, country: string, seconds: number) =>
    db.query(
      `INSERT INTO users (user_id, display_name, email, country, channel, signed_up_at, updated_at)
       VALUES ($1, $1, $1 || '@example.com', $2, 'web', $3, $3)`,
      [id, country, at(seconds)],
    );
  await user('u1', 'DE', 1.25);
  await user('u2', 'FR', 2);
  await user('u3', 'GB', 5);
  await db.query(`UPDATE users SET display_name = 'Third', updated_at = $1 WHERE user_id = 'u3'`, [at(50)]);
  await db.query(
    `INSERT INTO items (item_id, seller_id, title, category, starting_price_minor, price_minor, currency, status, listed_at, updated_at)
     VALUES ('i1', 'u1', 'A lamp', 'home', 1000, 1000, 'EUR', 'open', $1, $1)`,
    [at(3.4)],
  );
  await db.query(
    `INSERT INTO bids (bid_id, item_id, bidder_id, session_id, amount_minor, currency, placed_at, updated_at)
     VALUES ('b1', 'i1', 'u2', 's1', 1500, 'EUR', $1, $1)`,
    [at(10.2)],
  );
  await extract(60);
  await db.query(
    `UPDATE items SET category = 'art', price_minor = 2000, updated_at = $1 WHERE item_id = 'i1'`,
    [at(100.6)],
  );
  await extract(120);
  await db.query(`UPDATE users SET country = 'AT', updated_at = $1 WHERE user_id = 'u1'`, [at(150)]);
  await db.query(`UPDATE items SET status = 'closed', closed_at = $1, updated_at = $1 WHERE item_id = 'i1'`, [
    at(200.3),
  ]);
  await db.query(`UPDATE users SET deleted_at = $1, updated_at = $1 WHERE user_id = 'u2'`, [at(210)]);
  await extract(300);
  await extract(310, 'snapshot');

  const bid = (seconds: number, amount: number) =>
    landEvent('BidCreated', seconds, {
      userId: 'u2',
      sessionId: 's1',
      itemId: 'i1',
      amountMinor: amount,
      currency: 'EUR',
    });
  await bid(10, 1500);
  await bid(99, 1800);
  await bid(100, 2000);
  await landEvent('AuctionClosed', 200, {
    userId: 'u1',
    itemId: 'i1',
    winningBidId: 'b1',
    finalPriceMinor: 2000,
    currency: 'EUR',
    bidCount: 3,
    reason: 'ended',
  });
  await runElt({ warehouse, store, clock: systemClock, models: loadModels() });
}, 120_000);

afterAll(async () => {
  await warehouse?.close();
  await db?.close();
});

describe('type 2 dimensions from the table extracts', () => {
  it('keeps one stg_oltp_rows row per row version, however often it was extracted', async () => {
    const [r] = await rows(
      "SELECT COUNT(*) AS n, COUNT(DISTINCT table_name || ' ' || row_key || ' ' || CAST(updated_at AS VARCHAR)) AS versions FROM stg_oltp_rows",
    );
    // u1 ×2, u2 ×2, u3 ×1, i1 ×3, b1 ×1; the snapshot extracted the current ones again.
    expect(Number(r!.n)).toBe(9);
    expect(Number(r!.versions)).toBe(9);
    const [raw] = await rows("SELECT COUNT(*) AS n FROM raw_events WHERE source = 'oltp'");
    expect(Number(raw!.n)).toBe(9 + 5);
    const [events] = await rows("SELECT COUNT(*) AS n FROM stg_events WHERE source = 'oltp'");
    expect(Number(events!.n)).toBe(0);
  });

  it('chains the versions of an item: valid_from, valid_to, is_current, the first from listed_at', async () => {
    const versions = await rows(
      "SELECT valid_from, valid_to, is_current, category, status, price_minor FROM dim_items WHERE item_id = 'i1' ORDER BY valid_from",
    );
    expect(
      versions.map((v) => [
        iso(v.valid_from),
        iso(v.valid_to),
        v.is_current,
        v.category,
        v.status,
        Number(v.price_minor),
      ]),
    ).toEqual([
      [at(3.4), at(100.6), false, 'home', 'open', 1000],
      [at(100.6), at(200.3), false, 'art', 'open', 2000],
      [at(200.3), null, true, 'art', 'closed', 2000],
    ]);
  });

  it('marks deletions, and lets a first version seen late stand from the signup', async () => {
    const users = await rows(
      'SELECT user_id, valid_from, valid_to, is_current, is_deleted, country, display_name FROM dim_users ORDER BY user_id, valid_from',
    );
    expect(
      users.map((u) => [
        u.user_id,
        iso(u.valid_from),
        iso(u.valid_to),
        u.is_current,
        u.is_deleted,
        u.country,
      ]),
    ).toEqual([
      ['u1', at(1.25), at(150), false, false, 'DE'],
      ['u1', at(150), null, true, false, 'AT'],
      ['u2', at(2), at(210), false, false, 'FR'],
      ['u2', at(210), null, true, true, 'FR'],
      // Extracted first at 50 s (renamed): valid from the signup at 5 s.
      ['u3', at(5), null, true, false, 'GB'],
    ]);
  });

  it('counts bids by the category valid at the bid, the version of the same second included', async () => {
    const marts = await rows(
      'SELECT CAST(day AS VARCHAR) AS day, category, currency, bids, amount_minor FROM mart_bids_by_category_day ORDER BY category',
    );
    expect(marts.map((m) => [m.day, m.category, m.currency, Number(m.bids), Number(m.amount_minor)])).toEqual(
      [
        // The bid at 100 s: the move to art at 100.6 s is in its second.
        ['2026-12-03', 'art', 'EUR', 1, 2000],
        ['2026-12-03', 'home', 'EUR', 2, 3300],
      ],
    );
  });

  it("counts revenue by the seller's country at the close", async () => {
    const marts = await rows(
      'SELECT CAST(day AS VARCHAR) AS day, seller_country, currency, auctions, revenue_minor FROM mart_revenue_by_seller_country',
    );
    expect(
      marts.map((m) => [m.day, m.seller_country, m.currency, Number(m.auctions), Number(m.revenue_minor)]),
    ).toEqual([['2026-12-03', 'AT', 'EUR', 1, 2000]]);
  });

  it('fails the run when a bid was placed before its item was listed (referential integrity as of the bid)', async () => {
    await db.query(
      `INSERT INTO bids (bid_id, item_id, bidder_id, session_id, amount_minor, currency, placed_at, updated_at)
       VALUES ('b_early', 'i1', 'u3', 's1', 900, 'EUR', $1, $2)`,
      [at(2.5), at(400)],
    );
    await extract(500);
    const failed = await runElt({ warehouse, store, clock: systemClock, models: loadModels() }).catch(
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(EltRunFailedError);
    expect((failed as Error).message).toContain(
      'relationships_as_of(fct_bids.item_id → dim_items.item_id at placed_at): 1 row(s)',
    );
    // The bidder u3 had signed up at 5 s, after 2.5 s too.
    expect((failed as Error).message).toContain(
      'relationships_as_of(fct_bids.bidder_id → dim_users.user_id at placed_at): 1 row(s)',
    );
  });

  it('fails the run naming the bids where the events and the bids table disagree, up to the common watermark', async () => {
    // The outbox's event of b1 reports another amount; b_early (placed at 2.5 s) has no event; a bid event
    // at 600 s is beyond the newest extracted bid, so not compared (the extract is only behind).
    const bidEvent = (seconds: number, bidId: string, amount: number) =>
      landEvent(
        'BidCreated',
        seconds,
        { userId: 'u2', sessionId: 's1', itemId: 'i1', amountMinor: amount, currency: 'EUR', bidId },
        `00000000-0000-4000-9000-${String(seconds).padStart(12, '0')}`,
      );
    await bidEvent(10, 'b1', 1499);
    await bidEvent(600, 'b_later', 2500);
    const failed = await runElt({ warehouse, store, clock: systemClock, models: loadModels() }).catch(
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(EltRunFailedError);
    expect((failed as Error).message).toContain(
      'reconciles(fct_bids.bid_id ↔ stg_bid_events.bid_id on item_id, bidder_id, amount_minor, currency up to the common placed_at): 2 row(s): b1 (amount_minor differs), b_early (missing from stg_bid_events)',
    );
  });
});
