// The ELT benchmark: a workload landed by the embedded pipeline, then loaded and transformed by `elt run`'s
// path on DuckDB and on PostgreSQL and by a bare script sending the same SQL files straight to DuckDB, each
// side in a fresh process on an empty warehouse, the order alternating from run to run.
import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { n, table } from '../lib/cli/output.js';
import { WATERMARK_PREFIX } from '../lib/core/elt/raw-listing.js';
import { packageRoot } from '../lib/package-paths.js';
import { postgresServer, scratchDatabase } from '../test/support/postgres.js';
import type { EltMeasure, EltPhases } from './elt.js';
import { machineInfo, type MachineInfo } from '../lib/local/machine-info.js';
import type { EmbeddedMeasured } from './report.js';
import { median } from './stats.js';
import { benchWorkload, writeWorkload } from './workloads.js';

const exec = promisify(execFile);

export interface EltBenchOptions {
  readonly events: number;
  readonly runs: number;
  readonly gzipLevel: number;
  /** Scratch directory for the workload, the landed store and the DuckDB files. */
  readonly work: string;
}

/** The three ways the landed objects are loaded and transformed. */
export const ELT_SIDES = ['run-duckdb', 'bare-duckdb', 'run-postgres'] as const;
export type EltSide = (typeof ELT_SIDES)[number];

const SIDE_LABELS: Readonly<Record<EltSide, string>> = {
  'run-duckdb': 'elt run, DuckDB (ELT runner)',
  'bare-duckdb': 'bare SQL, DuckDB (same SQL files and data tests, one connection)',
  'run-postgres': 'elt run, PostgreSQL (ELT runner)',
};

/** One ELT measurement, as kept under `raw`. */
export type EltRaw = EltMeasure & { readonly key: EltSide; readonly run: number; readonly peakRssMb: number };

/** Medians of one side. */
export interface EltSideSummary {
  readonly phasesMs: EltPhases;
  readonly totalMs: number;
  readonly peakRssMb: number;
  readonly objects: number;
  readonly events: number;
  /** PostgreSQL only: the largest peak RSS of the server process serving the run. */
  readonly serverPeakRssMb?: number;
}

/** docs/benchmarks/elt.json. */
export interface EltSummary {
  readonly benchmark: 'elt';
  readonly workload: { readonly events: number; readonly file: string };
  readonly runs: number;
  readonly gzipLevel: number;
  readonly landing: {
    readonly eventsPerSecond: number;
    readonly seconds: number;
    readonly peakRssMb: number;
    readonly landedObjects: number;
    readonly landedEvents: number;
    readonly eventsPerObject: number;
    readonly quarantined: number;
  };
  readonly sides: Readonly<Record<EltSide, EltSideSummary>>;
  /** Median build time of each model on each side, in build order. */
  readonly models: readonly ({ readonly name: string; readonly rows: number } & Readonly<
    Record<EltSide, number>
  >)[];
  readonly ratios: {
    /** elt run over bare SQL, both on DuckDB (both run the data tests). */
    readonly runnerOverBare: {
      total: number;
      load: number;
      transform: number;
      /** Absent from summaries written before the bare side ran the data tests. */
      plan?: number;
      test?: number;
    };
    /** PostgreSQL over DuckDB, both through the runner. */
    readonly postgresOverDuckdb: { total: number; load: number; transform: number; test: number };
  };
  readonly marts: {
    readonly identical: boolean;
    readonly tables: Readonly<Record<string, number>>;
    readonly differences: readonly string[];
  };
  readonly postgres: { readonly server: string };
  /** Wall time of the whole section (generation, landing, every run). */
  readonly elapsedSeconds: number;
  readonly checks: readonly { check: string; value: string; met: boolean }[];
  readonly machine: MachineInfo;
  readonly rawLanding: readonly EmbeddedMeasured[];
  readonly raw: readonly EltRaw[];
}

