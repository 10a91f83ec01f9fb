import { Command, Option } from 'commander';
import { dropPipelineTables } from '../../core/elt/elt-steps.js';
import { loadModels } from '../../core/elt/sql-sources.js';
import { describeReconciliation, reconcileOltp } from '../../core/oltp/reconcile.js';
import { runWorkload } from '../../core/oltp/workload.js';
import { randomBytes } from 'node:crypto';
import {
  OltpDemoCdcCleanupError,
  OltpDemoCdcNeedsPostgresError,
  OltpDemoCdcStalledError,
  runOltpDemo,
  type OltpDemoSummary,
} from '../../local/oltp-demo.js';
import {
  CdcConfigError,
  cdcDatabaseFromUrl,
  ConnectorNotRunningError,
  ConnectRequestError,
} from '../../local/cdc/debezium.js';
import { KafkaUnavailableError } from '../../adapters/kafka/kafka-errors.js';
import {
  openDataDir,
  openLocal,
  withCommonOptions,
  withWarehouseOption,
  type CommonOptions,
} from '../context.js';
import { parseBrokers, parseTopic, withKafkaOptions, type KafkaCliOptions } from '../kafka-options.js';
import { kafkaPipeline } from './demo.js';
import { defaultOltpDatabase, openOltpForCli, withDatabaseOption } from '../oltp-options.js';
import { CliError, intInRange, n, Progress, secs } from '../output.js';
import { oltpExtractCommand } from './oltp-extract.js';
import { oltpRelayCommand } from './oltp-relay.js';

interface DatabaseOptions extends CommonOptions {
  readonly database?: string;
}

/** `elt oltp …`: the marketplace's own database as a source (workload, outbox relay, extracts, reconciliation). */
export function oltpCommand(): Command {
  const group = new Command('oltp').description(
    "The marketplace's own database (the system of record) as a source: business transactions with a transactional outbox, the outbox relayed to the bus, table extracts, and the warehouse reconciled with the database. The database is PGlite in the data directory unless --database names a PostgreSQL server.",
  );
  for (const command of [
    oltpDemoCommand(),
    oltpWorkloadCommand(),
    oltpRelayCommand(),
    oltpExtractCommand(),
    oltpReconcileCommand(),
  ])
    group.addCommand(command.exitOverride().showHelpAfterError('(run with --help for usage)'));
  return group;
}

interface WorkloadCliOptions extends DatabaseOptions {
  readonly transactions: number;
  readonly seed: string;
  readonly concurrency: number;
}

function oltpWorkloadCommand(): Command {
  return withDatabaseOption(
    withCommonOptions(
      new Command('workload')
        .description(
          'Run business transactions against the marketplace database (sign up, list an item, change a price, place a bid, close an auction, close an account): each change and its outbox row in one transaction, so an event exists if and only if its change committed.',
        )
        .addOption(
          new Option('--transactions <n>', 'business transactions to attempt')
            .default(1000)
            .argParser(intInRange(1, 10_000_000)),
        )
        .option('--seed <seed>', 'the same seed gives the same transactions', '42')
        .addOption(
          new Option('--concurrency <n>', 'transactions in flight (PostgreSQL runs them in parallel)')
            .default(1)
            .argParser(intInRange(1, 64)),
        ),
    ),
  ).action(async (options: WorkloadCliOptions) => {
    await openDataDir(options);
    const db = await openOltpForCli(options.database, options.dataDir);
    const progress = new Progress(!options.json);
    try {
      const t0 = Date.now();
      const result = await runWorkload(db, {
        transactions: options.transactions,
        seed: options.seed,
        concurrency: options.concurrency,
        onProgress: (p) =>
          progress.update(
            `${n(p.done)}/${n(p.total)} transactions (${n(p.committed)} committed, ${n(p.rejected)} rejected)`,
          ),
      });
      progress.done();
      const ms = Date.now() - t0;
      if (options.json) {
        process.stdout.write(`${JSON.stringify({ database: db.description, ...result, durationMs: ms })}\n`);
      } else {
        const committed = Object.values(result.committed).reduce((a, b) => a + b, 0);
        const kinds = Object.entries(result.committed)
          .map(([kind, count]) => `${kind} ${n(count)}`)
          .join(' · ');
        process.stdout.write(
          [
            `${n(result.transactions)} transactions on ${db.description} in ${secs(ms)}: ${n(committed)} committed, ${n(result.transactions - committed)} rejected by a business rule`,
            `  committed: ${kinds}`,
            `  outbox rows written: ${n(result.outboxRows)} (relay them: npx elt oltp relay --once)`,
          ].join('\n') + '\n',
        );
      }
    } finally {
      progress.done();
      await db.close();
    }
  });
}

