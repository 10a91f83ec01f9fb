/** What a {@link SqlToken} is. */
export type SqlTokenKind =
  /** Whitespace. */
  | 'space'
  /** `-- …` to the end of the line, or `/* … *\/` (nested, as PostgreSQL allows). */
  | 'comment'
  /** `'…'`, `E'…'` (backslash escapes) or `$tag$…$tag$`. */
  | 'string'
  /** A quoted identifier, `"…"`. */
  | 'quoted'
  /** A keyword, unquoted identifier or number. */
  | 'word'
  /** A Data API parameter reference, `:name` (not `::`). */
  | 'parameter'
  /** Anything else: one punctuation character, `::`, or a positional `$n`. */
  | 'symbol';

/** One lexical token of a SQL statement; the tokens of a statement joined give its text back. */
export interface SqlToken {
  readonly kind: SqlTokenKind;
  readonly text: string;
  /** For a `parameter`, its name without the colon. */
  readonly name?: string;
}

const SPACE = /^\s+/;
const WORD = /^[A-Za-z0-9_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/;
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;
// The Data API's parameter names: SqlParameter.name has the pattern [0-9a-zA-Z_]+ (API_SqlParameter.html).
const PARAMETER = /^:([0-9A-Za-z_]+)/;

/**
 * Splits SQL into tokens, enough to tell code from string literals, quoted identifiers and comments: the
 * endpoint finds `:name` parameters and rewrites CREATE TABLE by tokens, never inside a literal.
 * Unterminated literals and comments run to the end of the text, as the server would reject them anyway.
 */
export function tokenize(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let i = 0;
  const push = (kind: SqlTokenKind, end: number, name?: string): void => {
    tokens.push({ kind, text: sql.slice(i, end), ...(name !== undefined ? { name } : {}) });
    i = end;
  };
  while (i < sql.length) {
    const rest = sql.slice(i);
    const c = sql[i]!;
    const space = SPACE.exec(rest);
    if (space) {
      push('space', i + space[0].length);
    } else if (rest.startsWith('--')) {
      const nl = sql.indexOf('\n', i);
      push('comment', nl < 0 ? sql.length : nl);
    } else if (rest.startsWith('/*')) {
      push('comment', blockCommentEnd(sql, i));
    } else if (c === "'") {
      push('string', quotedEnd(sql, i, "'", false));
    } else if (c === '"') {
      push('quoted', quotedEnd(sql, i, '"', false));
    } else if ((c === 'E' || c === 'e') && sql[i + 1] === "'") {
      push('string', quotedEnd(sql, i + 1, "'", true));
    } else if (c === '$' && DOLLAR_TAG.test(rest)) {
      const tag = DOLLAR_TAG.exec(rest)![0];
      const close = sql.indexOf(tag, i + tag.length);
      push('string', close < 0 ? sql.length : close + tag.length);
    } else if (c === '$' && /^\$\d+/.test(rest)) {
      push('symbol', i + /^\$\d+/.exec(rest)![0].length);
    } else if (rest.startsWith('::')) {
      push('symbol', i + 2);
    } else if (c === ':' && PARAMETER.test(rest)) {
      const m = PARAMETER.exec(rest)!;
      push('parameter', i + m[0].length, m[1]!);
    } else if (WORD.test(rest)) {
      push('word', i + WORD.exec(rest)![0].length);
    } else {
      push('symbol', i + 1);
    }
  }
  return tokens;
}

/** Whether a token is code (not whitespace or a comment). */
export function significant(token: SqlToken): boolean {
  return token.kind !== 'space' && token.kind !== 'comment';
}

/** Whether a token is the keyword `word` (case-insensitive). */
export function isKeyword(token: SqlToken | undefined, word: string): boolean {
  return token?.kind === 'word' && token.text.toUpperCase() === word;
}

function quotedEnd(sql: string, start: number, quote: string, backslashes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (backslashes && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return sql.length;
}

function blockCommentEnd(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return sql.length;
}
