import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { FsObjectStore } from '../lib/adapters/store/fs-object-store.js';
import { systemClock } from '../lib/core/ports.js';
import { publishEvents, type PublishInput } from '../lib/core/publish/publisher.js';
import { LocalPipeline } from '../lib/local/local-pipeline.js';

/** What one measured run reports. */
export interface RunMeasure {
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly landedEvents?: number;
  readonly landedObjects?: number;
  readonly eventsPerObject?: number;
  readonly quarantined?: number;
}

async function* lines(file: string): AsyncGenerator<PublishInput> {
  let n = 0;
  for await (const line of createInterface({
    input: createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }),
    crlfDelay: Infinity,
  })) {
    yield { ref: `bench:${++n}`, line };
  }
}

/** `elt publish` of a file through the embedded pipeline into a fresh store: publish → bus → queue → land. */
export async function measureEmbeddedPipeline(file: string, storeDir: string): Promise<RunMeasure> {
  const store = new FsObjectStore(storeDir);
  const t0 = process.hrtime.bigint();
  const pipeline = new LocalPipeline({
    store,
    landingWorkers: { storeRoot: storeDir, count: Number(process.env.W ?? 1) },
  }).start();
  let summary;
  try {
    summary = await publishEvents(lines(file), { bus: pipeline.bus, store, clock: systemClock });
  } finally {
    await pipeline.close();
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const objects = pipeline.stats.landedObjectKeys.size;
  return {
    events: summary.read,
    seconds,
    eventsPerSecond: summary.read / seconds,
    landedEvents: pipeline.stats.landedEvents,
    landedObjects: objects,
    eventsPerObject: pipeline.stats.landedEvents / Math.max(1, objects),
    quarantined: summary.quarantined + pipeline.stats.quarantined,
  };
}
