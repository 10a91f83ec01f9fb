import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOltpDatabase } from '../../lib/adapters/oltp/oltp-database.js';
import type { OltpDatabase } from '../../lib/core/oltp/ports.js';
import {
  BusinessRuleError,
  oltpGroundTruth,
  OltpWorkload,
  runWorkload,
  type WorkloadResult,
} from '../../lib/core/oltp/workload.js';
import { expectBidsRisePerItem, expectOutboxMatchesChanges } from '../support/outbox-invariants.js';
import { useScratchDatabase } from '../support/scratch-database.js';

const scratch = useScratchDatabase();
/** The rules a transaction can break only because another one committed while it ran. */
const RACES = new Set(['bid-too-low', 'item-closed', 'no-item', 'has-bids', 'user-closed']);

describe('the workload on PostgreSQL, four transactions at a time', () => {
  let db: OltpDatabase;
  let result: WorkloadResult;

  beforeAll(async () => {
    db = await openOltpDatabase(scratch());
    await db.migrate();
    result = await runWorkload(db, { transactions: 600, seed: 'postgres', concurrency: 4 });
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  it('attempts every transaction and commits most', () => {
    const committed = Object.values(result.committed).reduce((a, b) => a + b, 0);
    const rejected = Object.values(result.rejected).reduce((a, b) => a + b, 0);
    expect(result.transactions).toBe(600);
    expect(committed + rejected).toBe(600);
    // How many lose a race depends on how the four connections interleave (492 committed on CI, 513–524 in
    // three runs here, 2026-12-04); what must hold is that only races are lost: a bid overtaken, an item closed or bid on
    // meanwhile, or a user who closed their account meanwhile (seen once on CI, 2026-12-04). The planner never plans a
    // transaction that breaks a rule on its own.
    expect(Object.keys(result.rejectedByRule).filter((r) => !RACES.has(r))).toEqual([]);
    expect(committed).toBeGreaterThan(450);
    expect(result.committed.placeBid).toBeGreaterThan(result.committed.listItem);
  });

  it('writes exactly one outbox row per committed change, and none for a rejected one', async () => {
    await expectOutboxMatchesChanges(db, {
      priceChanges: result.committed.changePrice,
      outboxRows: result.outboxRows,
    });
    const bids = await db.query<{ n: number }>('SELECT count(*) AS n FROM bids');
    expect(bids.rows[0]!.n).toBe(result.committed.placeBid);
  });

  it('keeps the bids of each item strictly rising in amount by placed_at', async () => {
    expect(await expectBidsRisePerItem(db)).toBe(result.committed.placeBid);
  });

  it('lets exactly the bids that still exceed the price win a race on one item', async () => {
    const shop = new OltpWorkload(db);
    await shop.signUp({
      userId: 'u_race_seller',
      displayName: 'Seller',
      email: 'race-seller@example.com',
      country: 'GB',
      channel: 'web',
    });
    const bidders = Array.from({ length: 8 }, (_, i) => `u_race_${i}`);
    for (const userId of bidders) {
      await shop.signUp({
        userId,
        displayName: userId,
        email: `${userId}@example.com`,
        country: 'DE',
        channel: 'ios',
      });
    }
    await shop.listItem({
      itemId: 'i_race',
      sellerId: 'u_race_seller',
      title: 'Valve radio',
      category: 'electronics',
      startingPriceMinor: 1000,
      currency: 'GBP',
    });
    // Every bidder saw the price of 1000 and bids a little more, all at once, largest in the middle.
    const amounts = [1003, 1001, 1006, 1008, 1002, 1007, 1004, 1005];
    const outcomes = await Promise.allSettled(
      bidders.map((bidderId, i) =>
        shop.placeBid({
          bidId: `b_race_${i}`,
          itemId: 'i_race',
          bidderId,
          sessionId: `s_race_${i}`,
          amountMinor: amounts[i]!,
        }),
      ),
    );
    for (const o of outcomes) {
      if (o.status === 'rejected') {
        expect(o.reason).toBeInstanceOf(BusinessRuleError);
        expect((o.reason as BusinessRuleError).rule).toBe('bid-too-low');
      }
    }
    const won = outcomes.filter((o) => o.status === 'fulfilled').length;
    expect(won).toBeGreaterThanOrEqual(1);
    const item = await db.query<{ price_minor: number }>('SELECT price_minor FROM items WHERE item_id = $1', [
      'i_race',
    ]);
    expect(item.rows).toEqual([{ price_minor: 1008 }]);
    const events = await db.query<{ n: number }>(
      "SELECT count(*) AS n FROM outbox WHERE type = 'BidCreated' AND aggregateid = 'i_race'",
    );
    expect(events.rows[0]!.n).toBe(won);
    await expectBidsRisePerItem(db);
    await expectOutboxMatchesChanges(db, { priceChanges: result.committed.changePrice });
  });

  it('reports the ground truth the reconciliation compares against', async () => {
    const truth = await oltpGroundTruth(db);
    const bids = await db.query<{ n: number; total: number }>(
      'SELECT count(*) AS n, sum(amount_minor)::bigint AS total FROM bids',
    );
    expect(truth.bidsPerDay.reduce((s, d) => s + d.bids, 0)).toBe(bids.rows[0]!.n);
    expect(truth.bidsPerDay.reduce((s, d) => s + d.amountMinor, 0)).toBe(bids.rows[0]!.total);
    const users = await db.query<{ n: number }>('SELECT count(*) AS n FROM users WHERE deleted_at IS NULL');
    expect(truth.users).toBe(users.rows[0]!.n);
    const items = await db.query<{ n: number }>('SELECT count(*) AS n FROM items');
    expect(truth.itemsByStatus.open + truth.itemsByStatus.closed).toBe(items.rows[0]!.n);
  });
});
