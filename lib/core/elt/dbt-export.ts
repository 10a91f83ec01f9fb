/**
 * `elt dbt export`: the pipeline's models, their source, their data tests and the dialect layer written as
 * a dbt project, so that `dbt build` on dbt-duckdb, dbt-postgres or dbt-redshift builds the same tables
 * `elt run` builds, from the same `raw_events`.
 *
 * - Models: each template rendered by `renderTemplate` itself (the same parsing, checks and text widths),
 *   with a dialect whose constructs are dbt macro calls: `{{ json_text(event, 'detail.userId') }}` becomes
 *   `{{ json_text('event', 'detail.userId', 64) }}`, `{{ ref('m') }}` stays, `{{ source('raw_events') }}`
 *   becomes `{{ source('elt', 'raw_events') }}`. An incremental model keeps its unique key and, on an
 *   incremental build, adds only rows whose key the table lacks (as `elt run` does).
 * - Macros: one `adapter.dispatch` macro per construct, with a duckdb, postgres and redshift
 *   implementation generated from dialect.ts: each construct is rendered with marker arguments and the
 *   markers become the macro's parameters, so the macros emit what dialect.ts emits and cannot drift from
 *   it. Every macro call of every model is checked at export time against dialect.ts for all three.
 * - Tests: the `-- test:` headers as dbt data tests (unique, not_null, accepted_values) and a generic test
 *   `elt_freshness` with severity warn (a warning in `elt run` too), `elt_relationships_as_of` and
 *   `elt_reconciles`.
 *
 * The load (raw objects into `raw_events`, the ledger, the watermark) and the run record stay in
 * `elt run`: the project reads `raw_events` as a source.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { duckdbDialect, dialectNamed, type Dialect, type DialectName } from './dialect.js';
import { orderModels, renderTemplate, SOURCE_TABLES, type DataTest, type Model } from './models.js';
import { EltError } from '../util/errors.js';

/** The adapters the exported macros have an implementation for. */
export const DBT_ADAPTERS: readonly DialectName[] = ['duckdb', 'postgres', 'redshift'];

/** The dbt project's name, its profile's name and the source's name. */
export const DBT_PROJECT = 'elt';

/** One file of the exported project, relative to its directory. */
export interface DbtFile {
  readonly path: string;
  readonly text: string;
}

/** What the export needs besides the models. */
export interface DbtProjectOptions {
  /** The DuckDB file the duckdb target of profiles.yml opens unless ELT_DBT_DUCKDB_PATH is set. */
  readonly duckdbPath?: string;
  /**
   * Statements each Redshift model runs first (a pre-hook): the session settings the Redshift warehouse
   * adapter sends with every batch, without which SUPER navigation by quoted names reads NULL.
   */
  readonly redshiftSessionSettings?: readonly string[];
}

/** An export that would overwrite files, or a model dbt cannot take. */
export class DbtExportError extends EltError {}

/** A macro argument of a dialect construct. */
type Param = 'column' | 'path' | 'width' | 'expression';

/** A dialect construct exported as a dbt macro: its parameters and how dialect.ts renders it. */
interface Construct {
  readonly name: string;
  readonly params: readonly Param[];
  readonly render: (d: Dialect, a: ConstructArgs) => string;
}

/** The arguments of a construct, as a model passes them. */
export interface ConstructArgs {
  readonly column: string;
  readonly path: readonly string[];
  readonly width: number;
  readonly expression: string;
}

/** The constructs a model may use (json_param, a statement parameter, and sort_key, a config, are not). */
const CONSTRUCTS: readonly Construct[] = [
  {
    name: 'json_text',
    params: ['column', 'path', 'width'],
    render: (d, a) => d.jsonText(a.column, a.path, a.width),
  },
  { name: 'json_bigint', params: ['column', 'path'], render: (d, a) => d.jsonBigint(a.column, a.path) },
  { name: 'json_value', params: ['column', 'path'], render: (d, a) => d.jsonValue(a.column, a.path) },
  { name: 'json_timestamp', params: ['column', 'path'], render: (d, a) => d.jsonTimestamp(a.column, a.path) },
  { name: 'json_type', params: [], render: (d) => d.jsonType },
  { name: 'now_utc', params: [], render: (d) => d.nowUtc },
  { name: 'json_to_text', params: ['expression'], render: (d, a) => d.jsonToText(a.expression) },
  { name: 'timestamp_text', params: ['expression'], render: (d, a) => d.timestampText(a.expression) },
];

