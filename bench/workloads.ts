import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import {
  DEFAULT_INVALID_WEIGHTS,
  generateWorkload,
  itemLine,
  type WorkloadOptions,
} from '../lib/core/generator/workload.js';

/**
 * The benchmark's workload: the demo's defaults without the 1 MiB oversized entries (a few hundred of them
 * would dominate the bytes of a million-event file and measure memcpy, not the pipeline).
 */
export function benchWorkload(events: number, seed = 'bench'): WorkloadOptions {
  return {
    events,
    seed,
    days: 7,
    invalidKinds: DEFAULT_INVALID_WEIGHTS.filter(([kind]) => kind !== 'oversized'),
  };
}

/** Writes a workload as NDJSON (the `elt publish` format) and returns its size in bytes. */
export async function writeWorkload(path: string, options: WorkloadOptions): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  for (const item of generateWorkload(options)) {
    const line = `${itemLine(item)}\n`;
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}
