import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { generateWorkload, type WorkloadOptions } from '../lib/core/generator/workload.js';

/**
 * The benchmark's workload: the demo's defaults without the 1 MiB oversized entries (a few hundred of them
 * would dominate the bytes of a million-event file and measure memcpy, not the pipeline).
 */
export function benchWorkload(events: number, seed = 'bench'): WorkloadOptions {
  return {
    events,
    seed,
    days: 7,
    invalidKinds: [
      ['not-json', 1],
      ['not-an-object', 1],
      ['missing-detail', 1],
      ['detail-not-object', 1],
      ['invalid-time', 1],
      ['unknown-detail-type', 1],
      ['schema-violation', 2],
      ['missing-event-id', 1],
      ['deep-nesting', 0.5],
      ['unpaired-surrogate', 0.5],
    ],
  };
}

/** Writes a workload as NDJSON (the `elt publish` format) and returns its size in bytes. */
export async function writeWorkload(path: string, options: WorkloadOptions): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  for (const item of generateWorkload(options)) {
    const line = `${'line' in item.input ? item.input.line : JSON.stringify(item.input.value)}\n`;
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}
