import { renderTemplate } from '../../core/elt/models.js';
import type { Dialect } from '../../core/elt/dialect.js';
import { splitStatements } from '../../core/elt/sql-text.js';
import { warehouseSql } from '../../core/elt/sql-sources.js';
import type { Row, RunRecord, SqlValue } from '../../core/ports.js';

/** The run-history SQL of a dialect: the statements that record a run, and the query that lists runs. */
export interface RunHistorySql {
  readonly record: readonly string[];
  readonly list: string;
}

/** Renders sql/warehouse/record-run.sql and list-runs.sql for a dialect. */
export function runHistorySql(dialect: Dialect): RunHistorySql {
  return {
    record: splitStatements(renderTemplate('record-run', warehouseSql('record-run'), dialect)),
    list: renderTemplate('list-runs', warehouseSql('list-runs'), dialect),
  };
}

/**
 * A time as `YYYY-MM-DD HH:MM:SS.mmm` (UTC), the text every warehouse casts to TIMESTAMP the same way (and
 * the literal form of a TIMESTAMP on Redshift and PostgreSQL).
 */
export function sqlTimestamp(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

const isoParam = (iso: string | undefined): string | null => (iso ? sqlTimestamp(new Date(iso)) : null);

/** The parameters of record-run.sql for a run ($1 … $10). */
export function runParams(run: RunRecord): SqlValue[] {
  return [
    run.runId,
    run.status,
    isoParam(run.startedAt),
    isoParam(run.finishedAt),
    run.durationMs ?? null,
    run.objectsLoaded,
    run.eventsLoaded,
    JSON.stringify(run.models),
    JSON.stringify(run.tests),
    run.error ?? null,
  ];
}

/** Rows of list-runs.sql back into run records. */
export function runsFromRows(rows: readonly Row[]): RunRecord[] {
  return rows.map((r) => ({
    runId: String(r.run_id),
    status: r.status as RunRecord['status'],
    startedAt: String(r.started_at),
    ...(r.finished_at ? { finishedAt: String(r.finished_at) } : {}),
    ...(r.duration_ms !== null && r.duration_ms !== undefined ? { durationMs: Number(r.duration_ms) } : {}),
    objectsLoaded: Number(r.objects_loaded),
    eventsLoaded: Number(r.events_loaded),
    models: r.models ? (JSON.parse(String(r.models)) as RunRecord['models']) : [],
    tests: r.tests ? (JSON.parse(String(r.tests)) as RunRecord['tests']) : [],
    ...(r.error ? { error: String(r.error) } : {}),
  }));
}