/**
 * Where two sets of mart rows (MART_QUERIES' results, by table) differ: for each table, the row counts and
 * the first row that differs. Empty when they are identical.
 */
export function martDifferences(
  a: Readonly<Record<string, readonly unknown[]>>,
  b: Readonly<Record<string, readonly unknown[]>>,
  names: readonly [string, string],
): string[] {
  const out: string[] = [];
  for (const table of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[table] ?? [];
    const y = b[table] ?? [];
    const i = x.findIndex((row, k) => JSON.stringify(row) !== JSON.stringify(y[k]));
    const at = i >= 0 ? i : x.length === y.length ? -1 : Math.min(x.length, y.length);
    if (at < 0) continue;
    out.push(
      `${table}: ${n(x.length)} rows on ${names[0]}, ${n(y.length)} on ${names[1]}; first difference at row ${n(at + 1)}: ${JSON.stringify(x[at] ?? null)} vs ${JSON.stringify(y[at] ?? null)}`,
    );
  }
  return out;
}

/** The versions of the two warehouses: DuckDB's library (`SELECT version()`) and the PostgreSQL server. */
async function warehouseVersions(pgUrl: string): Promise<Record<string, string>> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const duck = String((await connection.runAndReadAll('SELECT version()')).getRows()[0]?.[0]);
  connection.closeSync();
  instance.closeSync();
  const client = new pg.Client({ connectionString: pgUrl });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new Error(`PostgreSQL at ${serverOf(pgUrl)} does not answer: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return { duckdb: duck, postgresql: rows[0]?.server_version ?? 'unknown' };
  } finally {
    await client.end();
  }
}

/**
 * Runs a measurement script of dist/bench in a fresh Node process; returns its last JSON line, or throws
 * with the end of its stderr.
 */
export async function child<T>(
  script: string,
  args: readonly string[],
  nodeArgs: readonly string[] = [],
): Promise<T> {
  try {
    const path = join(packageRoot(), 'dist', 'bench', script);
    const { stdout } = await exec(process.execPath, [...nodeArgs, path, ...args], {
      maxBuffer: 1 << 20,
    });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as T;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    const tail = (e.stderr ?? '').trim().split('\n').slice(-8).join('\n');
    throw new Error(`${script} ${args[0] ?? ''} failed:\n${tail || e.message}`, { cause: error });
  }
}

/** The host and port of a server URL, without user or password. */
function serverOf(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}`;
}

/**
 * The ELT benchmark. PostgreSQL is `ELT_PG_URL` or the repository's server from scripts/services/postgres.sh,
 * started if it is not running (and stopped at the end of `npm run bench`, as the tests do); each PostgreSQL run gets a database
 * of its own, dropped afterwards. Throws with the script's explanation when PostgreSQL cannot start.
 */
