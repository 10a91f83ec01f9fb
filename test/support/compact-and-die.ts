// Runs a compaction of a data directory (its store and DuckDB file) and kills its own process with SIGKILL
// after the nth time it reaches a step: no cleanup, no finally, no flush, as a crash or a Lambda timeout.
// Usage: tsx test/support/compact-and-die.ts <store dir> <duckdb file> <recorded|written|deleted> <nth>
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { DuckDbWarehouse } from '../../lib/adapters/warehouse/duckdb-warehouse.js';
import { compactRaw, type CompactionStep } from '../../lib/core/elt/compaction.js';

const [storeDir, warehouseFile, step, nth] = process.argv.slice(2);
let left = Number(nth);
const warehouse = await DuckDbWarehouse.open(warehouseFile!);
await compactRaw({
  store: new FsObjectStore(storeDir!),
  warehouse,
  clock: { now: () => new Date('2026-11-25T12:00:00Z') },
  onStep: (s: CompactionStep) => {
    if (s === step && --left === 0) process.kill(process.pid, 'SIGKILL');
  },
});
process.stderr.write(`the compaction ended without reaching ${step} ${nth} times\n`);
process.exit(3);
