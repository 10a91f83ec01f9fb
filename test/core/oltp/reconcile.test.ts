import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOltpDatabase } from '../../../lib/adapters/oltp/oltp-database.js';
import { FsObjectStore } from '../../../lib/adapters/store/fs-object-store.js';
import { DuckDbWarehouse } from '../../../lib/adapters/warehouse/duckdb-warehouse.js';
import { loadModels } from '../../../lib/core/elt/sql-sources.js';
import { describeReconciliation, reconcileOltp } from '../../../lib/core/oltp/reconcile.js';
import type { OltpDatabase } from '../../../lib/core/oltp/ports.js';
import { runOltpDemo, OltpDemoDatabaseNotEmptyError } from '../../../lib/local/oltp-demo.js';
import { useTempDirs } from '../../support/temp-dir.js';

const tempDir = useTempDirs();

describe('the marketplace database to the warehouse, reconciled (embedded)', () => {
  let db: OltpDatabase;
  let warehouse: DuckDbWarehouse;
  let summary: Awaited<ReturnType<typeof runOltpDemo>>;

  beforeAll(async () => {
    db = await openOltpDatabase('pglite');
    warehouse = await DuckDbWarehouse.open(':memory:');
    const store = new FsObjectStore(await tempDir(), { durable: false });
    summary = await runOltpDemo({
      db,
      store,
      warehouse,
      models: loadModels(),
      transactions: 400,
      seed: 'reconcile',
    });
  }, 120_000);
  afterAll(async () => {
    await warehouse?.close();
    await db?.close();
  });

  it('lands one event per outbox row and reconciles bids per day and per bid', () => {
    expect(summary.outboxEvents).toBeGreaterThan(summary.committed - 1);
    expect(summary.relayed).toBe(summary.outboxEvents);
    expect(summary.landedEvents).toBe(summary.outboxEvents);
    // The table extracts load into raw_events too: one envelope per extracted row version.
    expect(summary.run.eventsLoaded).toBe(summary.outboxEvents + summary.extractedRows);
    expect(summary.oltpBids).toBeGreaterThan(50);
    expect(summary.warehouseBids).toBe(summary.oltpBids);
    expect(summary.reconciled).toBe(true);
    expect(summary.reconciliation.checks.map((c) => [c.name, c.ok])).toEqual([
      ['bids-by-day', true],
      ['bid-ids', true],
      ['users', true],
      ['items', true],
    ]);
    expect(summary.extractedRows).toBeGreaterThan(0);
    const users = summary.reconciliation.checks.find((c) => c.name === 'users')!;
    expect(users.oltpKeys).toBeGreaterThan(10);
    expect(users.warehouseKeys).toBe(users.oltpKeys);
  });

  it('builds the dimensions as type 2 and the marts from the versions valid at event time', async () => {
    // Every bid and every closed auction of the database found its item (and seller) version.
    const [bids] = await warehouse.query(
      'SELECT CAST(SUM(bids) AS BIGINT) AS n FROM mart_bids_by_category_day',
    );
    expect(Number(bids!.n)).toBe(summary.oltpBids);
    const [closed] = await warehouse.query(
      "SELECT COUNT(*) AS n FROM stg_events WHERE detail_type = 'AuctionClosed'",
    );
    const [auctions] = await warehouse.query(
      'SELECT CAST(SUM(auctions) AS BIGINT) AS n FROM mart_revenue_by_seller_country',
    );
    expect(Number(auctions!.n)).toBe(Number(closed!.n));
    // One current version per key, and the versions of a key chain without gaps.
    const [chain] = await warehouse.query(`
      SELECT COUNT(*) AS n FROM (
        SELECT item_id, valid_to, LEAD(valid_from) OVER (PARTITION BY item_id ORDER BY valid_from) AS next_from
        FROM dim_items) v
      WHERE valid_to IS DISTINCT FROM next_from`);
    expect(Number(chain!.n)).toBe(0);
    const [current] = await warehouse.query(
      'SELECT COUNT(*) AS n, COUNT(DISTINCT item_id) AS items FROM dim_items WHERE is_current',
    );
    expect(Number(current!.n)).toBe(Number(current!.items));
    // The run's data tests include referential integrity as of event time, and they passed.
    const [run] = await warehouse.query(
      "SELECT CAST(tests AS VARCHAR) AS tests FROM elt_runs WHERE status = 'succeeded'",
    );
    const tests = JSON.parse(String(run!.tests)) as { name: string; failures: number }[];
    const asOf = tests.filter((t) => t.name.startsWith('relationships_as_of('));
    expect(asOf.map((t) => t.name).sort()).toEqual([
      'relationships_as_of(dim_items.seller_id → dim_users.user_id at listed_at)',
      'relationships_as_of(fct_bids.bidder_id → dim_users.user_id at placed_at)',
      'relationships_as_of(fct_bids.item_id → dim_items.item_id at placed_at)',
    ]);
    expect(asOf.every((t) => t.failures === 0)).toBe(true);
  });

  it('fails when the database changed after the extract, naming the user and the item', async () => {
    const { rows } = await db.query<{ user_id: string; country: string; item_id: string; title: string }>(
      `SELECT u.user_id, u.country, i.item_id, i.title FROM users u JOIN items i ON i.seller_id = u.user_id
       ORDER BY u.user_id, i.item_id LIMIT 1`,
    );
    const { user_id: userId, country, item_id: itemId, title } = rows[0]!;
    const other = country === 'ZZ' ? 'ZY' : 'ZZ';
    await db.query('UPDATE users SET country = $2 WHERE user_id = $1', [userId, other]);
    await db.query('UPDATE items SET title = $2 WHERE item_id = $1', [itemId, `${title} (changed)`]);
    try {
      const result = await reconcileOltp(db, warehouse);
      expect(result.reconciled).toBe(false);
      const byName = Object.fromEntries(result.checks.map((c) => [c.name, c]));
      expect(byName.users!.differences.map((d) => d.key)).toEqual([userId]);
      expect(byName.users!.differences[0]!.oltp).toContain(`country="${other}"`);
      expect(byName.users!.differences[0]!.warehouse).toContain(`country="${country}"`);
      expect(byName.items!.differences.map((d) => d.key)).toEqual([itemId]);
      expect(byName.items!.differences[0]!.oltp).toContain('(changed)');
      expect(byName['bid-ids']!.ok).toBe(true);
    } finally {
      await db.query('UPDATE users SET country = $2 WHERE user_id = $1', [userId, country]);
      await db.query('UPDATE items SET title = $2 WHERE item_id = $1', [itemId, title]);
    }
    expect((await reconcileOltp(db, warehouse)).reconciled).toBe(true);
  });

  it('refuses a database that already holds data, instead of reconciling it against a fresh warehouse', async () => {
    await expect(
      runOltpDemo({
        db,
        store: new FsObjectStore(await tempDir(), { durable: false }),
        warehouse,
        models: loadModels(),
        transactions: 1,
        seed: 'again',
      }),
    ).rejects.toThrow(OltpDemoDatabaseNotEmptyError);
  });

  it('fails when a bid committed without its event, naming the bid and its day', async () => {
    const { rows } = await db.query<{ item_id: string; bidder_id: string; currency: string }>(
      'SELECT item_id, bidder_id, currency FROM bids LIMIT 1',
    );
    const bid = rows[0]!;
    await db.query(
      `INSERT INTO bids (bid_id, item_id, bidder_id, session_id, amount_minor, currency, placed_at, updated_at)
       VALUES ('b_without_event', $1, $2, 's_1', 123456, $3, '2026-11-30T12:00:00Z', now())`,
      [bid.item_id, bid.bidder_id, bid.currency],
    );
    try {
      const result = await reconcileOltp(db, warehouse);
      expect(result.reconciled).toBe(false);
      const byName = Object.fromEntries(result.checks.map((c) => [c.name, c]));
      expect(byName['bids-by-day']!.differences).toEqual([
        { key: `2026-11-30 ${bid.currency}`, oltp: '1 bids, 123456 minor units', warehouse: 'missing' },
      ]);
      expect(byName['bid-ids']!.differences).toEqual([
        { key: 'b_without_event', oltp: 'amount 123456', warehouse: 'missing' },
      ]);
      expect(describeReconciliation(result)).toContain(
        'b_without_event: database amount 123456, warehouse missing',
      );
    } finally {
      await db.query("DELETE FROM bids WHERE bid_id = 'b_without_event'");
    }
  });

  it('fails when the warehouse counts a bid twice', async () => {
    await warehouse.execute(
      "INSERT INTO stg_events SELECT * FROM stg_events WHERE detail_type = 'BidCreated' ORDER BY event_id LIMIT 1",
    );
    const result = await reconcileOltp(db, warehouse);
    expect(result.reconciled).toBe(false);
    const ids = result.checks.find((c) => c.name === 'bid-ids')!;
    expect(ids.differenceCount).toBe(1);
    expect(ids.differences[0]!.warehouse).toMatch(/and again$/);
    expect(result.warehouseBids).toBe(result.oltpBids + 1);
  });
});
