import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbtBuild, dbtTestResults, dropModelTables, installDbt, martRows } from '../../bench/dbt-compare.js';
import { loadModels } from '../../lib/core/elt/sql-sources.js';
import { lastJson, runCli } from '../support/cli.js';

// The yardstick: the demo's events landed and built by `elt run` on DuckDB, the models exported with
// `elt dbt export`, and `dbt build` (dbt-duckdb, installed by scripts/tools/dbt.sh on first use) over the
// same raw_events in a separate DuckDB file must build the same tables, row for row, and pass the same tests.
const EVENTS = 20_000;
const models = loadModels();

let dir: string;
let eltFile: string;
let dbtFile: string;
let project: string;
let build: Awaited<ReturnType<typeof dbtBuild>>;

/** Every row of a table in a total order, and its column types. */
async function tables(file: string): Promise<Record<string, { columns: unknown[]; rows: unknown[] }>> {
  const instance = await DuckDBInstance.create(file);
  const connection = await instance.connect();
  try {
    const out: Record<string, { columns: unknown[]; rows: unknown[] }> = {};
    for (const m of models) {
      out[m.name] = {
        columns: (await connection.runAndReadAll(`DESCRIBE ${m.name}`))
          .getRowObjectsJson()
          .map((c) => [c.column_name, c.column_type]),
        rows: (await connection.runAndReadAll(`SELECT * FROM ${m.name} ORDER BY ALL`)).getRowObjectsJson(),
      };
    }
    return out;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('dbt build of the exported project', () => {
  beforeAll(async () => {
    // Fails here, saying why, when dbt cannot be installed (no Python 3.10–3.13, PyPI unreachable).
    const installing = installDbt();
    dir = await mkdtemp(join(tmpdir(), 'elt-dbt-'));
    const demo = await runCli(
      ['demo', '--events', String(EVENTS), '--seed', '42', '--json', '--data-dir', dir],
      {
        timeoutMs: 180_000,
      },
    );
    expect(demo.code, demo.stderr).toBe(0);
    eltFile = join(dir, 'warehouse.duckdb');

    project = join(dir, 'dbt');
    const exported = await runCli(['dbt', 'export', '--out', project, '--json']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(lastJson<{ models: string[] }>(exported).models).toHaveLength(models.length);

    // raw_events as elt run loaded them, without the tables it built: what dbt builds from.
    dbtFile = join(dir, 'dbt.duckdb');
    await copyFile(eltFile, dbtFile);
    await dropModelTables(
      dbtFile,
      models.map((m) => m.name),
    );
    await installing;
    build = await dbtBuild(project, dbtFile);
  }, 300_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('succeeds', () => {
    expect(build.code, `dbt build failed:\n${build.stdout}\n${build.stderr}`).toBe(0);
  });

  it('builds every mart with the rows elt run built (MART_QUERIES)', async () => {
    const [elt, dbt] = [await martRows(eltFile), await martRows(dbtFile)];

    expect(Object.values(elt).every((rows) => rows.length > 0)).toBe(true);
    expect(dbt).toEqual(elt);
  });

  it('builds every model with the same columns and the same rows, all columns, sorted', async () => {
    const [elt, dbt] = [await tables(eltFile), await tables(dbtFile)];

    for (const m of models) expect(dbt[m.name], m.name).toEqual(elt[m.name]);
  });

  it("runs every model's header tests as dbt data tests, and each passes", async () => {
    const manifest = JSON.parse(await readFile(join(project, 'target', 'manifest.json'), 'utf8')) as {
      nodes: Record<
        string,
        {
          resource_type: string;
          test_metadata?: { name: string };
          attached_node?: string;
          column_name?: string;
        }
      >;
    };
    const dbtTests = Object.values(manifest.nodes)
      .filter((node) => node.resource_type === 'test')
      .map((node) => {
        const kind = node.test_metadata?.name.replace(/^elt_/, '');
        return `${kind}(${node.attached_node?.replace(/^model\.elt\./, '')}.${node.column_name})`;
      })
      .sort();
    const headerTests = models.flatMap((m) => m.tests.map((t) => `${t.kind}(${m.name}.${t.column})`)).sort();

    const results = await dbtTestResults(project);

    expect(dbtTests).toEqual(headerTests);
    expect(results.ran).toBe(headerTests.length);
    expect(results.notPassed).toEqual([]);
  });

  it('adds only new rows to the incremental models on a second build, and still equals elt run', async () => {
    // More events through `elt run` into its warehouse; the new raw_events rows copied to dbt's file.
    const more = await runCli(
      ['demo', '--keep', '--events', '3000', '--seed', '7', '--json', '--data-dir', dir],
      { timeoutMs: 120_000 },
    );
    expect(more.code, more.stderr).toBe(0);
    const instance = await DuckDBInstance.create(dbtFile);
    const connection = await instance.connect();
    try {
      await connection.run(`ATTACH '${eltFile}' AS elt (READ_ONLY)`);
      await connection.run(
        'INSERT INTO raw_events SELECT * FROM elt.raw_events WHERE run_id NOT IN (SELECT DISTINCT run_id FROM raw_events)',
      );
    } finally {
      connection.closeSync();
      instance.closeSync();
    }

    const again = await dbtBuild(project, dbtFile);

    expect(again.code, `dbt build failed:\n${again.stdout}\n${again.stderr}`).toBe(0);
    expect(again.stdout).toMatch(/OK created sql incremental model main\.stg_events/);
    const [elt, dbt] = [await tables(eltFile), await tables(dbtFile)];
    expect(elt.stg_events!.rows.length).toBeGreaterThan(0);
    for (const m of models) expect(dbt[m.name], m.name).toEqual(elt[m.name]);
  }, 180_000);
});
