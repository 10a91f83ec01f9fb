import type { FsObjectStore } from '../adapters/store/fs-object-store.js';
import type { Model } from '../core/elt/models.js';
import { runElt } from '../core/elt/run-elt.js';
import { createEventValidator } from '../core/events/validator.js';
import { extractTables } from '../core/oltp/extract.js';
import type { OltpDatabase } from '../core/oltp/ports.js';
import { reconcileOltp, type Reconciliation } from '../core/oltp/reconcile.js';
import { relayOutbox } from '../core/oltp/relay.js';
import { runWorkload, type WorkloadResult } from '../core/oltp/workload.js';
import type { Clock, EltWarehouse, RunRecord } from '../core/ports.js';
import { systemClock } from '../core/ports.js';
import { EltError } from '../core/util/errors.js';
import type { DemoPipeline } from './demo.js';
import { LocalPipeline } from './local-pipeline.js';

/** The marketplace database already holds data: reconciling it against a fresh warehouse would fail. */
export class OltpDemoDatabaseNotEmptyError extends EltError {
  constructor(description: string, counts: string) {
    super(
      `the marketplace database at ${description} already holds ${counts}; the demo needs an empty one (a new database, or --reset-database to empty its users, items, bids and outbox tables)`,
    );
  }
}

/** What `elt oltp demo` reports. */
export interface OltpDemoSummary {
  readonly database: string;
  readonly transport: 'local' | 'kafka';
  /** Business transactions attempted (committed and rejected). */
  readonly transactions: number;
  readonly committed: number;
  readonly rejected: number;
  /** Rows in the outbox (one per event of a committed transaction). */
  readonly outboxEvents: number;
  readonly relayed: number;
  readonly relayQuarantined: number;
  readonly landedEvents: number;
  readonly extractedRows: number;
  readonly extractObjects: number;
  readonly warehouseBids: number;
  readonly oltpBids: number;
  readonly reconciled: boolean;
  readonly reconciliation: Reconciliation;
  readonly run: Pick<RunRecord, 'runId' | 'status' | 'objectsLoaded' | 'eventsLoaded'>;
  readonly workloadMs: number;
  readonly relayAndLandMs: number;
  readonly extractMs: number;
  readonly eltMs: number;
  readonly reconcileMs: number;
  readonly durationMs: number;
}

/** Options of {@link runOltpDemo}. */
export interface OltpDemoOptions {
  readonly db: OltpDatabase;
  readonly store: FsObjectStore;
  readonly warehouse: EltWarehouse;
  readonly models: readonly Model[];
  readonly transactions: number;
  readonly seed: string;
  /** Empty the marketplace tables first (otherwise a database with data is refused). */
  readonly resetDatabase?: boolean;
  readonly clock?: Clock;
  readonly transport?: 'local' | 'kafka';
  /** Starts the pipeline the relay publishes to (default: the embedded one over `store`). */
  readonly startPipeline?: () => Promise<DemoPipeline>;
  /** Data directory of the embedded pipeline's landing workers. */
  readonly storeRoot?: string;
  readonly onProgress?: (stage: string, message: string) => void;
}

const TABLES = ['outbox', 'bids', 'items', 'users'] as const;

/**
 * From the marketplace's database to the warehouse: business transactions (each change and its outbox row
 * in one transaction), the outbox relayed to the bus and landed, the tables extracted, the ELT run, and
 * the warehouse reconciled with the database.
 */
export async function runOltpDemo(options: OltpDemoOptions): Promise<OltpDemoSummary> {
  const clock = options.clock ?? systemClock;
  const progress = options.onProgress ?? (() => undefined);
  const { db } = options;
  const t0 = Date.now();

  await db.migrate();
  if (options.resetDatabase) {
    await db.query(`TRUNCATE ${TABLES.join(', ')}`);
  } else {
    const held: string[] = [];
    for (const table of TABLES) {
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int8 AS n FROM ${table}`);
      if (Number(rows[0]?.n ?? 0) > 0) held.push(`${rows[0]!.n} row(s) in ${table}`);
    }
    if (held.length > 0) throw new OltpDemoDatabaseNotEmptyError(db.description, held.join(', '));
  }

  progress('workload', `${options.transactions} business transactions`);
  const workload: WorkloadResult = await runWorkload(db, {
    transactions: options.transactions,
    seed: options.seed,
    clock,
    concurrency: db.kind === 'postgres' ? 4 : 1,
    onProgress: (p) => {
      if (p.done % 1000 === 0 || p.done === p.total)
        progress(
          'workload',
          `${p.done}/${p.total} transactions (${p.committed} committed, ${p.rejected} rejected)`,
        );
    },
  });
  const workloadMs = Date.now() - t0;

  const t1 = Date.now();
  const pipeline: DemoPipeline = options.startPipeline
    ? await options.startPipeline()
    : new LocalPipeline({
        store: options.store,
        clock,
        ...(options.storeRoot ? { landingWorkers: { storeRoot: options.storeRoot } } : {}),
      }).start();
  let relay;
  try {
    relay = await relayOutbox(db, {
      bus: pipeline.bus,
      store: options.store,
      clock,
      batchSize: 1000,
      validator: createEventValidator(),
      once: true,
      maxFailedRounds: 5,
      onBatch: (round) =>
        progress('relay', `round ${round.round}: ${round.published} published, ${round.lag.unsent} unsent`),
    });
    progress('land', 'flushing the landing');
  } finally {
    await pipeline.close();
  }
  const relayAndLandMs = Date.now() - t1;

  const t2 = Date.now();
  const extract = await extractTables(db, options.store, {
    mode: 'incremental',
    clock,
    // Every transaction has committed: nothing can still commit with an older updated_at.
    settleSeconds: 0,
    onProgress: (message: string) => progress('extract', message),
  });
  const extractMs = Date.now() - t2;

  const t3 = Date.now();
  const run = await runElt({
    warehouse: options.warehouse,
    store: options.store,
    clock,
    models: options.models,
    onProgress: (message) => progress('elt', message),
  });
  const eltMs = Date.now() - t3;

  const t4 = Date.now();
  const reconciliation = await reconcileOltp(db, options.warehouse);
  const reconcileMs = Date.now() - t4;

  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM outbox');
  const committed = Object.values(workload.committed).reduce((a, b) => a + b, 0);
  const rejected = Object.values(workload.rejected).reduce((a, b) => a + b, 0);
  return {
    database: db.description,
    transport: options.transport ?? 'local',
    transactions: workload.transactions,
    committed,
    rejected,
    outboxEvents: Number(rows[0]?.n ?? 0),
    relayed: relay.published,
    relayQuarantined: relay.quarantined,
    landedEvents: pipeline.stats.landedEvents,
    extractedRows: extract.tables.reduce((a, t) => a + t.rows, 0),
    extractObjects: extract.tables.reduce((a, t) => a + t.objects, 0),
    warehouseBids: reconciliation.warehouseBids,
    oltpBids: reconciliation.oltpBids,
    reconciled: reconciliation.reconciled,
    reconciliation,
    run: {
      runId: run.runId,
      status: run.status,
      objectsLoaded: run.objectsLoaded,
      eventsLoaded: run.eventsLoaded,
    },
    workloadMs,
    relayAndLandMs,
    extractMs,
    eltMs,
    reconcileMs,
    durationMs: Date.now() - t0,
  };
}
