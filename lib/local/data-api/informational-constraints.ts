import { isKeyword, significant, tokenize, type SqlToken } from './sql-tokens.js';

/**
 * A CREATE TABLE without its PRIMARY KEY and UNIQUE constraints, so that PostgreSQL, like Redshift, does
 * not enforce them. This is deliberate: on Redshift "uniqueness, primary key, and foreign key constraints
 * are informational only; they are not enforced" — a duplicate insert succeeds
 * (https://docs.aws.amazon.com/redshift/latest/dg/t_Defining_constraints.html) — and code that relies on
 * PostgreSQL refusing it would pass here and load duplicates there.
 *
 * The rewrite is kept narrow: only `CREATE [LOCAL|GLOBAL] [TEMP|TEMPORARY] TABLE [IF NOT EXISTS] name (…)`
 * statements, and in them only column constraints `[CONSTRAINT name] PRIMARY KEY` / `UNIQUE [NULLS [NOT]
 * DISTINCT]` and table constraints `[CONSTRAINT name] PRIMARY KEY (…)` / `UNIQUE (…)`. NOT NULL (which
 * Redshift enforces), CHECK, DEFAULT and REFERENCES stay; ALTER TABLE … ADD PRIMARY KEY is not rewritten.
 * Any other statement comes back unchanged.
 */
export function withInformationalConstraints(sql: string): string {
  const tokens = tokenize(sql);
  const code = tokens.map((t, i) => ({ t, i })).filter(({ t }) => significant(t));
  const open = tableElementsStart(code.map(({ t }) => t));
  if (open === undefined) return sql;
  // The element list, from the token after `(` to its matching `)`, split at top-level commas: each
  // element as the indexes (in `tokens`) of its code tokens.
  const elements: number[][] = [[]];
  const commas: number[] = [];
  let depth = 0;
  let close: number | undefined;
  for (let k = open + 1; k < code.length; k++) {
    const { t, i } = code[k]!;
    if (t.text === '(' || t.text === '[') depth++;
    if (t.text === ')' || t.text === ']') {
      if (depth === 0) {
        close = k;
        break;
      }
      depth--;
    }
    if (depth === 0 && t.text === ',') {
      commas.push(i);
      elements.push([]);
    } else {
      elements[elements.length - 1]!.push(i);
    }
  }
  if (close === undefined) return sql;

  const dropped = new Set<number>();
  elements.forEach((element, e) => {
    if (element.length === 0) return;
    if (isKeyConstraint(element.map((i) => tokens[i]!))) {
      // The table constraint and one comma next to it: the one before it, or after it when it comes first.
      const from = e > 0 ? commas[e - 1]! : element[0]!;
      const to = e > 0 || commas.length === 0 ? element[element.length - 1]! : commas[0]!;
      for (let i = from; i <= to; i++) dropped.add(i);
    } else {
      for (const i of columnKeyTokens(element, tokens)) dropped.add(i);
    }
  });
  if (dropped.size === 0) return sql;
  // Whitespace stays (the text keeps its lines); code and comments of what was dropped go.
  return tokens.map((t, i) => (dropped.has(i) && t.kind !== 'space' ? '' : t.text)).join('');
}

/** The index (among significant tokens) of the `(` that opens a CREATE TABLE's element list. */
function tableElementsStart(code: readonly SqlToken[]): number | undefined {
  let k = 0;
  if (!isKeyword(code[k], 'CREATE')) return undefined;
  k++;
  if (isKeyword(code[k], 'LOCAL') || isKeyword(code[k], 'GLOBAL')) k++;
  if (isKeyword(code[k], 'TEMP') || isKeyword(code[k], 'TEMPORARY') || isKeyword(code[k], 'UNLOGGED')) k++;
  if (!isKeyword(code[k], 'TABLE')) return undefined;
  k++;
  if (isKeyword(code[k], 'IF') && isKeyword(code[k + 1], 'NOT') && isKeyword(code[k + 2], 'EXISTS')) k += 3;
  // The table name: identifiers separated by dots.
  const name = (t: SqlToken | undefined): boolean => t?.kind === 'word' || t?.kind === 'quoted';
  if (!name(code[k])) return undefined;
  k++;
  while (code[k]?.text === '.' && name(code[k + 1])) k += 2;
  return code[k]?.text === '(' ? k : undefined;
}

/** Whether a table element is a PRIMARY KEY (…) or UNIQUE (…) table constraint. */
function isKeyConstraint(element: readonly SqlToken[]): boolean {
  const code = element.filter(significant);
  const k = isKeyword(code[0], 'CONSTRAINT') ? 2 : 0;
  return (isKeyword(code[k], 'PRIMARY') && isKeyword(code[k + 1], 'KEY')) || isKeyword(code[k], 'UNIQUE');
}

/**
 * The tokens of a column definition (`code`: the indexes of its code tokens) that make up its PRIMARY KEY
 * or UNIQUE column constraints.
 */
function columnKeyTokens(code: readonly number[], tokens: readonly SqlToken[]): number[] {
  if (isKeyword(tokens[code[0]!], 'LIKE')) return [];
  const out: number[] = [];
  let depth = 0;
  // From the second token: the first is the column's name, which may be a keyword such as `key`.
  for (let k = 1; k < code.length; k++) {
    const t = tokens[code[k]!]!;
    if (t.text === '(' || t.text === '[') depth++;
    if (t.text === ')' || t.text === ']') depth--;
    if (depth > 0) continue;
    const at = (n: number): SqlToken | undefined => tokens[code[k + n] ?? -1];
    const named = isKeyword(t, 'CONSTRAINT') ? 2 : 0;
    const key = at(named);
    let length = 0;
    if (isKeyword(key, 'PRIMARY') && isKeyword(at(named + 1), 'KEY')) length = named + 2;
    else if (isKeyword(key, 'UNIQUE')) {
      length = named + 1;
      if (isKeyword(at(length), 'NULLS')) length += isKeyword(at(length + 1), 'NOT') ? 3 : 2;
    }
    if (length > 0) {
      for (let n = 0; n < length; n++) out.push(code[k + n]!);
      k += length - 1;
    }
  }
  return out;
}
