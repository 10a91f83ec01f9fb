import { EltRunInProgressError, type RunRecord } from '../ports.js';
import { EltError } from '../util/errors.js';
import {
  ELT_RUN_LOCK_TTL_MS,
  failRun,
  loadRun,
  planRun,
  publishRun,
  testRun,
  transformRun,
  type EltContext,
  type RunState,
} from './elt-steps.js';

export { newRunId } from './elt-steps.js';

/** Options of {@link runElt}. */
export interface EltRunOptions extends EltContext {
  readonly runId?: string;
}

/** A run that did not succeed; the run history has the same record. */
export class EltRunFailedError extends EltError {
  constructor(
    readonly run: RunRecord,
    options?: { cause?: unknown },
  ) {
    super(`ELT run ${run.runId} failed: ${run.error ?? 'unknown error'}`, options);
  }
}

/**
 * One ELT run, every step in turn, under the warehouse's run lock where it has one, as the state machine runs them on AWS: plan (objects the ledger has
 * not seen), load, build the models into new tables, test them, and publish them in one swap — or, on
 * any failure, drop what was built and record why. Consumers never see untested tables, a rerun loads
 * nothing twice, and the history records every run. Throws {@link EltRunFailedError} when the run fails.
 */
export async function runElt(runOptions: EltRunOptions): Promise<RunRecord> {
  // Two runs at once would build the same tables: the second stops here, before touching anything (a
  // session lock is taken now; a lock row, which needs the pipeline's tables, by the plan).
  const w = runOptions.warehouse;
  await w.runLock.acquireForSession();
  // The plan claims the lock (a lock row: Redshift through the Data API, shared with the scheduled runs
  // on AWS), publish or fail gives it back.
  const options: EltRunOptions = { runLockTtlMs: ELT_RUN_LOCK_TTL_MS, ...runOptions };
  // Schema and ownership first (a Redshift warehouse refuses a user who does not own the pipeline's tables),
  // before the store is listed: a run that cannot go on says so at once.
  await w.ensureSchema();
  let state: RunState = await planRun(options, options.runId);
  if (state.lockedBy) throw new EltRunInProgressError(w.describe(), state.lockedBy);
  try {
    // Without a deadline each step finishes in one call; the loops are the state machine's, for a deadline.
    while (state.loadComplete === false) state = await loadRun(options, state);
    do state = await transformRun(options, state);
    while (state.transformComplete === false);
    state = await testRun(options, state);
  } catch (error) {
    throw new EltRunFailedError(await failRun(options, state, (error as Error).message), { cause: error });
  }
  if (state.failedTests.length > 0) {
    throw new EltRunFailedError(
      await failRun(options, state, `data tests failed (nothing published): ${state.failedTests.join('; ')}`),
    );
  }
  try {
    return await publishRun(options, state);
  } catch (error) {
    throw new EltRunFailedError(await failRun(options, state, (error as Error).message), { cause: error });
  }
}
