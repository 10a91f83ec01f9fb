import { createReadStream } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createEventValidator } from '../lib/core/events/validator.js';
import { readLineChunks } from '../lib/local/ndjson-reader.js';
import type { RunMeasure } from './embedded-pipeline.js';

/**
 * The ceiling: the least work any landing of this data must do, as a bare loop on one thread, reading the
 * file with the same reader as the pipeline — parse each line, validate it against the catalogue,
 * serialize it, gzip it in batches at the pipeline's level.
 */
export async function measureJsonCeiling(
  file: string,
  gzipLevel: number,
  batchLines = 5000,
): Promise<RunMeasure> {
  const validator = createEventValidator();
  const t0 = process.hrtime.bigint();
  let events = 0;
  let valid = 0;
  let batch: string[] = [];
  let compressed = 0;
  for await (const chunk of readLineChunks(createReadStream(file, { highWaterMark: 1 << 20 }))) {
    for (const line of chunk.lines) {
      events++;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue;
      }
      // Entries have no bus id yet; give the validator the envelope shape it checks.
      if (validator.validate({ id: 'x', ...(value as object) }).ok) valid++;
      batch.push(JSON.stringify(value));
      if (batch.length === batchLines) {
        compressed += gzipSync(Buffer.from(batch.join('\n')), { level: gzipLevel }).length;
        batch = [];
      }
    }
  }
  if (batch.length > 0) compressed += gzipSync(Buffer.from(batch.join('\n')), { level: gzipLevel }).length;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (compressed === 0 || valid === 0) throw new Error('ceiling loop did no work');
  return { events, seconds, eventsPerSecond: events / seconds };
}
