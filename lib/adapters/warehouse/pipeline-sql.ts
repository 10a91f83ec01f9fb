import type { Dialect } from '../../core/elt/dialect.js';
import { renderTemplate } from '../../core/elt/models.js';
import { warehouseSql } from '../../core/elt/sql-sources.js';
import { loadStages, splitStatements } from '../../core/elt/sql-text.js';

/** The pipeline's own SQL (sql/warehouse/*.sql) rendered for one warehouse's dialect. */
export interface PipelineSql {
  /** setup.sql: the pipeline's tables, created when missing. */
  readonly setup: readonly string[];
  /** insert-raw-events.sql: raw_load into raw_events; `$run_id` is the run. */
  readonly insertRawEvents: string;
  /** record-run.sql: the statements that record a run ($1 … $10, see run-history.ts). */
  readonly recordRun: readonly string[];
  /** list-runs.sql: the run history, newest first ($1: how many). */
  readonly listRuns: string;
  /** The backend's load file (`<backend>/load.sql`), split where insert-raw-events.sql runs. */
  readonly load: { readonly stage: readonly string[]; readonly after: readonly string[] };
}

/** Renders the pipeline's SQL for a dialect, with the load file of the backend (`duckdb/load`, …). */
export function pipelineSql(dialect: Dialect, loadFile: string): PipelineSql {
  const render = (name: string): string => renderTemplate(name, warehouseSql(name), dialect);
  // Split before rendering: rendering drops the comment line that marks where the insert runs.
  const { stage, after } = loadStages(loadFile, warehouseSql(loadFile));
  const each = (statements: readonly string[]): string[] =>
    statements.map((s) => renderTemplate(loadFile, s, dialect));
  return {
    setup: splitStatements(render('setup')),
    insertRawEvents: renderTemplate('insert-raw-events', warehouseSql('insert-raw-events'), dialect, {
      sources: ['raw_load'],
    }),
    recordRun: splitStatements(render('record-run')),
    listRuns: render('list-runs'),
    load: { stage: each(stage), after: each(after) },
  };
}
