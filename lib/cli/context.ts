import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import { WarehouseBusyError } from '../adapters/warehouse/duckdb-warehouse.js';
import { openWarehouse, WarehouseUrlError } from '../adapters/warehouse/open-warehouse.js';
import { WarehouseUnavailableError } from '../adapters/warehouse/postgres-warehouse.js';
import { S3ObjectStore } from '../adapters/store/s3-object-store.js';
import type { EltWarehouse, ObjectStore } from '../core/ports.js';
import { DataDir } from '../local/data-dir.js';
import { CliError } from './output.js';
import { awsEndpoint } from './aws-errors.js';

/** Options every command takes. */
export interface CommonOptions {
  readonly dataDir: string;
  readonly json: boolean;
  /** Commands that use a warehouse: its URL. */
  readonly warehouse?: string;
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

/** Adds `--warehouse` (default `$ELT_WAREHOUSE`, else the data directory's DuckDB file). */
export function withWarehouseOption(command: Command): Command {
  return command.addOption(
    new Option(
      '--warehouse <url>',
      "duckdb (the data directory's file), duckdb:<file>, postgres://user@host:port/db, or redshift-data://workgroup/<name>/<db>[?bucket=…&copyRole=…&secretArn=…]",
    )
      .env('ELT_WAREHOUSE')
      .default('duckdb'),
  );
}

/** Adds `--store` (default `$ELT_STORE`, else the data directory's object store). */
export function withStoreOption(command: Command): Command {
  return command.addOption(
    new Option(
      '--store <url>',
      "where landed objects are: local (the data directory's store) or s3://<bucket>[/<prefix>/], e.g. the deployed raw bucket (path-style addressing when AWS_ENDPOINT_URL(_S3) points at a local endpoint)",
    )
      .env('ELT_STORE')
      .default('local'),
  );
}

/** The object store a `--store` value names; `local` is the data directory's. */
export function openStore(url: string, local: () => ObjectStore): ObjectStore {
  if (url === 'local') return local();
  const prefix = /^s3:\/\/[^/]*\/(.+)$/.exec(url)?.[1];
  if (prefix && !prefix.endsWith('/'))
    throw new CliError(`--store ${JSON.stringify(url)}: the prefix must end with "/"`);
  try {
    const localEndpoint = Boolean(awsEndpoint('s3'));
    return S3ObjectStore.fromUrl(url, { forcePathStyle: localEndpoint });
  } catch (error) {
    throw new CliError(
      `--store ${JSON.stringify(url)} is not valid: use local or s3://<bucket>[/<prefix>/] (a bucket name of 3–63 lowercase letters, digits, dots and hyphens)`,
      { cause: error },
    );
  }
}

/** Whether the warehouse is the data directory's DuckDB file (so reading it needs the directory). */
export function usesDataDirWarehouse(options: CommonOptions): boolean {
  return (options.warehouse ?? 'duckdb') === 'duckdb';
}

/** The local data directory and its object store. */
export interface LocalStore {
  readonly dataDir: DataDir;
  readonly store: ReturnType<DataDir['store']>;
}

/** The local data directory, its object store and its warehouse. */
export interface LocalContext extends LocalStore {
  readonly warehouse: EltWarehouse;
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
  try {
    return {
      ...local,
      warehouse: await openWarehouse(options.warehouse ?? 'duckdb', local.dataDir.warehousePath),
    };
  } catch (error) {
    if (
      error instanceof WarehouseUrlError ||
      error instanceof WarehouseUnavailableError ||
      error instanceof WarehouseBusyError
    ) {
      throw new CliError(error.message, { cause: error });
    }
    throw error;
  }
}
