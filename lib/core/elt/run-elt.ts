import { randomBytes } from 'node:crypto';
import { OBJECT_SUFFIX, RAW_PREFIX, parseRawKey } from '../landing/object-keys.js';
import type { Clock, ObjectInfo, ObjectStore, RunRecord, Warehouse } from '../ports.js';
import { describeDataTest, orderModels, renderDataTest, renderModel, type Model } from './models.js';

/** Options of {@link runElt}. */
export interface EltRunOptions {
  readonly warehouse: Warehouse;
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly models: readonly Model[];
  /** Most objects per load transaction. @default 500 */
  readonly maxObjectsPerLoad?: number;
  /** Most compressed bytes per load transaction. @default 512 MiB */
  readonly maxBytesPerLoad?: number;
  readonly onProgress?: (message: string) => void;
  readonly runId?: string;
}

/** A run that did not succeed; the run history has the same record. */
export class EltRunFailedError extends Error {
  constructor(readonly run: RunRecord) {
    super(`ELT run ${run.runId} failed: ${run.error ?? 'unknown error'}`);
    this.name = 'EltRunFailedError';
  }
}

/** A new run id, sortable by start time: `run-20261125T120000Z-1a2b3c`. */
export function newRunId(now: Date): string {
  return `run-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${randomBytes(3).toString('hex')}`;
}

/**
 * One ELT run: load the raw objects the ledger has not seen (so a rerun loads nothing twice), then build
 * every model in dependency order and run the data tests in one transaction (consumers never see
 * untested tables), and record the run in the history whatever happens. Throws
 * {@link EltRunFailedError} when the run fails.
 */
export async function runElt(options: EltRunOptions): Promise<RunRecord> {
  const { warehouse, store, clock } = options;
  const progress = options.onProgress ?? (() => undefined);
  const started = clock.now();
  let run: RunRecord = {
    runId: options.runId ?? newRunId(started),
    status: 'running',
    startedAt: started.toISOString(),
    objectsLoaded: 0,
    eventsLoaded: 0,
    models: [],
    tests: [],
  };
  const finish = async (status: 'succeeded' | 'failed', error?: string): Promise<RunRecord> => {
    const finished = clock.now();
    run = {
      ...run,
      status,
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - started.getTime(),
      ...(error ? { error } : {}),
    };
    await warehouse.recordRun(run);
    return run;
  };

  await warehouse.ensureSchema();
  await warehouse.recordRun(run);
  try {
    const ordered = orderModels(options.models);

    // 1. Plan: every raw object not in the ledger.
    const loaded = await warehouse.loadedObjectKeys();
    const pending: ObjectInfo[] = [];
    for await (const object of store.list(RAW_PREFIX)) {
      if (object.key.endsWith(OBJECT_SUFFIX) && parseRawKey(object.key) && !loaded.has(object.key))
        pending.push(object);
    }
    pending.sort((a, b) => (a.key < b.key ? -1 : 1));
    progress(`plan: ${pending.length} new object(s) of ${pending.length + loaded.size} landed`);

    // 2. Load in bounded chunks, each its own transaction with its ledger rows.
    const maxObjects = options.maxObjectsPerLoad ?? 500;
    const maxBytes = options.maxBytesPerLoad ?? 512 * 1024 * 1024;
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
      const events = await warehouse.loadObjects(chunk, store, run.runId);
      run = {
        ...run,
        objectsLoaded: run.objectsLoaded + chunk.length,
        eventsLoaded: run.eventsLoaded + events,
      };
      progress(`load: ${run.objectsLoaded}/${pending.length} objects, ${run.eventsLoaded} events`);
    }

    // 3 + 4. Transform and test in one transaction.
    const known = new Set(ordered.map((m) => m.name));
    const outcome = await warehouse
      .transaction(async () => {
        const models: { name: string; rows: number; ms: number }[] = [];
        for (const model of ordered) {
          const t0 = Date.now();
          const select = renderModel(model, warehouse.dialect, known);
          try {
            for (const statement of warehouse.dialect.createTableAs(model.name, select))
              await warehouse.execute(statement);
          } catch (error) {
            throw new Error(`model ${model.name} failed: ${(error as Error).message}`, { cause: error });
          }
          const [row] = await warehouse.query(`SELECT COUNT(*) AS n FROM ${model.name}`);
          models.push({ name: model.name, rows: Number(row?.n ?? 0), ms: Date.now() - t0 });
          progress(`model: ${model.name} (${models.at(-1)!.rows} rows)`);
        }
        const tests: { name: string; failures: number }[] = [];
        for (const model of ordered) {
          for (const test of model.tests) {
            const [row] = await warehouse.query(renderDataTest(model.name, test));
            tests.push({ name: describeDataTest(model.name, test), failures: Number(row?.failures ?? 0) });
          }
        }
        const failing = tests.filter((t) => t.failures > 0);
        if (failing.length > 0) throw new DataTestsFailed(models, tests, failing);
        return { models, tests };
      })
      .catch((error: unknown) => {
        if (error instanceof DataTestsFailed) return error;
        throw error;
      });
    if (outcome instanceof DataTestsFailed) {
      run = { ...run, models: outcome.models, tests: outcome.tests };
      const failed = await finish(
        'failed',
        `data tests failed (models rolled back): ${outcome.failing.map((t) => `${t.name}: ${t.failures} row(s)`).join('; ')}`,
      );
      throw new EltRunFailedError(failed);
    }
    run = { ...run, models: outcome.models, tests: outcome.tests };
    progress(`tests: ${outcome.tests.length} passed`);
    return await finish('succeeded');
  } catch (error) {
    if (error instanceof EltRunFailedError) throw error;
    throw new EltRunFailedError(await finish('failed', (error as Error).message));
  }
}

class DataTestsFailed extends Error {
  constructor(
    readonly models: { name: string; rows: number; ms: number }[],
    readonly tests: { name: string; failures: number }[],
    readonly failing: { name: string; failures: number }[],
  ) {
    super('data tests failed');
  }
}
