import { createReadStream } from 'node:fs';
import { FsObjectStore } from '../lib/adapters/store/fs-object-store.js';
import { systemClock } from '../lib/core/ports.js';
import { publishEvents, type PublishLines } from '../lib/core/publish/publisher.js';
import { LocalPipeline } from '../lib/local/local-pipeline.js';
import { readLineChunks } from '../lib/local/ndjson-reader.js';

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

async function* inputs(file: string): AsyncGenerator<PublishLines> {
  for await (const chunk of readLineChunks(createReadStream(file, { highWaterMark: 1 << 20 }))) {
    yield { lines: chunk.lines, ref: (i) => `bench:${chunk.firstLine + i}` };
  }
}

/**
 * `elt publish` of a file through the embedded pipeline with its defaults (landing workers) into a fresh
 * store: read → check → PutEvents → rules → queue → landing (validate, partition, gzip, write).
 */
export async function measureEmbeddedPipeline(
  file: string,
  storeDir: string,
  gzipLevel: number,
): Promise<RunMeasure> {
  const store = new FsObjectStore(storeDir);
  const t0 = process.hrtime.bigint();
  const pipeline = new LocalPipeline({ store, landingWorkers: { storeRoot: storeDir }, gzipLevel }).start();
  let summary;
  try {
    summary = await publishEvents(inputs(file), { bus: pipeline.bus, store, clock: systemClock });
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
