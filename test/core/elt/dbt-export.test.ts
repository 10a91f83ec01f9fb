import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applyShape,
  DBT_ADAPTERS,
  dbtProjectFiles,
  DbtExportError,
  exportDbtProject,
  macroShape,
} from '../../../lib/core/elt/dbt-export.js';
import { dialectNamed } from '../../../lib/core/elt/dialect.js';
import { parseModel } from '../../../lib/core/elt/models.js';
import { loadModels } from '../../../lib/core/elt/sql-sources.js';

const models = loadModels();
const fileOf = (files: { path: string; text: string }[], path: string): string => {
  const f = files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path} in ${files.map((x) => x.path).join(', ')}`);
  return f.text;
};

/** The tests schema.yml gives each model's columns, as `kind(model.column)`. */
function schemaTests(yml: string): string[] {
  const out: string[] = [];
  let model = '';
  let column = '';
  for (const line of yml.split('\n')) {
    const m = /^ {2}- name: (\w+)$/.exec(line);
    if (m) model = m[1]!;
    const c = /^ {6}- name: (\w+)$/.exec(line);
    if (c) column = c[1]!;
    const t = /^ {10}- (\w+):?$/.exec(line);
    if (t) out.push(`${t[1]!.replace(/^elt_/, '')}(${model}.${column})`);
  }
  return out.sort();
}

describe('dbtProjectFiles', () => {
  const files = dbtProjectFiles(models, {
    redshiftSessionSettings: ['SET enable_case_sensitive_identifier TO true'],
  });

  it('writes the project, profiles, source, schema, every model, the macros and the freshness test', () => {
    expect(files.map((f) => f.path).sort()).toEqual(
      [
        'dbt_project.yml',
        'profiles.yml',
        'models/sources.yml',
        'models/schema.yml',
        ...models.map((m) => `models/${m.name}.sql`),
        'macros/elt_dialect.sql',
        'tests/generic/elt_freshness.sql',
        'tests/generic/elt_relationships_as_of.sql',
        'tests/generic/elt_reconciles.sql',
      ].sort(),
    );
  });

  it('translates every model to dbt: ref, source, macro calls with text widths, no header comments', () => {
    const stg = fileOf(files, 'models/stg_events.sql');
    const mart = fileOf(files, 'models/mart_daily_active_users.sql');

    expect(stg).toContain("{{ json_text('event', 'detail.eventId', 36) }} as event_id");
    expect(stg).toContain("{{ json_bigint('event', 'detail.amountMinor') }} as amount_minor");
    expect(stg).toContain("{{ source('elt', 'raw_events') }}");
    expect(mart).toContain("{{ ref('stg_events') }}");
    for (const m of models)
      expect(fileOf(files, `models/${m.name}.sql`)).not.toMatch(/^-- (test|description):/m);
  });

  it('keeps incremental models incremental on their unique key, adding only new keys; others are tables', () => {
    for (const m of models) {
      const sql = fileOf(files, `models/${m.name}.sql`);
      if (m.incremental) {
        expect(sql).toContain(`materialized='incremental', unique_key='${m.incremental.uniqueKey}'`);
        expect(sql).toContain(
          `where not exists (select 1 from {{ this }} existing where existing.${m.incremental.uniqueKey} = candidate.${m.incremental.uniqueKey})`,
        );
      } else expect(sql).toContain("materialized='table'");
      if (m.sortKey) expect(sql).toContain(`sort='${m.sortKey}'`);
    }
  });

  it('declares every header test of every model in schema.yml, freshness as a warning', () => {
    const yml = fileOf(files, 'models/schema.yml');
    const header = models.flatMap((m) => m.tests.map((t) => `${t.kind}(${m.name}.${t.column})`)).sort();

    expect(schemaTests(yml)).toEqual(header);
    expect(yml).toContain(
      'values: ["UserSignedUp", "UserLoggedIn", "UserAccountClosed", "PageViewed", "ItemListed", "BidCreated"',
    );
    expect(yml).toMatch(
      /- name: seller_id\n\s+data_tests:\n\s+- not_null\n\s+- elt_relationships_as_of:\n\s+arguments:\n\s+at: listed_at\n\s+to: "ref\('dim_users'\)"\n\s+field: user_id/,
    );
    expect(yml).toMatch(/elt_freshness:\n\s+arguments:\n\s+hours: 48\n\s+config:\n\s+severity: warn/);
    for (const m of models) expect(yml).toContain(`description: ${JSON.stringify(m.description)}`);
  });

  it('dispatches every macro to a duckdb, postgres and redshift version', () => {
    const macros = fileOf(files, 'macros/elt_dialect.sql');
    for (const name of ['json_text', 'json_bigint', 'json_value', 'json_timestamp', 'json_type', 'now_utc']) {
      expect(macros).toContain(`adapter.dispatch("${name}", "elt")`);
      for (const adapter of DBT_ADAPTERS) expect(macros).toContain(`{% macro ${adapter}__${name}(`);
      expect(macros).toContain(`{% macro default__${name}(`);
    }
  });

  it('has profiles for duckdb (path from the option or ELT_DBT_DUCKDB_PATH), postgres and redshift', () => {
    const profiles = fileOf(dbtProjectFiles(models, { duckdbPath: 'wh.duckdb' }), 'profiles.yml');

    expect(profiles).toContain(`path: "{{ env_var('ELT_DBT_DUCKDB_PATH', \\"wh.duckdb\\") }}"`);
    for (const type of DBT_ADAPTERS) expect(profiles).toContain(`      type: ${type}`);
    // Beside elt run's own tables, never over them.
    expect(profiles.match(/schema: "\{\{ env_var\('ELT_DBT_SCHEMA', 'dbt'\) \}\}"/g)).toHaveLength(3);
    expect(fileOf(files, 'models/sources.yml')).toContain(
      `schema: "{{ var('elt_raw_schema', 'main' if target.type == 'duckdb' else 'public') }}"`,
    );
  });

  it('runs the Redshift session settings before each model, on Redshift only', () => {
    expect(fileOf(files, 'dbt_project.yml')).toContain(
      `- "{{ \\"SET enable_case_sensitive_identifier TO true\\" if target.type == 'redshift' else '' }}"`,
    );
  });

  it('refuses a model dbt cannot take (a statement parameter)', () => {
    const bad = parseModel('bad', 'select {{ json_param(1) }} as x');

    expect(() => dbtProjectFiles([bad])).toThrow(DbtExportError);
  });
});

describe('macroShape', () => {
  // What the generated Jinja computes (applyShape) is what dialect.ts renders, on every dialect, for paths
  // of one and more segments, with and without a hyphen.
  const paths = [['detail'], ['detail', 'userId'], ['detail-type'], ['detail', 'a-b', 'c']];

  it('reproduces dialect.ts for every construct, dialect and path', () => {
    for (const dialect of DBT_ADAPTERS) {
      const d = dialectNamed(dialect);
      for (const path of paths) {
        const args = { column: 'event', path, width: 64, expression: 'loaded_at' };
        expect(applyShape(macroShape('json_text', dialect), args)).toBe(d.jsonText('event', path, 64));
        expect(applyShape(macroShape('json_bigint', dialect), args)).toBe(d.jsonBigint('event', path));
        expect(applyShape(macroShape('json_value', dialect), args)).toBe(d.jsonValue('event', path));
        expect(applyShape(macroShape('json_timestamp', dialect), args)).toBe(d.jsonTimestamp('event', path));
      }
      expect(applyShape(macroShape('json_type', dialect), {})).toBe(d.jsonType);
      expect(applyShape(macroShape('now_utc', dialect), {})).toBe(d.nowUtc);
      expect(applyShape(macroShape('json_to_text', dialect), { expression: 'x' })).toBe(d.jsonToText('x'));
      expect(applyShape(macroShape('timestamp_text', dialect), { expression: 't' })).toBe(
        d.timestampText('t'),
      );
    }
  });
});

describe('exportDbtProject', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'elt-dbt-export-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every file and says what it wrote', async () => {
    const result = await exportDbtProject(dir, models);

    expect(result.models).toHaveLength(models.length);
    expect(result.tests).toBe(models.reduce((s, m) => s + m.tests.length, 0));
    for (const f of result.files) await expect(readFile(join(dir, f), 'utf8')).resolves.toBeTruthy();
  });

  it('refuses to overwrite an earlier export without force, writing nothing', async () => {
    await exportDbtProject(dir, models);
    await writeFile(join(dir, 'models', 'stg_events.sql'), 'edited');

    await expect(exportDbtProject(dir, models)).rejects.toThrow(/already has files of the export.*--force/);
    await expect(readFile(join(dir, 'models', 'stg_events.sql'), 'utf8')).resolves.toBe('edited');

    await exportDbtProject(dir, models, { force: true });
    await expect(readFile(join(dir, 'models', 'stg_events.sql'), 'utf8')).resolves.not.toBe('edited');
  });
});