export async function runEltBench(options: EltBenchOptions): Promise<EltSummary> {
  const started = process.hrtime.bigint();
  process.stderr.write('PostgreSQL: scripts/services/postgres.sh up (or ELT_PG_URL)…\n');
  const pgServer = await postgresServer();
  const versions = await warehouseVersions(pgServer);

  const file = join(options.work, 'elt-workload.ndjson');
  const storeDir = join(options.work, 'elt-store');
  process.stderr.write(`generating ${n(options.events)} events → ${file}\n`);
  await writeWorkload(file, benchWorkload(options.events));

  // Landing, measured like the embedded benchmark; the last run's objects are what every ELT side reads.
  const rawLanding: EmbeddedMeasured[] = [];
  for (let run = 1; run <= options.runs; run++) {
    await rm(storeDir, { recursive: true, force: true });
    const r = await child<EmbeddedMeasured>('measure-once.js', [
      'pipeline',
      file,
      String(options.gzipLevel),
      storeDir,
    ]);
    rawLanding.push(r);
    process.stderr.write(
      `run ${run}/${options.runs} land ${n(Math.round(r.eventsPerSecond))} events/s, ${n(r.landedObjects ?? 0)} objects, peak RSS ${Math.round(r.peakRssMb)} MB\n`,
    );
  }
  const landed = rawLanding.at(-1)!;

  const duckFile = (side: EltSide): string => join(options.work, `elt-${side}.duckdb`);
  const martsFile = (side: EltSide): string => join(options.work, `elt-marts-${side}.json`);
  const removeDuck = async (side: EltSide): Promise<void> => {
    for (const f of [duckFile(side), `${duckFile(side)}.wal`]) await rm(f, { force: true });
  };
  const raw: EltRaw[] = [];
  const differences = new Set<string>();
  try {
    for (let run = 1; run <= options.runs; run++) {
      // Alternate the order so drift in the machine's speed hits every side alike.
      const order = run % 2 ? [...ELT_SIDES] : [...ELT_SIDES].reverse();
      for (const key of order) {
        // Every run starts as the first did: a runner on an empty warehouse finds no watermark or plan
        // files of an earlier measurement (a watermark naming a run its warehouse lacks makes it list twice).
        for (const dir of [WATERMARK_PREFIX, 'manifests/'])
          await rm(join(storeDir, dir), { recursive: true, force: true });
        let r: EltMeasure & { peakRssMb: number };
        if (key === 'run-postgres') {
          const db = await scratchDatabase(pgServer);
          try {
            r = await child('elt-measure.js', ['run', db.url, storeDir, martsFile(key)]);
          } finally {
            await db.drop();
          }
        } else {
          await removeDuck(key);
          r = await child('elt-measure.js', [
            key === 'run-duckdb' ? 'run' : 'bare',
            key === 'run-duckdb' ? `duckdb:${duckFile(key)}` : duckFile(key),
            storeDir,
            martsFile(key),
          ]);
        }
        raw.push({ ...r, key, run });
        process.stderr.write(
          `run ${run}/${options.runs} ${key.padEnd(12)} total ${n(Math.round(r.totalMs))} ms (load ${n(Math.round(r.phases.load))}, transform ${n(Math.round(r.phases.transform))}), peak RSS ${Math.round(r.peakRssMb)} MB\n`,
        );
      }
      // Every side's marts against the runner's on DuckDB, in detail when their digests differ.
      const ofRun = raw.filter((r) => r.run === run);
      const reference = ofRun.find((r) => r.key === 'run-duckdb')!;
      for (const other of ofRun.filter((r) => r !== reference)) {
        if (JSON.stringify(other.marts) === JSON.stringify(reference.marts)) continue;
        const rows = async (side: EltSide): Promise<Record<string, unknown[]>> =>
          JSON.parse(await readFile(martsFile(side), 'utf8')) as Record<string, unknown[]>;
        for (const d of martDifferences(await rows(reference.key), await rows(other.key), [
          reference.key,
          other.key,
        ]))
          differences.add(`run ${run}: ${d}`);
      }
    }
  } finally {
    for (const side of ELT_SIDES) {
      if (side !== 'run-postgres') await removeDuck(side);
      await rm(martsFile(side), { force: true });
    }
    await rm(storeDir, { recursive: true, force: true });
  }

  const med = (values: readonly number[]): number => Math.round(median(values));
  const sides = Object.fromEntries(
    ELT_SIDES.map((key) => {
      const rs = raw.filter((r) => r.key === key);
      const phase = (p: keyof EltPhases): number => med(rs.map((r) => r.phases[p]));
      const server = rs.flatMap((r) => (r.serverPeakRssMb === undefined ? [] : [r.serverPeakRssMb]));
      const summary: EltSideSummary = {
        phasesMs: {
          plan: phase('plan'),
          load: phase('load'),
          transform: phase('transform'),
          test: phase('test'),
          publish: phase('publish'),
        },
        totalMs: med(rs.map((r) => r.totalMs)),
        peakRssMb: Math.round(Math.max(...rs.map((r) => r.peakRssMb))),
        objects: rs[0]?.objects ?? 0,
        events: rs[0]?.events ?? 0,
        ...(server.length > 0 ? { serverPeakRssMb: Math.round(Math.max(...server)) } : {}),
      };
      return [key, summary];
    }),
  ) as Record<EltSide, EltSideSummary>;
  const first = raw.find((r) => r.key === 'run-duckdb')!;
  const models = first.models.map((m) => ({
    name: m.name,
    rows: m.rows,
    ...(Object.fromEntries(
      ELT_SIDES.map((key) => [
        key,
        med(raw.filter((r) => r.key === key).map((r) => r.models.find((x) => x.name === m.name)?.ms ?? 0)),
      ]),
    ) as Record<EltSide, number>),
  }));
  const ratio = (a: number, b: number): number => Math.round((a / Math.max(1, b)) * 100) / 100;
  const duck = sides['run-duckdb'];
  const bare = sides['bare-duckdb'];
  const post = sides['run-postgres'];
  const loadedEverywhere = raw.every(
    (r) => r.events === landed.landedEvents && r.objects === landed.landedObjects,
  );
  // Row counts must agree too: a side whose models build fewer rows would show here even with equal marts.
  const rowsAgree = raw.every((r) =>
    r.models.every((m) => m.rows === first.models.find((x) => x.name === m.name)?.rows),
  );
  const martRows = Object.fromEntries(Object.entries(first.marts).map(([t, d]) => [t, d.rows]));
  return {
    benchmark: 'elt',
    workload: {
      events: options.events,
      file: 'generated by bench/workloads.ts (seed "bench", 7 days, demo rates, no 1 MiB entries)',
    },
    runs: options.runs,
    gzipLevel: options.gzipLevel,
    landing: {
      eventsPerSecond: med(rawLanding.map((r) => r.eventsPerSecond)),
      seconds: Math.round(median(rawLanding.map((r) => r.seconds)) * 100) / 100,
      peakRssMb: Math.round(Math.max(...rawLanding.map((r) => r.peakRssMb))),
      landedObjects: landed.landedObjects ?? 0,
      landedEvents: landed.landedEvents ?? 0,
      eventsPerObject: Math.round(landed.eventsPerObject ?? 0),
      quarantined: landed.quarantined ?? 0,
    },
    sides,
    models,
    ratios: {
      runnerOverBare: {
        total: ratio(duck.totalMs, bare.totalMs),
        plan: ratio(duck.phasesMs.plan, bare.phasesMs.plan),
        load: ratio(duck.phasesMs.load, bare.phasesMs.load),
        transform: ratio(duck.phasesMs.transform, bare.phasesMs.transform),
        test: ratio(duck.phasesMs.test, bare.phasesMs.test),
      },
      postgresOverDuckdb: {
        total: ratio(post.totalMs, duck.totalMs),
        load: ratio(post.phasesMs.load, duck.phasesMs.load),
        transform: ratio(post.phasesMs.transform, duck.phasesMs.transform),
        test: ratio(post.phasesMs.test, duck.phasesMs.test),
      },
    },
    marts: { identical: differences.size === 0, tables: martRows, differences: [...differences] },
    postgres: { server: serverOf(pgServer) },
    elapsedSeconds: Math.round(Number(process.hrtime.bigint() - started) / 1e9),
    checks: [
      {
        check: 'marts identical on the three sides (MART_QUERIES, every run)',
        value:
          differences.size === 0
            ? `${Object.keys(martRows).length} tables, ${n(Object.values(martRows).reduce((s, x) => s + x, 0))} rows`
            : `${differences.size} difference(s)`,
        met: differences.size === 0,
      },
      {
        check: 'every side builds the same row count in every model',
        value: rowsAgree ? 'yes' : 'no',
        met: rowsAgree,
      },
      {
        check: 'every side loads every landed object and event',
        value: `${n(landed.landedObjects ?? 0)} objects, ${n(landed.landedEvents ?? 0)} events`,
        met: loadedEverywhere,
      },
    ],
    machine: machineInfo(versions),
    rawLanding,
    raw,
  };
}

