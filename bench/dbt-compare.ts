// `elt run` against `dbt build` (dbt-core with dbt-duckdb, scripts/tools/dbt.sh) on the same landed data and
// the same models (exported by `elt dbt export`). Each side runs in a fresh process, the order alternating
// from run to run. `elt run` starts from an empty DuckDB file and loads the landed objects itself; dbt has
// no load step, so it builds in a copy of a file whose raw_events `elt run` loaded (its models dropped),
// made before its run and not timed. The marts of every dbt build are checked against `elt run`'s.
import { execFile, spawn } from 'node:child_process';
import { copyFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { n } from '../lib/cli/output.js';
import { exportDbtProject } from '../lib/core/elt/dbt-export.js';
import { loadModels } from '../lib/core/elt/sql-sources.js';
import { machineInfo, type MachineInfo } from '../lib/local/machine-info.js';
import { packageRoot } from '../lib/package-paths.js';
import { MART_QUERIES } from '../test/support/marts.js';
import { child, martDifferences } from './elt-bench.js';
import type { EltMeasure } from './elt.js';
import type { EmbeddedMeasured } from './report.js';
import { median } from './stats.js';
import { benchWorkload, writeWorkload } from './workloads.js';

const exec = promisify(execFile);

/** scripts/tools/dbt.sh: installs dbt on first use, then runs it. */
export const DBT_SCRIPT = join(packageRoot(), 'scripts', 'tools', 'dbt.sh');

/** What one `dbt` process did. */
export interface DbtRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From starting the process to its exit. */
  readonly wallMs: number;
  /** Peak RSS of the dbt process (its Python, DuckDB inside it), from the waiting parent's rusage. */
  readonly peakRssMb: number;
}

// A Python parent that runs the command and reports its child's peak RSS (getrusage(RUSAGE_CHILDREN) is
// the largest of the waited-for children: dbt.sh execs dbt, so that is dbt).
const RUSAGE_WRAPPER = [
  'import json, resource, subprocess, sys',
  'code = subprocess.run(sys.argv[1:]).returncode',
  'print(json.dumps({"code": code, "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))',
].join('\n');

/**
 * Installs dbt when it is not (scripts/tools/dbt.sh --install-only), returning its version text; throws
 * with the script's explanation when it cannot (no Python, PyPI unreachable).
 */
export async function installDbt(): Promise<string> {
  try {
    const { stdout } = await exec(DBT_SCRIPT, ['--install-only'], { timeout: 300_000 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(
      `dbt could not be installed by scripts/tools/dbt.sh: ${(e.stderr ?? '').trim() || e.message}`,
      {
        cause: error,
      },
    );
  }
}

/** `dbt build` of an exported project into a DuckDB file, with its wall time and peak RSS. */
export function dbtBuild(
  projectDir: string,
  duckdbFile: string,
  extraArgs: readonly string[] = [],
): Promise<DbtRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const proc = spawn(
      'python3',
      [
        '-c',
        RUSAGE_WRAPPER,
        DBT_SCRIPT,
        'build',
        '--project-dir',
        projectDir,
        '--profiles-dir',
        projectDir,
        '--no-use-colors',
        ...extraArgs,
      ],
      {
        env: {
          ...process.env,
          ELT_DBT_DUCKDB_PATH: duckdbFile,
          ELT_DBT_TARGET: 'duckdb',
          ELT_DBT_SCHEMA: 'main',
        },
      },
    );
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (d: string) => (stdout += d));
    proc.stderr.on('data', (d: string) => (stderr += d));
    proc.on('error', reject);
    proc.on('close', (wrapperCode) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const lines = stdout.trimEnd().split('\n');
      let report: { code: number; maxrss_kb: number } | undefined;
      try {
        report = JSON.parse(lines.at(-1) ?? '') as { code: number; maxrss_kb: number };
      } catch {
        report = undefined;
      }
      resolve({
        code: report?.code ?? wrapperCode,
        stdout: report ? lines.slice(0, -1).join('\n') : stdout,
        stderr,
        wallMs,
        peakRssMb: (report?.maxrss_kb ?? 0) / 1024,
      });
    });
  });
}