// Markers: valid identifiers and path segments that no construct's own text contains.
const MARK = {
  column: '__elt_dbt_column__',
  expression: '__elt_dbt_expression__',
  a: '__elt_dbt_a__',
  b: '__elt_dbt_b__',
  hyphen: '__elt_dbt-h__',
  width: 54321,
} as const;

/** A piece of a construct's text: literal SQL, a parameter, or the path's segments. */
type Piece =
  | { readonly text: string }
  | { readonly param: 'column' | 'width' | 'expression' }
  | {
      readonly path: {
        /** Between two segments. */
        readonly separator: string;
        /** Around a segment holding a hyphen (such as `detail-type`). */
        readonly hyphenBefore: string;
        readonly hyphenAfter: string;
      };
    };

/** A construct's text on one dialect, as pieces a macro concatenates. */
export interface MacroShape {
  readonly construct: string;
  readonly dialect: DialectName;
  readonly params: readonly Param[];
  readonly pieces: readonly Piece[];
}

class ShapeError extends DbtExportError {
  constructor(construct: string, dialect: string, what: string) {
    super(`cannot derive the dbt macro ${dialect}__${construct} from dialect.ts: ${what}`);
  }
}

/** Splits text at the column, expression and width markers. */
function markedPieces(text: string): Piece[] {
  const pieces: Piece[] = [];
  const marker = new RegExp(`${MARK.column}|${MARK.expression}|${MARK.width}`, 'g');
  let at = 0;
  for (const m of text.matchAll(marker)) {
    if (m.index > at) pieces.push({ text: text.slice(at, m.index) });
    pieces.push({
      param: m[0] === MARK.column ? 'column' : m[0] === MARK.expression ? 'expression' : 'width',
    });
    at = m.index + m[0].length;
  }
  if (at < text.length) pieces.push({ text: text.slice(at) });
  return pieces;
}

/**
 * How dialect.ts renders a construct, found by rendering it with markers: one path segment, two, and one
 * with a hyphen tell where the path goes, what joins its segments and how a hyphenated one is quoted.
 */
export function macroShape(construct: string, dialect: DialectName): MacroShape {
  const c = CONSTRUCTS.find((x) => x.name === construct);
  if (!c) throw new DbtExportError(`no dbt macro for ${construct}()`);
  const d = dialectNamed(dialect);
  const base = { column: MARK.column, width: MARK.width, expression: MARK.expression };
  const one = c.render(d, { ...base, path: [MARK.a] });
  if (!c.params.includes('path')) return { construct, dialect, params: c.params, pieces: markedPieces(one) };
  const fail = (what: string): never => {
    throw new ShapeError(construct, dialect, what);
  };
  // The path may appear more than once (PostgreSQL's BIGINT tests the text, then casts it).
  const parts = one.split(MARK.a);
  if (parts.length < 2) fail('the path does not appear in its text');
  const first = parts[0]!;
  const last = parts.at(-1)!;
  const two = c.render(d, { ...base, path: [MARK.a, MARK.b] });
  const b = two.indexOf(MARK.b);
  if (!two.startsWith(first + MARK.a) || b < 0) fail('a two-segment path does not extend a one-segment path');
  const separator = two.slice(first.length + MARK.a.length, b);
  if (two !== parts.join(`${MARK.a}${separator}${MARK.b}`))
    fail('the segments of a two-segment path are not joined alike everywhere');
  const hyphen = c.render(d, { ...base, path: [MARK.hyphen] });
  const h = hyphen.indexOf(MARK.hyphen);
  const lastH = hyphen.lastIndexOf(MARK.hyphen);
  if (h < 0 || !hyphen.startsWith(first) || !hyphen.endsWith(last))
    fail('a hyphenated segment moves the path');
  const hyphenBefore = hyphen.slice(first.length, h);
  const hyphenAfter = hyphen.slice(lastH + MARK.hyphen.length, hyphen.length - last.length);
  if (hyphen !== parts.join(`${hyphenBefore}${MARK.hyphen}${hyphenAfter}`))
    fail('a hyphenated segment is not quoted alike everywhere');
  const path: Piece = { path: { separator, hyphenBefore, hyphenAfter } };
  return {
    construct,
    dialect,
    params: c.params,
    pieces: parts.flatMap((p, i) => (i === 0 ? markedPieces(p) : [path, ...markedPieces(p)])),
  };
}

