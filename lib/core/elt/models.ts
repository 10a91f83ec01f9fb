import { jsonTextWidth } from '../events/text-width.js';
import { identifier, jsonPath, type Dialect } from './dialect.js';
import { sqlLiteral } from './sql-values.js';
import { EltError } from '../util/errors.js';

/** A data test declared in a model's header. */
export type DataTest =
  | { readonly kind: 'unique'; readonly column: string }
  | { readonly kind: 'not_null'; readonly column: string }
  | { readonly kind: 'accepted_values'; readonly column: string; readonly values: readonly string[] }
  /**
   * The newest value of a timestamp column is at most `hours` old (checked only when there are rows). A
   * warning, never a failure: it says data stopped arriving, not that the run built a wrong table.
   */
  | { readonly kind: 'freshness'; readonly column: string; readonly hours: number }
  /**
   * Referential integrity as of a time: every non-null `column` has a row of the type 2 dimension `to`
   * (columns `valid_from`, `valid_to`) with `field` equal to it, valid at the row's `at` column. Event times
   * have whole seconds, so validity is compared by the second: the version that counts is the one valid at
   * the end of `at`'s second (a version written in the same second as the event, e.g. in the event's own
   * transaction, is valid at it).
   */
  | {
      readonly kind: 'relationships_as_of';
      readonly column: string;
      readonly at: string;
      readonly to: string;
      readonly field: string;
    }
  /**
   * Reconciliation with another model: every `column` (the key) on either side up to the common watermark
   * has exactly one row on each side, with equal `compare` columns. The watermark is the earlier of the two
   * sides' newest `at` (compared by the second), less the run's lateness: a side that is only behind (events
   * still in flight, an extract not run yet) is not a difference; a key missing or differing before it is.
   * Nothing is compared while either side is empty.
   */
  | {
      readonly kind: 'reconciles';
      readonly column: string;
      readonly at: string;
      readonly with: string;
      readonly compare: readonly string[];
    };

/** A SQL model: one file, one table, built from a SELECT. */
export interface Model {
  readonly name: string;
  readonly description: string;
  /** The SELECT with its macros, as written. */
  readonly source: string;
  /** Models this one reads, from its `ref()` calls. */
  readonly dependsOn: readonly string[];
  readonly tests: readonly DataTest[];
  /** `-- sort_key: <column>`: the Redshift sort key of the built table (ignored elsewhere). */
  readonly sortKey?: string;
  /**
   * `-- materialized: incremental <unique key>`: each run adds only rows from raw data loaded since the
   * last published run whose key the table does not have yet, instead of rebuilding the table.
   */
  readonly incremental?: { readonly uniqueKey: string };
}

/** A model file that cannot be used: bad header, unknown macro, unknown ref, a cycle. */
export class ModelDefinitionError extends EltError {
  constructor(
    readonly model: string,
    message: string,
  ) {
    super(`model ${model}: ${message}`);
  }
}

/** Tables the pipeline itself maintains, which models may read with `source()`. */
export const SOURCE_TABLES = ['raw_events'] as const;

const MACRO = /\{\{\s*([a-z_]+)\s*\(([^)]*)\)\s*\}\}/g;
const KNOWN_MACROS =
  'ref, source, json_text, json_bigint, json_value, json_timestamp, json_type, now_utc, lateness_interval, json_param, json_to_text, timestamp_text, sort_key';

/**
 * Parses a model file. Header lines: `-- description: …` and `-- test: unique <col>`,
 * `-- test: not_null <col>[, <col>…]`, `-- test: accepted_values <col> <v1>|<v2>|…`,
 * `-- test: freshness <timestamp col> <hours>h`,
 * `-- test: relationships_as_of <col> <timestamp col> <dimension model>.<key col>`,
 * `-- test: reconciles <key col> <timestamp col> <model> <col>[,<col>…]`.
 */
