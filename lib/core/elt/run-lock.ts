/**
 * The two ways a warehouse keeps the ELT run lock ({@link RunLock}): a session lock, held by one
 * connection until it closes, and a lock row in `elt_run_lock`, which outlives the processes of a run
 * whose steps share no session. The warehouse picks one; the ELT steps use either the same way.
 */
import { EltRunInProgressError, type RunLock, type SqlRunner } from '../ports.js';
import { warehouseSql, warehouseStatement } from './sql-sources.js';
import { splitStatements } from './sql-text.js';
import { inlineValues, sqlTimestamp, type RunId } from './sql-values.js';

/**
 * A lock the connection holds until it closes, however the run ends: taken when the run starts, before it
 * reads anything. `tryLock` takes it (again, harmlessly, when this connection holds it) and says whether
 * it did.
 */
export class SessionRunLock implements RunLock {
  constructor(
    private readonly warehouse: string,
    private readonly tryLock: () => Promise<boolean>,
  ) {}

  async acquireForSession(): Promise<void> {
    if (!(await this.tryLock())) throw new EltRunInProgressError(this.warehouse);
  }

  async claim(runId: RunId): Promise<string> {
    await this.acquireForSession();
    return runId;
  }

  async release(): Promise<void> {
    // Released when the connection closes.
  }

  releaseStatements(): readonly string[] {
    return [];
  }

  async stopRunStatements(): Promise<number> {
    // A session's statements end with it.
    return 0;
  }
}

/**
 * A row in `elt_run_lock` (sql/warehouse/run-lock/*.sql): claimed by the plan for a time, released by
 * publish (in its commit) or fail. Claims are sent as one batch, which takes no parameters: the run id and
 * the times (from the caller's clock) are literals, written by `inlineValues`.
 */
export class LockRowRunLock implements RunLock {
  private readonly claimSql = splitStatements(warehouseSql('run-lock/claim'));
  private readonly holderSql = warehouseStatement('run-lock/holder');
  private readonly releaseSql = warehouseStatement('run-lock/release');

  constructor(
    private readonly sql: SqlRunner,
    /** Stops the run's statements that outlived their process (see {@link RunLock.stopRunStatements}). */
    private readonly stopStatements: (runId: RunId, until: Date) => Promise<number>,
  ) {}

  async acquireForSession(): Promise<void> {
    // Claimed by the plan, once the pipeline's tables exist.
  }

  async claim(runId: RunId, now: Date, expiresAt: Date): Promise<string> {
    const values = { run_id: runId, now: sqlTimestamp(now), expires_at: sqlTimestamp(expiresAt) };
    await this.sql.executeBatch(this.claimSql.map((s) => inlineValues(s, values)));
    const [row] = await this.sql.query(this.holderSql);
    // Nobody holds it only if the lock expired between the two calls: report the claim as lost.
    return typeof row?.run_id === 'string' ? row.run_id : '(expired)';
  }

  async release(runId: RunId): Promise<void> {
    await this.sql.executeBatch(this.releaseStatements(runId));
  }

  releaseStatements(runId: RunId): readonly string[] {
    return [inlineValues(this.releaseSql, { run_id: runId })];
  }

  stopRunStatements(runId: RunId, until: Date): Promise<number> {
    return this.stopStatements(runId, until);
  }
}