function oltpReconcileCommand(): Command {
  return withWarehouseOption(
    withDatabaseOption(
      withCommonOptions(
        new Command('reconcile').description(
          'Compare the warehouse with the marketplace database: bids per UTC day and currency (count and sum) from the BidCreated events in the warehouse against the bids table, and every committed bid in the warehouse exactly once. Exit 1 when anything differs, naming the keys that differ.',
        ),
      ),
    ),
  ).action(async (options: DatabaseOptions) => {
    const ctx = await openLocal(options, { mustExist: true });
    try {
      const db = await openOltpForCli(options.database, options.dataDir);
      try {
        const result = await reconcileOltp(db, ctx.warehouse);
        process.stdout.write(
          options.json ? `${JSON.stringify(result)}\n` : `${describeReconciliation(result)}\n`,
        );
        if (!result.reconciled) process.exitCode = 1;
      } finally {
        await db.close();
      }
    } finally {
      await ctx.warehouse.close();
    }
  });
}

interface DemoCliOptions extends DatabaseOptions, KafkaCliOptions {
  readonly transactions: number;
  readonly seed: string;
  readonly transport: 'local' | 'kafka' | 'cdc';
  readonly resetDatabase: boolean;
  readonly connect: string;
}

/** Where `npm run connect:up` (scripts/services/connect.sh) serves Kafka Connect's REST API. */
const DEFAULT_CONNECT_URL = 'http://127.0.0.1:8083';

