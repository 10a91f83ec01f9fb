import { randomBytes } from 'node:crypto';
import { OBJECT_SUFFIX, RAW_PREFIX, parseRawKey } from '../landing/object-keys.js';
import type { Clock, ObjectInfo, ObjectStore, RunRecord, Warehouse } from '../ports.js';
import { identifier } from './dialect.js';
import { describeDataTest, orderModels, renderDataTest, renderModel, type Model } from './models.js';

/** What the ELT steps share: where the data is, the models, a clock. */
export interface EltContext {
  readonly warehouse: Warehouse;
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly models: readonly Model[];
  /** Most objects per load transaction. @default 500 */
  readonly maxObjectsPerLoad?: number;
  /** Most compressed bytes per load transaction. @default 512 MiB */
  readonly maxBytesPerLoad?: number;
  readonly onProgress?: (message: string) => void;
  /** Rebuild incremental models from all raw data (after changing their SQL). @default false */
  readonly fullRefresh?: boolean;
  /**
   * Finish the plan without touching the warehouse when nothing was landed since the last published run
   * (judged from object timestamps against the watermark that run left). A scheduled run on a quiet
   * pipeline then costs an S3 listing instead of waking Redshift Serverless. @default false
   */
  readonly skipWhenNothingNew?: boolean;
  /**
   * Hold the warehouse's run lock (`claimRunLock`) from the plan to publish or fail, for at most this long:
   * for orchestrators whose steps share no session. Unset: no lock is taken here (`runElt` holds a
   * session lock of its own).
   */
  readonly runLockTtlMs?: number;
}

/**
 * How long an ELT run on AWS may hold the run lock: the state machine's timeout plus 5 minutes. A run
 * stopped by that timeout gets no fail step, so its lock is only freed by expiring.
 */
export const ELT_STATE_MACHINE_TIMEOUT_MS = 60 * 60_000;
export const ELT_RUN_LOCK_TTL_MS = ELT_STATE_MACHINE_TIMEOUT_MS + 5 * 60_000;

/**
 * The state of one run as it moves through the steps: small and JSON-serializable, because on AWS it
 * travels between Lambda invocations inside a Step Functions execution (≤ 256 KB). The list of objects to
 * load is in the plan file, not here.
 */
export interface RunState {
  readonly runId: string;
  readonly startedAt: string;
  /** The plan: `manifests/<runId>/plan.json` in the object store. */
  readonly planKey: string;
  readonly pendingObjects: number;
  readonly pendingBytes: number;
  readonly objectsLoaded: number;
  readonly eventsLoaded: number;
  readonly models: RunRecord['models'];
  readonly tests: RunRecord['tests'];
  /** Names of failing data tests; the run must not be promoted when there is one. */
  readonly failedTests: readonly string[];
  /** Incremental models this run appends to (their new rows are in `<model>__new`). */
  readonly appended?: readonly string[];
  /** When the plan listed the raw objects: the watermark a published run leaves. */
  readonly listedAt?: string;
  /** Nothing was landed since the last published run: the run stops after the plan. */
  readonly nothingNew?: boolean;
  /** This run holds the warehouse's run lock (taken by the plan with `runLockTtlMs`). */
  readonly lockHeld?: boolean;
  /** Another run holds the run lock: this one stops after the plan, having changed nothing. */
  readonly lockedBy?: string;
}

/** Where a published run leaves its watermark: when its plan listed the raw objects. */
export const WATERMARK_KEY = 'manifests/watermark.json';
// Objects written this close before the watermark still count as new: a write can finish (and be
// listed) a little after the timestamp it carries.
const WATERMARK_MARGIN_MS = 5 * 60_000;

/** The plan file of a run: the raw objects it loads. */
export interface RunPlan {
  readonly runId: string;
  readonly objects: readonly ObjectInfo[];
}

/** The suffix of the tables a run builds before its tests pass. */
export const BUILD_SUFFIX = '__build';

/** A new run id, sortable by start time: `run-20261125T120000Z-1a2b3c`. */
export function newRunId(now: Date): string {
  return `run-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${randomBytes(3).toString('hex')}`;
}

/** The state of a run that has done nothing yet: no plan, nothing loaded, built or tested. */
export function newRunState(runId: string, startedAt: Date): RunState {
  return {
    runId,
    startedAt: startedAt.toISOString(),
    planKey: '',
    pendingObjects: 0,
    pendingBytes: 0,
    objectsLoaded: 0,
    eventsLoaded: 0,
    models: [],
    tests: [],
    failedTests: [],
  };
}

/** The plan file's key for a run. */
export function planKey(runId: string): string {
  return `manifests/${identifier(runId.replace(/-/g, '_'), 'run id')}/plan.json`;
}

