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
    expect(summary.run.eventsLoaded).toBe(summary.outboxEvents);
    expect(summary.oltpBids).toBeGreaterThan(50);
    expect(summary.warehouseBids).toBe(summary.oltpBids);
    expect(summary.reconciled).toBe(true);
    expect(summary.reconciliation.checks.map((c) => [c.name, c.ok])).toEqual([
      ['bids-by-day', true],
      ['bid-ids', true],
    ]);
    expect(summary.extractedRows).toBeGreaterThan(0);
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
