import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import { DuckDbWarehouse } from '../adapters/warehouse/duckdb-warehouse.js';
import { DataDir } from '../local/data-dir.js';
import { CliError } from './output.js';

/** Options every command takes. */
export interface CommonOptions {
  readonly dataDir: string;
  readonly json: boolean;
}

/** Default local data directory, relative to where elt runs. */
export const DEFAULT_DATA_DIR = 'elt-data';

/** Adds `--data-dir` and `--json` to a command. */
export function withCommonOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--data-dir <dir>', 'local data directory (object store + DuckDB warehouse)').default(
        DEFAULT_DATA_DIR,
      ),
    )
    .option('--json', 'machine-readable output on stdout', false);
}

/** The local data directory and its object store. */
export interface LocalStore {
  readonly dataDir: DataDir;
  readonly store: ReturnType<DataDir['store']>;
}

/** The local data directory, its object store and its warehouse. */
export interface LocalContext extends LocalStore {
  readonly warehouse: DuckDbWarehouse;
}

/**
 * Opens the local data directory. `mustExist` is for commands that only read: they fail with a hint
 * instead of creating an empty directory.
 */
export async function openDataDir(
  options: CommonOptions,
  mode: { mustExist?: boolean; reset?: boolean } = {},
): Promise<LocalStore> {
  const dataDir = new DataDir(options.dataDir);
  if (mode.mustExist && !existsSync(dataDir.root)) {
    throw new CliError(
      `no data directory at ${dataDir.root}. Run \`npx elt demo\` or \`npx elt publish --file …\` first, or pass --data-dir.`,
    );
  }
  if (mode.reset) await dataDir.reset();
  else await dataDir.ensure();
  return { dataDir, store: dataDir.store() };
}

/** Opens the local data directory and its warehouse (close it when done). */
export async function openLocal(
  options: CommonOptions,
  mode: { mustExist?: boolean; reset?: boolean } = {},
): Promise<LocalContext> {
  const local = await openDataDir(options, mode);
  return { ...local, warehouse: await DuckDbWarehouse.open(local.dataDir.warehousePath) };
}
