import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOltpDatabase } from '../../../lib/adapters/oltp/oltp-database.js';
import { createEventValidator } from '../../../lib/core/events/validator.js';
import { insertOutboxEvent, OutboxEventError } from '../../../lib/core/oltp/outbox.js';
import type { OltpDatabase } from '../../../lib/core/oltp/ports.js';
import {
  BusinessRuleError,
  oltpGroundTruth,
  OltpWorkload,
  runWorkload,
  WorkloadSeedUsedError,
  type WorkloadResult,
} from '../../../lib/core/oltp/workload.js';
import type { Clock } from '../../../lib/core/ports.js';
import { expectBidsRisePerItem, expectOutboxMatchesChanges } from '../../support/outbox-invariants.js';

/** A clock that moves 30 s per reading from 2026-11-30T23:00Z: a run of 200 crosses UTC midnight. */
const steppingClock = (): Clock => {
  let t = Date.parse('2026-11-30T23:00:00Z');
  return { now: () => new Date((t += 30_000)) };
};

// One PGlite for the file (starting one costs seconds); each suite starts from empty tables.
let shared: OltpDatabase | undefined;
async function fresh(): Promise<OltpDatabase> {
  if (!shared) {
    shared = await openOltpDatabase('pglite');
    await shared.migrate();
  }
  await shared.query('TRUNCATE outbox, bids, items, users');
  return shared;
}
afterAll(async () => {
  await shared?.close();
});

