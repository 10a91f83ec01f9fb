import { identifier, type Dialect } from './dialect.js';
import { readerList, type WarehouseReaders } from './readers.js';

/** The suffix of the tables a run builds before its tests pass. */
export const BUILD_SUFFIX = '__build';
/** The suffix of the table holding an incremental model's rows new in this run. */
export const NEW_SUFFIX = '__new';
/** The table (or, for an incremental model, the view) a run builds a model into. */
export const buildTable = (model: string): string => identifier(`${model}${BUILD_SUFFIX}`, 'model table');
/** The table of an incremental model's rows new in this run. */
export const newTable = (model: string): string => identifier(`${model}${NEW_SUFFIX}`, 'model table');

/** What a publish runs: one transaction that puts the new tables in place, then cleanup that may fail. */
export interface PublishPlan {
  /** One transaction: readers see the previous run's tables or this run's, never a mix. */
  readonly statements: readonly string[];
  /** Drops of the builds this run copied from; not atomic (a leftover is dropped by the next run). */
  readonly cleanup: readonly string[];
  /** Models whose columns changed: their table is replaced, not refilled. */
  readonly recreated: readonly string[];
}

/** What {@link publishStatements} needs to know about the warehouse and the run. */
export interface PublishInput {
  /** Every model, in dependency order. */
  readonly models: readonly string[];
  /** Incremental models this run appends to: their new rows are in `<model>__new`. */
  readonly appended: ReadonlySet<string>;
  /**
   * The columns (name, type, position) of each live table and each build that exists, as comparable text;
   * a name that is absent has no table.
   */
  readonly shapes: ReadonlyMap<string, string>;
  readonly readers?: WarehouseReaders | undefined;
  /** Statements to commit with the publish (releasing the run lock). */
  readonly extra?: readonly string[];
}

/**
 * The statements that publish a run. A live table keeps its identity: its rows are replaced (`DELETE`,
 * then `INSERT … SELECT` from the build, in the one transaction), so a grant an administrator made on it
 * and a view a reader built on it survive every run — dropping and renaming the build in its place, as
 * this once did, loses the grants and fails for ever once a view depends on the table (on Redshift and
 * PostgreSQL alike). `TRUNCATE` would be faster but commits the transaction on Redshift. A model seen for
 * the first time is the build renamed; a model whose columns changed is a new table: the old one is
 * dropped (a view depending on it stops the publish, with a message saying so). Configured readers get
 * SELECT on every model in the same transaction.
 */
export function publishStatements(d: Dialect, input: PublishInput): PublishPlan {
  const statements: string[] = [];
  const cleanup: string[] = [];
  const recreated: string[] = [];
  for (const model of input.models) {
    const table = identifier(model, 'model table');
    if (input.appended.has(model)) {
      // The merge: new rows into the live table (their keys were absent when built).
      statements.push(`INSERT INTO ${table} SELECT * FROM ${newTable(model)}`);
      cleanup.push(d.dropViewIfExists(buildTable(model)), d.dropTableIfExists(newTable(model)));
      continue;
    }
    const live = input.shapes.get(model);
    if (live === undefined) {
      statements.push(d.renameTable(buildTable(model), table));
    } else if (live === input.shapes.get(buildTable(model))) {
      statements.push(`DELETE FROM ${table}`, `INSERT INTO ${table} SELECT * FROM ${buildTable(model)}`);
      cleanup.push(d.dropTableIfExists(buildTable(model)));
    } else {
      statements.push(d.dropTableIfExists(table), d.renameTable(buildTable(model), table));
      recreated.push(model);
    }
  }
  for (const reader of readerList(input.readers)) {
    const grant = d.grantSelect(input.models, reader);
    if (grant) statements.push(grant);
  }
  statements.push(...(input.extra ?? []));
  return { statements, cleanup, recreated };
}

/**
 * The most statements {@link publishStatements} can need for these models and readers, with the release
 * of the run lock: two per model, one per reader, one for the lock.
 */
export function publishStatementBound(
  models: readonly unknown[],
  readers: WarehouseReaders | undefined,
): number {
  return 2 * models.length + readerList(readers).length + 1;
}
