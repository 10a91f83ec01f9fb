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

// Users and items, business columns as text (timestamps as the database's text of a UTC timestamp).
const OLTP_USERS = `
SELECT user_id AS k, display_name, country, channel,
       CAST(signed_up_at AT TIME ZONE 'UTC' AS TEXT) AS signed_up_at, deleted_at IS NOT NULL AS is_deleted
FROM users`;

const WAREHOUSE_USERS = `
SELECT user_id AS k, display_name, country, channel,
       CAST(signed_up_at AS VARCHAR) AS signed_up_at, is_deleted
FROM dim_users WHERE is_current`;

const OLTP_ITEMS = `
SELECT item_id AS k, seller_id, title, category, price_minor, currency, status,
       CAST(listed_at AT TIME ZONE 'UTC' AS TEXT) AS listed_at,
       CAST(closed_at AT TIME ZONE 'UTC' AS TEXT) AS closed_at, deleted_at IS NOT NULL AS is_deleted
FROM items`;

const WAREHOUSE_ITEMS = `
SELECT item_id AS k, seller_id, title, category, price_minor, currency, status,
       CAST(listed_at AS VARCHAR) AS listed_at, CAST(closed_at AS VARCHAR) AS closed_at, is_deleted
FROM dim_items WHERE is_current`;

const USER_COLUMNS = ['display_name', 'country', 'channel', 'signed_up_at', 'is_deleted'] as const;
const ITEM_COLUMNS = [
  'seller_id',
  'title',
  'category',
  'price_minor',
  'currency',
  'status',
  'listed_at',
  'closed_at',
  'is_deleted',
] as const;

/**
 * Compares the warehouse with the marketplace database, from both sides' own records:
 * - `bids-by-day`: bids per UTC day and currency, their count and the sum of their amounts, from the
 *   BidCreated events in the warehouse (stg_events) against the `bids` table;
 * - `bid-ids`: every committed bid is in the warehouse once, and nothing else is (by the event's
 *   `detail.bidId`), naming the bids that differ;
 * - `users`, `items`: the current rows of the dimensions dim_users and dim_items (built from the table
 *   extracts) equal the tables, column by column (business columns, soft deletion), naming the keys that
 *   differ. The extracts must have read the tables after their last change for these to pass.
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
    compare(
      'users',
      `the current dim_users row of every user equals the users table (${USER_COLUMNS.join(', ')})`,
      rowsByKey((await db.query<Row>(OLTP_USERS)).rows, USER_COLUMNS),
      rowsByKey(await warehouse.query(WAREHOUSE_USERS), USER_COLUMNS),
    ),
    compare(
      'items',
      `the current dim_items row of every item equals the items table (${ITEM_COLUMNS.join(', ')})`,
      rowsByKey((await db.query<Row>(OLTP_ITEMS)).rows, ITEM_COLUMNS),
      rowsByKey(await warehouse.query(WAREHOUSE_ITEMS), ITEM_COLUMNS),
    ),
  ];
  return { reconciled: checks.every((c) => c.ok), checks, oltpBids, warehouseBids };
}

/** Rows by their `k` column, each as `column=value` text in one form for both sides; a repeated key is a difference. */
function rowsByKey(rows: readonly Row[], columns: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of rows) {
    const key = String(r.k);
    const text = columns.map((c) => `${c}=${valueText(r[c])}`).join(' ');
    const seen = out.get(key);
    out.set(key, seen ? `${seen} and again` : text);
  }
  return out;
}

/**
 * A value as comparable text: timestamps (a Date, or a database's timestamp text with 0 to 6 fraction
 * digits) as `YYYY-MM-DD HH:MM:SS.ffffff`, booleans as true/false, numbers (bigint too) as digits.
 */
function valueText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date)
    return `${value.toISOString().slice(0, 10)} ${value.toISOString().slice(11, 23)}000`;
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  const text = String(value);
  // int8 columns come back as text from some drivers.
  if (/^-?[0-9]{1,19}$/.test(text)) return text;
  if (text === 't' || text === 'f') return text === 't' ? 'true' : 'false';
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(?:Z|\+00(?::?00)?)?$/.exec(text);
  if (m) return `${m[1]} ${m[2]}.${(m[3] ?? '').padEnd(6, '0')}`;
  return JSON.stringify(text);
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