/** Refuses a database change data capture cannot read, before anything is made. */
function cdcDatabaseUrl(options: DemoCliOptions): string {
  const url = options.database ?? process.env.ELT_OLTP_DATABASE ?? defaultOltpDatabase(options.dataDir);
  if (!/^postgres(ql)?:\/\//.test(url))
    throw new CliError(
      `--transport cdc needs a PostgreSQL server with wal_level=logical (PGlite has no logical replication): pass --database postgres://user@host:port/db, e.g. the server of scripts/services/postgres.sh`,
    );
  try {
    cdcDatabaseFromUrl(url);
  } catch (error) {
    throw new CliError((error as Error).message, { cause: error });
  }
  return url;
}

/** Fails in one line when Kafka Connect does not answer. */
async function checkConnect(url: string): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`--connect must be an http(s) URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new CliError(`--connect must be an http(s) URL, got ${JSON.stringify(url)}`);
  const base = url.replace(/\/$/, '');
  try {
    const res = await fetch(`${base}/connectors`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    await res.arrayBuffer();
  } catch (error) {
    throw new CliError(
      `Kafka Connect at ${base} did not answer (${(error as Error).message}): start it with npm run connect:up`,
      { cause: error },
    );
  }
}

function oltpDemoCommand(): Command {
  const command = withWarehouseOption(
    withDatabaseOption(
      withCommonOptions(
        new Command('demo')
          .description(
            "From the marketplace's database to the warehouse, checked: run business transactions (each with its outbox row), relay the outbox to the bus and land it, extract the tables, run the ELT, and reconcile the warehouse with the database. Starts from a fresh data directory. Exit 1 when reconciliation fails.",
          )
          .addOption(
            new Option('--transactions <n>', 'business transactions to run')
              .default(2000)
              .argParser(intInRange(1, 1_000_000)),
          )
          .option('--seed <seed>', 'the same seed gives the same transactions', '42')
          .addOption(
            new Option(
              '--transport <transport>',
              'local: the outbox relay publishes to the in-process bus; kafka: to a topic of a real Kafka broker (--brokers), landed by a consumer group; cdc: no relay, Debezium on Kafka Connect (--connect) reads the outbox rows from the write-ahead log of a PostgreSQL --database into such a topic',
            )
              .choices(['local', 'kafka', 'cdc'])
              .default('local'),
          )
          .addOption(
            new Option(
              '--connect <url>',
              "with --transport cdc: Kafka Connect's REST API, with Debezium's PostgreSQL connector (npm run connect:up)",
            ).default(DEFAULT_CONNECT_URL),
          )
          .option(
            '--reset-database',
            'empty the marketplace tables (users, items, bids, outbox) first; without it a database holding data is refused',
            false,
          ),
      ),
    ),
  );
  withKafkaOptions(
    command,
    'with --transport kafka or cdc: the topic (default: a new elt-oltp-<time> or elt-oltp-cdc-<id> topic of 3 partitions)',
  );
  return command.action(async (options: DemoCliOptions) => {
    const cdc = options.transport === 'cdc';
    // Refused before the data directory is touched: PGlite cannot be captured, Connect must answer.
    const cdcUrl = cdc ? cdcDatabaseUrl(options) : undefined;
    if (options.transport !== 'local') parseBrokers(options.brokers);
    if (cdc) await checkConnect(options.connect);
    const progress = new Progress(true);
    const ctx = await openLocal(options, { reset: true });
    let summary: OltpDemoSummary;
    try {
      await dropPipelineTables(ctx.warehouse, loadModels());
      const db = await openOltpForCli(options.database, options.dataDir);
      // One id names this run's topic, connector, replication slot and publication, so runs never mix.
      const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
      const topic = cdc ? parseTopic(options.topic ?? `elt-oltp-cdc-${runId}`) : undefined;
      if (!options.json)
        process.stderr.write(
          `elt oltp demo: ${n(options.transactions)} transactions, seed ${options.seed}, ${db.description} → ${cdc ? `Debezium on Kafka Connect at ${options.connect} → ` : ''}${options.transport !== 'local' ? `Kafka at ${options.brokers}${topic ? ` (topic ${topic})` : ''} → ` : ''}${ctx.dataDir.root}, warehouse ${ctx.warehouse.describe()}\n`,
        );
      try {
        summary = await runOltpDemo({
          db,
          store: ctx.store,
          warehouse: ctx.warehouse,
          models: loadModels(),
          transactions: options.transactions,
          seed: options.seed,
          resetDatabase: options.resetDatabase,
          transport: options.transport,
          storeRoot: ctx.dataDir.storeRoot,
          ...(options.transport === 'kafka'
            ? { startPipeline: kafkaPipeline(options, ctx.store, 'elt-oltp') }
            : {}),
          ...(cdc && topic && cdcUrl
            ? {
                startPipeline: kafkaPipeline({ ...options, topic }, ctx.store, 'elt-oltp-cdc'),
                cdc: {
                  connectUrl: options.connect.replace(/\/$/, ''),
                  database: cdcDatabaseFromUrl(cdcUrl),
                  topic,
                  runId,
                },
              }
            : {}),
          onProgress: (stage, message) => progress.update(`[${stage}] ${message}`),
        });
      } finally {
        await db.close();
      }
    } catch (error) {
      if (
        error instanceof KafkaUnavailableError ||
        error instanceof OltpDemoCdcNeedsPostgresError ||
        error instanceof OltpDemoCdcStalledError ||
        error instanceof OltpDemoCdcCleanupError ||
        error instanceof ConnectRequestError ||
        error instanceof ConnectorNotRunningError ||
        error instanceof CdcConfigError
      )
        throw new CliError(error.message, { cause: error });
      throw error;
    } finally {
      progress.done();
      await ctx.warehouse.close();
    }
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ ...summary, dataDir: ctx.dataDir.root })}\n`);
    } else {
      process.stdout.write(
        [
          '',
          `  transactions   ${n(summary.transactions)} (${n(summary.committed)} committed, ${n(summary.rejected)} rejected by a business rule)`,
          `  outbox         ${n(summary.outboxEvents)} events; relayed ${n(summary.relayed)}, quarantined ${n(summary.relayQuarantined)}${summary.captured !== undefined ? ` (change data capture: the rows stay unsent in the table)` : ''}`,
          ...(summary.captured !== undefined
            ? [
                `  captured       ${n(summary.captured)} outbox rows from the WAL by connector ${summary.connector} (removed, with its replication slot and publication)`,
              ]
            : []),
          `  landed         ${n(summary.landedEvents)} events`,
          `  extracted      ${n(summary.extractedRows)} rows in ${n(summary.extractObjects)} objects`,
          `  warehouse      run ${summary.run.runId}: ${summary.run.status}, ${n(summary.run.eventsLoaded)} events loaded`,
          `  took           ${secs(summary.durationMs)} (workload ${secs(summary.workloadMs)}, ${summary.transport === 'cdc' ? 'capture + land' : 'relay + land'} ${secs(summary.relayAndLandMs)}, extract ${secs(summary.extractMs)}, ELT ${secs(summary.eltMs)}, reconcile ${secs(summary.reconcileMs)})`,
          '',
          describeReconciliation(summary.reconciliation)
            .split('\n')
            .map((line) => `  ${line}`)
            .join('\n'),
          '',
        ].join('\n') + '\n',
      );
    }
    if (!summary.reconciled) process.exitCode = 1;
  });
}
