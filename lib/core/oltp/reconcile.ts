import type { Row, SqlValue } from '../ports.js';
import type { OltpDatabase } from './ports.js';

/** Anything that answers SQL: a warehouse (`EltWarehouse`), or a test double over one. */
export interface QueryableWarehouse {
  query(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
}

/** One key whose figures differ between the database and the warehouse. */
export interface Difference {
  /** What identifies it, e.g. `2026-12-03 EUR` or a bid id. */
  readonly key: string;
  readonly oltp: string;
  readonly warehouse: string;
}

/** One reconciliation check. `ok` only when nothing differs. */
export interface ReconciliationCheck {
  readonly name: string;
  readonly description: string;
  readonly ok: boolean;
  /** Keys compared on each side. */
  readonly oltpKeys: number;
  readonly warehouseKeys: number;
  /** The first {@link MAX_DIFFERENCES} differences, in key order. */
  readonly differences: readonly Difference[];
  /** All of them (differences may be cut). */
  readonly differenceCount: number;
}

/** The outcome: `reconciled` only when every check passed. */
export interface Reconciliation {
  readonly reconciled: boolean;
  readonly checks: readonly ReconciliationCheck[];
  readonly oltpBids: number;
  readonly warehouseBids: number;
}

/** How many differing keys a check lists; the count says how many there were. */
export const MAX_DIFFERENCES = 20;

// The database's side: committed bids, by the UTC day they were placed and their currency.
const OLTP_BIDS_BY_DAY = `
SELECT to_char(placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, currency,
       count(*)::int8 AS bids, sum(amount_minor)::int8 AS amount_minor
FROM bids GROUP BY 1, 2`;

// The warehouse's side: BidCreated events (one per detail.eventId in stg_events), by event day and currency.
// Reads the same on DuckDB, PostgreSQL and Redshift.
const WAREHOUSE_BIDS_BY_DAY = `
SELECT CAST(CAST(event_time AS DATE) AS VARCHAR) AS day, currency,
       COUNT(*) AS bids, SUM(amount_minor) AS amount_minor
FROM stg_events WHERE detail_type = 'BidCreated' GROUP BY 1, 2`;

const OLTP_BID_IDS = 'SELECT bid_id, amount_minor FROM bids';

const WAREHOUSE_BID_IDS = `
SELECT item_id, user_id, amount_minor, detail FROM stg_events WHERE detail_type = 'BidCreated'`;

/**
 * Compares the warehouse with the marketplace database, from both sides' own records:
 * - `bids-by-day`: bids per UTC day and currency, their count and the sum of their amounts, from the
 *   BidCreated events in the warehouse (stg_events) against the `bids` table;
 * - `bid-ids`: every committed bid is in the warehouse once, and nothing else is (by the event's
 *   `detail.bidId`), naming the bids that differ.
 */
export async function reconcileOltp(
  db: OltpDatabase,
  warehouse: QueryableWarehouse,
): Promise<Reconciliation> {
  const oltpDays = new Map<string, string>();
  let oltpBids = 0;
  for (const r of (
    await db.query<{ day: string; currency: string; bids: number; amount_minor: number }>(OLTP_BIDS_BY_DAY)
  ).rows) {
    oltpBids += Number(r.bids);
    oltpDays.set(`${r.day} ${r.currency}`, figures(r.bids, r.amount_minor));
  }
  const warehouseDays = new Map<string, string>();
  let warehouseBids = 0;
  for (const r of await warehouse.query(WAREHOUSE_BIDS_BY_DAY)) {
    warehouseBids += Number(r.bids);
    warehouseDays.set(`${dayText(r.day)} ${String(r.currency)}`, figures(r.bids, r.amount_minor));
  }

  const oltpIds = new Map<string, string>();
  for (const r of (await db.query<{ bid_id: string; amount_minor: number }>(OLTP_BID_IDS)).rows)
    oltpIds.set(r.bid_id, `amount ${Number(r.amount_minor)}`);
  const warehouseIds = new Map<string, string>();
  for (const r of await warehouse.query(WAREHOUSE_BID_IDS)) {
    const detail = (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail) as { bidId?: unknown };
    const id = typeof detail?.bidId === 'string' ? detail.bidId : `(no bidId: item ${String(r.item_id)})`;
    const seen = warehouseIds.get(id);
    // Two events for one bid is a difference too: the warehouse would count it twice.
    warehouseIds.set(id, seen ? `${seen} and again` : `amount ${Number(r.amount_minor)}`);
  }

  const checks = [
    compare(
      'bids-by-day',
      'bids per UTC day and currency (count and sum of amounts): BidCreated events in the warehouse against the bids table',
      oltpDays,
      warehouseDays,
    ),
    compare(
      'bid-ids',
      'every committed bid is in the warehouse exactly once (by detail.bidId), with its amount',
      oltpIds,
      warehouseIds,
    ),
  ];
  return { reconciled: checks.every((c) => c.ok), checks, oltpBids, warehouseBids };
}

function figures(bids: unknown, amount: unknown): string {
  return `${Number(bids)} bids, ${Number(amount)} minor units`;
}

/** A date column as YYYY-MM-DD, whatever the warehouse's driver returns for it. */
function dayText(value: unknown): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}

function compare(
  name: string,
  description: string,
  oltp: ReadonlyMap<string, string>,
  warehouse: ReadonlyMap<string, string>,
): ReconciliationCheck {
  const keys = [...new Set([...oltp.keys(), ...warehouse.keys()])].sort();
  const differences: Difference[] = [];
  let differenceCount = 0;
  for (const key of keys) {
    const a = oltp.get(key) ?? 'missing';
    const b = warehouse.get(key) ?? 'missing';
    if (a === b) continue;
    differenceCount++;
    if (differences.length < MAX_DIFFERENCES) differences.push({ key, oltp: a, warehouse: b });
  }
  return {
    name,
    description,
    ok: differenceCount === 0,
    oltpKeys: oltp.size,
    warehouseKeys: warehouse.size,
    differences,
    differenceCount,
  };
}

/** The reconciliation as a person reads it: one line per check, the differing keys under a failed one. */
export function describeReconciliation(r: Reconciliation): string {
  const lines = [
    `${r.reconciled ? 'reconciled' : 'NOT reconciled'}: ${r.oltpBids} bids in the database, ${r.warehouseBids} in the warehouse`,
  ];
  for (const c of r.checks) {
    lines.push(
      `${c.ok ? '✓' : '✗'} ${c.name}: ${c.description} (${c.oltpKeys} keys in the database, ${c.warehouseKeys} in the warehouse${c.ok ? '' : `, ${c.differenceCount} differ`})`,
    );
    for (const d of c.differences) lines.push(`    ${d.key}: database ${d.oltp}, warehouse ${d.warehouse}`);
    if (c.differenceCount > c.differences.length)
      lines.push(`    … and ${c.differenceCount - c.differences.length} more`);
  }
  return lines.join('\n');
}