/** What a macro of this shape renders for these arguments (what the generated Jinja computes). */
export function applyShape(shape: MacroShape, args: Partial<ConstructArgs>): string {
  return shape.pieces
    .map((p) => {
      if ('text' in p) return p.text;
      if ('param' in p) return String(args[p.param] ?? '');
      return (args.path ?? [])
        .map((s) => (s.includes('-') ? `${p.path.hyphenBefore}${s}${p.path.hyphenAfter}` : s))
        .join(p.path.separator);
    })
    .join('');
}

/** A Jinja string literal (the escapes of Python's, which JSON's ASCII escapes are). */
const jinjaString = (s: string): string => JSON.stringify(s);

/** The Jinja body of a macro of this shape: one expression, so SQL braces never meet Jinja's. */
function macroBody(shape: MacroShape): string {
  const parts = shape.pieces.map((p) => {
    if ('text' in p) return jinjaString(p.text);
    if ('param' in p) return p.param;
    return '(segments | join(' + jinjaString(p.path.separator) + '))';
  });
  const expression = parts.length === 0 ? '""' : parts.join(' ~ ');
  const path = shape.pieces.find((p) => 'path' in p);
  const segments =
    path && 'path' in path
      ? [
          '  {%- set segments = [] -%}',
          "  {%- for s in path.split('.') -%}",
          `    {%- do segments.append((${jinjaString(path.path.hyphenBefore)} ~ s ~ ${jinjaString(path.path.hyphenAfter)}) if '-' in s else s) -%}`,
          '  {%- endfor -%}',
        ]
      : [];
  return [...segments, `  {{- ${expression} -}}`].join('\n');
}

/** macros/elt_dialect.sql: every construct, dispatched to its duckdb, postgres and redshift version. */
function dialectMacros(): string {
  const out = [
    '{#- Generated by `elt dbt export` from lib/core/elt/dialect.ts: do not edit; export again instead.',
    '    Arguments are names and JSON paths written in the models, never data. -#}',
    '',
  ];
  for (const c of CONSTRUCTS) {
    const params = c.params.join(', ');
    out.push(
      `{% macro ${c.name}(${params}) -%}`,
      `  {{- return(adapter.dispatch(${jinjaString(c.name)}, ${jinjaString(DBT_PROJECT)})(${params})) -}}`,
      '{%- endmacro %}',
      '',
    );
    for (const dialect of DBT_ADAPTERS) {
      out.push(
        `{% macro ${dialect}__${c.name}(${params}) -%}`,
        macroBody(macroShape(c.name, dialect)),
        '{%- endmacro %}',
        '',
      );
    }
    out.push(
      `{% macro default__${c.name}(${params}) -%}`,
      `  {{- exceptions.raise_compiler_error(${jinjaString(`${c.name}() has implementations for ${DBT_ADAPTERS.join(', ')} only, not for `)} ~ target.type) -}}`,
      '{%- endmacro %}',
      '',
    );
  }
  return out.join('\n');
}

/** A macro call a model makes, kept to check it against dialect.ts. */
interface MacroCall {
  readonly construct: string;
  readonly args: ConstructArgs;
}

const quoted = (s: string): string => `'${s}'`;

