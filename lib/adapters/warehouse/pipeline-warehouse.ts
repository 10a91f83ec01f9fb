import type { Dialect } from '../../core/elt/dialect.js';
import type { RunId } from '../../core/elt/sql-values.js';
import type * as port from '../../core/ports.js';
import { ledgerKeys } from './ledger.js';
import type { PipelineSql } from './pipeline-sql.js';
import { runsFromRows } from './run-history.js';

/**
 * What the warehouse adapters share: the ledger and run-history reads (the same SQL everywhere) and the
 * load's entry; each adapter brings how it runs SQL, how it bulk-loads, and its run lock.
 */
export abstract class PipelineWarehouse implements port.EltWarehouse {
  abstract readonly dialect: Dialect;
  abstract readonly maxStatementsPerTransaction: number;
  abstract readonly runLock: port.RunLock;
  /** The pipeline's SQL rendered for this warehouse. */
  protected abstract readonly sql: PipelineSql;

  abstract describe(): string;
  abstract execute(sql: string, params?: readonly port.SqlValue[]): Promise<void>;
  abstract query(sql: string, params?: readonly port.SqlValue[]): Promise<port.Row[]>;
  abstract executeBatch(statements: readonly string[]): Promise<void>;
  abstract close(): Promise<void>;
  abstract recordRun(run: port.RunRecord): Promise<void>;

  /** Bulk-loads objects, at least one (see {@link port.RawLoader.loadObjects}). */
  protected abstract load(
    objects: readonly port.ObjectInfo[],
    store: port.ObjectStore,
    runId: RunId,
  ): Promise<number>;

  /** Runs setup.sql (every statement `IF NOT EXISTS`) as one transaction. */
  async ensureSchema(): Promise<void> {
    await this.executeBatch(this.sql.setup);
  }

  loadedObjectKeys(since?: Date): Promise<Set<string>> {
    return ledgerKeys(this, since);
  }

  async loadObjects(
    objects: readonly port.ObjectInfo[],
    store: port.ObjectStore,
    runId: RunId,
  ): Promise<number> {
    return objects.length === 0 ? 0 : this.load(objects, store, runId);
  }

  async listRuns(limit: number): Promise<port.RunRecord[]> {
    return runsFromRows(await this.query(this.sql.listRuns, [limit]));
  }
}
