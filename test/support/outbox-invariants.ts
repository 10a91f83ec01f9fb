import { expect } from 'vitest';
import { formatEventTime } from '../../lib/core/events/envelope.js';
import { createEventValidator } from '../../lib/core/events/validator.js';
import type { OltpSql } from '../../lib/core/oltp/ports.js';

const validator = createEventValidator();

interface OutboxRow {
  id: string;
  aggregatetype: string;
  aggregateid: string;
  type: string;
  payload: string;
  occurred_at: Date;
}

/**
 * Checks the marketplace database against its outbox: every committed change has exactly one outbox row
 * and every outbox row reports a change that is there; every payload is a valid envelope whose id is the
 * row id and detail.eventId; `updated_at` of each row is the time of its aggregate's latest event.
 * Returns the number of outbox rows.
 */
export async function expectOutboxMatchesChanges(
  db: OltpSql,
  expected: { priceChanges: number; outboxRows?: number },
): Promise<number> {
  const outbox = (
    await db.query<OutboxRow>(
      'SELECT id::text AS id, aggregatetype, aggregateid, type, payload::text AS payload, occurred_at FROM outbox ORDER BY seq',
    )
  ).rows;
  if (expected.outboxRows !== undefined) expect(outbox).toHaveLength(expected.outboxRows);

  const problems: string[] = [];
  const byAggregate = new Map<string, { type: string; detail: Record<string, unknown>; at: Date }[]>();
  const ids = new Set<string>();
  for (const row of outbox) {
    const verdict = validator.validateText(row.payload);
    if (!verdict.ok) {
      problems.push(`${row.id}: ${verdict.rejection.reason}`);
      continue;
    }
    const env = verdict.envelope;
    if (env.id !== row.id || env.detail.eventId !== row.id) problems.push(`${row.id}: ids differ`);
    if (env['detail-type'] !== row.type) problems.push(`${row.id}: type ${row.type} ≠ ${env['detail-type']}`);
    if (env.time !== formatEventTime(row.occurred_at)) problems.push(`${row.id}: time ≠ occurred_at`);
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(row.id)) {
      problems.push(`${row.id}: not a UUID v4`);
    }
    ids.add(row.id);
    const key = `${row.aggregatetype}/${row.aggregateid}`;
    const list = byAggregate.get(key) ?? [];
    list.push({ type: row.type, detail: env.detail, at: row.occurred_at });
    byAggregate.set(key, list);
  }
  expect(ids.size).toBe(outbox.length);

  const types = (key: string): string[] => (byAggregate.get(key) ?? []).map((e) => e.type).sort();
  const latest = (key: string): number =>
    Math.max(...(byAggregate.get(key) ?? []).map((e) => e.at.getTime()));

  const users = await db.query<{ user_id: string; deleted_at: Date | null; updated_at: Date }>(
    'SELECT user_id, deleted_at, updated_at FROM users',
  );
  for (const u of users.rows) {
    const key = `user/${u.user_id}`;
    const want = u.deleted_at ? ['UserAccountClosed', 'UserSignedUp'] : ['UserSignedUp'];
    if (JSON.stringify(types(key)) !== JSON.stringify(want)) problems.push(`${key}: events ${types(key)}`);
    if (u.updated_at.getTime() !== latest(key)) problems.push(`${key}: updated_at is not its latest event`);
    byAggregate.delete(key);
  }

  const items = await db.query<{
    item_id: string;
    status: string;
    price_minor: number;
    winning_bid_id: string | null;
    closed_at: Date | null;
    updated_at: Date;
  }>('SELECT item_id, status, price_minor, winning_bid_id, closed_at, updated_at FROM items');
  const bids = await db.query<{ bid_id: string; item_id: string; amount_minor: number; placed_at: Date }>(
    'SELECT bid_id, item_id, amount_minor, placed_at FROM bids',
  );
  const bidsOf = new Map<string, typeof bids.rows>();
  for (const b of bids.rows) bidsOf.set(b.item_id, [...(bidsOf.get(b.item_id) ?? []), b]);
  let priceChanges = 0;
  for (const item of items.rows) {
    const key = `item/${item.item_id}`;
    const events = byAggregate.get(key) ?? [];
    const count = (type: string): number => events.filter((e) => e.type === type).length;
    const itemBids = bidsOf.get(item.item_id) ?? [];
    if (count('ItemListed') !== 1) problems.push(`${key}: ${count('ItemListed')} ItemListed`);
    const closedEvents = events.filter((e) => e.type === 'AuctionClosed');
    if (closedEvents.length !== (item.status === 'closed' ? 1 : 0)) {
      problems.push(`${key}: ${closedEvents.length} AuctionClosed for status ${item.status}`);
    }
    if (closedEvents[0] && closedEvents[0].detail.winningBidId !== item.winning_bid_id) {
      problems.push(`${key}: AuctionClosed names another winner`);
    }
    if ((item.status === 'closed') !== (item.closed_at !== null)) problems.push(`${key}: closed_at`);
    const bidEvents = events.filter((e) => e.type === 'BidCreated');
    const eventBidIds = bidEvents.map((e) => e.detail.bidId as string).sort();
    const rowBidIds = itemBids.map((b) => b.bid_id).sort();
    if (JSON.stringify(eventBidIds) !== JSON.stringify(rowBidIds)) problems.push(`${key}: bids ≠ BidCreated`);
    for (const b of itemBids) {
      const e = bidEvents.find((x) => x.detail.bidId === b.bid_id);
      if (e && (e.detail.amountMinor !== b.amount_minor || e.at.getTime() !== b.placed_at.getTime())) {
        problems.push(`${key}: BidCreated ${b.bid_id} differs from the bid`);
      }
    }
    if (itemBids.length > 0 && item.price_minor !== Math.max(...itemBids.map((b) => b.amount_minor))) {
      problems.push(`${key}: price is not the highest bid`);
    }
    priceChanges += count('ItemPriceChanged');
    if (events.length !== 1 + closedEvents.length + bidEvents.length + count('ItemPriceChanged')) {
      problems.push(`${key}: unexpected event types ${events.map((e) => e.type)}`);
    }
    if (item.updated_at.getTime() !== latest(key))
      problems.push(`${key}: updated_at is not its latest event`);
    byAggregate.delete(key);
  }
  // Outbox rows about users or items that do not exist: events without their change.
  for (const key of byAggregate.keys()) problems.push(`${key}: events without a row`);
  expect(problems).toEqual([]);
  expect(priceChanges).toBe(expected.priceChanges);
  return outbox.length;
}

/** Per item, bids ordered by placed_at rise strictly in amount (ties in time would hide an order). */
export async function expectBidsRisePerItem(db: OltpSql): Promise<number> {
  const { rows } = await db.query<{ item_id: string; amount_minor: number; placed_at: Date }>(
    'SELECT item_id, amount_minor, placed_at FROM bids ORDER BY item_id, placed_at, amount_minor',
  );
  const problems: string[] = [];
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1]!;
    const b = rows[i]!;
    if (a.item_id !== b.item_id) continue;
    if (!(b.amount_minor > a.amount_minor)) {
      problems.push(
        `${b.item_id}: ${b.amount_minor} at ${b.placed_at.toISOString()} after ${a.amount_minor}`,
      );
    }
  }
  expect(problems).toEqual([]);
  return rows.length;
}