/**
 * A dialect whose constructs render as dbt macro calls, recording each call. Only the members
 * `renderTemplate` reaches are replaced; the rest are never called for a model.
 */
function jinjaDialect(model: string, calls: MacroCall[]): Dialect {
  const call = (construct: string, args: Partial<ConstructArgs>, text: readonly string[]): string => {
    calls.push({
      construct,
      args: { column: '', path: [], width: 1, expression: '', ...args },
    });
    return `{{ ${construct}(${text.join(', ')}) }}`;
  };
  const notInDbt = (what: string) => (): never => {
    throw new DbtExportError(`model ${model}: ${what} has no dbt equivalent in a model`);
  };
  return {
    ...duckdbDialect,
    jsonText: (column, path, width) =>
      call('json_text', { column, path, width }, [quoted(column), quoted(path.join('.')), String(width)]),
    jsonBigint: (column, path) =>
      call('json_bigint', { column, path }, [quoted(column), quoted(path.join('.'))]),
    jsonValue: (column, path) =>
      call('json_value', { column, path }, [quoted(column), quoted(path.join('.'))]),
    jsonTimestamp: (column, path) =>
      call('json_timestamp', { column, path }, [quoted(column), quoted(path.join('.'))]),
    get jsonType() {
      return call('json_type', {}, []);
    },
    get nowUtc() {
      return call('now_utc', {}, []);
    },
    jsonToText: (expression) => call('json_to_text', { expression }, [quoted(expression)]),
    timestampText: (expression) => call('timestamp_text', { expression }, [quoted(expression)]),
    parseJson: notInDbt('json_param() (a statement parameter)'),
    sortKey: notInDbt('sort_key() (use the -- sort_key: header)'),
  };
}

/** models/<name>.sql: the config, then the model's SELECT with dbt macro calls. */
function modelSql(model: Model, known: ReadonlySet<string>, calls: MacroCall[]): string {
  const select = renderTemplate(model.name, model.source, jinjaDialect(model.name, calls), {
    ref: (ref) => {
      if (!known.has(ref)) throw new DbtExportError(`model ${model.name}: ref('${ref}') names no model`);
      return `{{ ref(${quoted(ref)}) }}`;
    },
    sourceOf: (table) => `{{ source(${quoted(DBT_PROJECT)}, ${quoted(table)}) }}`,
    lateness: "interval '{{ var('elt_lateness_hours', 0) }} hours'",
  });
  const config: string[] = model.incremental
    ? [
        "materialized='incremental'",
        `unique_key=${quoted(model.incremental.uniqueKey)}`,
        "incremental_strategy='delete+insert'",
      ]
    : ["materialized='table'"];
  if (model.sortKey) config.push(`sort=${quoted(model.sortKey)}`);
  const header = [
    `-- ${model.name}: exported by \`elt dbt export\` from sql/models/${model.name}.sql; edit that file and export again.`,
    `{{ config(${config.join(', ')}) }}`,
  ];
  if (!model.incremental) return `${header.join('\n')}\n\n${select}\n`;
  // Like `elt run`: an incremental build adds the rows whose key the table does not have yet.
  const key = model.incremental.uniqueKey;
  return [
    ...header,
    '',
    '{% if is_incremental() %}select * from ({% endif %}',
    select,
    `{% if is_incremental() %}) candidate where not exists (select 1 from {{ this }} existing where existing.${key} = candidate.${key}){% endif %}`,
    '',
  ].join('\n');
}

/** A YAML scalar: JSON's double-quoted strings are YAML's. */
const yaml = (s: string): string => JSON.stringify(s);

