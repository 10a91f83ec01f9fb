/**
 * `elt stream compare`: the stream processor's closed windows against the batch, from the warehouse's
 * `stream_batch_agreement` model (built by every ELT run; its data test fails a run on an unexplained
 * difference). A window agrees when the stream's value equals the batch's, or the batch's without the events
 * the stream saw late (`stg_stream_late_events`): then the late events explain the difference exactly.
 */
import type { QueryableWarehouse } from '../oltp/reconcile.js';

/** One window whose stream and batch values differ, with or without an explanation. */
export interface WindowDifference {
  readonly metric: string;
  readonly window: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly streamValue: number;
  readonly batchValue: number;
  /** The batch's value over the events the stream did not see late. */
  readonly onTimeValue: number;
  readonly agreement: 'explained' | 'unexplained';
}

/** The outcome: `unexplained` must be 0. */
export interface StreamComparison {
  readonly windowsCompared: number;
  readonly windowsEqual: number;
  /** Windows whose difference the late events explain exactly. */
  readonly windowsExplained: number;
  /** Events of which the stream saw a copy late (LateEventSeen), all of them. */
  readonly lateEvents: number;
  /** Windows whose difference nothing explains. */
  readonly unexplained: number;
  /** Compared windows by metric and window kind, e.g. `logins/minute`. */
  readonly byWindow: Readonly<Record<string, number>>;
  /** The newest window end compared (the common watermark), null when nothing could be compared. */
  readonly comparedUpTo: string | null;
  /** The first {@link MAX_WINDOW_DIFFERENCES} differing windows, unexplained first, then by window end. */
  readonly differences: readonly WindowDifference[];
}

/** How many differing windows a comparison lists. */
export const MAX_WINDOW_DIFFERENCES = 20;

const text = (v: unknown): string =>
  v instanceof Date
    ? v.toISOString()
    : `${String(v)
        .replace(' ', 'T')
        .replace(/(\.\d+)?$/, '')}`;

/** Reads `stream_batch_agreement` and `stg_stream_late_events` (the tables the last published run built). */
export async function compareStreamWithBatch(warehouse: QueryableWarehouse): Promise<StreamComparison> {
  const counts = await warehouse.query(`
    SELECT metric, window_kind, agreement, COUNT(*) AS n, MAX(window_end) AS upto
    FROM stream_batch_agreement GROUP BY metric, window_kind, agreement`);
  const [late] = await warehouse.query(
    'SELECT COUNT(DISTINCT late_event_id) AS n FROM stg_stream_late_events',
  );
  const rows = await warehouse.query(`
    SELECT metric, window_kind, window_start, window_end, stream_value, batch_value, on_time_value, agreement
    FROM stream_batch_agreement WHERE agreement <> 'equal'
    ORDER BY CASE WHEN agreement = 'unexplained' THEN 0 ELSE 1 END, window_end, metric, window_kind
    LIMIT ${MAX_WINDOW_DIFFERENCES}`);
  const byAgreement = (a: string): number =>
    counts.filter((c) => c.agreement === a).reduce((s, c) => s + Number(c.n), 0);
  const byWindow: Record<string, number> = {};
  let upto: string | null = null;
  for (const c of counts) {
    const key = `${String(c.metric)}/${String(c.window_kind)}`;
    byWindow[key] = (byWindow[key] ?? 0) + Number(c.n);
    const end = text(c.upto);
    if (upto === null || end > upto) upto = end;
  }
  return {
    windowsCompared: counts.reduce((s, c) => s + Number(c.n), 0),
    windowsEqual: byAgreement('equal'),
    windowsExplained: byAgreement('explained'),
    lateEvents: Number(late?.n ?? 0),
    unexplained: byAgreement('unexplained'),
    byWindow,
    comparedUpTo: upto,
    differences: rows.map((r) => ({
      metric: String(r.metric),
      window: String(r.window_kind),
      windowStart: text(r.window_start),
      windowEnd: text(r.window_end),
      streamValue: Number(r.stream_value),
      batchValue: Number(r.batch_value),
      onTimeValue: Number(r.on_time_value),
      agreement: r.agreement === 'unexplained' ? 'unexplained' : 'explained',
    })),
  };
}

/** A few lines for people: the figures, then each unexplained window. */
export function describeStreamComparison(c: StreamComparison): string {
  const lines = [
    `windows compared ${c.windowsCompared} (up to ${c.comparedUpTo ?? '—'}): ${c.windowsEqual} equal, ${c.windowsExplained} explained by late events, ${c.unexplained} unexplained; ${c.lateEvents} late event(s)`,
    ...Object.entries(c.byWindow).map(([k, n]) => `  ${k}: ${n}`),
  ];
  for (const d of c.differences.filter((x) => x.agreement === 'unexplained'))
    lines.push(
      `  unexplained ${d.metric}/${d.window} ${d.windowStart} – ${d.windowEnd}: stream ${d.streamValue}, batch ${d.batchValue} (${d.onTimeValue} without the late events)`,
    );
  return lines.join('\n');
}
