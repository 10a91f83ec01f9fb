import { randomBytes } from 'node:crypto';
import {
  ObjectsLoadedMeanwhileError,
  type Clock,
  type EltWarehouse,
  type ObjectInfo,
  type ObjectStore,
  type RunRecord,
  type SqlRunner,
} from '../ports.js';
import { EltError } from '../util/errors.js';
import { identifier } from './dialect.js';
import {
  describeDataTest,
  orderModels,
  renderDataTest,
  renderDataTestSample,
  renderModel,
  type Model,
} from './models.js';
import {
  buildTable,
  newTable,
  publishStatements,
  publishStatementBound,
  type PublishPlan,
} from './publish.js';
import {
  MAX_RECENT_KEYS,
  WATERMARK_MARGIN_MS,
  isCompactedLoaded,
  isProductObject,
  listRawCandidates,
  readWatermark,
  writeWatermark,
} from './raw-listing.js';
import { readerList, type Reader, type WarehouseReaders } from './readers.js';
import { warehouseStatement } from './sql-sources.js';
import { parseRunId, type RunId } from './sql-values.js';

/** What the ELT steps share: where the data is, the models, a clock. */
export interface EltContext {
  readonly warehouse: EltWarehouse;
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly models: readonly Model[];
  /** Most objects per load transaction. @default the warehouse's `loadChunk`, else 500 */
  readonly maxObjectsPerLoad?: number;
  /** Most compressed bytes per load transaction. @default the warehouse's `loadChunk`, else 512 MiB */
  readonly maxBytesPerLoad?: number;
  readonly onProgress?: (message: string) => void;
  /** Rebuild incremental models from all raw data (after changing their SQL). @default false */
  readonly fullRefresh?: boolean;
  /**
   * Finish the plan without touching the warehouse when no product event was landed since the last
   * published run (the pipeline's own events do not count). A scheduled run on a quiet pipeline then costs
   * an S3 listing instead of waking Redshift Serverless. @default false
   */
  readonly skipWhenNothingNew?: boolean;
  /**
   * Claim the warehouse's run lock (`warehouse.runLock`) in the plan and hold it to publish or fail, for at
   * most this long (a lock row expires then; a session lock is held until the connection closes). Unset:
   * the plan claims no lock (`runElt` sets it).
   */
  readonly runLockTtlMs?: number;
  /**
   * How late (by event time) an event may land and still be filed under its own partition; landing files
   * later ones under the partition this many hours before they land. With it, a plan lists only the
   * partitions since the watermark less this, and reads only the ledger rows since the watermark: its
   * cost follows what is new, not the history. Unset: every plan lists all of `raw/` and the whole ledger
   * (fine for a local directory). @default unset
   */
  readonly latenessHours?: number;
  /**
   * Most objects one run loads; what is left waits for the next run, which starts from it. A run with a
   * big backlog then still reaches its transform and publish, so marts are never stuck behind it.
   * @default no bound
   */
  readonly maxObjectsPerRun?: number;
  /**
   * Which warehouse the watermark belongs to (see `watermarkKey`): one store can feed several warehouses,
   * and a warehouse recreated under the same name must not inherit the old one's watermark (on AWS the
   * Redshift namespace id goes in). @default warehouse.describe()
   */
  readonly watermarkScope?: string;
  /** Database users, groups and roles every publish grants SELECT on every model. @default none */
  readonly readers?: WarehouseReaders;
  /**
   * The time (epoch ms) by which this process must have finished its work: a Lambda function's end less a
   * reserve. Load and transform start no further piece of work that would not fit, and return to be
   * called again (`loadComplete` / `transformComplete` false). @default no deadline
   */
  readonly deadline?: number;
}

/**
 * How long an ELT run on AWS may hold the run lock: the state machine's timeout plus 5 minutes. A run
 * stopped by that timeout gets no fail step, so its lock is only freed by expiring.
 */
export const ELT_STATE_MACHINE_TIMEOUT_MS = 60 * 60_000;
export const ELT_RUN_LOCK_TTL_MS = ELT_STATE_MACHINE_TIMEOUT_MS + 5 * 60_000;

