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
import { gunzipNdjson } from '../core/landing/ndjson-gzip.js';
import {
  connectorStatus,
  connectTarget,
  deleteConnector,
  describeConnectorStatus,
  dropReplicationSlot,
  outboxConnectorConfig,
  registerConnector,
  waitForConnectorRunning,
  type CdcDatabase,
  type ConnectTarget,
} from './cdc/debezium.js';
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

/** Change data capture needs logical decoding, which only a PostgreSQL server has. */
export class OltpDemoCdcNeedsPostgresError extends EltError {
  constructor(description: string) {
    super(
      `change data capture needs a PostgreSQL server with wal_level=logical, not ${description}: pass --database postgres://user@host:port/db (e.g. the server of scripts/services/postgres.sh)`,
    );
  }
}

/** The connector stopped bringing outbox rows before all of them had landed. */
export class OltpDemoCdcStalledError extends EltError {}

/** The connector, its replication slot or its publication could not be removed after the run. */
export class OltpDemoCdcCleanupError extends EltError {}

/** The transports of `elt oltp demo`. */
export type OltpDemoTransport = 'local' | 'kafka' | 'cdc';

/**
 * Change data capture instead of the outbox relay: Debezium's PostgreSQL connector on Kafka Connect reads
 * the outbox rows from the write-ahead log and writes them to `topic`, the topic the pipeline lands from.
 */
export interface OltpDemoCdcOptions {
  /** Kafka Connect's REST API. */
  readonly connectUrl: string;
  /** Where the connector reads from (its password goes to Connect only). */
  readonly database: CdcDatabase;
  /** The pipeline's topic. */
  readonly topic: string;
  /** Names the connector (`elt-oltp-cdc-<id>`), its replication slot and publication (`elt_oltp_<id>`): a-z, 0-9. */
  readonly runId: string;
  /** How long the connector may take to run. @default 90000 */
  readonly connectorTimeoutMs?: number;
  /** Fail when no new outbox row lands for this long. @default 60000 */
  readonly stallTimeoutMs?: number;
}

/** What `elt oltp demo` reports. */
export interface OltpDemoSummary {
  readonly database: string;
  readonly transport: OltpDemoTransport;
  /** Business transactions attempted (committed and rejected). */
  readonly transactions: number;
  readonly committed: number;
  readonly rejected: number;
  /** Rows in the outbox (one per event of a committed transaction). */
  readonly outboxEvents: number;
  /** Outbox rows the relay published (0 with change data capture: its rows stay unsent in the table). */
  readonly relayed: number;
  readonly relayQuarantined: number;
  /** With change data capture: distinct outbox rows landed (the connector may deliver one more than once). */
  readonly captured?: number;
  /** With change data capture: the connector (its slot and publication are named after it). */
  readonly connector?: string;
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
  readonly transport?: OltpDemoTransport;
  /** With transport `cdc`: the connector to capture the outbox with. */
  readonly cdc?: OltpDemoCdcOptions;
  /** Starts the pipeline the relay (or the connector) publishes to (default: the embedded one over `store`). */
  readonly startPipeline?: () => Promise<DemoPipeline>;
  /** Data directory of the embedded pipeline's landing workers. */
  readonly storeRoot?: string;
  readonly onProgress?: (stage: string, message: string) => void;
}

const TABLES = ['outbox', 'bids', 'items', 'users'] as const;

