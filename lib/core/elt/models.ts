import { identifier, jsonPath, type Dialect } from './dialect.js';

/** A data test declared in a model's header. */
export type DataTest =
  | { readonly kind: 'unique'; readonly column: string }
  | { readonly kind: 'not_null'; readonly column: string }
  | { readonly kind: 'accepted_values'; readonly column: string; readonly values: readonly string[] };

/** A SQL model: one file, one table, built from a SELECT. */
export interface Model {
  readonly name: string;
  readonly description: string;
  /** The SELECT with its macros, as written. */
  readonly source: string;
  /** Models this one reads, from its `ref()` calls. */
  readonly dependsOn: readonly string[];
  readonly tests: readonly DataTest[];
}

/** A model file that cannot be used: bad header, unknown macro, unknown ref, a cycle. */
export class ModelDefinitionError extends Error {
  constructor(
    readonly model: string,
    message: string,
  ) {
    super(`model ${model}: ${message}`);
    this.name = 'ModelDefinitionError';
  }
}

/** Tables the pipeline itself maintains, which models may read with `source()`. */
export const SOURCE_TABLES = ['raw_events'] as const;

const MACRO = /\{\{\s*([a-z_]+)\s*\(([^)]*)\)\s*\}\}/g;

/**
 * Parses a model file. Header lines: `-- description: …` and `-- test: unique <col>`,
 * `-- test: not_null <col>[, <col>…]`, `-- test: accepted_values <col> <v1>|<v2>|…`.
 */
export function parseModel(name: string, text: string): Model {
  identifier(name, 'model name');
  const tests: DataTest[] = [];
  const description: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^--\s*(description|test):\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === 'description') {
      description.push(m[2]!.trim());
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
      const [column, values] = args.split(/\s+/, 2);
      if (!column || !values)
        throw new ModelDefinitionError(name, `accepted_values needs "<column> <v1>|<v2>…", got "${args}"`);
      tests.push({
        kind,
        column: identifier(column, `column in test of ${name}`),
        values: values.split('|'),
      });
    } else {
      throw new ModelDefinitionError(
        name,
        `unknown test "${kind}" (known: unique, not_null, accepted_values)`,
      );
    }
  }
  const dependsOn = new Set<string>();
  for (const m of text.matchAll(MACRO)) {
    if (m[1] === 'ref') dependsOn.add(parseArgs(name, m[2]!)[0] ?? '');
  }
  return { name, description: description.join(' '), source: text, dependsOn: [...dependsOn], tests };
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

/** Renders a model's SELECT for a dialect: expands `ref`, `source`, `json_text`, `json_bigint`, `json_value`. */
export function renderModel(model: Model, dialect: Dialect, known: ReadonlySet<string>): string {
  const sql = model.source.replace(MACRO, (_all, macro: string, rawArgs: string) => {
    const args = parseArgs(model.name, rawArgs);
    const arg = (i: number): string => {
      const a = args[i];
      if (a === undefined)
        throw new ModelDefinitionError(model.name, `${macro}() needs ${i + 1} argument(s)`);
      return a;
    };
    switch (macro) {
      case 'ref':
        if (!known.has(arg(0))) throw new ModelDefinitionError(model.name, `ref('${arg(0)}') names no model`);
        return identifier(arg(0));
      case 'source':
        if (!(SOURCE_TABLES as readonly string[]).includes(arg(0))) {
          throw new ModelDefinitionError(
            model.name,
            `source('${arg(0)}') is not a pipeline table (${SOURCE_TABLES.join(', ')})`,
          );
        }
        return arg(0);
      case 'json_text':
        return dialect.jsonText(arg(0), jsonPath(arg(1)));
      case 'json_bigint':
        return dialect.jsonBigint(arg(0), jsonPath(arg(1)));
      case 'json_value':
        return dialect.jsonValue(arg(0), jsonPath(arg(1)));
      default:
        throw new ModelDefinitionError(
          model.name,
          `unknown macro ${macro}() (known: ref, source, json_text, json_bigint, json_value)`,
        );
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

/** The SQL of a data test: a query returning one row with `failures`, the count of offending rows. */
export function renderDataTest(model: string, test: DataTest): string {
  const t = identifier(model);
  const c = identifier(test.column);
  switch (test.kind) {
    case 'unique':
      return `SELECT COUNT(*) AS failures FROM (SELECT ${c} FROM ${t} WHERE ${c} IS NOT NULL GROUP BY ${c} HAVING COUNT(*) > 1) d`;
    case 'not_null':
      return `SELECT COUNT(*) AS failures FROM ${t} WHERE ${c} IS NULL`;
    case 'accepted_values':
      // The values come from the model file (code in the repository), never from events; quotes are escaped.
      return `SELECT COUNT(*) AS failures FROM ${t} WHERE ${c} NOT IN (${test.values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')})`;
  }
}

/** A short name for a test, e.g. `unique(stg_events.event_id)`. */
export function describeDataTest(model: string, test: DataTest): string {
  return `${test.kind}(${model}.${test.column})`;
}

function parseArgs(model: string, raw: string): string[] {
  return raw
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a.length > 0)
    .map((a) => {
      const m = /^'([^']*)'$/.exec(a) ?? /^([A-Za-z_][A-Za-z0-9_.]*)$/.exec(a);
      if (!m)
        throw new ModelDefinitionError(model, `macro argument ${a} must be a 'quoted string' or a name`);
      return m[1]!;
    });
}
