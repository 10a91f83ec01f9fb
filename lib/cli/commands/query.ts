import { Command } from 'commander';
import {
  openLocal,
  usesDataDirWarehouse,
  withCommonOptions,
  withWarehouseOption,
  type CommonOptions,
} from '../context.js';
import { CliError, n, table } from '../output.js';

/** `elt query`: SQL against the local warehouse. */
export function queryCommand(): Command {
  return withWarehouseOption(
    withCommonOptions(
      new Command('query')
        .description(
          'Run SQL against the warehouse (the local DuckDB file unless --warehouse) and print the result (tables: raw_events, stg_events, mart_*, elt_runs, elt_loaded_objects).',
        )
        .argument('<sql>', 'the SQL statement'),
    ),
  ).action(async (sql: string, options: CommonOptions) => {
    const ctx = await openLocal(options, { mustExist: usesDataDirWarehouse(options) });
    try {
      let rows;
      try {
        rows = await ctx.warehouse.query(sql);
      } catch (error) {
        throw new CliError(`query failed: ${(error as Error).message}`, { cause: error });
      }
      if (options.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
      else
        process.stdout.write(
          `${rows.length === 0 ? '(no rows)' : table(rows)}\n(${n(rows.length)} row${rows.length === 1 ? '' : 's'})\n`,
        );
    } finally {
      await ctx.warehouse.close();
    }
  });
}