export function parseModel(name: string, text: string): Model {
  identifier(name, 'model name');
  const tests: DataTest[] = [];
  const description: string[] = [];
  let sortKey: string | undefined;
  let incremental: { uniqueKey: string } | undefined;
  for (const line of text.split('\n')) {
    const m = /^--\s*(description|test|sort_key|materialized):\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === 'description') {
      description.push(m[2]!.trim());
      continue;
    }
    if (m[1] === 'sort_key') {
      sortKey = identifier(m[2]!.trim(), `sort key of ${name}`);
      continue;
    }
    if (m[1] === 'materialized') {
      const how = /^(table|incremental\s+([A-Za-z_][A-Za-z0-9_]*))$/.exec(m[2]!.trim());
      if (!how)
        throw new ModelDefinitionError(
          name,
          `materialized must be "table" or "incremental <unique key>", got "${m[2]!.trim()}"`,
        );
      if (how[2]) incremental = { uniqueKey: identifier(how[2], `unique key of ${name}`) };
      continue;
    }
    const [kind, ...rest] = m[2]!.trim().split(/\s+/);
    const args = rest.join(' ');
    if (kind === 'unique' || kind === 'not_null') {
      for (const c of args
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        tests.push({ kind, column: identifier(c, `column in test of ${name}`) });
      }
    } else if (kind === 'accepted_values') {
      const m = testArgs(name, kind, args, /^(\S+)\s+(\S+)$/, '<column> <v1>|<v2>…');
      tests.push({ kind, column: identifier(m[1]!, `column in test of ${name}`), values: m[2]!.split('|') });
    } else if (kind === 'freshness') {
      const m = testArgs(
        name,
        kind,
        args,
        /^([A-Za-z_][A-Za-z0-9_]*)\s+([1-9][0-9]{0,5})h$/,
        '<column> <hours>h',
      );
      tests.push({ kind, column: identifier(m[1]!, `column in test of ${name}`), hours: Number(m[2]) });
    } else if (kind === 'relationships_as_of') {
      const m = testArgs(
        name,
        kind,
        args,
        /^(\S+)\s+(\S+)\s+([^\s.]+)\.(\S+)$/,
        '<column> <timestamp column> <model>.<column>',
      );
      const what = `column in test of ${name}`;
      tests.push({
        kind,
        column: identifier(m[1]!, what),
        at: identifier(m[2]!, what),
        to: identifier(m[3]!, `model in test of ${name}`),
        field: identifier(m[4]!, what),
      });
    } else if (kind === 'reconciles') {
      const m = testArgs(
        name,
        kind,
        args,
        /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+(?:\s*,\s*\S+)*)$/,
        '<key column> <timestamp column> <model> <column>[,<column>…]',
      );
      const what = `column in test of ${name}`;
      tests.push({
        kind,
        column: identifier(m[1]!, what),
        at: identifier(m[2]!, what),
        with: identifier(m[3]!, `model in test of ${name}`),
        compare: m[4]!.split(',').map((c) => identifier(c.trim(), what)),
      });
    } else {
      throw new ModelDefinitionError(
        name,
        `unknown test "${kind}" (known: unique, not_null, accepted_values, freshness, relationships_as_of, reconciles)`,
      );
    }
  }
  const dependsOn = new Set<string>();
  for (const m of text.matchAll(MACRO)) {
    if (m[1] === 'ref') dependsOn.add(parseArgs(name, m[2]!)[0] ?? '');
  }
  // A test reads its dimension after the dimension is built (and names no model it cannot find).
  for (const t of tests) {
    if (t.kind === 'relationships_as_of' && t.to !== name) dependsOn.add(t.to);
    if (t.kind === 'reconciles' && t.with !== name) dependsOn.add(t.with);
  }
  return {
    name,
    description: description.join(' '),
    source: text,
    dependsOn: [...dependsOn],
    tests,
    ...(sortKey ? { sortKey } : {}),
    ...(incremental ? { incremental } : {}),
  };
}