const buildTable = (model: string): string => identifier(`${model}${BUILD_SUFFIX}`, 'model table');
/** The suffix of the table holding an incremental model's rows new in this run. */
export const NEW_SUFFIX = '__new';
const newTable = (model: string): string => identifier(`${model}${NEW_SUFFIX}`, 'model table');

/**
 * raw_events rows not yet merged into incremental models: those loaded by runs that have not been
 * published (this one, and any that failed after loading). The unique-key check makes a second merge of
 * the same rows harmless; this bound keeps each run's work proportional to what is new.
 */
const PENDING_RAW =
  "(SELECT * FROM raw_events WHERE run_id NOT IN (SELECT run_id FROM elt_runs WHERE status = 'succeeded')) raw_events";

/** Which of the given tables and views exist, by name and kind. */
async function existing(
  warehouse: Warehouse,
  names: readonly string[],
): Promise<Map<string, 'table' | 'view'>> {
  if (names.length === 0) return new Map();
  const list = names.map((n) => `'${identifier(n)}'`).join(', ');
  const rows = await warehouse.query(
    `SELECT table_name, table_type FROM information_schema.tables WHERE table_name IN (${list})`,
  );
  return new Map(
    rows.map((r) => [
      String(r.table_name),
      String(r.table_type).toUpperCase().includes('VIEW') ? 'view' : 'table',
    ]),
  );
}

/**
 * Step 1, plan: creates the pipeline's tables if needed, opens the run in the history, and writes the
 * plan — every raw object the load ledger has not seen — so that a rerun loads nothing twice.
 */
export async function planRun(ctx: EltContext, runId?: string): Promise<RunState> {
  const started = ctx.clock.now();
  const id = runId ?? newRunId(started);
  const landed: ObjectInfo[] = [];
  for await (const object of ctx.store.list(RAW_PREFIX)) {
    if (object.key.endsWith(OBJECT_SUFFIX) && parseRawKey(object.key)) landed.push(object);
  }
  if (ctx.skipWhenNothingNew && (await nothingSinceWatermark(ctx.store, landed))) {
    ctx.onProgress?.('plan: nothing landed since the last published run');
    return { ...newRunState(id, started), listedAt: started.toISOString(), nothingNew: true };
  }
  await ctx.warehouse.ensureSchema();
  let lockHeld = false;
  if (usesLockRow(ctx)) {
    const holder = await ctx.warehouse.claimRunLock(
      id,
      started,
      new Date(started.getTime() + ctx.runLockTtlMs),
    );
    if (holder !== id) {
      ctx.onProgress?.(`plan: run ${holder} holds the run lock; stopping`);
      return { ...newRunState(id, started), lockedBy: holder };
    }
    lockHeld = true;
  }
  try {
    return await writePlan(ctx, id, started, landed, lockHeld);
  } catch (error) {
    // The failure path gets no run state from a plan that failed: give the lock back here.
    if (lockHeld) await ctx.warehouse.releaseRunLock?.(id).catch(() => undefined);
    throw error;
  }
}

async function writePlan(
  ctx: EltContext,
  id: string,
  started: Date,
  landed: readonly ObjectInfo[],
  lockHeld: boolean,
): Promise<RunState> {
  const loaded = await ctx.warehouse.loadedObjectKeys();
  const objects = landed.filter((o) => !loaded.has(o.key));
  objects.sort((a, b) => (a.key < b.key ? -1 : 1));
  const key = planKey(id);
  const plan: RunPlan = { runId: id, objects };
  await ctx.store.put(key, Buffer.from(JSON.stringify(plan)), { contentType: 'application/json' });
  const state: RunState = {
    ...newRunState(id, started),
    planKey: key,
    pendingObjects: objects.length,
    pendingBytes: objects.reduce((n, o) => n + o.size, 0),
    listedAt: started.toISOString(),
    ...(lockHeld ? { lockHeld } : {}),
  };
  await ctx.warehouse.recordRun(toRecord(state, 'running'));
  ctx.onProgress?.(`plan: ${objects.length} new object(s) of ${objects.length + loaded.size} landed`);
  return state;
}

/**
 * Step 2, load: bulk-loads the planned objects in bounded chunks, each chunk in one transaction with its
 * ledger rows. Safe to retry: objects the ledger already has are skipped.
 */
