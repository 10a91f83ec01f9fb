import { Command } from 'commander';
import { SESSION_SETTINGS } from '../../adapters/warehouse/redshift-data-warehouse.js';
import { exportDbtProject } from '../../core/elt/dbt-export.js';
import { loadModels } from '../../core/elt/sql-sources.js';
import { n } from '../output.js';

/** `elt dbt`: the models as a dbt project. */
export function dbtCommand(): Command {
  const command = new Command('dbt').description(
    'The SQL models as a dbt project (dbt-duckdb, dbt-postgres, dbt-redshift), a yardstick for elt run: see docs/dbt.md.',
  );
  command.addCommand(
    new Command('export')
      .exitOverride()
      .showHelpAfterError('(run with --help for usage)')
      .description(
        'Write the models, their raw_events source, their data tests and the dialect macros (generated from the dialect layer, for duckdb, postgres and redshift) as a dbt project. `dbt build` then builds the same tables as `elt run` from the raw_events that `elt run` loaded.',
      )
      .requiredOption('--out <dir>', 'directory to write the project to (created if missing)')
      .option(
        '--duckdb-path <file>',
        "the DuckDB file profiles.yml's duckdb target opens (ELT_DBT_DUCKDB_PATH overrides it when dbt runs)",
        'elt-data/warehouse.duckdb',
      )
      .option('--force', 'overwrite files of an earlier export', false)
      .option('--json', 'print what was written as JSON', false)
      .addHelpText(
        'after',
        [
          '',
          'Then, with dbt and an adapter installed (scripts/tools/dbt.sh installs dbt-core and dbt-duckdb):',
          '  elt run      # loads raw_events into elt-data/warehouse.duckdb (and builds the marts in schema main)',
          '  ELT_DBT_DUCKDB_PATH=elt-data/warehouse.duckdb ELT_DBT_SCHEMA=dbt \\',
          "    dbt build --project-dir DIR --profiles-dir DIR --vars '{elt_raw_schema: main}'",
          'builds the same tables in schema dbt of the same file. ELT_DBT_TARGET=postgres or redshift picks',
          'another target of profiles.yml (PG* variables; ELT_DBT_REDSHIFT_*).',
        ].join('\n'),
      )
      .action(async (options: { out: string; duckdbPath: string; force: boolean; json: boolean }) => {
        const result = await exportDbtProject(options.out, loadModels(), {
          duckdbPath: options.duckdbPath,
          redshiftSessionSettings: SESSION_SETTINGS,
          force: options.force,
        });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(result)}\n`);
          return;
        }
        process.stdout.write(
          `wrote a dbt project to ${result.out}: ${n(result.files.length)} files, ${n(result.models.length)} models (${result.models.join(', ')}), ${n(result.tests)} data tests, macros for ${result.adapters.join(', ')}\n`,
        );
      }),
  );
  return command;
}