/**
 * The least time a step keeps for one more piece of work (a load chunk, a model) before its deadline,
 * when it has not yet measured how long one takes.
 */
const MIN_PIECE_MS = 60_000;

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
  /** Objects this run planned to load. */
  readonly pendingObjects: number;
  readonly pendingBytes: number;
  readonly objectsLoaded: number;
  readonly eventsLoaded: number;
  readonly models: RunRecord['models'];
  readonly tests: RunRecord['tests'];
  /** Names of failing data tests; the run must not be promoted when there is one. */
  readonly failedTests: readonly string[];
  /** Checks that failed but never block publishing (freshness), with what they found. */
  readonly warnings?: readonly string[];
  /** Incremental models this run appends to (their new rows are in `<model>__new`). */
  readonly appended?: readonly string[];
  /** The watermark this run leaves when it is published (ISO time). */
  readonly watermark?: string;
  /** The plan considered objects written at or after this time (ISO); the ledger is read from it on. */
  readonly since?: string;
  /** New objects left for the next run by `maxObjectsPerRun`. */
  readonly backlogObjects?: number;
  /** Every planned object is loaded; false: the load step must run again. */
  readonly loadComplete?: boolean;
  /** Every model is built; false: the transform step must run again. */
  readonly transformComplete?: boolean;
  /** No product event was landed since the last published run: the run stops after the plan. */
  readonly nothingNew?: boolean;
  /** This run holds the warehouse's run lock (taken by the plan with `runLockTtlMs`). */
  readonly lockHeld?: boolean;
  /** Another run holds the run lock: this one stops after the plan, having changed nothing. */
  readonly lockedBy?: string;
}

/** The plan file of a run: the raw objects it loads. */
export interface RunPlan {
  readonly runId: string;
  readonly objects: readonly ObjectInfo[];
  /** Keys the plan saw inside the margin before its watermark (see {@link Watermark.recent}). */
  readonly recent?: readonly string[];
}