/** Drops the models' tables from a DuckDB file (what `elt run` built), keeping raw_events and the ledger. */
export async function dropModelTables(file: string, models: readonly string[]): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    for (const m of models) await connection.run(`DROP TABLE IF EXISTS ${m}`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Every query of MART_QUERIES on a DuckDB file, by mart. */
export async function martRows(file: string): Promise<Record<string, unknown[]>> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    const out: Record<string, unknown[]> = {};
    for (const [name, sql] of Object.entries(MART_QUERIES))
      out[name] = (await connection.runAndReadAll(sql)).getRowObjectsJson();
    return out;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A dbt run's test results: how many data tests ran and which did not pass. */
export async function dbtTestResults(projectDir: string): Promise<{ ran: number; notPassed: string[] }> {
  const results = JSON.parse(await readFile(join(projectDir, 'target', 'run_results.json'), 'utf8')) as {
    results: { unique_id: string; status: string }[];
  };
  const tests = results.results.filter((r) => r.unique_id.startsWith('test.'));
  return {
    ran: tests.length,
    notPassed: tests.filter((t) => t.status !== 'pass').map((t) => `${t.unique_id}: ${t.status}`),
  };
}

export interface DbtCompareOptions {
  readonly events: number;
  readonly runs: number;
  readonly gzipLevel: number;
  readonly work: string;
}

/** One measured run of a side. */
export interface DbtCompareRaw {
  readonly side: 'elt' | 'dbt';
  readonly run: number;
  readonly wallMs: number;
  readonly peakRssMb: number;
  /** elt only: its load step; dbt has none (it reads raw_events that `elt run` loaded). */
  readonly loadMs?: number;
  /** elt: transform + data tests (the steps dbt build does); dbt: its own elapsed time (run_results.json). */
  readonly buildMs: number;
}

/** docs/benchmarks/dbt.json. */
export interface DbtCompareSummary {
  readonly benchmark: 'dbt';
  readonly workload: {
    readonly events: number;
    readonly landedEvents: number;
    readonly landedObjects: number;
  };
  readonly runs: number;
  readonly dbt: { readonly core: string; readonly adapter: string };
  readonly elt: {
    readonly wallMs: number;
    readonly loadMs: number;
    readonly buildMs: number;
    readonly peakRssMb: number;
  };
  readonly dbtBuild: { readonly wallMs: number; readonly buildMs: number; readonly peakRssMb: number };
  readonly ratios: {
    /** dbt build's wall time over elt run's (which also loads). */
    readonly wall: number;
    /** dbt build's own elapsed time over elt run's transform + tests. */
    readonly build: number;
    readonly peakRss: number;
  };
  readonly checks: readonly { check: string; value: string; met: boolean }[];
  readonly machine: MachineInfo;
  readonly raw: readonly DbtCompareRaw[];
}

/** The comparison: one landed workload, `runs` runs of each side. */
export async function runDbtCompare(
  options: DbtCompareOptions,
  log: (line: string) => void,
): Promise<DbtCompareSummary> {
  const version = await installDbt();
  const core = /installed:\s*(\S+)/.exec(version)?.[1] ?? 'unknown';
  const adapter = /duckdb:\s*(\S+)/.exec(version)?.[1] ?? 'unknown';
  const file = join(options.work, 'dbt-workload.ndjson');
  const store = join(options.work, 'dbt-store');
  const project = join(options.work, 'dbt-project');
  const eltFile = join(options.work, 'dbt-elt.duckdb');
  const rawFile = join(options.work, 'dbt-raw.duckdb');
  const dbtFile = join(options.work, 'dbt-dbt.duckdb');
  const duckFiles = [eltFile, rawFile, dbtFile].flatMap((f) => [f, `${f}.wal`]);
  const clean = async (): Promise<void> => {
    for (const p of [file, store, project, ...duckFiles]) await rm(p, { recursive: true, force: true });
  };
  await clean();
  try {
    log(`generating ${n(options.events)} events → ${file}`);
    await writeWorkload(file, benchWorkload(options.events));
    const landed = await child<EmbeddedMeasured>('measure-once.js', [
      'pipeline',
      file,
      String(options.gzipLevel),
      store,
    ]);
    const models = loadModels();
    await exportDbtProject(project, models, { force: true });

    // raw_events as `elt run` loads them, for dbt to read (an unmeasured run).
    await child('elt-measure.js', ['run', `duckdb:${rawFile}`, store, '-']);
    await dropModelTables(
      rawFile,
      models.map((m) => m.name),
    );

    const raw: DbtCompareRaw[] = [];
    const differences = new Set<string>();
    const failedTests = new Set<string>();
    let testsRan = 0;
    for (let run = 1; run <= options.runs; run++) {
      const order: ('elt' | 'dbt')[] = run % 2 ? ['elt', 'dbt'] : ['dbt', 'elt'];
      for (const side of order) {
        if (side === 'elt') {
          for (const f of [eltFile, `${eltFile}.wal`]) await rm(f, { force: true });
          const r = await child<EltMeasure & { peakRssMb: number }>('elt-measure.js', [
            'run',
            `duckdb:${eltFile}`,
            store,
            '-',
          ]);
          raw.push({
            side,
            run,
            wallMs: r.totalMs,
            peakRssMb: r.peakRssMb,
            loadMs: r.phases.load,
            buildMs: r.phases.transform + r.phases.test,
          });
        } else {
          for (const f of [dbtFile, `${dbtFile}.wal`]) await rm(f, { force: true });
          await copyFile(rawFile, dbtFile);
          const r = await dbtBuild(project, dbtFile);
          if (r.code !== 0)
            throw new Error(
              `dbt build failed (exit ${r.code}):\n${`${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-15).join('\n')}`,
            );
          const results = JSON.parse(await readFile(join(project, 'target', 'run_results.json'), 'utf8')) as {
            elapsed_time: number;
          };
          const tests = await dbtTestResults(project);
          testsRan = tests.ran;
          for (const t of tests.notPassed) failedTests.add(t);
          raw.push({
            side,
            run,
            wallMs: r.wallMs,
            peakRssMb: r.peakRssMb,
            buildMs: results.elapsed_time * 1000,
          });
        }
        const last = raw.at(-1)!;
        log(
          `run ${run}/${options.runs} ${side === 'elt' ? 'elt run  ' : 'dbt build'} ${n(Math.round(last.wallMs))} ms (build ${n(Math.round(last.buildMs))} ms), peak RSS ${Math.round(last.peakRssMb)} MB`,
        );
      }
      // Both read back alike (MART_QUERIES on each file).
      for (const d of martDifferences(await martRows(eltFile), await martRows(dbtFile), [
        'elt run',
        'dbt build',
      ]))
        differences.add(`run ${run}: ${d}`);
    }

    const med = (side: 'elt' | 'dbt', pick: (r: DbtCompareRaw) => number): number =>
      Math.round(median(raw.filter((r) => r.side === side).map(pick)));
    const elt = {
      wallMs: med('elt', (r) => r.wallMs),
      loadMs: med('elt', (r) => r.loadMs ?? 0),
      buildMs: med('elt', (r) => r.buildMs),
      peakRssMb: med('elt', (r) => r.peakRssMb),
    };
    const dbtBuildSummary = {
      wallMs: med('dbt', (r) => r.wallMs),
      buildMs: med('dbt', (r) => r.buildMs),
      peakRssMb: med('dbt', (r) => r.peakRssMb),
    };
    const ratio = (a: number, b: number): number => Math.round((a / Math.max(1, b)) * 100) / 100;
    const headerTests = models.reduce((s, m) => s + m.tests.length, 0);
    return {
      benchmark: 'dbt',
      workload: {
        events: options.events,
        landedEvents: landed.landedEvents ?? 0,
        landedObjects: landed.landedObjects ?? 0,
      },
      runs: options.runs,
      dbt: { core, adapter },
      elt,
      dbtBuild: dbtBuildSummary,
      ratios: {
        wall: ratio(dbtBuildSummary.wallMs, elt.wallMs),
        build: ratio(dbtBuildSummary.buildMs, elt.buildMs),
        peakRss: ratio(dbtBuildSummary.peakRssMb, elt.peakRssMb),
      },
      checks: [
        {
          check: 'every mart of dbt build equals elt run’s (MART_QUERIES, every run)',
          value:
            differences.size === 0
              ? `${Object.keys(MART_QUERIES).length} tables`
              : `${differences.size} difference(s): ${[...differences][0]}`,
          met: differences.size === 0,
        },
        {
          check: 'dbt ran every header data test, and each passed',
          value: `${testsRan} of ${headerTests} ran${failedTests.size > 0 ? `, not passed: ${[...failedTests].join(', ')}` : ''}`,
          met: testsRan === headerTests && failedTests.size === 0,
        },
      ],
      machine: machineInfo({ 'dbt-core': core, 'dbt-duckdb': adapter }),
      raw,
    };
  } finally {
    await clean();
  }
}

/** The printed result and the section of docs/benchmarks/README.md. */
export function dbtText(s: DbtCompareSummary): string {
  const m = s.machine;
  const rows = [
    `| \`elt run\`: load, transform, tests, publish (empty DuckDB file) | ${n(s.elt.wallMs)} | ${n(s.elt.loadMs)} | ${n(s.elt.buildMs)} | ${n(s.elt.peakRssMb)} |`,
    `| \`dbt build\`: transform, tests (dbt-core ${s.dbt.core}, dbt-duckdb ${s.dbt.adapter}) | ${n(s.dbtBuild.wallMs)} | — | ${n(s.dbtBuild.buildMs)} | ${n(s.dbtBuild.peakRssMb)} |`,
  ];
  return [
    '## ELT against dbt',
    '',
    `The same models and data tests (\`elt dbt export\`, docs/dbt.md) built by \`elt run\` and by \`dbt build\` on DuckDB from ${n(s.workload.landedEvents)} landed events in ${n(s.workload.landedObjects)} objects (${n(s.workload.events)} workload events, bench/workloads.ts); each side in a fresh process, median of ${s.runs} runs. dbt has no load step: it builds in a copy of a DuckDB file whose raw_events \`elt run\` loaded. “transform + tests” is elt run’s transform and test steps, and dbt’s own elapsed time (run_results.json, without starting Python and parsing the project).`,
    '',
    '| side | wall ms | load ms | transform + tests ms | peak RSS MB |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `dbt build / elt run: wall ${s.ratios.wall.toFixed(2)}× · transform + tests ${s.ratios.build.toFixed(2)}× · peak RSS ${s.ratios.peakRss.toFixed(2)}×`,
    '',
    ...s.checks.map((c) => `- ${c.met ? '✓' : '✗'} ${c.check}: ${c.value}`),
    '',
    `Measured ${m.date.slice(0, 10)}, ${m.cores} cores, ${m.cpu}, Node ${m.node}.`,
  ].join('\n');
}
