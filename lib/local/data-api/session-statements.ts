import { isKeyword, significant, tokenize, type SqlToken } from './sql-tokens.js';

/**
 * Statements that would undo what the endpoint sets up for a caller, and so are refused: the endpoint
 * runs each statement with `SET ROLE` to the caller's database user on a pooled superuser connection, and
 * these would take the rest of the statement, batch or connection back to the superuser. On Redshift a
 * caller cannot leave its database user. (A function body that does the same — `DO $$ … RESET ROLE … $$` —
 * is not seen: the endpoint is a stand-in for tests, not a security boundary.)
 */
export function changesSessionUser(sql: string): boolean {
  const code = tokenize(sql).filter(significant);
  const userAt = (k: number): boolean =>
    isKeyword(code[k], 'ROLE') || (isKeyword(code[k], 'SESSION') && isKeyword(code[k + 1], 'AUTHORIZATION'));
  // SET [SESSION | LOCAL] ROLE …, SET [SESSION | LOCAL] SESSION AUTHORIZATION …
  if (isKeyword(code[0], 'SET'))
    return userAt(1) || ((isKeyword(code[1], 'SESSION') || isKeyword(code[1], 'LOCAL')) && userAt(2));
  if (isKeyword(code[0], 'RESET')) return userAt(1);
  if (isKeyword(code[0], 'DISCARD') && isKeyword(code[1], 'ALL')) return true;
  return code.some(
    (t, i) => isKeyword(t, 'SET_CONFIG') && code[i + 1]?.text === '(' && userSetting(code[i + 2]),
  );
}

/**
 * Whether a statement ends the transaction it runs in (COMMIT, END, ABORT, ROLLBACK but not ROLLBACK TO a
 * savepoint). A batch runs as one transaction with the caller's user set for it alone, so such a statement
 * inside a batch is refused rather than letting the rest of the batch run outside it.
 */
export function endsTransaction(sql: string): boolean {
  const code = tokenize(sql).filter(significant);
  const first = code[0];
  if (isKeyword(first, 'COMMIT') || isKeyword(first, 'END') || isKeyword(first, 'ABORT')) return true;
  if (!isKeyword(first, 'ROLLBACK')) return false;
  const next = isKeyword(code[1], 'WORK') || isKeyword(code[1], 'TRANSACTION') ? code[2] : code[1];
  return !isKeyword(next, 'TO');
}

function userSetting(token: SqlToken | undefined): boolean {
  return token?.kind === 'string' && /^'(role|session_authorization)'$/i.test(token.text);
}