export async function loadRun(ctx: EltContext, state: RunState): Promise<RunState> {
  const plan = JSON.parse(Buffer.from(await ctx.store.get(state.planKey)).toString('utf8')) as RunPlan;
  const loaded = await ctx.warehouse.loadedObjectKeys();
  const pending = plan.objects.filter((o) => !loaded.has(o.key));
  const maxObjects = ctx.maxObjectsPerLoad ?? 500;
  const maxBytes = ctx.maxBytesPerLoad ?? 512 * 1024 * 1024;
  let objectsLoaded = state.objectsLoaded;
  let eventsLoaded = state.eventsLoaded;
  for (let i = 0; i < pending.length;) {
    const chunk: ObjectInfo[] = [];
    let bytes = 0;
    while (
      i < pending.length &&
      chunk.length < maxObjects &&
      (chunk.length === 0 || bytes + pending[i]!.size <= maxBytes)
    ) {
      bytes += pending[i]!.size;
      chunk.push(pending[i++]!);
    }
    eventsLoaded += await ctx.warehouse.loadObjects(chunk, ctx.store, state.runId);
    objectsLoaded += chunk.length;
    ctx.onProgress?.(`load: ${objectsLoaded}/${plan.objects.length} objects, ${eventsLoaded} events`);
  }
  return { ...state, objectsLoaded, eventsLoaded };
}

/**
 * Step 3, transform: builds every model, in dependency order, under a name of its own (`<model>__build`),
 * reading the other models' new versions. A table model is rebuilt in full. An incremental model that
 * exists gets only its new rows (from raw data loaded since the last published run, keys it lacks) in
 * `<model>__new`, and `<model>__build` is a view of the table plus them. Nothing readers use changes yet.
 */
export async function transformRun(ctx: EltContext, state: RunState): Promise<RunState> {
  const d = ctx.warehouse.dialect;
  const ordered = orderModels(ctx.models);
  const known = new Set(ordered.map((m) => m.name));
  const present = await existing(
    ctx.warehouse,
    ordered.map((m) => m.name),
  );
  const models: { name: string; rows: number; ms: number }[] = [];
  const appended: string[] = [];
  for (const model of ordered) {
    const t0 = Date.now();
    const append = Boolean(model.incremental) && !ctx.fullRefresh && present.get(model.name) === 'table';
    const select = renderModel(model, d, known, buildTable, append ? () => PENDING_RAW : undefined);
    const statements = append
      ? [
          d.dropViewIfExists(buildTable(model.name)),
          d.dropTableIfExists(newTable(model.name)),
          ...d.createTableAs(
            newTable(model.name),
            `SELECT * FROM (${select}) candidate WHERE NOT EXISTS (SELECT 1 FROM ${identifier(model.name)} existing WHERE existing.${model.incremental!.uniqueKey} = candidate.${model.incremental!.uniqueKey})`,
          ),
          d.createView(
            buildTable(model.name),
            `SELECT * FROM ${identifier(model.name)} UNION ALL SELECT * FROM ${newTable(model.name)}`,
          ),
        ]
      : d.createTableAs(buildTable(model.name), select, model.sortKey ? { sortKey: model.sortKey } : {});
    try {
      await ctx.warehouse.executeBatch(statements);
    } catch (error) {
      throw new ModelFailedError(model.name, (error as Error).message, { cause: error });
    }
    if (append) appended.push(model.name);
    const [row] = await ctx.warehouse.query(`SELECT COUNT(*) AS n FROM ${buildTable(model.name)}`);
    models.push({ name: model.name, rows: Number(row?.n ?? 0), ms: Date.now() - t0 });
    ctx.onProgress?.(`model: ${model.name} (${models.at(-1)!.rows} rows${append ? ', incremental' : ''})`);
  }
  return { ...state, models, appended };
}

/** Step 4, test: runs every model's data tests on its new table and names the ones that fail. */
export async function testRun(ctx: EltContext, state: RunState): Promise<RunState> {
  const tests: { name: string; failures: number }[] = [];
  for (const model of orderModels(ctx.models)) {
    for (const test of model.tests) {
      const [row] = await ctx.warehouse.query(
        renderDataTest(buildTable(model.name), test, ctx.warehouse.dialect),
      );
      tests.push({ name: describeDataTest(model.name, test), failures: Number(row?.failures ?? 0) });
    }
  }
  const failedTests = tests.filter((t) => t.failures > 0).map((t) => `${t.name}: ${t.failures} row(s)`);
  ctx.onProgress?.(
    failedTests.length === 0 ? `tests: ${tests.length} passed` : `tests: ${failedTests.length} failed`,
  );
  return { ...state, tests, failedTests };
}

/**
 * Step 5, publish: swaps every tested table in for the old one in a single transaction (readers see the
 * previous run's tables or this run's, never a mix) and records the run as succeeded.
 */
