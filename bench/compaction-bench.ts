// Small files, before and after compaction: the workload landed in batches as the SQS path's and the Kafka
// path's event source mappings cut them at the deploy defaults (landing.batchSize, kafka.batchSize, and
// Lambda's 6 MiB payload) into the filesystem store, then compacted
// (lib/core/elt/compaction.ts, the default 128 MiB target, every partition closed). Counts the store's requests
// as S3 would bill them: a PUT per object written, a GET per object read, per 1,000 landed events.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsObjectStore } from '../lib/adapters/store/fs-object-store.js';
import { DuckDbWarehouse } from '../lib/adapters/warehouse/duckdb-warehouse.js';
import { compactRaw } from '../lib/core/elt/compaction.js';
import { DEFAULT_ASSUMPTIONS } from '../lib/core/cost/assumptions.js';
import { createEventValidator } from '../lib/core/events/validator.js';
import { landBatch } from '../lib/core/landing/land-batch.js';
import { RAW_PREFIX } from '../lib/core/landing/object-keys.js';
import type { ObjectStore } from '../lib/core/ports.js';
import { machineInfo, type MachineInfo } from '../lib/local/machine-info.js';
import { envelopeBodies, kafkaBatches, sqsBatches } from './land-alone.js';

/**
 * The landing paths' batch sizes: the deploy defaults of the SQS landing and of the Kafka event source
 * mapping (landing.batchSize, kafka.batchSize); the 6 MiB payload may end a batch first.
 */
export const SMALL_FILE_PATHS = [
  { path: 'sqs', batchSize: DEFAULT_ASSUMPTIONS.landing.batchSize },
  { path: 'kafka', batchSize: DEFAULT_ASSUMPTIONS.kafkaLanding.batchSize },
] as const;

/** Objects in the store and what reading or writing them costs, per 1,000 landed events. */
export interface ObjectFigures {
  readonly objects: number;
  readonly meanObjectBytes: number;
  /** Requests to read every object once (what a load, a rebuild or a query over raw/ makes). */
  readonly getsPer1000Events: number;
}

export interface SmallFileFigures {
  readonly path: 'sqs' | 'kafka';
  readonly batchSize: number;
  /** Invocations the landing took: batches cut at `batchSize` or at the payload limit. */
  readonly batches: number;
  readonly events: number;
  /** What the landing wrote: PUTs per 1,000 events, and the objects as landed. */
  readonly landingPutsPer1000Events: number;
  readonly before: ObjectFigures;
  /** What compacting them cost: a GET per original, a PUT per compacted object (DELETEs are free on S3). */
  readonly compaction: {
    readonly getsPer1000Events: number;
    readonly putsPer1000Events: number;
    readonly deletesPer1000Events: number;
    readonly seconds: number;
  };
  readonly after: ObjectFigures;
}

/** A store that counts the requests made to it. */
class CountingStore implements ObjectStore {
  puts = 0;
  gets = 0;
  deletes = 0;
  constructor(private readonly inner: FsObjectStore) {}
  put(...args: Parameters<ObjectStore['put']>): Promise<void> {
    this.puts++;
    return this.inner.put(...args);
  }
  get(key: string): Promise<Uint8Array> {
    this.gets++;
    return this.inner.get(key);
  }
  list(...args: Parameters<ObjectStore['list']>) {
    return this.inner.list(...args);
  }
  listPrefixes(prefix: string) {
    return this.inner.listPrefixes(prefix);
  }
  delete(key: string): Promise<void> {
    this.deletes++;
    return this.inner.delete(key);
  }
  describe(): string {
    return this.inner.describe();
  }
}

async function objectFigures(store: ObjectStore, events: number): Promise<ObjectFigures> {
  let objects = 0;
  let bytes = 0;
  for await (const o of store.list(RAW_PREFIX)) {
    objects++;
    bytes += o.size;
  }
  return {
    objects,
    meanObjectBytes: objects === 0 ? 0 : bytes / objects,
    getsPer1000Events: (objects * 1000) / events,
  };
}

/**
 * Lands `events` workload events in batches as `path`'s event source mapping cuts them (up to `batchSize`,
 * within the payload limit), compacts them, and counts.
 */
