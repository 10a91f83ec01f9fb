import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { OltpUnavailableError, OltpUrlError, openOltpDatabase } from '../../adapters/oltp/oltp-database.js';
import {
  DEFAULT_EXTRACT_BATCH_ROWS,
  DEFAULT_SETTLE_SECONDS,
  EXTRACT_TABLE_NAMES,
  ExtractSourceMissingError,
  ExtractTableUnknownError,
  ExtractWatermarkInvalidError,
  extractTables,
  type ExtractReport,
} from '../../core/oltp/extract.js';
import { systemClock, type ObjectStore } from '../../core/ports.js';
import type { OltpDatabase } from '../../core/oltp/ports.js';
import { explainAwsError } from '../aws-errors.js';
import {
  openDataDir,
  openStore,
  withCommonOptions,
  withStoreOption,
  type CommonOptions,
} from '../context.js';
import { defaultOltpDatabase, withDatabaseOption } from '../oltp-options.js';
import { CliError, intInRange, n, Progress, table } from '../output.js';

interface ExtractCliOptions extends CommonOptions {
  readonly database?: string;
  readonly store: string;
  readonly table: readonly string[];
  readonly snapshot: boolean;
  readonly batchRows: number;
  readonly settleSeconds: number;
}

/** Collects a repeatable `--table`, checked against the extract's tables. */
function collectTable(value: string, previous: readonly string[]): string[] {
  if (!(EXTRACT_TABLE_NAMES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${EXTRACT_TABLE_NAMES.join(', ')}`);
  return [...previous, value];
}

/** `elt oltp extract`: table extracts of the marketplace database into the raw area. */
export function oltpExtractCommand(): Command {
  return withStoreOption(
    withDatabaseOption(
      withCommonOptions(
        new Command('extract')
          .description(
            `Extract the marketplace database's tables (${EXTRACT_TABLE_NAMES.join(', ')}) into the object store as gzip NDJSON under raw/source=oltp/table=<table>/dt=<UTC date>/, one line per row version ({"table","op":"upsert"|"delete","key","updated_at","extracted_at","mode","row"}). Incremental by default: the rows whose (updated_at, key) is past the table's watermark (state/oltp/extract/<table>.json), in pages of --batch-rows, each page one object named by its content, written before the watermark moves (a rerun after a crash rewrites the same object). Rows changed less than --settle-seconds ago wait for the next run, so a transaction that commits late is not skipped (writers set updated_at to their transaction's time and commit within that time). --snapshot reads whole tables in one consistent transaction and resets the watermarks.`,
          )
          .addOption(
            new Option(
              '--table <name>',
              `a table to extract (repeatable; default all: ${EXTRACT_TABLE_NAMES.join(', ')})`,
            )
              .argParser(collectTable)
              .default([]),
          )
          .option('--snapshot', 'read whole tables consistently and reset their watermarks', false)
          .addOption(
            new Option('--batch-rows <n>', 'rows per page (one object each)')
              .default(DEFAULT_EXTRACT_BATCH_ROWS)
              .argParser(intInRange(1, 1_000_000)),
          )
          .addOption(
            new Option(
              '--settle-seconds <n>',
              'rows changed less than this long ago wait for the next run (longer than any writer transaction)',
            )
              .default(DEFAULT_SETTLE_SECONDS)
              .argParser(intInRange(0, 86_400)),
          ),
      ),
    ),
  ).action(async (options: ExtractCliOptions) => {
    const remote = options.store !== 'local';
    const given = options.database ?? process.env.ELT_OLTP_DATABASE;
    const databaseUrl = given ?? defaultOltpDatabase(options.dataDir);
    // An extract only reads: it does not create an empty database where none is.
    if (given === undefined && !existsSync(databaseUrl.slice('pglite:'.length)))
      throw new CliError(
        `no marketplace database at ${databaseUrl.slice('pglite:'.length)}: pass --database, or the --data-dir of one that has it`,
      );
    const ctx = remote ? undefined : await openDataDir(options);
    const store: ObjectStore = openStore(options.store, () => ctx!.store);
    let db: OltpDatabase;
    try {
      db = await openOltpDatabase(databaseUrl);
    } catch (error) {
      if (error instanceof OltpUrlError || error instanceof OltpUnavailableError)
        throw new CliError(error.message, { cause: error });
      throw error;
    }
    const progress = new Progress(!options.json);
    let report: ExtractReport;
    try {
      report = await extractTables(db, store, {
        tables: options.table,
        mode: options.snapshot ? 'snapshot' : 'incremental',
        clock: systemClock,
        batchRows: options.batchRows,
        settleSeconds: options.settleSeconds,
        onProgress: (m) => progress.update(m),
      });
    } catch (error) {
      if (
        error instanceof ExtractSourceMissingError ||
        error instanceof ExtractTableUnknownError ||
        error instanceof ExtractWatermarkInvalidError
      )
        throw new CliError(error.message, { cause: error });
      throw remote ? explainAwsError(error, 's3', `extracting into ${options.store}`) : error;
    } finally {
      progress.done();
      await db.close();
    }
    const where = remote ? options.store : ctx!.dataDir.storeRoot;
    process.stdout.write(
      options.json
        ? `${JSON.stringify({ database: db.description, store: where, ...report })}\n`
        : `${describeExtract(report, db.description, where)}\n`,
    );
  });
}

/** The report as a person reads it. */
export function describeExtract(report: ExtractReport, database: string, store: string): string {
  const rows = report.tables.map((t) => ({
    table: t.table,
    rows: t.rows,
    deletes: t.deletes,
    objects: t.objects,
    'watermark before': t.watermarkBefore ? `${t.watermarkBefore.updatedAt} ${t.watermarkBefore.key}` : null,
    'watermark after': t.watermarkAfter ? `${t.watermarkAfter.updatedAt} ${t.watermarkAfter.key}` : null,
    seconds: t.seconds,
  }));
  const total = report.tables.reduce((sum, t) => sum + t.rows, 0);
  return [
    `${report.mode} extract of ${database} into ${store}: ${n(total)} rows in ${report.seconds.toFixed(1)} s`,
    table(rows),
  ].join('\n');
}