export async function publishRun(ctx: EltContext, state: RunState): Promise<RunRecord> {
  if (state.failedTests.length > 0)
    throw new Error(`run ${state.runId} has failing data tests and cannot be published`);
  const d = ctx.warehouse.dialect;
  const appended = new Set(state.appended ?? []);
  const statements = orderModels(ctx.models).flatMap((m) =>
    appended.has(m.name)
      ? [
          // The merge: new rows into the live table (their keys were absent when built).
          `INSERT INTO ${identifier(m.name)} SELECT * FROM ${newTable(m.name)}`,
          d.dropViewIfExists(buildTable(m.name)),
          d.dropTableIfExists(newTable(m.name)),
        ]
      : [d.dropTableIfExists(m.name), d.renameTable(buildTable(m.name), m.name)],
  );
  await ctx.warehouse.executeBatch(statements);
  const record = toRecord(state, 'succeeded', ctx.clock.now());
  await ctx.warehouse.recordRun(record);
  if (state.lockHeld) await ctx.warehouse.releaseRunLock?.(state.runId);
  if (state.listedAt) {
    await ctx.store.put(
      WATERMARK_KEY,
      Buffer.from(JSON.stringify({ listedAt: state.listedAt, runId: state.runId })),
      {
        contentType: 'application/json',
      },
    );
  }
  return record;
}

/** Whether every landed object is older than the last published run's watermark (less the margin). */
async function nothingSinceWatermark(store: ObjectStore, landed: readonly ObjectInfo[]): Promise<boolean> {
  let watermark: number;
  try {
    const mark = JSON.parse(Buffer.from(await store.get(WATERMARK_KEY)).toString('utf8')) as {
      listedAt?: string;
    };
    watermark = Date.parse(mark.listedAt ?? '');
  } catch {
    return false;
  }
  if (!Number.isFinite(watermark)) return false;
  return landed.every(
    (o) => o.lastModified !== undefined && o.lastModified.getTime() < watermark - WATERMARK_MARGIN_MS,
  );
}

/**
 * The failure path: drops the tables the run built but did not publish, and records the run as failed
 * with the reason. The published tables stay as the previous run left them. Under a run lock
 * (`runLockTtlMs`), a run that does not hold it drops nothing (the tables may be another run's) and a run
 * that does releases it.
 */
export async function failRun(ctx: EltContext, state: RunState, reason: string): Promise<RunRecord> {
  const locking = usesLockRow(ctx);
  if (!locking || state.lockHeld) await dropUnpublished(ctx.warehouse, ctx.models);
  const record = toRecord(state, 'failed', ctx.clock.now(), reason);
  await ctx.warehouse.recordRun(record);
  if (locking && state.lockHeld) await ctx.warehouse.releaseRunLock?.(state.runId);
  return record;
}

/** Whether runs of this context take the warehouse's lock row (plan claims it, publish or fail frees it). */
function usesLockRow(ctx: EltContext): ctx is EltContext & {
  runLockTtlMs: number;
  warehouse: Required<Pick<Warehouse, 'claimRunLock'>> & Warehouse;
} {
  return ctx.runLockTtlMs !== undefined && ctx.warehouse.claimRunLock !== undefined;
}

/** A model whose SQL the warehouse rejected. */
export class ModelFailedError extends Error {
  constructor(
    readonly model: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`model ${model} failed: ${message}`, options);
    this.name = 'ModelFailedError';
  }
}

function toRecord(state: RunState, status: RunRecord['status'], finished?: Date, error?: string): RunRecord {
  return {
    runId: state.runId,
    status,
    startedAt: state.startedAt,
    ...(finished
      ? { finishedAt: finished.toISOString(), durationMs: finished.getTime() - Date.parse(state.startedAt) }
      : {}),
    objectsLoaded: state.objectsLoaded,
    eventsLoaded: state.eventsLoaded,
    models: state.models,
    tests: state.tests,
    ...(error ? { error } : {}),
  };
}

/** Drops every `__build` table or view and `__new` table a run left behind. */
async function dropUnpublished(warehouse: Warehouse, models: readonly Model[]): Promise<void> {
  const d = warehouse.dialect;
  const names = models.flatMap((m) => [buildTable(m.name), newTable(m.name)]);
  const found = await existing(warehouse, names);
  const views = [...found].filter(([, kind]) => kind === 'view').map(([n]) => d.dropViewIfExists(n));
  const tables = [...found].filter(([, kind]) => kind === 'table').map(([n]) => d.dropTableIfExists(n));
  await warehouse.executeBatch([...views, ...tables]);
}

/** The pipeline's own tables, which {@link dropPipelineTables} removes along with every model table. */
export const PIPELINE_TABLES = ['raw_events', 'elt_loaded_objects', 'elt_runs'] as const;

/**
 * Drops everything the pipeline made in a warehouse — its own tables and every model's tables — so the
 * next run starts from nothing. For `elt demo` on a shared warehouse; never called by a run.
 */
export async function dropPipelineTables(warehouse: Warehouse, models: readonly Model[]): Promise<void> {
  const d = warehouse.dialect;
  await dropUnpublished(warehouse, models);
  await warehouse.executeBatch([
    ...models.map((m) => d.dropTableIfExists(m.name)),
    ...PIPELINE_TABLES.map((t) => d.dropTableIfExists(t)),
  ]);
}