const ms = (x: number): number => Math.round(x);
const times = (x: number): string => `${x.toFixed(2)}×`;

/** The printed result: landing, the three sides by step, the models, the ratios, the checks. */
export function eltText(s: EltSummary): string {
  const m = s.machine;
  const landing = [
    {
      measure: 'land: elt publish through the embedded pipeline',
      s: s.landing.seconds,
      'events/s': s.landing.eventsPerSecond,
      objects: s.landing.landedObjects,
      'events/object': s.landing.eventsPerObject,
      'peak RSS MB': s.landing.peakRssMb,
    },
  ];
  const sides = ELT_SIDES.map((key) => {
    const side = s.sides[key];
    return {
      'load + transform': SIDE_LABELS[key],
      'open+plan ms': ms(side.phasesMs.plan),
      'load ms': ms(side.phasesMs.load),
      'transform ms': ms(side.phasesMs.transform),
      'tests ms': ms(side.phasesMs.test),
      'publish+close ms': ms(side.phasesMs.publish),
      'total ms': ms(side.totalMs),
      'peak RSS MB': side.peakRssMb,
    };
  });
  const models = s.models.map((x) => ({
    model: x.name,
    rows: x.rows,
    'elt run DuckDB ms': x['run-duckdb'],
    'bare DuckDB ms': x['bare-duckdb'],
    'elt run PostgreSQL ms': x['run-postgres'],
  }));
  const r = s.ratios;
  const server = s.sides['run-postgres'].serverPeakRssMb;
  return [
    `ELT, ${n(s.workload.events)} workload events → ${n(s.landing.landedEvents)} landed in ${n(s.landing.landedObjects)} objects (${n(s.landing.eventsPerObject)} events/object, gzip level ${s.gzipLevel}), median of ${s.runs} runs (${m.cores} cores, ${m.cpu}, Node ${m.node}, DuckDB ${m.versions.duckdb}, PostgreSQL ${m.versions.postgresql})`,
    '',
    table(landing),
    '',
    table(sides),
    '',
    table(models),
    '',
    // Summaries written before the bare side ran the data tests have no open+plan or tests ratio.
    r.runnerOverBare.test === undefined
      ? `elt run / bare SQL on DuckDB: total ${times(r.runnerOverBare.total)} · load ${times(r.runnerOverBare.load)} · transform ${times(r.runnerOverBare.transform)}`
      : `elt run / bare SQL on DuckDB: total ${times(r.runnerOverBare.total)} · open+plan ${times(r.runnerOverBare.plan ?? 0)} · load ${times(r.runnerOverBare.load)} · transform ${times(r.runnerOverBare.transform)} · tests ${times(r.runnerOverBare.test)} (both sides run the same data tests)`,
    `PostgreSQL / DuckDB, both elt run: total ${times(r.postgresOverDuckdb.total)} · load ${times(r.postgresOverDuckdb.load)} · transform ${times(r.postgresOverDuckdb.transform)} · tests ${times(r.postgresOverDuckdb.test)}`,
    ...(server === undefined
      ? []
      : [
          `peak RSS is the Node process's (DuckDB runs inside it); the PostgreSQL server process serving the run peaked at ${n(server)} MB`,
        ]),
    `section wall time ${n(s.elapsedSeconds)} s (generation, ${s.runs} landings, ${s.runs * ELT_SIDES.length} ELT runs)`,
    '',
    ...s.checks.map((c) => `${c.met ? '✓' : '✗'} ${c.check}: ${c.value}`),
    ...s.marts.differences.map((d) => `  ${d}`),
    runnerTarget(s),
  ].join('\n');
}