/**
 * From the marketplace's database to the warehouse: business transactions (each change and its outbox row
 * in one transaction), the outbox relayed to the bus and landed, the tables extracted, the ELT run, and
 * the warehouse reconciled with the database. With `cdc`, no relay runs: Debezium reads the outbox rows
 * from the WAL into the pipeline's topic (the rows stay unsent in the table).
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

  const workloadRun = async (): Promise<WorkloadResult> => {
    progress('workload', `${options.transactions} business transactions`);
    return runWorkload(db, {
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
  };
  const startPipeline = async (): Promise<DemoPipeline> =>
    options.startPipeline
      ? await options.startPipeline()
      : new LocalPipeline({
          store: options.store,
          clock,
          ...(options.storeRoot ? { landingWorkers: { storeRoot: options.storeRoot } } : {}),
        }).start();

  let workload: WorkloadResult;
  let workloadMs: number;
  let relayAndLandMs: number;
  let relay = { published: 0, quarantined: 0 };
  let captured: number | undefined;
  let pipeline: DemoPipeline;
  if (options.transport === 'cdc' || options.cdc !== undefined) {
    const cdc = options.cdc;
    if (!cdc) throw new EltError('change data capture needs the connector options (cdc)');
    if (db.kind !== 'postgres') throw new OltpDemoCdcNeedsPostgresError(db.description);
    // The connector is registered before the workload runs, so the rows travel as they would in production:
    // decoded from the WAL as their transactions commit (streaming), not read by the connector's snapshot.
    const t1 = Date.now();
    pipeline = await startPipeline();
    try {
      const result = await captureOutbox(db, pipeline, options.store, cdc, progress, async () => {
        const tw = Date.now();
        return { workload: await workloadRun(), ms: Date.now() - tw };
      });
      captured = result.captured;
      workload = result.during.workload;
      workloadMs = result.during.ms;
      progress('land', 'flushing the landing');
    } finally {
      await pipeline.close();
    }
    relayAndLandMs = Date.now() - t1 - workloadMs;
  } else {
    workload = await workloadRun();
    workloadMs = Date.now() - t0;

    const t1 = Date.now();
    pipeline = await startPipeline();
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
    relayAndLandMs = Date.now() - t1;
  }

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
    transport: options.cdc ? 'cdc' : (options.transport ?? 'local'),
    transactions: workload.transactions,
    committed,
    rejected,
    outboxEvents: Number(rows[0]?.n ?? 0),
    relayed: relay.published,
    relayQuarantined: relay.quarantined,
    ...(captured !== undefined ? { captured, connector: connectorName(options.cdc!.runId) } : {}),
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

/** The connector of a run. */
function connectorName(runId: string): string {
  return `elt-oltp-cdc-${runId}`;
}

/**
 * Registers the outbox connector (routed to the pipeline's topic), runs `during` (the workload) once it is
 * running, and waits until every outbox row has landed (distinct ids: after a restart the connector may
 * deliver a row twice, and the warehouse keeps one per event id). The connector, its replication slot and
 * its publication are removed afterwards, also on failure. Returns the distinct outbox rows landed.
 */
async function captureOutbox<T>(
  db: OltpDatabase,
  pipeline: DemoPipeline,
  store: FsObjectStore,
  cdc: OltpDemoCdcOptions,
  progress: (stage: string, message: string) => void,
  during: () => Promise<T>,
): Promise<{ captured: number; during: T }> {
  if (!/^[a-z0-9]{1,40}$/.test(cdc.runId))
    throw new EltError(`the capture run id ${JSON.stringify(cdc.runId)} must be 1–40 of a-z, 0-9`);
  const name = connectorName(cdc.runId);
  const slot = `elt_oltp_${cdc.runId}`;
  const config = outboxConnectorConfig({
    database: cdc.database,
    slotName: slot,
    publicationName: slot,
    topic: cdc.topic,
  });
  const target = connectTarget(cdc.connectUrl, config);
  let outcome: { captured: number; during: T };
  try {
    progress('cdc', `registering connector ${name} (slot and publication ${slot}) → topic ${cdc.topic}`);
    await registerConnector(target, name, config);
    await waitForConnectorRunning(target, name, { timeoutMs: cdc.connectorTimeoutMs ?? 90_000 });
    progress('cdc', `connector ${name} running`);
    const result = await during();
    const { rows } = await db.query<{ id: string }>('SELECT id::text AS id FROM outbox');
    const outboxIds = new Set(rows.map((r) => r.id));
    const captured = await waitForLanded(target, name, pipeline, store, outboxIds, cdc, progress);
    outcome = { captured, during: result };
  } catch (error) {
    // Removed on failure too (what fails here is not reported over the first error).
    await removeConnector(db, target, name, slot, progress);
    throw error;
  }
  const problems = await removeConnector(db, target, name, slot, progress);
  if (problems.length > 0)
    throw new OltpDemoCdcCleanupError(`removing connector ${name} failed: ${problems.join('; ')}`);
  return outcome;
}

