import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { Command } from 'commander';
import { PublishFailedError, publishEvents, type PublishLines } from '../../core/publish/publisher.js';
import { EventBridgeBus } from '../../adapters/bus/eventbridge-bus.js';
import { awsEndpoint, explainAwsError, isLocalEndpoint } from '../aws-errors.js';
import { KafkaBus, type KafkaCompression } from '../../adapters/kafka/kafka-bus.js';
import { explainKafkaError, KafkaUnavailableError } from '../../adapters/kafka/kafka-errors.js';
import {
  kafkaTarget,
  withCompressionOption,
  withDefaultTopicOptions,
  type KafkaCliOptions,
} from '../kafka-options.js';
import { systemClock, type Bus } from '../../core/ports.js';
import { LocalPipeline } from '../../local/local-pipeline.js';
import { readLineChunks } from '../../local/ndjson-reader.js';
import { openDataDir, withCommonOptions, type CommonOptions, type LocalStore } from '../context.js';
import { eventBridgeBusName, withBusOptions, type BusCliOptions } from '../bus-options.js';
import { CliError, n, Progress, table, warn } from '../output.js';

interface PublishCliOptions extends CommonOptions, KafkaCliOptions, BusCliOptions {
  readonly file: string;
  readonly createTopic?: string | true;
  readonly compression: KafkaCompression;
}

/**
 * Reads NDJSON from a file or stdin (`-`) in chunks of lines, skipping blank lines. A line's reference for
 * quarantine (`file:line`) is made only for a line that is quarantined.
 */
async function* ndjsonInputs(file: string, counters: { blank: number }): AsyncGenerator<PublishLines> {
  const input = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
  const name = file === '-' ? 'stdin' : file;
  for await (const chunk of readLineChunks(input)) {
    const first = chunk.firstLine;
    if (!chunk.lines.some(isBlank)) {
      yield { lines: chunk.lines, ref: (i) => `${name}:${first + i}` };
      continue;
    }
    const lines: string[] = [];
    const numbers: number[] = [];
    chunk.lines.forEach((line, i) => {
      if (isBlank(line)) {
        counters.blank++;
      } else {
        lines.push(line);
        numbers.push(first + i);
      }
    });
    yield { lines, ref: (i) => `${name}:${numbers[i]}` };
  }
}

const isBlank = (line: string): boolean => line.trim() === '';