/** A new run id, sortable by start time: `run-20261125T120000Z-1a2b3c`. */
export function newRunId(now: Date): RunId {
  return parseRunId(
    `run-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${randomBytes(3).toString('hex')}`,
  );
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

/**
 * raw_events rows not yet merged into incremental models: those loaded by runs that have not been
 * published (this one, and any that failed after loading). The unique-key check makes a second merge of
 * the same rows harmless; this bound keeps each run's work proportional to what is new.
 */
const PENDING_RAW =
  "(SELECT * FROM raw_events WHERE run_id NOT IN (SELECT run_id FROM elt_runs WHERE status = 'succeeded')) raw_events";

/** `$1, $2, …`: one bound parameter for each value of an IN list. */
const placeholders = (values: readonly unknown[]): string => values.map((_v, i) => `$${i + 1}`).join(', ');

/** Which of the given tables and views exist in the current schema, by name and kind. */
async function existing(
  warehouse: SqlRunner,
  names: readonly string[],
): Promise<Map<string, 'table' | 'view'>> {
  if (names.length === 0) return new Map();
  const rows = await warehouse.query(
    `SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN (${placeholders(names)})`,
    names.map((n) => identifier(n)),
  );
  return new Map(
    rows.map((r) => [
      String(r.table_name),
      String(r.table_type).toUpperCase().includes('VIEW') ? 'view' : 'table',
    ]),
  );
}

/**
 * Checks, before anything runs, that publishing these models fits one transaction of the warehouse (the
 * Redshift Data API takes 40 statements a transaction), so a project that outgrows it fails at its first
 * plan with the bound, not at a publish after an hour of work.
 */
export function assertPublishable(ctx: Pick<EltContext, 'models' | 'readers' | 'warehouse'>): void {
  const max = ctx.warehouse.maxStatementsPerTransaction;
  if (max === undefined) return;
  const needed = publishStatementBound(ctx.models, ctx.readers);
  if (needed > max) {
    const perModel = 2;
    const fixed = needed - perModel * ctx.models.length;
    throw new PublishTooLargeError(
      `publishing ${ctx.models.length} models needs up to ${needed} statements in one transaction, and ${ctx.warehouse.describe()} takes at most ${max}: keep to ${Math.floor((max - fixed) / perModel)} models (2 statements each, plus ${fixed} for the readers' grants and the run lock), or fewer readers`,
    );
  }
}

/**
 * Step 1, plan: finds the raw objects written since the last published run (its watermark) that the load
 * ledger has not seen, and writes them as the plan, so a rerun loads nothing twice. A scheduled run
 * (`skipWhenNothingNew`) with no new product events stops here, before the warehouse is touched.
 */
export async function planRun(ctx: EltContext, runId?: string): Promise<RunState> {
  assertPublishable(ctx);
  const started = ctx.clock.now();
  const id = runId === undefined ? newRunId(started) : parseRunId(runId);
  let mark = ctx.fullRefresh ? undefined : await readWatermark(ctx.store, scopeOf(ctx));
  const list = (from: typeof mark) =>
    listRawCandidates(ctx.store, {
      ...(from ? { since: new Date(from.at.getTime() - WATERMARK_MARGIN_MS) } : {}),
      ...(ctx.latenessHours !== undefined ? { latenessHours: ctx.latenessHours } : {}),
      ...(from ? { seen: from.recent } : {}),
    });
  let { objects: candidates, seen, listed } = await list(mark);
  // A compacted object of loaded originals holds nothing new for the warehouse that has the watermark.
  const isNew = (o: ObjectInfo): boolean => isProductObject(o.key) && !(mark && isCompactedLoaded(o.key));
  if (ctx.skipWhenNothingNew && !candidates.some(isNew)) {
    ctx.onProgress?.(
      `plan: no new product events since the last published run (${candidates.length} of the pipeline's own)`,
    );
    return { ...newRunState(id, started), watermark: started.toISOString(), nothingNew: true };
  }
  await ctx.warehouse.ensureSchema();
  // A watermark the warehouse knows nothing of (its run is not a published run there: the warehouse was
  // recreated, or another one shares the store) says nothing about what this one holds: plan from all.
  if (mark && !(await publishedRun(ctx.warehouse, mark.runId))) {
    ctx.onProgress?.(`plan: the watermark's run ${mark.runId} is not in this warehouse; listing everything`);
    mark = undefined;
    ({ objects: candidates, seen, listed } = await list(undefined));
  }
  const since = mark ? new Date(mark.at.getTime() - WATERMARK_MARGIN_MS) : undefined;
  let lockHeld = false;
  if (ctx.runLockTtlMs !== undefined) {
    const holder = await ctx.warehouse.runLock.claim(
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
    return await writePlan(ctx, id, started, { candidates, seen, listed, since, previous: mark }, lockHeld);
  } catch (error) {
    // The failure path gets no run state from a plan that failed: give the lock back here. The plan's
    // error is the one to throw; a release that fails too is reported (the lock then expires).
    if (lockHeld)
      await ctx.warehouse.runLock
        .release(id)
        .catch((release: unknown) =>
          ctx.onProgress?.(`plan: could not release the run lock of ${id}: ${(release as Error).message}`),
        );
    throw error;
  }
}

const byAge = (a: ObjectInfo, b: ObjectInfo): number =>
  (a.lastModified?.getTime() ?? 0) - (b.lastModified?.getTime() ?? 0) || (a.key < b.key ? -1 : 1);

async function writePlan(
  ctx: EltContext,
  id: RunId,
  started: Date,
  listing: {
    candidates: readonly ObjectInfo[];
    /** Objects listed again that the last published run already saw (in the previous watermark's `recent`). */
    seen: readonly ObjectInfo[];
    listed: number;
    since: Date | undefined;
    previous: { at: Date; recent: ReadonlySet<string> } | undefined;
  },
  lockHeld: boolean,
): Promise<RunState> {
  const loaded = await ctx.warehouse.loadedObjectKeys(listing.since);
  const fresh = listing.candidates.filter((o) => !loaded.has(o.key)).sort(byAge);
  const cap = ctx.maxObjectsPerRun ?? Infinity;
  // The oldest first when capped (the watermark then stays before what is left); loaded in key order.
  const objects = fresh.slice(0, cap).sort((a, b) => (a.key < b.key ? -1 : 1));
  const left = fresh.slice(objects.length);
  // In the store's own clock: the newest object this run saw, or with a backlog left, the first object
  // left behind (the next run lists from it).
  const newest = listing.candidates.reduce<Date | undefined>(
    (max, o) => (o.lastModified && (!max || o.lastModified > max) ? o.lastModified : max),
    undefined,
  );
  const watermark = left[0]?.lastModified ?? newest ?? listing.previous?.at ?? started;
  const margin = watermark.getTime() - WATERMARK_MARGIN_MS;
  const leftKeys = new Set(left.map((o) => o.key));
  // Every key inside the new margin that this run loaded or found loaded: the candidates, and the keys the
  // last run already remembered that are still inside it (left out of the candidates, not out of the
  // margin: forgetting them would make the next plan count them as new).
  const recent = new Set(
    [...listing.candidates, ...listing.seen]
      .filter((o) => !leftKeys.has(o.key) && (o.lastModified?.getTime() ?? 0) >= margin)
      .map((o) => o.key),
  );
  // A watermark that did not move keeps every key the last one remembered (some may have no time).
  if (listing.previous && watermark.getTime() === listing.previous.at.getTime())
    for (const k of listing.previous.recent) recent.add(k);
  const key = planKey(id);
  const plan: RunPlan = {
    runId: id,
    objects,
    ...(recent.size <= MAX_RECENT_KEYS ? { recent: [...recent] } : {}),
  };
  await ctx.store.put(key, Buffer.from(JSON.stringify(plan)), { contentType: 'application/json' });
  const state: RunState = {
    ...newRunState(id, started),
    planKey: key,
    pendingObjects: objects.length,
    pendingBytes: objects.reduce((n, o) => n + o.size, 0),
    watermark: watermark.toISOString(),
    ...(listing.since ? { since: listing.since.toISOString() } : {}),
    ...(left.length > 0 ? { backlogObjects: left.length } : {}),
    loadComplete: objects.length === 0,
    ...(lockHeld ? { lockHeld } : {}),
  };
  await ctx.warehouse.recordRun(toRecord(state, 'running'));
  ctx.onProgress?.(
    `plan: ${objects.length} new object(s) to load (${listing.listed} listed, ${listing.candidates.length - fresh.length} new ones already loaded${left.length > 0 ? `, ${left.length} left for the next run` : ''})`,
  );
  return state;
}

/** Whether another piece of work, which took up to `slowestMs` before, still fits before the deadline. */
function fits(ctx: EltContext, slowestMs: number, doneThisCall: number): boolean {
  // Always do one piece per call, so that every call makes progress.
  if (ctx.deadline === undefined || doneThisCall === 0) return true;
  return Date.now() + Math.max(slowestMs * 1.5, MIN_PIECE_MS) <= ctx.deadline;
}

/**
 * Step 2, load: bulk-loads the planned objects in bounded chunks, each chunk in one transaction with its
 * ledger rows. Safe to retry: objects the ledger already has are skipped. With a deadline it stops before
 * a chunk that would not fit and returns `loadComplete: false`, to be called again.
 */
export async function loadRun(ctx: EltContext, state: RunState): Promise<RunState> {
  const plan = JSON.parse(Buffer.from(await ctx.store.get(state.planKey)).toString('utf8')) as RunPlan;
  const runId = parseRunId(state.runId);
  const since = state.since ? new Date(state.since) : undefined;
  const unloaded = async (): Promise<ObjectInfo[]> => {
    const loaded = await ctx.warehouse.loadedObjectKeys(since);
    return plan.objects.filter((o) => !loaded.has(o.key));
  };
  let pending = await unloaded();
  const maxObjects = ctx.maxObjectsPerLoad ?? ctx.warehouse.loadChunk?.maxObjects ?? 500;
  const maxBytes = ctx.maxBytesPerLoad ?? ctx.warehouse.loadChunk?.maxBytes ?? 512 * 1024 * 1024;
  let objectsLoaded = state.objectsLoaded;
  let eventsLoaded = state.eventsLoaded;
  let slowest = 0;
  let chunks = 0;
  let replans = 0;
  while (pending.length > 0 && fits(ctx, slowest, chunks)) {
    const chunk: ObjectInfo[] = [];
    let bytes = 0;
    for (const o of pending) {
      if (chunk.length >= maxObjects || (chunk.length > 0 && bytes + o.size > maxBytes)) break;
      bytes += o.size;
      chunk.push(o);
    }
    const t0 = Date.now();
    try {
      eventsLoaded += await ctx.warehouse.loadObjects(chunk, ctx.store, runId);
    } catch (error) {
      // A statement of an earlier run that outlived its process loaded some of these meanwhile: nothing
      // of this chunk was written; take the ledger as it is now.
      if (!(error instanceof ObjectsLoadedMeanwhileError) || ++replans > 3) throw error;
      ctx.onProgress?.(`load: ${error.message}; planning the load again from the ledger`);
      pending = await unloaded();
      continue;
    }
    slowest = Math.max(slowest, Date.now() - t0);
    chunks++;
    objectsLoaded += chunk.length;
    pending = pending.slice(chunk.length);
    ctx.onProgress?.(`load: ${objectsLoaded}/${plan.objects.length} objects, ${eventsLoaded} events`);
  }
  if (pending.length > 0) ctx.onProgress?.(`load: ${pending.length} object(s) left for the next call`);
  return { ...state, objectsLoaded, eventsLoaded, loadComplete: pending.length === 0 };
}

/**
 * Step 3, transform: builds every model, in dependency order, under a name of its own (`<model>__build`),
 * reading the other models' new versions. A table model is rebuilt in full. An incremental model that
 * exists gets only its new rows (from raw data loaded since the last published run, keys it lacks) in
 * `<model>__new`, and `<model>__build` is a view of the table plus them. Nothing readers use changes yet.
 * Models built by an earlier call of the same run are kept; with a deadline it stops before a model that
 * would not fit and returns `transformComplete: false`.
 */
export async function transformRun(ctx: EltContext, state: RunState): Promise<RunState> {
  const d = ctx.warehouse.dialect;
  const ordered = orderModels(ctx.models);
  const known = new Set(ordered.map((m) => m.name));
  const built = new Set(state.models.map((m) => m.name));
  const todo = ordered.filter((m) => !built.has(m.name));
  const present = await existing(
    ctx.warehouse,
    todo.flatMap((m) => [m.name, buildTable(m.name)]),
  );
  // A run that failed without cleaning up may have left a model's build as a table or as a view.
  const dropBuild = (model: string): string[] => {
    const kind = present.get(buildTable(model));
    if (kind === 'view') return [d.dropViewIfExists(buildTable(model))];
    if (kind === 'table') return [d.dropTableIfExists(buildTable(model))];
    return [];
  };
  const models = [...state.models];
  const appended = [...(state.appended ?? [])];
  let slowest = 0;
  let done = 0;
  for (const model of todo) {
    if (!fits(ctx, slowest, done)) {
      ctx.onProgress?.(`transform: ${todo.length - done} model(s) left for the next call`);
      return { ...state, models, appended, transformComplete: false };
    }
    const t0 = Date.now();
    const append = Boolean(model.incremental) && !ctx.fullRefresh && present.get(model.name) === 'table';
    const select = renderModel(
      model,
      d,
      known,
      buildTable,
      append ? () => PENDING_RAW : undefined,
      ctx.latenessHours,
    );
    const statements = append
      ? [
          ...dropBuild(model.name),
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
      : [
          ...dropBuild(model.name),
          ...d.createTableAs(buildTable(model.name), select, model.sortKey ? { sortKey: model.sortKey } : {}),
        ];
    try {
      await ctx.warehouse.executeBatch(statements);
    } catch (error) {
      throw new ModelFailedError(model.name, (error as Error).message, { cause: error });
    }
    if (append) appended.push(model.name);
    const [row] = await ctx.warehouse.query(`SELECT COUNT(*) AS n FROM ${buildTable(model.name)}`);
    models.push({ name: model.name, rows: Number(row?.n ?? 0), ms: Date.now() - t0 });
    slowest = Math.max(slowest, Date.now() - t0);
    done++;
    ctx.onProgress?.(`model: ${model.name} (${models.at(-1)!.rows} rows${append ? ', incremental' : ''})`);
  }
  return { ...state, models, appended, transformComplete: true };
}

/**
 * Step 4, test: runs every model's data tests on its new table and names the ones that fail. Freshness
 * checks are warnings: they say data stopped arriving, which is not a fault of the tables this run
 * built, and failing the run would withhold the data that did arrive (and, on a quiet pipeline, fail
 * every run); they are recorded with the run and shown by `elt runs`.
 */
export async function testRun(ctx: EltContext, state: RunState): Promise<RunState> {
  const tests: { name: string; failures: number; warn?: true }[] = [];
  // What a failing test can name (the keys a reconciliation found different), by test name.
  const named = new Map<string, string>();
  const options = ctx.latenessHours !== undefined ? { latenessHours: ctx.latenessHours } : {};
  for (const model of orderModels(ctx.models)) {
    for (const test of model.tests) {
      const table = buildTable(model.name);
      const [row] = await ctx.warehouse.query(
        renderDataTest(table, test, ctx.warehouse.dialect, buildTable, options),
      );
      const name = describeDataTest(model.name, test);
      const failures = Number(row?.failures ?? 0);
      tests.push({ name, failures, ...(test.kind === 'freshness' ? { warn: true as const } : {}) });
      const sample = failures > 0 ? renderDataTestSample(table, test, buildTable, options) : undefined;
      if (sample) {
        const keys = await ctx.warehouse.query(sample);
        named.set(name, keys.map((k) => `${String(k.k)} (${String(k.difference)})`).join(', '));
      }
    }
  }
  const failing = tests.filter((t) => t.failures > 0);
  const failedTests = failing
    .filter((t) => !t.warn)
    .map((t) => `${t.name}: ${t.failures} row(s)${named.has(t.name) ? `: ${named.get(t.name)}` : ''}`);
  const warnings = failing.filter((t) => t.warn).map((t) => `${t.name}: the newest row is older`);
  ctx.onProgress?.(
    failedTests.length === 0
      ? `tests: ${tests.length - warnings.length} passed${warnings.length > 0 ? `, ${warnings.length} warning(s): ${warnings.join('; ')}` : ''}`
      : `tests: ${failedTests.length} failed`,
  );
  return { ...state, tests, failedTests, ...(warnings.length > 0 ? { warnings } : {}) };
}

/**
 * Step 5, publish: puts every tested table in place of the old one in a single transaction (readers see
 * the previous run's tables or this run's, never a mix), keeping each live table itself so that grants
 * an administrator made on it and views readers built on it survive (see publish.ts); grants the
 * configured readers; releases the run lock in the same commit; then records the run as succeeded and
 * moves the watermark.
 */
export async function publishRun(ctx: EltContext, state: RunState): Promise<RunRecord> {
  if (state.failedTests.length > 0) throw new PublishRefusedError(state.runId);
  const runId = parseRunId(state.runId);
  const ordered = orderModels(ctx.models);
  const appended = new Set(state.appended ?? []);
  const replaced = ordered.filter((m) => !appended.has(m.name)).map((m) => m.name);
  const shapes = await columnShapes(ctx.warehouse, [...replaced, ...replaced.map(buildTable)]);
  // The lock goes in the same commit as the tables (a session lock goes with its connection).
  const releaseLock = state.lockHeld ? ctx.warehouse.runLock.releaseStatements(runId) : [];
  const { readers, missing } = await existingReaders(ctx.warehouse, ctx.readers);
  const plan: PublishPlan = publishStatements(ctx.warehouse.dialect, {
    models: ordered.map((m) => m.name),
    appended,
    shapes,
    readers,
    extra: releaseLock,
  });
  try {
    await ctx.warehouse.executeBatch(plan.statements);
  } catch (error) {
    if (plan.recreated.length === 0) throw error;
    throw new PublishFailedError(
      `publishing failed while replacing ${plan.recreated.join(', ')}, whose columns changed (a changed model is a new table): ${(error as Error).message}. If a view depends on the table, drop the view, run again, and create it again on the new columns`,
      { cause: error },
    );
  }
  // Leftovers of a failed cleanup are dropped by the next run before it builds.
  await executeInBatches(ctx.warehouse, plan.cleanup).catch((error: Error) =>
    ctx.onProgress?.(`publish: cleanup left tables behind (${error.message}); the next run drops them`),
  );
  if (missing.length > 0)
    ctx.onProgress?.(
      `publish: no SELECT granted to ${missing.map((r) => r.name).join(', ')}: not in the warehouse yet`,
    );
  const record = toRecord(
    {
      ...state,
      // A reader that does not exist yet (an IAM identity that never signed in) is a warning of the run.
      tests: [
        ...state.tests,
        ...missing.map((r) => ({
          name: `reader exists(${r.kind} ${r.name})`,
          failures: 1,
          warn: true as const,
        })),
      ],
    },
    'succeeded',
    ctx.clock.now(),
  );
  await ctx.warehouse.recordRun(record);
  if (state.watermark) {
    const recent = state.planKey
      ? ((JSON.parse(Buffer.from(await ctx.store.get(state.planKey)).toString('utf8')) as RunPlan).recent ??
        [])
      : [];
    await writeWatermark(ctx.store, {
      watermark: state.watermark,
      runId: state.runId,
      scope: scopeOf(ctx),
      recent,
    });
  }
  return record;
}

/**
 * The configured readers that exist in the warehouse, and those that do not: a GRANT to a user that does
 * not exist fails the whole publish, and on Redshift an IAM identity becomes a database user only when it
 * first signs in.
 */
async function existingReaders(
  warehouse: SqlRunner,
  configured: WarehouseReaders | undefined,
): Promise<{ readers: WarehouseReaders; missing: Reader[] }> {
  const all = readerList(configured);
  if (all.length === 0) return { readers: {}, missing: [] };
  const kept: Reader[] = [];
  const missing: Reader[] = [];
  for (const kind of ['user', 'group', 'role'] as const) {
    const names = all.filter((r) => r.kind === kind).map((r) => r.name);
    if (names.length === 0) continue;
    const query = warehouse.dialect.existingGrantees(kind, names);
    const found = query ? new Set((await warehouse.query(query)).map((r) => String(r.name))) : new Set(names);
    for (const name of names) (found.has(name) ? kept : missing).push({ kind, name });
  }
  const of = (kind: Reader['kind']): string[] => kept.filter((r) => r.kind === kind).map((r) => r.name);
  return { readers: { users: of('user'), groups: of('group'), roles: of('role') }, missing };
}

/** The watermark scope of a context: its warehouse. */
const scopeOf = (ctx: EltContext): string => ctx.watermarkScope ?? ctx.warehouse.describe();

/** Whether a run was published in this warehouse. */
async function publishedRun(warehouse: SqlRunner, runId: string): Promise<boolean> {
  const [row] = await warehouse.query(warehouseStatement('published-run'), [runId]);
  return Number(row?.n ?? 0) > 0;
}

/** Column name, type and position of each table, to tell whether a build can replace a table's rows. */
async function columnShapes(warehouse: SqlRunner, tables: readonly string[]): Promise<Map<string, string>> {
  if (tables.length === 0) return new Map();
  const rows = await warehouse.query(
    `SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, ordinal_position FROM information_schema.columns WHERE table_schema = current_schema() AND table_name IN (${placeholders(tables)}) ORDER BY table_name, ordinal_position`,
    tables.map((t) => identifier(t)),
  );
  const shapes = new Map<string, string[]>();
  for (const r of rows) {
    const column = [
      r.column_name,
      r.data_type,
      r.character_maximum_length,
      r.numeric_precision,
      r.numeric_scale,
    ]
      .map((v) => (v === null || v === undefined ? '' : String(v).toLowerCase()))
      .join(' ');
    const t = String(r.table_name);
    shapes.set(t, [...(shapes.get(t) ?? []), column]);
  }
  return new Map([...shapes].map(([t, columns]) => [t, columns.join(', ')]));
}

/** Runs statements in transactions of at most the warehouse's batch size (for work that need not be atomic). */
async function executeInBatches(warehouse: SqlRunner, statements: readonly string[]): Promise<void> {
  const size = Math.min(warehouse.maxStatementsPerTransaction, Math.max(1, statements.length));
  for (let i = 0; i < statements.length; i += size)
    await warehouse.executeBatch(statements.slice(i, i + size));
}

/**
 * The failure path: stops what the run left running in the warehouse, drops the tables the run built but
 * did not publish, and records the run as failed with the reason. The published tables stay as the
 * previous run left them. Under a run lock (`runLockTtlMs`), a run that does not hold it drops nothing
 * (the tables may be another run's) and a run that does releases it — unless a statement of the run may
 * still be running (a Lambda function stopped at its timeout leaves its statement running): then the lock
 * is kept until it expires, so no other run can load the same objects meanwhile.
 */
export async function failRun(ctx: EltContext, state: RunState, reason: string): Promise<RunRecord> {
  const runId = parseRunId(state.runId);
  const locking = ctx.runLockTtlMs !== undefined;
  const owned = !locking || state.lockHeld === true;
  let running = 0;
  if (owned) {
    // Keep time after the wait for recording the run (half a piece).
    const until = new Date(
      ctx.deadline !== undefined ? ctx.deadline - MIN_PIECE_MS / 2 : Date.now() + MIN_PIECE_MS,
    );
    running = await ctx.warehouse.runLock.stopRunStatements(runId, until);
  }
  if (owned && running === 0) await dropUnpublished(ctx.warehouse, ctx.models);
  const why =
    running === 0
      ? reason
      : `${reason} (${running} statement(s) of the run were still running and could not be stopped: the run lock is kept until it expires, so no other run changes the warehouse while they may)`;
  const record = toRecord(state, 'failed', ctx.clock.now(), why);
  await ctx.warehouse.recordRun(record);
  if (locking && state.lockHeld && running === 0) await ctx.warehouse.runLock.release(runId);
  return record;
}

/** A model whose SQL the warehouse rejected. */
export class ModelFailedError extends EltError {
  constructor(
    readonly model: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`model ${model} failed: ${message}`, options);
  }
}

/** The models do not fit one publishing transaction of the warehouse; the message says how many do. */
export class PublishTooLargeError extends EltError {}

/** A run with failing data tests was asked to publish: it must not be. */
export class PublishRefusedError extends EltError {
  constructor(readonly runId: string) {
    super(`run ${runId} has failing data tests and cannot be published`);
  }
}

/** The publishing transaction failed while replacing tables whose columns changed; the message says what to do. */
export class PublishFailedError extends EltError {}

/**
 * The most error text a run record keeps: the Data API returns no row over 64 KB, and the run history
 * must stay listable whatever a failing statement said.
 */
export const MAX_RUN_ERROR_CHARS = 4000;

/** Text cut to at most `max` characters, saying how much was cut. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = ` … [${text.length - max} more characters cut]`;
  return `${text.slice(0, max - note.length)}${note}`;
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
    ...(error ? { error: capText(error, MAX_RUN_ERROR_CHARS) } : {}),
  };
}

/** Drops every `__build` table or view and `__new` table a run left behind. */
async function dropUnpublished(warehouse: SqlRunner, models: readonly Model[]): Promise<void> {
  const d = warehouse.dialect;
  const names = models.flatMap((m) => [buildTable(m.name), newTable(m.name)]);
  const found = await existing(warehouse, names);
  const views = [...found].filter(([, kind]) => kind === 'view').map(([n]) => d.dropViewIfExists(n));
  const tables = [...found].filter(([, kind]) => kind === 'table').map(([n]) => d.dropTableIfExists(n));
  await executeInBatches(warehouse, [...views, ...tables]);
}

/** The pipeline's own tables, which {@link dropPipelineTables} removes along with every model table. */
export const PIPELINE_TABLES = [
  'raw_events',
  'elt_loaded_objects',
  'elt_compacted_objects',
  'elt_runs',
] as const;

/**
 * Drops everything the pipeline made in a warehouse — its own tables and every model's tables — so the
 * next run starts from nothing. For `elt demo` on a shared warehouse; never called by a run.
 */
export async function dropPipelineTables(warehouse: SqlRunner, models: readonly Model[]): Promise<void> {
  const d = warehouse.dialect;
  await dropUnpublished(warehouse, models);
  await executeInBatches(warehouse, [
    ...models.map((m) => d.dropTableIfExists(m.name)),
    ...PIPELINE_TABLES.map((t) => d.dropTableIfExists(t)),
  ]);
}
