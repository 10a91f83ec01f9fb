import { SQSClient } from '@aws-sdk/client-sqs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { BundledFunctionInvoker } from '../../local/bundled-function.js';
import { QueueUnavailableError, SqsLambdaRunner } from '../../local/sqs-lambda-runner.js';
import { explainAwsError } from '../aws-errors.js';
import { bundledFunctionOption, landingOutputs, type LandingOutputs } from '../stack-outputs.js';
import { CliError, intInRange, n, Progress } from '../output.js';
import { Breaker } from '../../adapters/resilience/circuit-breaker.js';
import { KafkaUnavailableError } from '../../adapters/kafka/kafka-errors.js';
import { KafkaLanding } from '../../local/kafka-pipeline.js';
import { DEFAULT_KAFKA_BATCH_SIZE } from '../../adapters/kafka/kafka-event-source.js';
import { EVENT_SOURCE_LIMITS } from '../../core/landing/event-source-limits.js';
import { parseIntegerSetting, SettingError, type IntegerRange } from '../../core/util/settings.js';
import { landingSettings } from '../../../lambdas/land/settings.js';
import { DEFAULT_DATA_DIR, openDataDir, openStore, withStoreOption } from '../context.js';
import { onStop } from '../stop-signals.js';
import { FunctionLogSink } from '../function-logs.js';
import { kafkaTarget, withDefaultTopicOptions, type KafkaCliOptions } from '../kafka-options.js';

interface LandCliOptions extends KafkaCliOptions {
  readonly transport: 'sqs' | 'kafka';
  readonly group: string;
  readonly untilCaughtUp: boolean;
  readonly emf: boolean;
  readonly verbose: boolean;
  readonly logFile?: string;
  readonly breakerOpenMs: number;
  readonly store: string;
  readonly dataDir: string;
  readonly queueUrl?: string;
  readonly bucket?: string;
  readonly outputs?: string;
  readonly cdkOut: string;
  readonly function: string;
  readonly batchSize?: string;
  readonly batchWindow?: string;
  readonly retryDelay?: string;
  readonly untilDrained: boolean;
  readonly json: boolean;
}

function integer(name: string, value: string, range: IntegerRange): number {
  try {
    return parseIntegerSetting(name, value, range);
  } catch (error) {
    if (error instanceof SettingError) throw new CliError(error.message);
    throw error;
  }
}

const { batchSize: BATCH_SIZE, batchWindowSeconds: BATCH_WINDOW } = EVENT_SOURCE_LIMITS;
const count = (n: number): string => n.toLocaleString('en-US');

