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
/**
 * The ceiling's work over lines, one at a time: parse, validate (`shape` turns a parsed line into the
 * envelope the validator checks), serialize, gzip in batches of `batchLines` at `gzipLevel`. Lines that are
 * not JSON are skipped, as the landing quarantines them.
 */
export class CeilingLoop {
  private readonly validator = createEventValidator();
  private batch: string[] = [];
  private compressed = 0;
  private valid = 0;

  constructor(
    private readonly gzipLevel: number,
    private readonly batchLines = 5000,
    private readonly shape: (value: unknown) => unknown = (value) => value,
  ) {}

  add(line: string): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return;
    }
    if (this.validator.validate(this.shape(value)).ok) this.valid++;
    this.batch.push(JSON.stringify(value));
    if (this.batch.length === this.batchLines) this.flush();
  }

  /** Gzips what is left; throws when the loop did no work (nothing valid, nothing compressed). */
  finish(): void {
    if (this.batch.length > 0) this.flush();
    if (this.compressed === 0 || this.valid === 0) throw new Error('ceiling loop did no work');
  }

  private flush(): void {
    this.compressed += gzipSync(Buffer.from(this.batch.join('\n')), { level: this.gzipLevel }).length;
    this.batch = [];
  }
}

export async function measureJsonCeiling(
  file: string,
  gzipLevel: number,
  batchLines = 5000,
): Promise<RunMeasure> {
  // Entries have no bus id yet; give the validator the envelope shape it checks.
  const loop = new CeilingLoop(gzipLevel, batchLines, (value) => ({ id: 'x', ...(value as object) }));
  const t0 = process.hrtime.bigint();
  let events = 0;
  for await (const chunk of readLineChunks(createReadStream(file, { highWaterMark: 1 << 20 }))) {
    for (const line of chunk.lines) {
      events++;
      loop.add(line);
    }
  }
  loop.finish();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { events, seconds, eventsPerSecond: events / seconds };
}
