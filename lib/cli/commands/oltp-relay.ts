import { Command } from 'commander';
import { EventBridgeBus } from '../../adapters/bus/eventbridge-bus.js';
import { KafkaBus, type KafkaCompression } from '../../adapters/kafka/kafka-bus.js';
import { explainKafkaError, KafkaUnavailableError } from '../../adapters/kafka/kafka-errors.js';
import { createEventValidator } from '../../core/events/validator.js';
import type { OltpDatabase } from '../../core/oltp/ports.js';
import { RelayFailedError, relayOutbox, type RelaySummary } from '../../core/oltp/relay.js';
import { systemClock, type Bus } from '../../core/ports.js';
import { PublishFailedError } from '../../core/publish/publisher.js';
import { LocalPipeline } from '../../local/local-pipeline.js';
import { explainAwsError } from '../aws-errors.js';
import { openDataDir, withCommonOptions, type CommonOptions, type LocalStore } from '../context.js';
import {
  kafkaTarget,
  withCompressionOption,
  withDefaultTopicOptions,
  type KafkaCliOptions,
} from '../kafka-options.js';
import { openOltpForCli, withDatabaseOption } from '../oltp-options.js';
import { eventBridgeBusName, withBusOptions, type BusCliOptions } from '../bus-options.js';
import { CliError, intInRange, n, Progress, warn } from '../output.js';
import { onStop } from '../stop-signals.js';

interface OltpRelayCliOptions extends CommonOptions, KafkaCliOptions, BusCliOptions {
  readonly database?: string;
  readonly compression: KafkaCompression;
  readonly batchSize: number;
  readonly once: boolean;
  readonly pollInterval: number;
}

/** Rounds in a row that may fail before `--once` gives up (following retries without end). */
const ONCE_MAX_FAILED_ROUNDS = 5;

/**
 * `elt oltp relay`: publishes the marketplace database's outbox to the bus (the in-process bus landing into
 * the data directory, a Kafka topic, or a deployed EventBridge bus), marking rows sent as it goes.
 */
export function oltpRelayCommand(): Command {
  const command = withCommonOptions(
    new Command('relay')
      .description(
        "Relay the marketplace database's outbox to the bus: claim the oldest unsent rows (FOR UPDATE SKIP LOCKED, so several relays can run), publish them, mark them sent, in one transaction per batch. At least once per row; rows no schema accepts are quarantined. Follows new rows until SIGINT/SIGTERM, or drains and exits with --once.",
      )
      .option('--batch-size <rows>', 'rows claimed and published per transaction', intInRange(1, 10_000), 500)
      .option('--once', 'relay what is unsent, then exit (default: follow new rows until stopped)', false)
      .option(
        '--poll-interval <ms>',
        'when following: wait between polls once the outbox is drained',
        intInRange(10, 600_000),
        1000,
      ),
  );
  withDatabaseOption(command);
  withBusOptions(command);
  withDefaultTopicOptions(command);
  withCompressionOption(command);
  return command.action(async (options: OltpRelayCliOptions) => {
    // The data directory first: the default database lives in it, and it must be elt's before it is used.
    const ctx = await openDataDir(options);
    const db = await openOltpForCli(options.database, options.dataDir);
    try {
      await relay(options, db, ctx);
    } finally {
      await db.close().catch((error: unknown) => warn(`closing ${db.description} failed`, error));
    }
  });
}

