// One ELT measurement in a fresh process, so peak memory is the measured code's own: prints one JSON line.
// Usage: elt-measure run <duckdb:file|postgres://…> <storeDir> <martsOut.json|->  (- : marts not read back)
//        elt-measure bare <duckdb file> <storeDir> <martsOut.json>
import { measureBareDuckDb, measureEltRun } from './elt.js';

const [kind, target, storeDir, martsOut] = process.argv.slice(2);
if ((kind !== 'run' && kind !== 'bare') || !target || !storeDir || !martsOut) {
  throw new Error(
    'usage: elt-measure run <duckdb:file|postgres://…> <storeDir> <martsOut.json>\n       elt-measure bare <duckdb file> <storeDir> <martsOut.json>',
  );
}
const result =
  kind === 'run'
    ? await measureEltRun(target, storeDir, martsOut === '-' ? undefined : martsOut)
    : await measureBareDuckDb(target, storeDir, martsOut);
process.stdout.write(`${JSON.stringify({ ...result, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