/** The dbt test a header test becomes, as YAML lines under a column's `data_tests:`. */
function testYaml(test: DataTest): string[] {
  switch (test.kind) {
    case 'unique':
    case 'not_null':
      return [`          - ${test.kind}`];
    case 'accepted_values':
      return [
        '          - accepted_values:',
        '              arguments:',
        `                values: [${test.values.map(yaml).join(', ')}]`,
      ];
    case 'freshness':
      return [
        '          - elt_freshness:',
        '              arguments:',
        `                hours: ${test.hours}`,
        '              config:',
        '                severity: warn',
      ];
    case 'relationships_as_of':
      return [
        '          - elt_relationships_as_of:',
        '              arguments:',
        `                at: ${test.at}`,
        `                to: ${yaml(`ref('${test.to}')`)}`,
        `                field: ${test.field}`,
      ];
    case 'reconciles':
      return [
        '          - elt_reconciles:',
        '              arguments:',
        `                at: ${test.at}`,
        `                to: ${yaml(`ref('${test.with}')`)}`,
        `                compare: [${test.compare.join(', ')}]`,
      ];
  }
}

/** models/schema.yml: descriptions and the header tests, by model and column. */
function schemaYml(models: readonly Model[]): string {
  const out = ['version: 2', '', 'models:'];
  for (const model of models) {
    out.push(`  - name: ${model.name}`, `    description: ${yaml(model.description)}`);
    const columns = [...new Set(model.tests.map((t) => t.column))];
    if (columns.length === 0) continue;
    out.push('    columns:');
    for (const column of columns) {
      out.push(`      - name: ${column}`, '        data_tests:');
      for (const test of model.tests.filter((t) => t.column === column)) out.push(...testYaml(test));
    }
  }
  return `${out.join('\n')}\n`;
}

const FRESHNESS_TEST = `{#- Generated by \`elt dbt export\`: the -- test: freshness <column> <hours>h header of a model. As in
    \`elt run\`, one failing row when the table has rows and its newest is more than \`hours\` old. -#}
{% test elt_freshness(model, column_name, hours) %}
select 1 as failures
from (select count(*) as n, max({{ column_name }}) as newest from {{ model }}) t
where n > 0 and newest < {{ now_utc() }} - interval '{{ hours }} hours'
{% endtest %}
`;

const RELATIONSHIPS_AS_OF_TEST = `{#- Generated by \`elt dbt export\`: the -- test: relationships_as_of <column> <at> <model>.<field>
    header of a model. As in \`elt run\`, one failing row per non-null value with no row of the type 2
    dimension \`to\` valid at the end of \`at\`'s second (valid_from and valid_to compared by the second). -#}
{% test elt_relationships_as_of(model, column_name, at, to, field) %}
select f.{{ column_name }}
from {{ model }} f
where f.{{ column_name }} is not null
  and not exists (
    select 1 from {{ to }} d
    where d.{{ field }} = f.{{ column_name }}
      and date_trunc('second', d.valid_from) <= date_trunc('second', f.{{ at }})
      and (d.valid_to is null or date_trunc('second', d.valid_to) > date_trunc('second', f.{{ at }}))
  )
{% endtest %}
`;

const RECONCILES_TEST = `{#- Generated by \`elt dbt export\`: the -- test: reconciles <key> <at> <model> <columns> header of a
    model. As in \`elt run\`, one failing row per key, up to the common watermark (the earlier of the two
    sides' newest \`at\`, by the second, less var elt_lateness_hours), that is on one side only, repeated
    on a side, or whose \`compare\` columns differ; nothing is compared while either side is empty. -#}
{% test elt_reconciles(model, column_name, at, to, compare) %}
{%- set hours = var('elt_lateness_hours', 0) | int -%}
{%- set cols = compare | join(', ') -%}
with a as (
  select k, count(*) as n, min(t) as t{% for c in compare %}, min({{ c }}) as {{ c }}{% endfor %}
  from (select cast({{ column_name }} as varchar(256)) as k, {{ at }} as t, {{ cols }} from {{ model }}) s group by k
), b as (
  select k, count(*) as n, min(t) as t{% for c in compare %}, min({{ c }}) as {{ c }}{% endfor %}
  from (select cast({{ column_name }} as varchar(256)) as k, {{ at }} as t, {{ cols }} from {{ to }}) s group by k
), w as (
  select case when ma.t is null or mb.t is null then null
    else date_trunc('second', case when ma.t < mb.t then ma.t else mb.t end - interval '{{ hours }} hours') end as upto
  from (select max(t) as t from a) ma cross join (select max(t) as t from b) mb
)
select coalesce(a.k, b.k) as k,
  case when b.k is null then 'missing from {{ to }}' when a.k is null then 'only in {{ to }}'
  when a.n > 1 then 'repeated here' when b.n > 1 then 'repeated in {{ to }}'
  {% for c in compare %}when a.{{ c }} <> b.{{ c }} or (a.{{ c }} is null) <> (b.{{ c }} is null) then '{{ c }} differs' {% endfor %}end as difference
from (select a.* from a cross join w where date_trunc('second', a.t) <= w.upto) a
full outer join (select b.* from b cross join w where date_trunc('second', b.t) <= w.upto) b on a.k = b.k
where a.k is null or b.k is null or a.n > 1 or b.n > 1
  {% for c in compare %}or a.{{ c }} <> b.{{ c }} or (a.{{ c }} is null) <> (b.{{ c }} is null) {% endfor %}
{% endtest %}
`;