async function relay(options: OltpRelayCliOptions, db: OltpDatabase, ctx: LocalStore): Promise<void> {
  let pipeline: LocalPipeline | undefined;
  let bus: Bus;
  let closeBus: () => Promise<void> = async () => undefined;
  let explainBus: (error: unknown) => string | undefined = () => undefined;
  // The publisher wraps what the bus threw: explain the bus's own error.
  const explain = (error: unknown): string | undefined =>
    explainBus(error instanceof PublishFailedError && error.cause !== undefined ? error.cause : error);
  if (options.transport === 'kafka') {
    const { brokers, topic } = kafkaTarget(options);
    const kafka = new KafkaBus({ brokers, topic, compression: options.compression });
    try {
      await kafka.open();
    } catch (error) {
      await kafka.close().catch(() => undefined);
      if (error instanceof KafkaUnavailableError) throw new CliError(error.message, { cause: error });
      throw error;
    }
    bus = kafka;
    closeBus = () => kafka.close();
    explainBus = (error) => explainKafkaError(error, brokers, topic);
  } else if (options.bus !== 'local') {
    const eventBridge = new EventBridgeBus({ busName: eventBridgeBusName(options.bus) });
    bus = eventBridge;
    closeBus = async () => eventBridge.close();
    explainBus = (error) => {
      const explained = explainAwsError(error, 'eventbridge', `publishing to ${eventBridge.describe()}`);
      return explained instanceof CliError ? explained.message : undefined;
    };
  } else {
    pipeline = new LocalPipeline({
      store: ctx.store,
      landingWorkers: { storeRoot: ctx.dataDir.storeRoot },
    }).start();
    bus = pipeline.bus;
  }

  const stop = new AbortController();
  const release = onStop(() => stop.abort());
  const progress = new Progress(!options.json);
  let summary: RelaySummary;
  try {
    summary = await relayOutbox(db, {
      bus,
      store: ctx.store,
      clock: systemClock,
      batchSize: options.batchSize,
      validator: createEventValidator(),
      once: options.once,
      signal: stop.signal,
      pollIntervalMs: options.pollInterval,
      ...(options.once ? { maxFailedRounds: ONCE_MAX_FAILED_ROUNDS } : {}),
      ...(options.transport === 'kafka' ? { maxInFlight: 64 } : {}),
      onBatch: (r) =>
        progress.update(
          `round ${n(r.round)}: ${n(r.published)} published, ${n(r.quarantined)} quarantined (seq ${r.firstSeq}–${r.lastSeq}); lag ${n(r.lag.unsent)} unsent, oldest ${r.lag.oldestUnsentAgeSeconds} s`,
        ),
      onRetry: (error, failures, delayMs) =>
        warn(
          `relay round failed (${failures} in a row), rolled back; retrying in ${(delayMs / 1000).toFixed(1)} s: ${explain(error) ?? error.message}`,
        ),
    });
  } catch (error) {
    if (error instanceof RelayFailedError) {
      const cause = error.cause as Error;
      throw new CliError(
        `the outbox relay to ${bus.describe()} failed ${ONCE_MAX_FAILED_ROUNDS} rounds in a row; nothing was lost (the rows stay unsent): ${explain(cause) ?? cause.message}`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    release();
    progress.done();
    await pipeline?.close();
    await closeBus().catch((error: unknown) => warn(`closing ${bus.describe()} failed`, error));
  }

  const result = {
    database: db.description,
    bus: options.transport === 'kafka' || options.bus !== 'local' ? bus.describe() : 'local',
    published: summary.published,
    quarantined: summary.quarantined,
    rounds: summary.rounds,
    failedRounds: summary.failedRounds,
    lag: summary.lag,
    stoppedBy: summary.stoppedBy,
    ...(pipeline
      ? {
          landedEvents: pipeline.stats.landedEvents,
          quarantinedAtLanding: pipeline.stats.quarantined,
          deadLettered: pipeline.stats.deadLettered,
        }
      : {}),
  };
  if (pipeline && pipeline.stats.deadLettered > 0) {
    process.exitCode = 1;
    process.stderr.write(
      `elt: ${n(pipeline.stats.deadLettered)} message(s) could not be landed after repeated attempts and were written under ${ctx.dataDir.storeRoot}/dlq/. Last error: ${pipeline.landingErrors.at(-1) ?? 'unknown'}\n`,
    );
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const lines = [
    `relayed ${n(result.published)} events from ${result.database} to ${result.bus} in ${n(result.rounds)} rounds; ${n(result.quarantined)} rows quarantined${result.failedRounds > 0 ? `; ${n(result.failedRounds)} rounds rolled back and retried` : ''}`,
    `outbox lag: ${n(result.lag.unsent)} unsent, oldest ${result.lag.oldestUnsentAgeSeconds} s`,
  ];
  if (summary.quarantined > 0) lines.push('Quarantined rows: npx elt quarantine');
  process.stdout.write(`${lines.join('\n')}\n`);
}
