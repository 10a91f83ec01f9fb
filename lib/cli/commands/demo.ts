import { Command, Option } from 'commander';
import { runDemo, type DemoSummary } from '../../local/demo.js';
import { dropPipelineTables } from '../../core/elt/elt-steps.js';
import { loadModels } from '../../core/elt/sql-sources.js';
import {
  DEFAULT_DATA_DIR,
  openLocal,
  withCommonOptions,
  withWarehouseOption,
  type CommonOptions,
} from '../context.js';
import { CliError, intInRange, n, Progress, secs } from '../output.js';
import { KafkaUnavailableError } from '../../adapters/kafka/kafka-errors.js';
import { KafkaPipeline } from '../../local/kafka-pipeline.js';
import type { ObjectStore } from '../../core/ports.js';
import { parseBrokers, parseTopic, withKafkaOptions, type KafkaCliOptions } from '../kafka-options.js';

interface DemoOptions extends CommonOptions, KafkaCliOptions {
  readonly transport: 'local' | 'kafka';
  readonly events: number;
  readonly seed: string;
  readonly days: number;
  readonly keep: boolean;
}

/** `elt demo`: the whole pipeline on embedded defaults, with its invariants checked. */
export function demoCommand(): Command {
  const command = withWarehouseOption(
    withCommonOptions(
      new Command('demo')
        .description(
          'Generate a workload, publish it through the in-process bus, land it as gzip NDJSON, load it into the warehouse (DuckDB unless --warehouse) and build the marts; then check the invariants.',
        )
        .addOption(
          new Option('--events <n>', 'events to generate (duplicates and invalid ones included)')
            .default(100_000)
            .argParser(intInRange(1, 100_000_000)),
        )
        .option('--seed <seed>', 'workload seed: the same seed gives the same events', '42')
        .addOption(new Option('--days <n>', 'simulated days').default(3).argParser(intInRange(1, 365)))
        .option('--keep', 'keep what the data directory already holds instead of starting fresh', false)
        .addOption(
          new Option(
            '--transport <transport>',
            'local: the in-process bus and queue; kafka: a producer and a consumer group through a real Kafka broker (--brokers)',
          )
            .choices(['local', 'kafka'])
            .default('local'),
        ),
    ),
  );
  withKafkaOptions(
    command,
    'with --transport kafka: the topic (default: a new elt-demo-<time> topic of 3 partitions)',
  );
  return command.action(async (options: DemoOptions) => {
    const progress = new Progress(true);
    const ctx = await openLocal(options, { reset: !options.keep });
    if (!options.json) {
      process.stderr.write(
        `elt demo: ${n(options.events)} events, seed ${options.seed}, ${options.days} simulated days${options.transport === 'kafka' ? ` through Kafka at ${options.brokers}` : ''} → ${ctx.dataDir.root}, warehouse ${ctx.warehouse.describe()}\n`,
      );
    }
    let summary: DemoSummary;
    try {
      if (options.transport === 'kafka') parseBrokers(options.brokers);
      // A fresh data directory has a fresh DuckDB file; another warehouse is emptied of the pipeline's tables.
      if (!options.keep) await dropPipelineTables(ctx.warehouse, loadModels());
      summary = await runDemo({
        workload: { events: options.events, seed: options.seed, days: options.days },
        store: ctx.store,
        warehouse: ctx.warehouse,
        models: loadModels(),
        pipeline: { landingWorkers: { storeRoot: ctx.dataDir.storeRoot } },
        ...(options.transport === 'kafka' ? { startPipeline: kafkaPipeline(options, ctx.store) } : {}),
        onProgress: (stage, message) => progress.update(`[${stage}] ${message}`),
      });
    } catch (error) {
      if (error instanceof KafkaUnavailableError) throw new CliError(error.message, { cause: error });
      throw error;
    } finally {
      progress.done();
      await ctx.warehouse.close();
    }
    const checks = [
      // With --keep the warehouse also holds earlier data, so this one cannot be checked.
      {
        name: 'warehouse unique events = distinct valid events',
        ok: options.keep ? null : summary.warehouseUniqueEvents === summary.distinctValid,
      },
      { name: 'quarantined = invalid inputs', ok: summary.quarantined === summary.invalid },
      {
        name: 'landed = distinct valid + duplicates',
        ok: summary.landedEvents === summary.distinctValid + summary.duplicates,
      },
      { name: 'nothing dead-lettered', ok: summary.deadLettered === 0 },
    ];
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ ...summary, dataDir: ctx.dataDir.root, checks })}\n`);
    } else {
      const out = [
        '',
        `  generated          ${n(summary.generated)}  (distinct valid ${n(summary.distinctValid)} · duplicates ${n(summary.duplicates)} · invalid ${n(summary.invalid)} · late ${n(summary.late)})`,
        `  landed             ${n(summary.landedEvents)} events in ${n(summary.landedObjects)} objects (${summary.eventsPerObject} events/object)`,
        `  quarantined        ${n(summary.quarantined)}  (at publish ${n(summary.quarantinedAtPublish)} · at landing ${n(summary.quarantinedAtLanding)})`,
        `  warehouse          ${n(summary.warehouseUniqueEvents)} unique events in stg_events (run ${summary.run.runId}: ${summary.run.status})`,
        `  daily active users ${summary.dau.map((d) => `${d.day}: ${n(d.users)}`).join(' · ')}`,
        `  took               ${secs(summary.durationMs)} (publish + land ${secs(summary.publishAndLandMs)}, ELT ${secs(summary.eltMs)})`,
        '',
        ...(summary.landingErrors.length > 0
          ? [`  landing errors     ${summary.landingErrors.at(-1)}`, '']
          : []),
        ...checks.map(
          (c) =>
            `  ${c.ok === null ? '–' : c.ok ? '✓' : '✗'} ${c.name}${c.ok === null ? ' (not checked with --keep)' : ''}`,
        ),
        '',
        `Data in ${ctx.dataDir.root}. Try: ${queryHint(options, 'SELECT * FROM mart_signup_funnel ORDER BY signup_day')}`,
      ];
      process.stdout.write(`${out.join('\n')}\n`);
    }
    if (checks.some((c) => c.ok === false)) process.exitCode = 1;
  });
}

/**
 * A demo's Kafka pipeline: a fresh topic (unless --topic) and consumer group named `<prefix>-<time>`, so
 * runs never mix.
 */
export function kafkaPipeline(
  options: KafkaCliOptions,
  store: ObjectStore,
  prefix = 'elt-demo',
): () => Promise<KafkaPipeline> {
  const stamp = `${Date.now()}`;
  const topic = parseTopic(options.topic ?? `${prefix}-${stamp}`);
  return () =>
    new KafkaPipeline({
      brokers: parseBrokers(options.brokers),
      topic,
      groupId: `${prefix}-${stamp}`,
      store,
      batchSize: 10_000,
      batchWindowMs: 1000,
      partitions: 3,
    }).start();
}

/** Quotes a shell word when it needs it (single quotes, as a user pastes it). */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The `elt query` a user can paste after a command: with the data directory and the warehouse the command
 * ran with, so it reads the same tables. A password in the warehouse URL is left out (never printed): the
 * PostgreSQL client reads it from PGPASSWORD.
 */
export function queryHint(options: Pick<CommonOptions, 'dataDir' | 'warehouse'>, sql: string): string {
  const words = ['npx', 'elt', 'query', shellWord(sql)];
  if (options.dataDir !== undefined && options.dataDir !== DEFAULT_DATA_DIR)
    words.push('--data-dir', shellWord(options.dataDir));
  let note = '';
  if (options.warehouse !== undefined && options.warehouse !== 'duckdb') {
    let url = options.warehouse;
    try {
      const parsed = new URL(url);
      if (parsed.password) {
        parsed.password = '';
        url = parsed.toString();
        note = ' (with PGPASSWORD set to the password)';
      }
    } catch {
      // Not a URL: the command would have refused it; print it as given.
    }
    words.push('--warehouse', shellWord(url));
  }
  return words.join(' ') + note;
}