/** Reads the objects the pipeline has landed until every outbox id is in one; fails when it stalls. */
async function waitForLanded(
  target: ConnectTarget,
  name: string,
  pipeline: DemoPipeline,
  store: FsObjectStore,
  outboxIds: ReadonlySet<string>,
  cdc: OltpDemoCdcOptions,
  progress: (stage: string, message: string) => void,
): Promise<number> {
  const stallMs = cdc.stallTimeoutMs ?? 60_000;
  const read = new Set<string>();
  const landed = new Set<string>();
  let lastGrowth = Date.now();
  let polls = 0;
  for (;;) {
    for (const key of [...pipeline.stats.landedObjectKeys]) {
      if (read.has(key)) continue;
      read.add(key);
      for (const line of await gunzipNdjson(await store.get(key))) {
        const id = (JSON.parse(line) as { id?: unknown }).id;
        if (typeof id === 'string' && outboxIds.has(id) && !landed.has(id)) {
          landed.add(id);
          lastGrowth = Date.now();
        }
      }
    }
    if (polls % 4 === 0 || landed.size === outboxIds.size)
      progress(
        'cdc',
        `${landed.size}/${outboxIds.size} outbox rows captured and landed (${pipeline.stats.landedEvents} events landed)`,
      );
    if (landed.size === outboxIds.size) return landed.size;
    if (++polls % 20 === 0) {
      // A failed task brings nothing more: say so now rather than at the stall timeout.
      const status = await connectorStatus(target, name);
      if (status && [status.connector, ...status.tasks].some((s) => s.state === 'FAILED'))
        throw new OltpDemoCdcStalledError(
          `connector ${name} failed with ${landed.size} of ${outboxIds.size} outbox rows landed: ${describeConnectorStatus(status)}`,
        );
    }
    if (Date.now() - lastGrowth > stallMs) {
      const status = await connectorStatus(target, name).catch(() => undefined);
      const errors = pipeline.landingErrors.at(-1);
      throw new OltpDemoCdcStalledError(
        `${landed.size} of ${outboxIds.size} outbox rows landed and none more in ${Math.round(stallMs / 1000)} s (connector ${name}: ${describeConnectorStatus(status)}${errors ? `; last landing error: ${errors}` : ''})`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Deletes the connector, drops its replication slot and its publication; returns what failed. */
async function removeConnector(
  db: OltpDatabase,
  target: ConnectTarget,
  name: string,
  slot: string,
  progress: (stage: string, message: string) => void,
): Promise<string[]> {
  const problems: string[] = [];
  progress('cdc', `deleting connector ${name}, dropping replication slot and publication ${slot}`);
  try {
    await deleteConnector(target, name);
  } catch (error) {
    problems.push((error as Error).message);
  }
  try {
    // A slot left behind keeps every WAL segment from its position on.
    await dropReplicationSlot(
      { query: async (text, values) => db.query<Record<string, unknown>>(text, values) },
      slot,
    );
  } catch (error) {
    problems.push(`dropping replication slot ${slot}: ${(error as Error).message}`);
  }
  try {
    // The publication is named by this run (checked: a lower-case identifier), never by event data.
    await db.query(`DROP PUBLICATION IF EXISTS "${slot}"`);
  } catch (error) {
    problems.push(`dropping publication ${slot}: ${(error as Error).message}`);
  }
  return problems;
}