export async function measureSmallFiles(
  path: 'sqs' | 'kafka',
  batchSize: number,
  events: number,
): Promise<SmallFileFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'elt-bench-compaction-'));
  const store = new CountingStore(new FsObjectStore(join(dir, 'store')));
  const warehouse = await DuckDbWarehouse.open(':memory:');
  try {
    const validator = createEventValidator();
    const bodies = envelopeBodies(events);
    const clock = { now: () => new Date('2026-11-08T00:00:00Z') };
    let landed = 0;
    const sizes = (path === 'sqs' ? sqsBatches : kafkaBatches)(bodies, batchSize).map(
      (b) => b.records.length,
    );
    for (let i = 0, b = 0; b < sizes.length; i += sizes[b++]!) {
      const records = bodies.slice(i, i + sizes[b]!).map((body, j) => ({ id: `m-${i + j}`, body }));
      const result = await landBatch(records, { store, validator, clock });
      landed += result.landedEvents;
    }
    const landingPuts = store.puts - (await quarantinePuts(store));
    const before = await objectFigures(store, landed);
    const [gets, puts, deletes] = [store.gets, store.puts, store.deletes];
    const t0 = process.hrtime.bigint();
    const report = await compactRaw({
      store,
      warehouse,
      clock: { now: () => new Date('2026-12-31T00:00:00Z') },
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (report.problems.length > 0)
      throw new Error(`compaction left partitions: ${report.problems.join('; ')}`);
    const per1000 = (n: number): number => (n * 1000) / landed;
    return {
      path,
      batchSize,
      batches: sizes.length,
      events: landed,
      landingPutsPer1000Events: per1000(landingPuts),
      before,
      compaction: {
        getsPer1000Events: per1000(store.gets - gets),
        putsPer1000Events: per1000(store.puts - puts),
        deletesPer1000Events: per1000(store.deletes - deletes),
        seconds,
      },
      after: await objectFigures(store, landed),
    };
  } finally {
    await warehouse.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Objects the landing wrote under quarantine/ (invalid workload lines): not raw objects. */
async function quarantinePuts(store: ObjectStore): Promise<number> {
  let n = 0;
  for await (const o of store.list('quarantine/')) if (o.key) n++;
  return n;
}

/** The `compaction` section: each path's figures, the workload and the machine. */
export interface CompactionSummary {
  readonly benchmark: 'small-files';
  readonly workload: { readonly events: number; readonly file: string };
  readonly paths: readonly SmallFileFigures[];
  readonly machine: MachineInfo;
}

/** Measures every path of {@link SMALL_FILE_PATHS} on `events` workload events. */
export async function runCompactionBench(
  events: number,
  log: (line: string) => void,
): Promise<CompactionSummary> {
  const paths: SmallFileFigures[] = [];
  for (const p of SMALL_FILE_PATHS) {
    log(
      `compaction: landing ${events.toLocaleString('en-US')} events in batches of up to ${p.batchSize.toLocaleString('en-US')} (${p.path}), then compacting`,
    );
    paths.push(await measureSmallFiles(p.path, p.batchSize, events));
  }
  return {
    benchmark: 'small-files',
    workload: { events, file: 'bench/workloads.ts entries (seed "bench") as bus envelopes' },
    paths,
    machine: machineInfo(),
  };
}

/** The section as printed and in docs/benchmarks/README.md. */
export function compactionText(s: CompactionSummary): string {
  const n = (x: number, digits = 1): string => x.toLocaleString('en-US', { maximumFractionDigits: digits });
  const kib = (b: number): string => `${n(b / 1024)} KiB`;
  return [
    '## Small files: before and after compaction',
    '',
    `${n(s.workload.events, 0)} workload events (${s.workload.file}) landed into the filesystem store in batches as`,
    "each path's event source mapping cuts them (its default batch size, or Lambda's 6 MiB payload if that comes",
    'first), then compacted (`elt compact`: every hour partition closed, 128 MiB target). Requests are',
    'counted as S3 bills them, per 1,000 landed events: a PUT per object written, a GET per object read; a load,',
    'a rebuild or a query over raw/ reads every object once. DELETEs are free on S3.',
    '',
    '| path (batch size) | events a batch | objects before | PUTs landing | GETs a load, before | mean size before | compaction GETs | compaction PUTs | objects after | GETs a load, after | mean size after |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...s.paths.map(
      (p) =>
        `| ${p.path} (${n(p.batchSize, 0)}) | ${n(p.events / p.batches, 0)} | ${n(p.before.objects, 0)} | ${n(p.landingPutsPer1000Events)} | ${n(p.before.getsPer1000Events)} | ${kib(p.before.meanObjectBytes)} | ${n(p.compaction.getsPer1000Events)} | ${n(p.compaction.putsPer1000Events)} | ${n(p.after.objects, 0)} | ${n(p.after.getsPer1000Events)} | ${kib(p.after.meanObjectBytes)} |`,
    ),
    '',
    `The workload spreads its events over days and ten detail types, about ${n(s.paths[0] ? s.paths[0].events / s.paths[0].after.objects : 0, 0)} events per partition-hour, so`,
    'a compacted object holds one partition-hour and stays small here; at 1,000 events/s a partition-hour is',
    'tens of MiB, one object under the target (`elt cost` prices that case).',
    '',
    `Measured ${s.machine.date.slice(0, 10)}, ${s.machine.cores} cores, Node ${s.machine.node}.`,
  ].join('\n');
}