/** Orders models so each comes after the models it reads; rejects unknown refs and cycles. */
export function orderModels(models: readonly Model[]): Model[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const ordered: Model[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (model: Model, path: string[]): void => {
    const s = state.get(model.name);
    if (s === 'done') return;
    if (s === 'visiting')
      throw new ModelDefinitionError(model.name, `dependency cycle: ${[...path, model.name].join(' → ')}`);
    state.set(model.name, 'visiting');
    for (const dep of model.dependsOn) {
      const target = byName.get(dep);
      if (!target) throw new ModelDefinitionError(model.name, `ref('${dep}') names no model`);
      visit(target, [...path, model.name]);
    }
    state.set(model.name, 'done');
    ordered.push(model);
  };
  for (const m of [...models].sort((a, b) => a.name.localeCompare(b.name))) visit(m, []);
  return ordered;
}

/** What a template may refer to besides the dialect's macros. */
export interface TemplateScope {
  /** Resolves `{{ ref('model') }}` to a table name; without it, `ref` is an error. */
  readonly ref?: (model: string) => string;
  /** Tables `{{ source('…') }}` may name. @default SOURCE_TABLES */
  readonly sources?: readonly string[];
  /** What `{{ source('…') }}` renders to (a table name, or a subquery with the table's name as alias). */
  readonly sourceOf?: (table: string) => string;
  /**
   * What `{{ lateness_interval() }}` renders to: the run's lateness as an interval literal. @default from
   * {@link latenessInterval} of 0 hours
   */
  readonly lateness?: string;
}

/** The run's lateness (whole hours) as the SQL interval literal `{{ lateness_interval() }}` renders. */
export function latenessInterval(hours = 0): string {
  if (!Number.isInteger(hours) || hours < 0)
    throw new EltError(`lateness must be whole hours ≥ 0, got ${hours}`);
  return `INTERVAL ${sqlLiteral(`${hours} hours`)}`;
}

/**
 * Renders SQL text for a dialect: expands `ref`, `source`, `json_text` (its width in bytes from the event
 * catalogue, or a third argument), `json_bigint`, `json_value`, `json_timestamp`, `json_type()` and
 * `sort_key(col)`; drops full-line comments and a trailing semicolon. `name` is the model (or file) named
 * in errors.
 */
export function renderTemplate(
  name: string,
  text: string,
  dialect: Dialect,
  scope: TemplateScope = {},
): string {
  const sql = text.replace(MACRO, (_all, macro: string, rawArgs: string) => {
    const args = parseArgs(name, rawArgs);
    const arg = (i: number): string => {
      const a = args[i];
      if (a === undefined) throw new ModelDefinitionError(name, `${macro}() needs ${i + 1} argument(s)`);
      return a;
    };
    switch (macro) {
      case 'ref':
        if (!scope.ref) throw new ModelDefinitionError(name, 'ref() is only for models');
        return scope.ref(arg(0));
      case 'source': {
        const sources = scope.sources ?? SOURCE_TABLES;
        if (!sources.includes(arg(0))) {
          throw new ModelDefinitionError(
            name,
            `source('${arg(0)}') is not a pipeline table (${sources.join(', ')})`,
          );
        }
        return scope.sourceOf ? scope.sourceOf(arg(0)) : arg(0);
      }
      case 'json_text': {
        const path = jsonPath(arg(1));
        const width = args[2] !== undefined ? Number(args[2]) : jsonTextWidth(path);
        if (width === undefined || !Number.isInteger(width) || width < 1 || width > 65_535) {
          throw new ModelDefinitionError(
            name,
            args[2] !== undefined
              ? `json_text() width must be 1 to 65535 bytes, got ${args[2]}`
              : `json_text(${arg(0)}, '${arg(1)}'): no event schema bounds ${arg(1)}, so its text width is unknown; give it: json_text(${arg(0)}, '${arg(1)}', <bytes>)`,
          );
        }
        return dialect.jsonText(arg(0), path, width);
      }
      case 'json_bigint':
        return dialect.jsonBigint(arg(0), jsonPath(arg(1)));
      case 'json_value':
        return dialect.jsonValue(arg(0), jsonPath(arg(1)));
      case 'json_timestamp':
        return dialect.jsonTimestamp(arg(0), jsonPath(arg(1)));
      case 'json_type':
        return dialect.jsonType;
      case 'now_utc':
        return dialect.nowUtc;
      case 'lateness_interval':
        return scope.lateness ?? latenessInterval(0);
      case 'json_param':
        // A numbered statement parameter holding JSON text, as the JSON type.
        if (!/^[1-9][0-9]?$/.test(arg(0)))
          throw new ModelDefinitionError(name, `json_param() takes a parameter number, got ${arg(0)}`);
        return dialect.parseJson(`$${arg(0)}`);
      case 'json_to_text':
        return dialect.jsonToText(identifier(arg(0)));
      case 'timestamp_text':
        return dialect.timestampText(identifier(arg(0)));
      case 'sort_key':
        return dialect.sortKey(identifier(arg(0)));
      default:
        throw new ModelDefinitionError(name, `unknown macro ${macro}() (known: ${KNOWN_MACROS})`);
    }
  });
  // Model files end with their SELECT; a trailing semicolon would break CREATE TABLE … AS.
  return sql
    .split('\n')
    .filter((l) => !/^\s*--/.test(l))
    .join('\n')
    .trim()
    .replace(/;\s*$/, '');
}

/**
 * Renders a model's SELECT for a dialect. `tableOf` names the table a `ref` reads (by default the
 * model's own name).
 */
export function renderModel(
  model: Model,
  dialect: Dialect,
  known: ReadonlySet<string>,
  tableOf: (model: string) => string = identifier,
  sourceOf?: (table: string) => string,
  latenessHours?: number,
): string {
  return renderTemplate(model.name, model.source, dialect, {
    ref: (ref) => {
      if (!known.has(ref)) throw new ModelDefinitionError(model.name, `ref('${ref}') names no model`);
      return tableOf(ref);
    },
    ...(sourceOf ? { sourceOf } : {}),
    ...(latenessHours !== undefined ? { lateness: latenessInterval(latenessHours) } : {}),
  });
}

/** What the SQL of a data test depends on besides the tables. */
export interface DataTestOptions {
  /** The run's lateness in hours (reconciles compares up to the common watermark less this). @default 0 */
  readonly latenessHours?: number;
}

/**
 * The SQL of a data test: a query returning one row with `failures`, the count of offending rows (for
 * freshness, 1 when the newest row is too old). `model` is the table tested; `tableOf` names the table
 * of another model a test reads (relationships_as_of, reconciles), by default the model's own name.
 */
export function renderDataTest(
  model: string,
  test: DataTest,
  dialect: Dialect,
  tableOf: (model: string) => string = identifier,
  options: DataTestOptions = {},
): string {
  const t = identifier(model);
  const c = identifier(test.column);
  switch (test.kind) {
    case 'unique':
      return `SELECT COUNT(*) AS failures FROM (SELECT ${c} FROM ${t} WHERE ${c} IS NOT NULL GROUP BY ${c} HAVING COUNT(*) > 1) d`;
    case 'not_null':
      return `SELECT COUNT(*) AS failures FROM ${t} WHERE ${c} IS NULL`;
    case 'accepted_values':
      // The values come from the model file (code in the repository), never from events; quotes are escaped.
      return `SELECT COUNT(*) AS failures FROM ${t} WHERE ${c} NOT IN (${test.values.map(sqlLiteral).join(', ')})`;
    case 'freshness':
      return `SELECT CASE WHEN COUNT(*) > 0 AND MAX(${c}) < ${dialect.nowUtc} - INTERVAL ${sqlLiteral(`${test.hours} hours`)} THEN 1 ELSE 0 END AS failures FROM ${t}`;
    case 'relationships_as_of': {
      const d = tableOf(test.to);
      const at = `date_trunc('second', f.${identifier(test.at)})`;
      return `SELECT COUNT(*) AS failures FROM ${t} f WHERE f.${c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${d} d WHERE d.${identifier(test.field)} = f.${c} AND date_trunc('second', d.valid_from) <= ${at} AND (d.valid_to IS NULL OR date_trunc('second', d.valid_to) > ${at}))`;
    }
    case 'reconciles':
      return `${reconcileDifferences(t, test, tableOf, options)} SELECT COUNT(*) AS failures FROM diff`;
  }
}

/** How many differing keys a failing reconciles test names. */
export const RECONCILE_SAMPLE = 10;

/**
 * For a test that can name what fails (reconciles), a query of the first {@link RECONCILE_SAMPLE} offending
 * keys in key order, as rows of (`k`, `difference`); undefined for the other kinds.
 */
export function renderDataTestSample(
  model: string,
  test: DataTest,
  tableOf: (model: string) => string = identifier,
  options: DataTestOptions = {},
): string | undefined {
  if (test.kind !== 'reconciles') return undefined;
  return `${reconcileDifferences(identifier(model), test, tableOf, options)} SELECT k, difference FROM diff ORDER BY k LIMIT ${RECONCILE_SAMPLE}`;
}

/**
 * The \`WITH … diff\` of a reconciles test: one row per key (as text, \`k\`) that is on one side only or whose
 * compared columns differ, up to the common watermark. Plain SQL that DuckDB, PostgreSQL and Redshift run
 * alike (no IS DISTINCT FROM, which Redshift lacks).
 */
function reconcileDifferences(
  table: string,
  test: Extract<DataTest, { kind: 'reconciles' }>,
  tableOf: (model: string) => string,
  options: DataTestOptions,
): string {
  const lateness = latenessInterval(options.latenessHours ?? 0);
  const other = tableOf(test.with);
  const cols = test.compare.map((c) => identifier(c));
  // One row per key and side: a key found more than once on a side is itself a difference.
  const side = (from: string): string =>
    `SELECT k, COUNT(*) AS n, MIN(t) AS t${cols.map((c) => `, MIN(${c}) AS ${c}`).join('')} FROM (SELECT CAST(${identifier(test.column)} AS VARCHAR(256)) AS k, ${identifier(test.at)} AS t${cols.map((c) => `, ${c}`).join('')} FROM ${from}) s GROUP BY k`;
  const differs = (c: string): string =>
    `(a.${c} <> b.${c} OR (a.${c} IS NULL AND b.${c} IS NOT NULL) OR (a.${c} IS NOT NULL AND b.${c} IS NULL))`;
  const which = cols.map((c) => `WHEN ${differs(c)} THEN ${sqlLiteral(`${c} differs`)}`).join(' ');
  const upto = `CASE WHEN ma.t IS NULL OR mb.t IS NULL THEN NULL ELSE date_trunc('second', CASE WHEN ma.t < mb.t THEN ma.t ELSE mb.t END - ${lateness}) END`;
  const within = (s: string): string =>
    `(SELECT ${s}.* FROM ${s} CROSS JOIN w WHERE date_trunc('second', ${s}.t) <= w.upto)`;
  return [
    `WITH a AS (${side(table)}), b AS (${side(other)}),`,
    `w AS (SELECT ${upto} AS upto FROM (SELECT MAX(t) AS t FROM a) ma CROSS JOIN (SELECT MAX(t) AS t FROM b) mb),`,
    `diff AS (SELECT COALESCE(a.k, b.k) AS k, CASE WHEN b.k IS NULL THEN ${sqlLiteral(`missing from ${test.with}`)} WHEN a.k IS NULL THEN ${sqlLiteral(`only in ${test.with}`)}`,
    `WHEN a.n > 1 THEN ${sqlLiteral('repeated here')} WHEN b.n > 1 THEN ${sqlLiteral(`repeated in ${test.with}`)} ${which} END AS difference`,
    `FROM ${within('a')} a FULL OUTER JOIN ${within('b')} b ON a.k = b.k`,
    `WHERE a.k IS NULL OR b.k IS NULL OR a.n > 1 OR b.n > 1${cols.map((c) => ` OR ${differs(c)}`).join('')})`,
  ].join(' ');
}

/** A short name for a test, e.g. `unique(stg_events.event_id)`. */
export function describeDataTest(model: string, test: DataTest): string {
  if (test.kind === 'freshness') return `freshness(${model}.${test.column} ≤ ${test.hours}h)`;
  if (test.kind === 'relationships_as_of')
    return `relationships_as_of(${model}.${test.column} → ${test.to}.${test.field} at ${test.at})`;
  if (test.kind === 'reconciles')
    return `reconciles(${model}.${test.column} ↔ ${test.with}.${test.column} on ${test.compare.join(', ')} up to the common ${test.at})`;
  return `${test.kind}(${model}.${test.column})`;
}

/** The parts of a data test's arguments that `pattern` matches; otherwise an error that shows `usage`. */
function testArgs(
  model: string,
  kind: string,
  args: string,
  pattern: RegExp,
  usage: string,
): RegExpExecArray {
  const m = pattern.exec(args);
  if (!m) throw new ModelDefinitionError(model, `${kind} needs "${usage}", got "${args}"`);
  return m;
}

function parseArgs(model: string, raw: string): string[] {
  return raw
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0)
    .map((a) => {
      const m = /^'([^']*)'$/.exec(a) ?? /^([A-Za-z_][A-Za-z0-9_.]*|[0-9]+)$/.exec(a);
      if (!m)
        throw new ModelDefinitionError(model, `macro argument ${a} must be a 'quoted string' or a name`);
      return m[1]!;
    });
}