/** `elt land`: plays Lambda's SQS event source mapping for the landing function, outside AWS. */
export function landCommand(): Command {
  const command = new Command('land')
    .description(
      "Land events outside AWS. --transport sqs (default): from a deployed landing queue (LocalStack, or AWS), running the landing function's bundle from cdk.out the way Lambda's SQS event source mapping does: receive batches, invoke, delete what succeeded, leave reported failures for redelivery and the DLQ. --transport kafka: as a member of a Kafka consumer group, handing the landing code batches in the shape Lambda's Kafka event source mapping uses and committing offsets only after a batch is landed. Runs until stopped (SIGINT/SIGTERM, or the exit of the process that started it, finish and commit the batches in hand), or until the queue is empty (--until-drained) or the group has caught up (--until-caught-up).",
    )
    .addOption(
      new Option('--transport <transport>', 'where events come from')
        .choices(['sqs', 'kafka'])
        .default('sqs'),
    )
    .option('--queue-url <url>', 'the landing queue (output LandingQueueUrl)')
    .option('--bucket <name>', 'the raw bucket the function writes to (output RawBucketName)')
    .option('--outputs <file>', 'take --queue-url and --bucket from a `cdk deploy --outputs-file` JSON')
    .option('--cdk-out <dir>', 'the cloud assembly holding the bundle', 'cdk.out')
    .option(
      '--function <path>',
      'the function, as <stack>/<construct path>',
      'elt-local-stateless/Landing/Function',
    )
    .option(
      '--batch-size <n>',
      `records per invocation, ${count(BATCH_SIZE.min)}–${count(BATCH_SIZE.max)} (default: 100 for sqs, ${DEFAULT_KAFKA_BATCH_SIZE} for kafka)`,
    )
    .option(
      '--batch-window <seconds>',
      `wait up to this long to fill a batch, ${BATCH_WINDOW.min}–${BATCH_WINDOW.max} (default: 1 for sqs, 0.5 for kafka)`,
    )
    .addOption(
      new Option(
        '--retry-delay <seconds>',
        "make failed messages visible again after this long instead of the queue's visibility timeout",
      ),
    )
    .option('--until-drained', 'stop once the queue holds no message (visible, in flight or delayed)', false)
    .option('--group <id>', 'with --transport kafka: the consumer group', 'elt-landing')
    .addOption(
      new Option(
        '--breaker-open-ms <ms>',
        'with --transport kafka: how long the store breaker stays open before a probe write',
      )
        .default(5000)
        .argParser(intInRange(100, 600_000)),
    )
    .option(
      '--emf',
      "print metrics to stderr as CloudWatch embedded metric format lines: with --transport kafka the consumer lag (metric OffsetLag, as Lambda reports it for Kafka event sources), every lag measurement; with --transport sqs the landing function's own metrics",
      false,
    )
    .option(
      '--verbose',
      "with --transport sqs: print the landing function's structured log lines to stderr as well as to --log-file",
      false,
    )
    .option(
      '--log-file <file>',
      "with --transport sqs: append the landing function's log and metric lines here, as CloudWatch Logs would keep them (default: <data-dir>/logs/land.ndjson)",
    )
    .option(
      '--until-caught-up',
      'with --transport kafka: stop once the group has landed and committed everything in the topic',
      false,
    )
    .option('--json', 'machine-readable output on stdout', false);
  withDefaultTopicOptions(command);
  withStoreOption(command);
  command.addOption(
    new Option(
      '--data-dir <dir>',
      'the local data directory: with --transport kafka its store receives the objects (unless --store s3://…); with sqs it holds the log file',
    ).default(DEFAULT_DATA_DIR),
  );
  return command.action(async (options: LandCliOptions) => {
    if (options.transport === 'kafka') return landFromKafka(options);
    const fromFile: Partial<LandingOutputs> = options.outputs ? landingOutputs(options.outputs) : {};
    const queueUrl = options.queueUrl ?? fromFile.queueUrl;
    const bucket = options.bucket ?? fromFile.bucket;
    if (!queueUrl) throw new CliError('--queue-url (or --outputs) is required');
    if (!bucket)
      throw new CliError('--bucket (or --outputs) is required: the raw bucket the function writes to');
    const batchSize = integer('--batch-size', options.batchSize ?? '100', BATCH_SIZE);
    const batchWindow = integer('--batch-window', options.batchWindow ?? '1', BATCH_WINDOW);
    if (batchSize > EVENT_SOURCE_LIMITS.sqsBatchSizeWithoutWindow && batchWindow < 1)
      throw new CliError(
        `--batch-window must be at least 1 when --batch-size is over ${EVENT_SOURCE_LIMITS.sqsBatchSizeWithoutWindow} (as for Lambda)`,
      );
    const retryDelay =
      options.retryDelay === undefined
        ? undefined
        : integer('--retry-delay', options.retryDelay, { min: 0, max: 43_200 });
    const fn = bundledFunctionOption(options.cdkOut, options.function);
    // The log file is kept in the data directory (made, or checked to be elt's, as every command does).
    const logFile =
      options.logFile ??
      join(
        (await openDataDir({ dataDir: options.dataDir, json: options.json })).dataDir.root,
        'logs',
        'land.ndjson',
      );
    const logs = new FunctionLogSink({ verbose: options.verbose, emf: options.emf, file: logFile });
    const invoker = new BundledFunctionInvoker(fn, {
      environment: landingSettings.toEnvironment({ bucket }),
      logTo: logs,
    });
    const progress = new Progress(!options.json);
    const runner = new SqsLambdaRunner({
      sqs: new SQSClient({}),
      queueUrl,
      invoke: (event, requestId) => invoker.invoke(event, requestId),
      batchSize,
      batchWindowMs: batchWindow * 1000,
      ...(retryDelay !== undefined ? { retryDelaySeconds: retryDelay } : {}),
      onBatch: () =>
        progress.update(
          `${n(runner.stats.invocations)} invocations: ${n(runner.stats.deleted)} messages landed, ${n(runner.stats.failedRecords)} failed (left for redelivery)`,
        ),
    });
    const stop = new AbortController();
    const release = onStopSignals(stop);
    const started = Date.now();
    try {
      await runner.run({ signal: stop.signal, untilDrained: options.untilDrained });
    } catch (error) {
      if (error instanceof QueueUnavailableError) throw new CliError(error.message);
      throw explainAwsError(error, 'sqs', `receiving from ${queueUrl}`);
    } finally {
      release();
      progress.done();
      await invoker.close();
      await logs.close();
    }
    const result = {
      queueUrl,
      bucket,
      bundle: fn.entry,
      logFile: logs.path,
      ...logs.counts,
      ...runner.stats,
      stoppedBy: stop.signal.aborted ? 'signal' : 'drained',
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    if (options.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    const lines = [
      `${n(result.invocations)} invocations of ${fn.path}: ${n(result.deleted)} messages landed in s3://${bucket}/, ${n(result.failedRecords)} failed and were left for redelivery (then the DLQ)`,
    ];
    if (result.failedInvocations > 0)
      lines.push(
        `${n(result.failedInvocations)} invocations failed; last error: ${result.lastError ?? 'unknown'}`,
      );
    if (result.logLines + result.metricLines > 0)
      lines.push(
        `the function's ${n(result.logLines)} log and ${n(result.metricLines)} metric lines are in ${logs.path}${options.verbose || options.emf ? '' : ' (--verbose and --emf print them)'}`,
      );
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}

/** Signals that stop a long-running command after it has finished what it holds. */
function onStopSignals(stop: AbortController): () => void {
  return onStop(() => stop.abort());
}

/** `elt land --transport kafka`: a consumer group member landing into the data directory or a bucket. */
async function landFromKafka(options: LandCliOptions): Promise<void> {
  const { brokers, topic } = kafkaTarget(options);
  const batchSize = integer(
    '--batch-size',
    options.batchSize ?? String(DEFAULT_KAFKA_BATCH_SIZE),
    BATCH_SIZE,
  );
  const batchWindow = Number(options.batchWindow ?? '0.5');
  if (!Number.isFinite(batchWindow) || batchWindow < BATCH_WINDOW.min || batchWindow > BATCH_WINDOW.max)
    throw new CliError(
      `--batch-window must be ${BATCH_WINDOW.min}–${BATCH_WINDOW.max} seconds, got ${JSON.stringify(options.batchWindow)}`,
    );
  const remote = options.store !== 'local';
  const ctx = remote ? undefined : await openDataDir({ dataDir: options.dataDir, json: options.json });
  const store = openStore(options.store, () => ctx!.store);
  const progress = new Progress(!options.json);
  const storeBreaker = new Breaker('store', { openMs: options.breakerOpenMs, minimumCalls: 3 }, (t) =>
    process.stderr.write(
      `${JSON.stringify({ level: 'WARN', message: 'circuit breaker state change', ...t })}\n`,
    ),
  );
  const landing = new KafkaLanding({
    storeBreaker,
    brokers,
    topic,
    groupId: options.group,
    store,
    batchSize,
    batchWindowMs: Math.round(batchWindow * 1000),
    onProgress: (s) =>
      progress.update(
        `${n(s.records)} records landed in ${n(s.invocations)} batches · lag ${s.lag < 0 ? '?' : n(s.lag)}${s.rebalances > 0 ? ` · ${n(s.rebalances)} rebalances` : ''}`,
      ),
    ...(options.emf
      ? {
          onLag: (lag: number, byPartition: Readonly<Record<string, number>>) =>
            emitLagMetric(topic, options.group, lag, byPartition),
        }
      : {}),
  });
  const stop = new AbortController();
  const release = onStopSignals(stop);
  const started = Date.now();
  let stats;
  try {
    stats = await landing.run({
      signal: stop.signal,
      ...(options.untilCaughtUp ? { until: () => true } : {}),
    });
  } catch (error) {
    if (error instanceof KafkaUnavailableError) throw new CliError(error.message);
    throw error;
  } finally {
    release();
    progress.done();
    storeBreaker.shutdown();
  }
  const result = {
    transport: 'kafka',
    brokers,
    topic,
    group: options.group,
    store: remote ? options.store : ctx!.dataDir.storeRoot,
    ...stats,
    landedEvents: landing.stats.landedEvents,
    objects: landing.stats.landedObjectKeys.size,
    quarantined: landing.stats.quarantined,
    unkeyed: landing.stats.unkeyed,
    deadLettered: landing.stats.deadLettered,
    stoppedBy: stop.signal.aborted ? 'signal' : 'caught-up',
    seconds: Math.round((Date.now() - started) / 100) / 10,
    breakers: {
      store: { state: storeBreaker.state, ...storeBreaker.counts, transitions: storeBreaker.transitions },
    },
  };
  if (result.deadLettered > 0) process.exitCode = 1;
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const lines = [
    `${n(result.records)} records from ${topic} in ${n(result.invocations)} batches: ${n(result.landedEvents)} events landed in ${n(result.objects)} objects, ${n(result.quarantined)} quarantined (with topic-partition@offset), lag ${result.lag < 0 ? 'unknown' : n(result.lag)}`,
  ];
  if (result.unkeyed > 0)
    lines.push(`${n(result.unkeyed)} records had no key: landed, but their order per user is not guaranteed`);
  if (result.deadLettered > 0)
    lines.push(
      `${n(result.deadLettered)} records failed every attempt and were written under dlq/ (fix the cause, then: elt redrive --kafka): ${result.lastError ?? ''}`,
    );
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * One CloudWatch embedded-metric-format line with the group's lag, in total and per partition: on AWS,
 * a log line like this becomes metrics; locally it is machine-readable progress.
 */
function emitLagMetric(
  topic: string,
  group: string,
  lag: number,
  byPartition: Readonly<Record<string, number>>,
): void {
  const line = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        {
          Namespace: 'ServerlessElt',
          Dimensions: [['Topic', 'ConsumerGroup']],
          Metrics: [{ Name: 'OffsetLag', Unit: 'Count' }],
        },
      ],
    },
    Topic: topic,
    ConsumerGroup: group,
    OffsetLag: lag,
    lagByPartition: byPartition,
  };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}
