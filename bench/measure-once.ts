// One measurement in a fresh process, so peak memory is the measured code's own: prints one JSON line.
import { measureEmbeddedPipeline } from './embedded-pipeline.js';
import { measureJsonCeiling } from './json-ceiling.js';

const [kind, file, storeDir] = process.argv.slice(2);
if (!kind || !file) throw new Error('usage: measure-once <pipeline|ceiling> <file> [storeDir]');
const result =
  kind === 'pipeline' ? await measureEmbeddedPipeline(file, storeDir ?? '') : await measureJsonCeiling(file);
process.stdout.write(
  `${JSON.stringify({ kind, ...result, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`,
);