/** The exported project, file by file; throws when a model cannot be exported. */
export function dbtProjectFiles(models: readonly Model[], options: DbtProjectOptions = {}): DbtFile[] {
  const ordered = orderModels(models);
  const known = new Set(ordered.map((m) => m.name));
  const calls: MacroCall[] = [];
  const modelFiles = ordered.map((m) => ({ path: `models/${m.name}.sql`, text: modelSql(m, known, calls) }));
  // Every call a model makes renders, through the generated macro, what dialect.ts renders.
  for (const dialect of DBT_ADAPTERS) {
    for (const call of calls) {
      const expected = CONSTRUCTS.find((c) => c.name === call.construct)!.render(
        dialectNamed(dialect),
        call.args,
      );
      const got = applyShape(macroShape(call.construct, dialect), call.args);
      if (got !== expected)
        throw new DbtExportError(
          `the ${dialect} macro ${call.construct}() would render ${got}, dialect.ts renders ${expected}`,
        );
    }
  }
  const settings = options.redshiftSessionSettings ?? [];
  const duckdbPath = options.duckdbPath ?? 'elt-data/warehouse.duckdb';
  return [
    {
      path: 'dbt_project.yml',
      text: [
        '# Exported by `elt dbt export` from sql/models (see docs/dbt.md); export again after changing them.',
        `name: ${DBT_PROJECT}`,
        'version: "1.0.0"',
        'config-version: 2',
        `profile: ${DBT_PROJECT}`,
        'model-paths: ["models"]',
        'macro-paths: ["macros"]',
        'test-paths: ["tests"]',
        'target-path: "target"',
        'clean-targets: ["target", "dbt_packages", "logs"]',
        'flags:',
        '  send_anonymous_usage_stats: false',
        'models:',
        `  ${DBT_PROJECT}:`,
        ...(settings.length === 0
          ? []
          : [
              '    # Redshift: the session settings the warehouse adapter sends with every batch (SUPER fields by',
              '    # quoted, case-sensitive names); nothing elsewhere.',
              '    +pre-hook:',
              ...settings.map(
                (s) => `      - ${yaml(`{{ ${jinjaString(s)} if target.type == 'redshift' else '' }}`)}`,
              ),
            ]),
        '',
      ].join('\n'),
    },
    {
      path: 'profiles.yml',
      text: [
        '# Targets for `dbt build --profiles-dir .`: duckdb (the default, ELT_DBT_TARGET picks another),',
        '# postgres and redshift. Each adapter is its own package: dbt-duckdb, dbt-postgres, dbt-redshift.',
        "# dbt builds in schema dbt (ELT_DBT_SCHEMA), beside `elt run`'s own tables, never over them.",
        `${DBT_PROJECT}:`,
        `  target: "{{ env_var('ELT_DBT_TARGET', 'duckdb') }}"`,
        '  outputs:',
        '    duckdb:',
        '      type: duckdb',
        `      path: ${yaml(`{{ env_var('ELT_DBT_DUCKDB_PATH', ${jinjaString(duckdbPath)}) }}`)}`,
        `      schema: "{{ env_var('ELT_DBT_SCHEMA', 'dbt') }}"`,
        '      threads: 1',
        '    postgres:',
        '      type: postgres',
        `      host: "{{ env_var('PGHOST', 'localhost') }}"`,
        `      port: "{{ env_var('PGPORT', '5432') | as_number }}"`,
        `      user: "{{ env_var('PGUSER', 'postgres') }}"`,
        `      password: "{{ env_var('PGPASSWORD', '') }}"`,
        `      dbname: "{{ env_var('PGDATABASE', 'postgres') }}"`,
        `      schema: "{{ env_var('ELT_DBT_SCHEMA', 'dbt') }}"`,
        '      threads: 1',
        '    redshift:',
        '      type: redshift',
        '      method: iam',
        `      cluster_id: "{{ env_var('ELT_DBT_REDSHIFT_CLUSTER', '') }}"`,
        `      host: "{{ env_var('ELT_DBT_REDSHIFT_HOST', '') }}"`,
        '      port: 5439',
        `      user: "{{ env_var('ELT_DBT_REDSHIFT_USER', '') }}"`,
        `      dbname: "{{ env_var('ELT_DBT_REDSHIFT_DATABASE', 'dev') }}"`,
        `      schema: "{{ env_var('ELT_DBT_SCHEMA', 'dbt') }}"`,
        `      region: "{{ env_var('AWS_REGION', 'us-east-1') }}"`,
        '      threads: 1',
        '',
      ].join('\n'),
    },
    {
      path: 'models/sources.yml',
      text: [
        'version: 2',
        '',
        'sources:',
        `  - name: ${DBT_PROJECT}`,
        '    description: "Tables `elt run` maintains: its load step fills raw_events from the landed objects."',
        "    # Where `elt run` keeps raw_events (var elt_raw_schema): DuckDB's main, else public.",
        `    schema: "{{ var('elt_raw_schema', 'main' if target.type == 'duckdb' else 'public') }}"`,
        '    tables:',
        ...SOURCE_TABLES.map((t) => `      - name: ${t}`),
        '',
      ].join('\n'),
    },
    { path: 'models/schema.yml', text: schemaYml(ordered) },
    ...modelFiles,
    { path: 'macros/elt_dialect.sql', text: dialectMacros() },
    { path: 'tests/generic/elt_freshness.sql', text: FRESHNESS_TEST },
    { path: 'tests/generic/elt_relationships_as_of.sql', text: RELATIONSHIPS_AS_OF_TEST },
    { path: 'tests/generic/elt_reconciles.sql', text: RECONCILES_TEST },
  ];
}