const count = async (db: OltpDatabase, table: string): Promise<number> =>
  (await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n;

describe('runWorkload on PGlite', () => {
  let db: OltpDatabase;
  let result: WorkloadResult;
  const progress: number[] = [];
  const clock = steppingClock();

  beforeAll(async () => {
    db = await fresh();
    result = await runWorkload(db, {
      transactions: 200,
      seed: 'unit',
      clock,
      onProgress: (p) => progress.push(p.done),
    });
  }, 60_000);

  it('attempts every transaction, mostly bids, and counts what committed and what was rejected', () => {
    const sum = (r: Readonly<Record<string, number>>): number => Object.values(r).reduce((a, b) => a + b, 0);
    expect(result.transactions).toBe(200);
    expect(sum(result.committed) + sum(result.rejected)).toBe(200);
    expect(sum(result.rejectedByRule)).toBe(sum(result.rejected));
    const c = result.committed;
    expect(c.placeBid).toBeGreaterThan(c.listItem);
    for (const kind of ['signUp', 'listItem', 'changePrice', 'placeBid', 'closeAuction'] as const) {
      expect(c[kind], kind).toBeGreaterThan(0);
    }
    expect(result.rejected.placeBid).toBeGreaterThan(0); // the planned too-low bids
    expect(progress).toHaveLength(200);
    expect(progress.at(-1)).toBe(200);
  });

  it('writes exactly one outbox row per committed change and none for anything else', async () => {
    const rows = await expectOutboxMatchesChanges(db, {
      priceChanges: result.committed.changePrice,
      outboxRows: result.outboxRows,
    });
    expect(await count(db, 'bids')).toBe(result.committed.placeBid);
    expect(await count(db, 'users')).toBe(result.committed.signUp);
    expect(await count(db, 'items')).toBe(result.committed.listItem);
    expect(rows).toBeGreaterThan(result.committed.placeBid);
  });

  it('keeps the bids of each item rising with time', async () => {
    expect(await expectBidsRisePerItem(db)).toBe(result.committed.placeBid);
  });

  it('reports the ground truth: bids per UTC day and currency, active users, items by status', async () => {
    const truth = await oltpGroundTruth(db);
    const bids = (
      await db.query<{ placed_at: Date; currency: string; amount_minor: number }>(
        'SELECT placed_at, currency, amount_minor FROM bids',
      )
    ).rows;
    const expected = new Map<string, { bids: number; amountMinor: number }>();
    for (const b of bids) {
      const key = `${b.placed_at.toISOString().slice(0, 10)}|${b.currency}`;
      const e = expected.get(key) ?? { bids: 0, amountMinor: 0 };
      expected.set(key, { bids: e.bids + 1, amountMinor: e.amountMinor + b.amount_minor });
    }
    expect(
      truth.bidsPerDay.map((d) => [`${d.day}|${d.currency}`, { bids: d.bids, amountMinor: d.amountMinor }]),
    ).toEqual([...expected.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    expect(new Set(truth.bidsPerDay.map((d) => d.day))).toEqual(new Set(['2026-11-30', '2026-12-01']));
    expect(truth.users + truth.deletedUsers).toBe(result.committed.signUp);
    expect(truth.deletedUsers).toBe(result.committed.closeAccount);
    expect(truth.itemsByStatus.open + truth.itemsByStatus.closed).toBe(result.committed.listItem);
    expect(truth.itemsByStatus.closed).toBeGreaterThanOrEqual(result.committed.closeAuction);
  });

  it('refuses to run a seed again on the same database (its ids would repeat)', async () => {
    await expect(runWorkload(db, { transactions: 1, seed: 'unit' })).rejects.toThrow(WorkloadSeedUsedError);
  });

  it('continues on the users and items already there with another seed', async () => {
    const more = await runWorkload(db, { transactions: 30, seed: 'unit-2', clock });
    expect(more.committed.placeBid).toBeGreaterThan(0);
    const before = result.outboxRows;
    await expectOutboxMatchesChanges(db, {
      priceChanges: result.committed.changePrice + more.committed.changePrice,
      outboxRows: before + more.outboxRows,
    });
  });
});

describe('runWorkload determinism', () => {
  const snapshot = async (db: OltpDatabase): Promise<unknown> => ({
    users: (await db.query('SELECT * FROM users ORDER BY user_id')).rows,
    items: (await db.query('SELECT * FROM items ORDER BY item_id')).rows,
    bids: (await db.query('SELECT * FROM bids ORDER BY bid_id')).rows,
    // Outbox ids are random (UUID v4); everything else follows from the seed and the clock.
    outbox: (
      await db.query<{ type: string; aggregateid: string; payload: { detail: Record<string, unknown> } }>(
        'SELECT type, aggregateid, payload, occurred_at FROM outbox ORDER BY seq',
      )
    ).rows.map((r) => ({
      ...r,
      payload: { ...r.payload, id: undefined, detail: { ...r.payload.detail, eventId: undefined } },
    })),
  });

  it('makes the same transactions, rows and events for the same seed, and others for another seed', async () => {
    const db = await fresh();
    // Each run starts from empty tables: what it writes follows from the seed and the clock alone.
    const run = async (seed: number): Promise<[WorkloadResult, unknown]> => {
      await db.query('TRUNCATE outbox, bids, items, users');
      const result = await runWorkload(db, { transactions: 120, seed, clock: steppingClock() });
      return [result, await snapshot(db)];
    };
    const [ra, sa] = await run(42);
    const [rb, sb] = await run(42);
    const [rc, sc] = await run(43);
    expect(rb).toEqual(ra);
    expect(sb).toEqual(sa);
    expect((sa as { bids: unknown[] }).bids.length).toBeGreaterThan(10);
    expect(sc).not.toEqual(sa);
    expect(rc.transactions).toBe(120);
    // Overlapping transactions (PGlite runs them one after another) keep every invariant too.
    await db.query('TRUNCATE outbox, bids, items, users');
    const overlapped = await runWorkload(db, { transactions: 120, seed: 44, concurrency: 4 });
    await expectOutboxMatchesChanges(db, {
      priceChanges: overlapped.committed.changePrice,
      outboxRows: overlapped.outboxRows,
    });
    await expectBidsRisePerItem(db);
  }, 60_000);
});

describe('business transactions', () => {
  let db: OltpDatabase;
  let shop: OltpWorkload;
  const at = new Date('2026-12-01T10:00:00.000Z');

  beforeAll(async () => {
    db = await fresh();
    shop = new OltpWorkload(db, { clock: { now: () => at } });
    for (const [userId, country] of [
      ['u_seller', 'GB'],
      ['u_bidder', 'DE'],
      ['u_other', 'FR'],
    ] as const) {
      await shop.signUp({
        userId,
        displayName: userId,
        email: `${userId}@example.com`,
        country,
        channel: 'web',
      });
    }
    await shop.listItem({
      itemId: 'i_1',
      sellerId: 'u_seller',
      title: 'Tin robot',
      category: 'toys',
      startingPriceMinor: 1000,
      currency: 'GBP',
    });
  }, 30_000);

  const state = async (): Promise<unknown> => ({
    outbox: await count(db, 'outbox'),
    bids: (await db.query('SELECT * FROM bids ORDER BY bid_id')).rows,
    items: (await db.query('SELECT * FROM items ORDER BY item_id')).rows,
    users: (await db.query('SELECT * FROM users ORDER BY user_id')).rows,
  });

  const rejects = async (work: Promise<unknown>, rule: string): Promise<void> => {
    const before = await state();
    const error = await work.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BusinessRuleError);
    expect((error as BusinessRuleError).rule).toBe(rule);
    expect(await state()).toEqual(before);
  };

  it('writes the bid, the new price and a BidCreated whose eventId is the outbox id and envelope id', async () => {
    const bid = await shop.placeBid({
      bidId: 'b_1',
      itemId: 'i_1',
      bidderId: 'u_bidder',
      sessionId: 's_1',
      amountMinor: 1100,
    });
    expect(bid).toMatchObject({ bidId: 'b_1', amountMinor: 1100, currency: 'GBP' });
    const { rows } = await db.query<{
      id: string;
      aggregatetype: string;
      aggregateid: string;
      payload: string;
    }>(
      "SELECT id::text AS id, aggregatetype, aggregateid, payload::text AS payload FROM outbox WHERE type = 'BidCreated'",
    );
    expect(rows).toHaveLength(1);
    const verdict = createEventValidator().validateText(rows[0]!.payload);
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.envelope).toMatchObject({
      id: rows[0]!.id,
      source: 'marketplace.auctions',
      'detail-type': 'BidCreated',
      time: '2026-12-01T10:00:00Z',
      account: '000000000000',
      detail: {
        eventId: rows[0]!.id,
        userId: 'u_bidder',
        sessionId: 's_1',
        itemId: 'i_1',
        amountMinor: 1100,
        currency: 'GBP',
        bidId: 'b_1',
      },
    });
    expect(rows[0]).toMatchObject({ aggregatetype: 'item', aggregateid: 'i_1' });
    const item = await db.query('SELECT price_minor, updated_at FROM items WHERE item_id = $1', ['i_1']);
    expect(item.rows).toEqual([{ price_minor: 1100, updated_at: at }]);
  });

  it('rejects a bid that does not exceed the price, on its own item, by an unknown user: nothing written', async () => {
    const bid = { bidId: 'b_x', itemId: 'i_1', sessionId: 's_x' };
    await rejects(shop.placeBid({ ...bid, bidderId: 'u_other', amountMinor: 1100 }), 'bid-too-low');
    await rejects(shop.placeBid({ ...bid, bidderId: 'u_seller', amountMinor: 5000 }), 'own-item');
    await rejects(shop.placeBid({ ...bid, bidderId: 'u_nobody', amountMinor: 5000 }), 'no-user');
    await rejects(shop.changePrice({ itemId: 'i_1', userId: 'u_seller', newPriceMinor: 900 }), 'has-bids');
  });

  it('rolls the change back when its event cannot be written (an entry over the bus size limit)', async () => {
    const before = await state();
    await expect(
      shop.listItem({
        itemId: 'i_huge',
        sellerId: 'u_seller',
        title: 'x'.repeat(1_100_000),
        category: 'toys',
        startingPriceMinor: 1,
        currency: 'GBP',
      }),
    ).rejects.toThrow(OutboxEventError);
    expect(await state()).toEqual(before);
  });

  it('closes an auction to its highest bid, then refuses bids on it', async () => {
    await shop.placeBid({
      bidId: 'b_2',
      itemId: 'i_1',
      bidderId: 'u_other',
      sessionId: 's_2',
      amountMinor: 1500,
    });
    const closed = await shop.closeAuction({ itemId: 'i_1' });
    expect(closed).toEqual({
      itemId: 'i_1',
      sellerId: 'u_seller',
      winningBidId: 'b_2',
      finalPriceMinor: 1500,
      bidCount: 2,
    });
    const item = await db.query('SELECT status, winning_bid_id, closed_at FROM items WHERE item_id = $1', [
      'i_1',
    ]);
    expect(item.rows).toEqual([{ status: 'closed', winning_bid_id: 'b_2', closed_at: at }]);
    await rejects(
      shop.placeBid({
        bidId: 'b_3',
        itemId: 'i_1',
        bidderId: 'u_bidder',
        sessionId: 's_3',
        amountMinor: 9000,
      }),
      'item-closed',
    );
    await rejects(shop.closeAuction({ itemId: 'i_1' }), 'item-closed');
  });

  it('closes an account and its open auctions in one transaction, without a sale', async () => {
    await shop.listItem({
      itemId: 'i_2',
      sellerId: 'u_seller',
      title: 'Oak chair',
      category: 'home',
      startingPriceMinor: 4000,
      currency: 'GBP',
    });
    await shop.changePrice({ itemId: 'i_2', userId: 'u_seller', newPriceMinor: 3500 });
    await shop.placeBid({
      bidId: 'b_4',
      itemId: 'i_2',
      bidderId: 'u_bidder',
      sessionId: 's_4',
      amountMinor: 3600,
    });
    const result = await shop.closeAccount({ userId: 'u_seller', reason: 'user_request' });
    expect(result).toEqual({ userId: 'u_seller', closedItemIds: ['i_2'] });
    const item = await db.query('SELECT status, winning_bid_id FROM items WHERE item_id = $1', ['i_2']);
    expect(item.rows).toEqual([{ status: 'closed', winning_bid_id: null }]);
    const events = await db.query<{ type: string; detail: Record<string, unknown> }>(
      "SELECT type, payload->'detail' AS detail FROM outbox WHERE occurred_at = $1 AND type IN ('AuctionClosed', 'UserAccountClosed') AND aggregateid IN ('i_2', 'u_seller') ORDER BY seq",
      [at.toISOString()],
    );
    expect(
      events.rows.map((r) => [r.type, r.detail.reason, r.detail.bidCount ?? r.detail.closedItemCount]),
    ).toEqual([
      ['AuctionClosed', 'seller_account_closed', 1],
      ['UserAccountClosed', 'user_request', 1],
    ]);
    await rejects(
      shop.listItem({
        itemId: 'i_3',
        sellerId: 'u_seller',
        title: 'Vase',
        category: 'home',
        startingPriceMinor: 1,
        currency: 'GBP',
      }),
      'user-closed',
    );
    await rejects(shop.closeAccount({ userId: 'u_seller', reason: 'user_request' }), 'user-closed');
    await expectOutboxMatchesChanges(db, { priceChanges: 1 });
  });

  it('writes outbox rows with parameters only: quotes and SQL in event data are data', async () => {
    const title = `Robert'); DROP TABLE items; -- "x"`;
    await db
      .transaction(async (tx) => {
        await insertOutboxEvent(tx, {
          source: 'marketplace.auctions',
          detailType: 'ItemListed',
          detail: {
            userId: 'u_other',
            itemId: 'i_q',
            title,
            category: 'toys',
            startingPriceMinor: 1,
            currency: 'EUR',
          },
          time: at,
          aggregateType: 'item',
          aggregateId: `i_q'--`,
        });
        throw new BusinessRuleError('test', 'roll back');
      })
      .catch((e: unknown) => {
        if (!(e instanceof BusinessRuleError)) throw e;
      });
    expect(await count(db, 'items')).toBeGreaterThan(0);
    const written = await db.transaction(async (tx) =>
      insertOutboxEvent(tx, {
        source: 'marketplace.auctions',
        detailType: 'ItemListed',
        detail: {
          eventId: 'ignored',
          userId: 'u_other',
          itemId: 'i_q',
          title,
          category: 'toys',
          startingPriceMinor: 1,
          currency: 'EUR',
        },
        time: at,
        aggregateType: 'item',
        aggregateId: `i_q'--`,
      }),
    );
    const { rows } = await db.query<{ aggregateid: string; title: string; event_id: string }>(
      "SELECT aggregateid, payload->'detail'->>'title' AS title, payload->'detail'->>'eventId' AS event_id FROM outbox WHERE id = $1",
      [written.id],
    );
    expect(rows).toEqual([{ aggregateid: `i_q'--`, title, event_id: written.id }]);
    expect(Object.keys(written.envelope.detail)[0]).toBe('eventId');
    await db.query('DELETE FROM outbox WHERE id = $1', [written.id]);
  });
});
