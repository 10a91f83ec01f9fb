import { runElt } from '../core/elt/run-elt.js';
import type { Model } from '../core/elt/models.js';
import { generateWorkload, type WorkloadOptions } from '../core/generator/workload.js';
import { publishEvents, type PublishInput } from '../core/publish/publisher.js';
import type { Bus, Clock, EltWarehouse, RunRecord } from '../core/ports.js';
import { systemClock } from '../core/ports.js';
import type { FsObjectStore } from '../adapters/store/fs-object-store.js';
import { LocalPipeline, type LocalPipelineOptions, type LocalPipelineStats } from './local-pipeline.js';

/** What `elt demo` reports. */
export interface DemoSummary {
  readonly generated: number;
  readonly distinctValid: number;
  readonly duplicates: number;
  readonly invalid: number;
  readonly late: number;
  readonly accepted: number;
  readonly landedEvents: number;
  readonly landedObjects: number;
  readonly eventsPerObject: number;
  readonly quarantined: number;
  readonly quarantinedAtPublish: number;
  readonly quarantinedAtLanding: number;
  readonly deadLettered: number;
  /** Why landing failed, when it did (the last errors of the landing event source). */
  readonly landingErrors: readonly string[];
  readonly warehouseUniqueEvents: number;
  readonly dau: readonly { readonly day: string; readonly users: number }[];
  readonly run: Pick<RunRecord, 'runId' | 'status' | 'objectsLoaded' | 'eventsLoaded'>;
  readonly publishAndLandMs: number;
  readonly eltMs: number;
  readonly durationMs: number;
}

/** The parts of a running pipeline the demo drives: a bus to publish to, and landing behind it. */
export interface DemoPipeline {
  readonly bus: Bus;
  readonly stats: Readonly<LocalPipelineStats>;
  readonly landingErrors: readonly string[];
  /** PutEvents calls to keep in flight (a remote bus needs more to hide its round trips). */
  readonly publishInFlight?: number;
  /** Stops taking events and returns once everything published is landed. */
  close(): Promise<void>;
}

/** Options of {@link runDemo}. */
export interface DemoOptions {
  readonly workload: WorkloadOptions;
  readonly store: FsObjectStore;
  readonly warehouse: EltWarehouse;
  readonly models: readonly Model[];
  readonly clock?: Clock;
  readonly pipeline?: Omit<LocalPipelineOptions, 'store' | 'clock'>;
  /** Starts another pipeline than the embedded one (e.g. through Kafka). */
  readonly startPipeline?: () => Promise<DemoPipeline>;
  readonly onProgress?: (stage: string, message: string) => void;
}

/**
 * The whole pipeline on embedded defaults (or another transport): generate a workload, publish it through
 * the bus, land it, load and transform it in the warehouse, and count what happened at each step.
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const clock = options.clock ?? systemClock;
  const progress = options.onProgress ?? (() => undefined);
  const t0 = Date.now();
  const counts = { generated: 0, valid: 0, duplicates: 0, invalid: 0, late: 0 };

  function* inputs(): Generator<PublishInput> {
    for (const item of generateWorkload(options.workload)) {
      counts.generated++;
      if (item.truth.kind === 'valid') {
        counts.valid++;
        if (item.truth.late) counts.late++;
      } else if (item.truth.kind === 'duplicate') counts.duplicates++;
      else counts.invalid++;
      const ref = `generator:${item.seq}`;
      yield 'line' in item.input ? { ref, line: item.input.line } : { ref, value: item.input.value };
    }
  }

  const pipeline: DemoPipeline = options.startPipeline
    ? await options.startPipeline()
    : new LocalPipeline({ ...options.pipeline, store: options.store, clock }).start();
  let published;
  try {
    published = await publishEvents(inputs(), {
      bus: pipeline.bus,
      store: options.store,
      clock,
      progressEvery: 20_000,
      ...(pipeline.publishInFlight ? { maxInFlight: pipeline.publishInFlight } : {}),
      onProgress: (read, accepted) =>
        progress(
          'publish',
          `${read}/${options.workload.events} published, ${pipeline.stats.landedEvents} landed (${accepted} accepted)`,
        ),
    });
    progress('land', 'flushing the landing queue');
  } finally {
    await pipeline.close();
  }
  const publishAndLandMs = Date.now() - t0;

  const t1 = Date.now();
  const run = await runElt({
    warehouse: options.warehouse,
    store: options.store,
    clock,
    models: options.models,
    onProgress: (message) => progress('elt', message),
  });
  const [unique] = await options.warehouse.query('SELECT COUNT(*) AS n FROM stg_events');
  const dau = await options.warehouse.query(
    'SELECT CAST(day AS VARCHAR) AS day, users FROM mart_daily_active_users ORDER BY day',
  );
  const eltMs = Date.now() - t1;

  const landedObjects = pipeline.stats.landedObjectKeys.size;
  return {
    generated: counts.generated,
    distinctValid: counts.valid,
    duplicates: counts.duplicates,
    invalid: counts.invalid,
    late: counts.late,
    accepted: published.accepted,
    landedEvents: pipeline.stats.landedEvents,
    landedObjects,
    eventsPerObject:
      landedObjects === 0 ? 0 : Math.round((pipeline.stats.landedEvents / landedObjects) * 10) / 10,
    quarantined: published.quarantined + pipeline.stats.quarantined,
    quarantinedAtPublish: published.quarantined,
    quarantinedAtLanding: pipeline.stats.quarantined,
    deadLettered: pipeline.stats.deadLettered,
    landingErrors: [...pipeline.landingErrors],
    warehouseUniqueEvents: Number(unique?.n ?? 0),
    dau: dau.map((r) => ({ day: String(r.day), users: Number(r.users) })),
    run: {
      runId: run.runId,
      status: run.status,
      objectsLoaded: run.objectsLoaded,
      eventsLoaded: run.eventsLoaded,
    },
    publishAndLandMs,
    eltMs,
    durationMs: Date.now() - t0,
  };
}