/** What an export wrote. */
export interface DbtExportResult {
  readonly out: string;
  readonly files: readonly string[];
  readonly models: readonly string[];
  readonly tests: number;
  readonly adapters: readonly DialectName[];
}

/**
 * Writes the project under `out`. Without `force`, refuses (writing nothing) when any of its files
 * exists already.
 */
export async function exportDbtProject(
  out: string,
  models: readonly Model[],
  options: DbtProjectOptions & { readonly force?: boolean } = {},
): Promise<DbtExportResult> {
  const files = dbtProjectFiles(models, options);
  const root = resolve(out);
  if (!options.force) {
    const existing = files.filter((f) => existsSync(join(root, f.path))).map((f) => f.path);
    if (existing.length > 0)
      throw new DbtExportError(
        `${root} already has ${existing.length === 1 ? 'a file' : 'files'} of the export (${existing.slice(0, 3).join(', ')}${existing.length > 3 ? ', …' : ''}): give --force to overwrite, or another --out`,
      );
  }
  for (const f of files) {
    await mkdir(dirname(join(root, f.path)), { recursive: true });
    await writeFile(join(root, f.path), f.text);
  }
  return {
    out: root,
    files: files.map((f) => f.path),
    models: orderModels(models).map((m) => m.name),
    tests: models.reduce((s, m) => s + m.tests.length, 0),
    adapters: DBT_ADAPTERS,
  };
}
