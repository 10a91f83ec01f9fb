import { warehouseStatement } from '../../core/elt/sql-sources.js';
import { sqlTimestamp } from '../../core/elt/sql-values.js';
import type { SqlRunner } from '../../core/ports.js';

/**
 * The keys in the load ledger — every one, or those loaded at or after `since` (a plan reads what is new,
 * not the history) — through a warehouse's own query; the same SQL on every warehouse
 * (sql/warehouse/ledger-keys*.sql).
 */
export async function ledgerKeys(sql: Pick<SqlRunner, 'query'>, since?: Date): Promise<Set<string>> {
  const rows = since
    ? await sql.query(warehouseStatement('ledger-keys-since'), [sqlTimestamp(since)])
    : await sql.query(warehouseStatement('ledger-keys'));
  return new Set(rows.map((r) => String(r.object_key)));
}
