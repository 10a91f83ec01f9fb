import type { RunRecord } from '../core/ports.js';
import { n, secs, table } from './output.js';

/** Human-readable lines for one run: its outcome, the models it built and its data tests. */
export function describeRun(run: RunRecord): string {
  const lines = [
    `run ${run.runId}: ${run.status.toUpperCase()} in ${secs(run.durationMs ?? 0)} — loaded ${n(run.objectsLoaded)} objects, ${n(run.eventsLoaded)} events`,
  ];
  if (run.models.length > 0)
    lines.push('', table(run.models.map((m) => ({ model: m.name, rows: m.rows, ms: m.ms }))));
  if (run.tests.length > 0) {
    const failing = run.tests.filter((t) => t.failures > 0 && !t.warn);
    const warnings = run.tests.filter((t) => t.failures > 0 && t.warn);
    lines.push(
      '',
      `data tests: ${run.tests.length - failing.length - warnings.length}/${run.tests.length} passed${warnings.length > 0 ? `, ${warnings.length} warning(s)` : ''}`,
    );
    for (const t of failing) lines.push(`  ✗ ${t.name}: ${n(t.failures)} failing row(s)`);
    // A freshness warning never blocks publishing: data stopped arriving, the tables are right.
    for (const t of warnings) lines.push(`  ! ${t.name}: no new rows within the limit (a warning)`);
  }
  if (run.error) lines.push('', `error: ${run.error}`);
  return lines.join('\n');
}
