import { fileURLToPath } from 'node:url';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { S3ObjectStore } from '../../lib/adapters/store/s3-object-store.js';
import {
  RedshiftDataWarehouse,
  type RedshiftTarget,
} from '../../lib/adapters/warehouse/redshift-data-warehouse.js';
import { dialectNamed } from '../../lib/core/elt/dialect.js';
import { ELT_RUN_LOCK_TTL_MS, type EltContext, type RunState } from '../../lib/core/elt/elt-steps.js';
import { parseReaders, WarehouseReadersError, type WarehouseReaders } from '../../lib/core/elt/readers.js';
import { loadModels } from '../../lib/core/elt/sql-sources.js';
import { systemClock, type ObjectStore } from '../../lib/core/ports.js';
import { FUNCTION_ENV } from '../../lib/infra/function-environment.js';

/** A setting of the ELT functions that is missing or invalid; the message names it. */
export class EltConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EltConfigError';
  }
}

/** The ELT functions' settings, from their environment. */
export interface EltFunctionConfig {
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly target: RedshiftTarget;
  readonly database: string;
  readonly secretArn?: string;
  readonly copyRoleArn: string;
  /** `redshift`, or `postgres` against a local Data API endpoint backed by PostgreSQL. */
  readonly dialect: string;
  /**
   * Read and write the bucket's objects in a local directory instead of S3 (`file:///dir`): for running
   * these functions on a workstation against `elt dataapi --bucket-dir <bucket>=<dir>`. Env RAW_STORE.
   */
  readonly localStoreDir?: string;
  /** Who gets SELECT on every model at each publish. Env ELT_READERS (JSON). */
  readonly readers: WarehouseReaders;
  /** How late an event may land under its own partition; bounds the plan's listing. Env ELT_LATENESS_HOURS. */
  readonly latenessHours?: number;
  /** Most objects one run loads. Env ELT_MAX_OBJECTS_PER_RUN. */
  readonly maxObjectsPerRun?: number;
  /** The Redshift namespace's id, so a recreated namespace does not inherit a watermark. Env REDSHIFT_NAMESPACE_ID. */
  readonly namespaceId?: string;
}

/** Reads and checks the settings once, at cold start. */
export function readEltConfig(env: Readonly<Record<string, string | undefined>>): EltFunctionConfig {
  const need = (name: string, what: string): string => {
    const v = env[name];
    if (!v) throw new EltConfigError(`${name} is not set: ${what}`);
    return v;
  };
  const workgroup = env.REDSHIFT_WORKGROUP;
  const cluster = env.REDSHIFT_CLUSTER;
  if (!workgroup === !cluster) {
    throw new EltConfigError(
      'set exactly one of REDSHIFT_WORKGROUP (Serverless) and REDSHIFT_CLUSTER (provisioned)',
    );
  }
  const dialect = env.REDSHIFT_SQL_DIALECT ?? 'redshift';
  dialectNamed(dialect);
  const int = (name: string, min: number, max: number): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new EltConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return n;
  };
  let readers: WarehouseReaders = {};
  const readersJson = env[FUNCTION_ENV.readers];
  if (readersJson) {
    try {
      readers = parseReaders(JSON.parse(readersJson) as unknown, FUNCTION_ENV.readers);
    } catch (error) {
      const why =
        error instanceof WarehouseReadersError ? error.message : `${FUNCTION_ENV.readers} is not JSON`;
      throw new EltConfigError(why);
    }
  }
  const latenessHours = int(FUNCTION_ENV.latenessHours, 1, 720);
  const maxObjectsPerRun = int(FUNCTION_ENV.maxObjectsPerRun, 1, 1_000_000);
  return {
    bucket: need('RAW_BUCKET', 'the raw bucket name'),
    keyPrefix: env.RAW_KEY_PREFIX ?? '',
    target: workgroup
      ? { workgroupName: workgroup }
      : { clusterIdentifier: cluster!, ...(env.REDSHIFT_DB_USER ? { dbUser: env.REDSHIFT_DB_USER } : {}) },
    database: need('REDSHIFT_DATABASE', 'the database name'),
    ...(env.REDSHIFT_SECRET_ARN ? { secretArn: env.REDSHIFT_SECRET_ARN } : {}),
    copyRoleArn: need('REDSHIFT_COPY_ROLE_ARN', 'the IAM role Redshift COPY assumes'),
    dialect,
    ...(env.RAW_STORE ? { localStoreDir: localDir(env.RAW_STORE) } : {}),
    readers,
    ...(latenessHours !== undefined ? { latenessHours } : {}),
    ...(maxObjectsPerRun !== undefined ? { maxObjectsPerRun } : {}),
    ...(env.REDSHIFT_NAMESPACE_ID ? { namespaceId: env.REDSHIFT_NAMESPACE_ID } : {}),
  };
}

function localDir(url: string): string {
  if (!url.startsWith('file://'))
    throw new EltConfigError(`RAW_STORE must be a file:// URL, got ${JSON.stringify(url)}`);
  return fileURLToPath(url);
}

/** The ELT context of the functions, made once per cold start; {@link forInvocation} adds the run's own. */
export interface EltFunctionContext extends EltContext {
  readonly warehouse: RedshiftDataWarehouse;
}

/** The ELT context of the functions: S3 for objects, Redshift through the Data API, the bundled models. */
export function eltContext(config: EltFunctionConfig): EltFunctionContext {
  const store: ObjectStore = config.localStoreDir
    ? new FsObjectStore(config.localStoreDir)
    : new S3ObjectStore({ bucket: config.bucket, prefix: config.keyPrefix });
  const warehouse = new RedshiftDataWarehouse({
    target: config.target,
    database: config.database,
    ...(config.secretArn ? { secretArn: config.secretArn } : {}),
    dialect: dialectNamed(config.dialect),
    copy: {
      bucket: config.bucket,
      keyPrefix: config.keyPrefix,
      roleArn: config.copyRoleArn,
      manifestStore: store,
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
    readers: config.readers,
    ...(config.namespaceId ? { watermarkScope: `${warehouse.describe()}#${config.namespaceId}` } : {}),
    ...(config.latenessHours !== undefined ? { latenessHours: config.latenessHours } : {}),
    ...(config.maxObjectsPerRun !== undefined ? { maxObjectsPerRun: config.maxObjectsPerRun } : {}),
  };
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
  const ctx = eltContext(readEltConfig(process.env));
  return async (input, invocation) => {
    const run = runOf(input);
    return step(forInvocation(ctx, run.runId, invocation), run);
  };
}

/** The run state a step needs, or a clear error when the state machine passed none. */
export function runOf(input: StepInput): RunState {
  if (!input.run) throw new Error('the step input has no "run": it must follow the plan step');
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
