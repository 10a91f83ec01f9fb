import { parseModel, type Model } from './models.js';
import { SQL_FILES } from '../../generated/sql-files.js';
import { splitStatements, SqlTextError } from './sql-text.js';

/**
 * The repository's SQL models (sql/models/*.sql), read from the generated module so the CLI and the
 * bundled Lambdas use the same text without reading files at run time.
 */
export function loadModels(files: Readonly<Record<string, string>> = SQL_FILES): Model[] {
  return Object.entries(files)
    .filter(([path]) => /^models\/[^/]+\.sql$/.test(path))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([path, text]) => parseModel(path.slice('models/'.length, -'.sql'.length), text));
}

/** The text of one of the pipeline's own SQL files: `sql/warehouse/<name>.sql`. */
export function warehouseSql(name: string, files: Readonly<Record<string, string>> = SQL_FILES): string {
  const text = files[`warehouse/${name}.sql`];
  if (text === undefined)
    throw new SqlTextError(`no SQL file sql/warehouse/${name}.sql (run \`npm run gen\` after adding one)`);
  return text;
}

/** The one statement of `sql/warehouse/<name>.sql`, without its comments. */
export function warehouseStatement(name: string): string {
  const [statement, ...more] = splitStatements(warehouseSql(name));
  if (statement === undefined || more.length > 0)
    throw new SqlTextError(`sql/warehouse/${name}.sql must hold exactly one statement`);
  return statement;
}
