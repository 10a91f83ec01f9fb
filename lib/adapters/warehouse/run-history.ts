import { sqlTimestamp } from '../../core/elt/sql-values.js';
import type { Row, RunRecord, SqlValue } from '../../core/ports.js';

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
