import type { GeneratedEntry, GeneratedItem } from '../../lib/core/generator/workload.js';

/**
 * The marts computed directly from the generator's own record, in plain TypeScript: an oracle that shares
 * nothing with the SQL models it checks.
 */
export interface GroundTruth {
  readonly distinctValid: number;
  readonly dau: { day: string; users: number }[];
  readonly loginsPerMinute: { minute: string; logins: number }[];
  readonly funnel: { signup_day: string; signed_up: number; viewed_page: number; placed_bid: number }[];
  readonly bidsPerItemHour: {
    item_id: string;
    hour: string;
    currency: string;
    bids: number;
    bidders: number;
    max_amount_minor: number;
    total_amount_minor: number;
  }[];
}

const day = (iso: string): string => iso.slice(0, 10);
const minute = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)}:00`;
const hour = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 13)}:00:00`;

/** Computes every mart from the valid items of a workload. */
export function groundTruth(items: Iterable<GeneratedItem>): GroundTruth {
  const events: GeneratedEntry[] = [];
  for (const item of items) {
    if (item.truth.kind === 'valid' && 'value' in item.input) events.push(item.input.value as GeneratedEntry);
  }
  const userOf = (e: GeneratedEntry) => e.detail.userId as string;

  const dauSets = new Map<string, Set<string>>();
  for (const e of events) {
    const d = day(e.time);
    if (!dauSets.has(d)) dauSets.set(d, new Set());
    dauSets.get(d)!.add(userOf(e));
  }

  const logins = new Map<string, number>();
  for (const e of events.filter((x) => x['detail-type'] === 'UserLoggedIn')) {
    logins.set(minute(e.time), (logins.get(minute(e.time)) ?? 0) + 1);
  }

  const byType = (t: string) => events.filter((e) => e['detail-type'] === t);
  const signedUpAt = new Map<string, string>();
  for (const e of byType('UserSignedUp')) {
    const prev = signedUpAt.get(userOf(e));
    if (!prev || e.time < prev) signedUpAt.set(userOf(e), e.time);
  }
  const firstViewAt = new Map<string, string>();
  for (const e of byType('PageViewed')) {
    const s = signedUpAt.get(userOf(e));
    if (!s || e.time < s) continue;
    const prev = firstViewAt.get(userOf(e));
    if (!prev || e.time < prev) firstViewAt.set(userOf(e), e.time);
  }
  const bidders = new Set<string>();
  for (const e of byType('BidCreated')) {
    const v = firstViewAt.get(userOf(e));
    if (v && e.time >= v) bidders.add(userOf(e));
  }
  const funnel = new Map<string, { signed_up: number; viewed_page: number; placed_bid: number }>();
  for (const [user, at] of signedUpAt) {
    const row = funnel.get(day(at)) ?? { signed_up: 0, viewed_page: 0, placed_bid: 0 };
    row.signed_up++;
    if (firstViewAt.has(user)) row.viewed_page++;
    if (bidders.has(user)) row.placed_bid++;
    funnel.set(day(at), row);
  }

  const bids = new Map<string, { users: Set<string>; bids: number; max: number; total: number }>();
  for (const e of byType('BidCreated')) {
    const key = `${e.detail.itemId as string}|${hour(e.time)}|${e.detail.currency as string}`;
    const b = bids.get(key) ?? { users: new Set(), bids: 0, max: 0, total: 0 };
    b.users.add(userOf(e));
    b.bids++;
    b.max = Math.max(b.max, e.detail.amountMinor as number);
    b.total += e.detail.amountMinor as number;
    bids.set(key, b);
  }

  const byKey = <T>(rows: T[], key: (r: T) => string) =>
    rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return {
    distinctValid: events.length,
    dau: byKey(
      [...dauSets].map(([d, s]) => ({ day: d, users: s.size })),
      (r) => r.day,
    ),
    loginsPerMinute: byKey(
      [...logins].map(([m, n]) => ({ minute: m, logins: n })),
      (r) => r.minute,
    ),
    funnel: byKey(
      [...funnel].map(([d, r]) => ({ signup_day: d, ...r })),
      (r) => r.signup_day,
    ),
    bidsPerItemHour: byKey(
      [...bids].map(([k, b]) => {
        const [item_id, h, currency] = k.split('|') as [string, string, string];
        return {
          item_id,
          hour: h,
          currency,
          bids: b.bids,
          bidders: b.users.size,
          max_amount_minor: b.max,
          total_amount_minor: b.total,
        };
      }),
      (r) => `${r.item_id}|${r.hour}|${r.currency}`,
    ),
  };
}
