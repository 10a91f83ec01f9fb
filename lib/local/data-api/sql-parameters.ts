import { EltError } from '../../core/util/errors.js';
import { tokenize } from './sql-tokens.js';

/** A statement names a parameter the request does not define; the message is the Data API's. */
export class SqlParameterError extends EltError {}

/** A Data API parameter: a name and a string value. */
export interface DataApiParameter {
  readonly name: string;
  readonly value: string;
}

/** The names of the `:name` parameters a statement references (outside literals, identifiers, comments). */
export function parameterNames(sql: string): Set<string> {
  return new Set(tokenize(sql).flatMap((t) => (t.kind === 'parameter' ? [t.name!] : [])));
}

/**
 * The Data API's `:name` parameters as PostgreSQL's `$n`, outside string literals, quoted identifiers,
 * comments and `::` casts. A name starting with a digit that no parameter has (`:1` in an array slice) is
 * left as written; any other name without a parameter is an error, as on the service.
 */
export function positional(
  sql: string,
  parameters: readonly DataApiParameter[],
): { text: string; values: string[] } {
  const values: string[] = [];
  const index = new Map<string, number>();
  let text = '';
  for (const token of tokenize(sql)) {
    if (token.kind !== 'parameter') {
      text += token.text;
      continue;
    }
    const name = token.name!;
    const p = parameters.find((x) => x.name === name);
    if (!p) {
      if (/^\d/.test(name)) {
        text += token.text;
        continue;
      }
      throw new SqlParameterError(`The parameter ${name} is not defined`);
    }
    if (!index.has(name)) {
      values.push(p.value);
      index.set(name, values.length);
    }
    text += `$${index.get(name)}`;
  }
  return { text, values };
}
