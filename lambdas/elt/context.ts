import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { S3ObjectStore } from '../../lib/adapters/store/s3-object-store.js';
import { RedshiftDataWarehouse } from '../../lib/adapters/warehouse/redshift-data-warehouse.js';
import { dialectNamed } from '../../lib/core/elt/dialect.js';
import { ELT_RUN_LOCK_TTL_MS, type EltContext, type RunState } from '../../lib/core/elt/elt-steps.js';
import { loadModels } from '../../lib/core/elt/sql-sources.js';
import { systemClock, type ObjectStore } from '../../lib/core/ports.js';
import { EltError } from '../../lib/core/util/errors.js';
import type { Environment } from '../../lib/core/util/settings.js';
import { eltSettings, type EltSettings } from './settings.js';

/** The ELT context of the functions, made once per cold start; {@link forInvocation} adds the run's own. */
export interface EltFunctionContext extends EltContext {
  readonly warehouse: RedshiftDataWarehouse;
}

/** The ELT context of the functions: S3 for objects, Redshift through the Data API, the bundled models. */
export function eltContext(settings: EltSettings): EltFunctionContext {
  const store: ObjectStore = settings.localStoreDir
    ? new FsObjectStore(settings.localStoreDir)
    : new S3ObjectStore({ bucket: settings.bucket, prefix: settings.keyPrefix });
  const warehouse = new RedshiftDataWarehouse({
    ...(settings.dataApiEndpoint ? { endpoint: settings.dataApiEndpoint } : {}),
    target: settings.target,
    database: settings.database,
    ...(settings.secretArn ? { secretArn: settings.secretArn } : {}),
    dialect: dialectNamed(settings.dialect),
    copy: {
      bucket: settings.bucket,
      keyPrefix: settings.keyPrefix,
      roleArn: settings.copyRoleArn,
    },
  });
  // Scheduled hourly: a quiet hour must not wake (and bill) Redshift Serverless.
  // The steps run in separate invocations: the plan claims the run lock in the warehouse and publish or
  // fail releases it, so a manual start-execution during a scheduled run stops after its plan.
  return {
    warehouse,
    store,
    clock: systemClock,
    models: loadModels(),
    skipWhenNothingNew: true,
    runLockTtlMs: ELT_RUN_LOCK_TTL_MS,
    readers: settings.readers,
    ...(settings.namespaceId ? { watermarkScope: `${warehouse.describe()}#${settings.namespaceId}` } : {}),
    ...(settings.latenessHours !== undefined ? { latenessHours: settings.latenessHours } : {}),
    ...(settings.maxObjectsPerRun !== undefined ? { maxObjectsPerRun: settings.maxObjectsPerRun } : {}),
  };
}

/**
 * The context of a step function's cold start: its settings read from the environment (a SettingError
 * names a missing or invalid one, failing the init), then {@link eltContext}.
 */
export function coldStartContext(env: Environment = process.env): EltFunctionContext {
  return eltContext(eltSettings.fromEnvironment(env));
}

/** What a step uses of Lambda's context object. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/**
 * Time kept at the end of an invocation: a statement still running at the deadline is canceled and seen
 * to stop (the warehouse's cancel grace, 20 s) while the function still runs, and the step returns.
 */
export const INVOCATION_RESERVE_MS = 30_000;

/**
 * The context of one invocation for one run: its statements carry the run id as their name (so the fail
 * step can find and stop them) and end by the function's own end less {@link INVOCATION_RESERVE_MS} —
 * derived from the time Lambda says is left, never from a fixed timeout, because Lambda stops a function
 * at its timeout wherever it is and a Data API statement it started runs on.
 */
export function forInvocation(
  base: EltFunctionContext,
  runId: string,
  invocation: InvocationContext | undefined,
): EltContext {
  const deadline =
    invocation === undefined
      ? undefined
      : Date.now() + invocation.getRemainingTimeInMillis() - INVOCATION_RESERVE_MS;
  return {
    ...base,
    warehouse: base.warehouse.forRun({
      statementName: runId,
      ...(deadline !== undefined ? { deadline } : {}),
    }),
    ...(deadline !== undefined ? { deadline } : {}),
  };
}

/** What Step Functions passes a step: the run so far and, on the failure path, the error it caught. */
export interface StepInput {
  readonly run?: RunState;
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}

/**
 * The handler of a step that follows the plan: reads the settings once (at cold start), then runs `step`
 * on the run it is given, in the context of this invocation.
 */
export function stepHandler<T>(
  step: (ctx: EltContext, run: RunState) => Promise<T>,
): (input: StepInput, invocation?: InvocationContext) => Promise<T> {
  const ctx = coldStartContext();
  return async (input, invocation) => {
    const run = runOf(input);
    return step(forInvocation(ctx, run.runId, invocation), run);
  };
}

/** Step Functions passed a step an input it cannot run on (a state machine definition error). */
export class StepInputError extends EltError {}

/** The run state a step needs, or a clear error when the state machine passed none. */
export function runOf(input: StepInput): RunState {
  if (!input.run) throw new StepInputError('the step input has no "run": it must follow the plan step');
  return input.run;
}

/** The message of an error Step Functions caught (a Lambda error's Cause is JSON with errorMessage). */
export function causeOf(error: StepInput['error']): string {
  if (!error) return 'unknown error';
  try {
    const cause = JSON.parse(error.Cause ?? '') as { errorMessage?: string; errorType?: string };
    if (cause.errorMessage) return `${cause.errorType ?? error.Error ?? 'Error'}: ${cause.errorMessage}`;
  } catch {
    // Not JSON: a States.* error with a plain-text cause.
  }
  return [error.Error, error.Cause].filter(Boolean).join(': ') || 'unknown error';
}
