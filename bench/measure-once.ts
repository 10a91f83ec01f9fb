// One measurement in a fresh process, so peak memory is the measured code's own: prints one JSON line.
// Usage: measure-once <pipeline|ceiling> <workload.ndjson> <gzipLevel> [storeDir]
import { measureEmbeddedPipeline } from './embedded-pipeline.js';
import { measureJsonCeiling } from './json-ceiling.js';

const [kind, file, level, storeDir] = process.argv.slice(2);
if ((kind !== 'pipeline' && kind !== 'ceiling') || !file || !level) {
  throw new Error('usage: measure-once <pipeline|ceiling> <workload.ndjson> <gzipLevel> [storeDir]');
}
const gzipLevel = Number(level);
const result =
  kind === 'pipeline'
    ? await measureEmbeddedPipeline(file, storeDir ?? '', gzipLevel)
    : await measureJsonCeiling(file, gzipLevel);
process.stdout.write(
  `${JSON.stringify({ kind, ...result, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
);