/** The runner's overhead target, from the measured ratio (a target, not a check: missing it fails nothing). */
export const RUNNER_TARGET = 1.2;
export function runnerTarget(s: EltSummary): string {
  const total = s.ratios.runnerOverBare.total;
  return `${total <= RUNNER_TARGET ? '✓' : '✗'} target: elt run ≤ ${RUNNER_TARGET}× the same SQL bare on DuckDB: ${times(total)}`;
}

/** The ELT section of docs/benchmarks/README.md. */
export function eltSection(s: EltSummary): string {
  const m = s.machine;
  return [
    '## ELT: `elt run` against the same SQL on bare DuckDB, and DuckDB against PostgreSQL',
    '',
    `Measured ${m.date.slice(0, 10)} by \`npm run bench\` on ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, DuckDB ${m.versions.duckdb} (@duckdb/node-api ${m.versions['@duckdb/node-api']}), PostgreSQL ${m.versions.postgresql} (\`scripts/services/postgres.sh\`: fsync and synchronous commit off). Raw numbers: [elt.json](elt.json).`,
    '',
    '```',
    eltText(s),
    '```',
    '',
    'What is measured, each side in a fresh process on an empty warehouse, the order of the sides alternating',
    'from run to run, medians of `--runs`:',
    '',
    '- **Landing.** The workload goes through `elt publish`’s embedded pipeline (as in the first section) into a',
    '  fresh filesystem store, once per run; the last run’s objects are what every ELT side reads.',
    '- **elt run.** The ELT runner (`runElt`, what `elt run` calls) on a warehouse opened as `--warehouse` opens',
    '  it (`duckdb:<file>`, `postgres://…`): plan (list the objects, setup.sql, ledger, plan file, run record),',
    '  load in chunks (DuckDB: up to 5,000 objects or 24 MiB), each in a transaction with its ledger rows, build every model into',
    '  `<model>__build` and count its rows, the data tests, the swap and the run record. The steps are split at',
    '  the runner’s progress messages; per-model times are its own (row count included). Before each run the',
    '  store’s watermarks (`state/`) and plan files (`manifests/`) of the previous measurement are removed, so',
    '  every run starts as the first does (a watermark naming a run its new warehouse lacks would make the',
    '  plan list the store twice).',
    '- **Bare SQL.** The same SQL files on one `@duckdb/node-api` connection, nothing else: list the landed',
    '  objects, setup.sql, duckdb/load.sql without its ledger rows around insert-raw-events.sql for all the',
    '  objects at once, every model rendered by the project’s renderer as `CREATE OR REPLACE TABLE <model> AS …`',
    '  in dependency order, then the models’ data tests, the very queries the runner sends; its first column is',
    '  listing the objects, opening the file and setup.sql, its last closing it. DuckDB’s own defaults (no',
    '  memory limit, a thread per core). The data tests are work the project asks of every run, not runner',
    '  overhead, so both sides do them; the ratio is the price of the runner: ledger, plan file, run history,',
    '  chunked transactions, `__build` tables and row counts, the swap, and the 384 MB memory limit that keeps',
    '  `elt run` under 1 GB at any volume.',
    '- **Marts.** After each run every side’s marts are read with the end-to-end tests’ `MART_QUERIES`',
    '  (test/support/marts.ts) and must be identical row for row on the three sides; the first differing row is',
    '  printed when they are not.',
    '- **Memory.** Peak RSS is the measuring Node process’s own, which holds DuckDB; for PostgreSQL the server',
    '  process serving the run is reported beside it.',
    '',
    'The default `--elt-events` keeps the section to about two to three minutes at 5 runs on 2 cores',
    `(${n(s.elapsedSeconds)} s for the run above, “section wall time”). PostgreSQL is \`ELT_PG_URL\` or the repository’s`,
    'server, started with `scripts/services/postgres.sh up` when it is not running and stopped at the end of the',
    'bench, as the tests do; each run gets a database of its own, dropped afterwards. If it cannot start, or a',
    'check fails, the bench says why and exits with 1.',
    '',
    '```sh',
    `npm run bench -- --only elt                     # --elt-events ${s.workload.events} --runs 5`,
    '```',
    '',
  ].join('\n');
}
