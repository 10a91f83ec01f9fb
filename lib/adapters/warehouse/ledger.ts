import type { Row, SqlValue } from '../../core/ports.js';
import { sqlTimestamp } from './run-history.js';

/**
 * The keys in the load ledger — every one, or those loaded at or after `since` (a plan reads what is new,
 * not the history) — through a warehouse's own query function; the same SQL on every warehouse.
 */
export async function ledgerKeys(
  query: (sql: string, params?: readonly SqlValue[]) => Promise<Row[]>,
  since?: Date,
): Promise<Set<string>> {
  const rows = since
    ? await query('SELECT object_key FROM elt_loaded_objects WHERE loaded_at >= CAST($1 AS TIMESTAMP)', [
        sqlTimestamp(since),
      ])
    : await query('SELECT object_key FROM elt_loaded_objects');
  return new Set(rows.map((r) => String(r.object_key)));
}