/** `elt publish`: NDJSON entries through the bus and landing into the local data directory. */
export function publishCommand(): Command {
  const command = withCommonOptions(
    new Command('publish')
      .description(
        'Publish events from an NDJSON file (one PutEvents entry per line: source, detail-type, detail, optional time and resources) through the in-process bus and land them, or to a deployed EventBridge bus (--bus). Inputs that cannot be published are quarantined with their reason.',
      )
      .requiredOption('--file <path>', 'NDJSON file to publish, or - for stdin')
      .option(
        '--create-topic [partitions]',
        'with --transport kafka: create the topic if it does not exist (default 3 partitions)',
      ),
  );
  withBusOptions(command);
  withDefaultTopicOptions(command);
  withCompressionOption(command);
  return command.action(async (options: PublishCliOptions) => {
    if (options.file !== '-') {
      await access(options.file).catch((error: unknown) => {
        throw new CliError(`--file: cannot read ${options.file}`, { cause: error });
      });
    }
    const ctx = await openDataDir(options);
    if (options.transport === 'kafka') return publishToKafka(options, ctx);
    if (options.bus !== 'local') return publishToEventBridge(options, ctx);
    const progress = new Progress(!options.json);
    const pipeline = new LocalPipeline({
      store: ctx.store,
      landingWorkers: { storeRoot: ctx.dataDir.storeRoot },
    }).start();
    const counters = { blank: 0 };
    let summary;
    try {
      summary = await publishEvents(ndjsonInputs(options.file, counters), {
        bus: pipeline.bus,
        store: ctx.store,
        clock: systemClock,
        onProgress: (read, accepted) =>
          progress.update(
            `${n(read)} read, ${n(accepted)} accepted, ${n(pipeline.stats.landedEvents)} landed`,
          ),
      });
    } finally {
      await pipeline.close();
      progress.done();
    }
    const result = {
      read: summary.read,
      blankLines: counters.blank,
      accepted: summary.accepted,
      landedEvents: pipeline.stats.landedEvents,
      landedObjects: pipeline.stats.landedObjectKeys.size,
      quarantined: summary.quarantined + pipeline.stats.quarantined,
      quarantinedAtPublish: summary.quarantined,
      quarantinedAtLanding: pipeline.stats.quarantined,
      deadLettered: pipeline.stats.deadLettered,
      rejections: summary.rejections,
      dataDir: ctx.dataDir.root,
    };
    if (result.deadLettered > 0) {
      // Valid events that could not be landed are not lost (they are under dlq/), but the publish failed.
      process.exitCode = 1;
      process.stderr.write(
        `elt: ${n(result.deadLettered)} message(s) could not be landed after repeated attempts and were written under ${ctx.dataDir.storeRoot}/dlq/. Last error: ${pipeline.landingErrors.at(-1) ?? 'unknown'}\n`,
      );
    }
    if (options.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    const lines = [
      `read ${n(result.read)} entries: ${n(result.accepted)} accepted by the bus, ${n(result.landedEvents)} landed in ${n(result.landedObjects)} objects, ${n(result.quarantined)} quarantined (${n(result.quarantinedAtPublish)} at publish, ${n(result.quarantinedAtLanding)} at landing)`,
    ];
    const byCode = Object.entries(summary.rejections).map(([code, count]) => ({
      stage: 'publish',
      code,
      count,
    }));
    if (byCode.length > 0) lines.push('', table(byCode));
    if (result.quarantinedAtLanding > 0) lines.push('', 'Landing rejections: npx elt quarantine');
    lines.push('', `Next: npx elt run --data-dir ${options.dataDir}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}

/** `elt publish --bus eventbridge:<name>`: PutEvents to a deployed bus; landing then happens in AWS. */
async function publishToEventBridge(options: PublishCliOptions, ctx: LocalStore): Promise<void> {
  const bus = new EventBridgeBus({ busName: eventBridgeBusName(options.bus) });
  try {
    await publishRemote(
      options,
      ctx,
      bus,
      isLocalEndpoint(awsEndpoint('eventbridge'))
        ? // LocalStack deploys no landing function trigger (its runtime cannot run the function without
          // Docker): the queue holds the events until `elt land` plays the event source mapping.
          'Next: npx elt land --outputs .services/localstack/outputs.json --until-drained (lands them from the deployed queue).'
        : 'The deployed landing function writes them to the raw bucket within the batching window.',
      (error) => {
        const explained = explainAwsError(error, 'eventbridge', `publishing to ${bus.describe()}`);
        return explained instanceof CliError ? explained : undefined;
      },
    );
  } finally {
    bus.close();
  }
}

/** `elt publish --transport kafka`: produce to a topic; `elt land --transport kafka` lands it. */
async function publishToKafka(options: PublishCliOptions, ctx: LocalStore): Promise<void> {
  const { brokers, topic } = kafkaTarget(options);
  const partitions =
    options.createTopic === undefined
      ? undefined
      : options.createTopic === true
        ? 3
        : Number(options.createTopic);
  if (partitions !== undefined && (!Number.isInteger(partitions) || partitions < 1 || partitions > 1000))
    throw new CliError(
      `--create-topic takes a partition count from 1 to 1000, got ${String(options.createTopic)}`,
    );
  const bus = new KafkaBus({ brokers, topic, compression: options.compression });
  try {
    try {
      await bus.open(partitions ? { partitions } : undefined);
    } catch (error) {
      if (error instanceof KafkaUnavailableError) throw new CliError(error.message, { cause: error });
      throw error;
    }
    await publishRemote(
      options,
      ctx,
      bus,
      `Land them: npx elt land --transport kafka --topic ${topic}`,
      (error) => new CliError(`publishing to ${bus.describe()}: ${explainKafkaError(error, brokers, topic)}`),
    );
  } finally {
    // The outcome is already decided: a failed close is reported, not allowed to replace it.
    await bus.close().catch((error: unknown) => warn(`closing ${bus.describe()} failed`, error));
  }
}

/** Publishes the file to a bus outside this process; invalid inputs are quarantined locally. */
async function publishRemote(
  options: PublishCliOptions,
  ctx: LocalStore,
  bus: Bus,
  next: string,
  explain: (cause: unknown) => CliError | undefined,
): Promise<void> {
  const progress = new Progress(!options.json);
  const counters = { blank: 0 };
  let summary;
  try {
    summary = await publishEvents(ndjsonInputs(options.file, counters), {
      bus,
      store: ctx.store,
      clock: systemClock,
      ...(options.transport === 'kafka' ? { maxInFlight: 64 } : {}),
      onProgress: (read, accepted) =>
        progress.update(`${n(read)} read, ${n(accepted)} accepted by ${bus.describe()}`),
    });
  } catch (error) {
    const explained = explain(error instanceof PublishFailedError ? error.cause : error);
    if (explained) throw explained;
    throw new CliError(
      error instanceof PublishFailedError
        ? error.message
        : `publishing to ${bus.describe()} failed: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    progress.done();
  }
  const result = {
    bus: bus.describe(),
    read: summary.read,
    blankLines: counters.blank,
    accepted: summary.accepted,
    quarantined: summary.quarantined,
    rejections: summary.rejections,
    quarantineDir: `${ctx.dataDir.storeRoot}/quarantine`,
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const lines = [
    `read ${n(result.read)} entries: ${n(result.accepted)} accepted by ${result.bus}, ${n(result.quarantined)} quarantined locally (${result.quarantineDir})`,
    next,
  ];
  const byCode = Object.entries(summary.rejections).map(([code, count]) => ({ code, count }));
  if (byCode.length > 0) lines.push('', table(byCode));
  process.stdout.write(`${lines.join('\n')}\n`);
}
