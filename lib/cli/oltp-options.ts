import type { Command } from 'commander';
import { openOltpDatabase, OltpUnavailableError, OltpUrlError } from '../adapters/oltp/oltp-database.js';
import type { OltpDatabase } from '../core/oltp/ports.js';
import { DataDir } from '../local/data-dir.js';
import { CliError } from './output.js';

/** The marketplace database when not told: the embedded one (PGlite) in the data directory. */
export function defaultOltpDatabase(dataDir: string): string {
  return `pglite:${new DataDir(dataDir).oltpRoot}`;
}

/** Adds `--database` (default `$ELT_OLTP_DATABASE`, else PGlite in the data directory). */
export function withDatabaseOption(command: Command): Command {
  return command.option(
    '--database <url>',
    'the marketplace database: pglite:<directory>, pglite (in memory), or postgres://user[:password]@host:port/db (default $ELT_OLTP_DATABASE, else pglite:<data dir>/oltp)',
  );
}

/**
 * Opens the marketplace database a command was given (or the default) and creates its tables when
 * missing; a wrong URL or an unreachable server is one line. Open the data directory first: the default
 * database lives in it.
 */
export async function openOltpForCli(database: string | undefined, dataDir: string): Promise<OltpDatabase> {
  const url = database ?? process.env.ELT_OLTP_DATABASE ?? defaultOltpDatabase(dataDir);
  let db: OltpDatabase;
  try {
    db = await openOltpDatabase(url);
  } catch (error) {
    if (error instanceof OltpUrlError || error instanceof OltpUnavailableError)
      throw new CliError(error.message, { cause: error });
    throw error;
  }
  try {
    await db.migrate();
  } catch (error) {
    await db.close().catch(() => undefined);
    throw new CliError(
      `creating the marketplace tables in ${db.description} failed: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return db;
}
