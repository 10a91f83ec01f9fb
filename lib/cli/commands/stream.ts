import { Command, Option } from 'commander';
import { KafkaUnavailableError } from '../../adapters/kafka/kafka-errors.js';
import {
  DEFAULT_FLINK_GATEWAY_URL,
  DEFAULT_FLINK_REST_URL,
  FlinkError,
} from '../../adapters/stream/flink-gateway.js';
import {
  DEFAULT_ALLOWED_LATENESS_SECONDS,
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  DEFAULT_RESULTS_TOPIC,
  DEFAULT_STREAM_GROUP,
  IDLE_TIMEOUT_RANGE,
  LATENESS_RANGE,
  LOCAL_REGION,
  STREAM_JOB_NAME,
  StreamJobSettingError,
} from '../../core/stream/job.js';
import {
  startStreamJob,
  stopStreamJob,
  streamJobStatus,
  StreamJobError,
  type FlinkEndpoints,
} from '../../local/stream/live-windows.js';
import { DEFAULT_TOPIC, kafkaTarget, withKafkaOptions, type KafkaCliOptions } from '../kafka-options.js';
import { CliError, intInRange, n, Progress, secs, table } from '../output.js';
import { dropPipelineTables } from '../../core/elt/elt-steps.js';
import { loadModels } from '../../core/elt/sql-sources.js';
import { describeStreamComparison } from '../../core/stream/compare.js';
import { runStreamDemo, StreamDemoStalledError, type StreamDemoSummary } from '../../local/stream-demo.js';
import { openLocal, withCommonOptions, withWarehouseOption, type CommonOptions } from '../context.js';
import { DEFAULT_BROKERS, parseBrokers } from '../kafka-options.js';
import { streamCompareCommand } from './stream-compare.js';

interface EndpointOptions {
  readonly gateway: string;
  readonly rest: string;
  readonly json: boolean;
}

interface StartOptions extends EndpointOptions, KafkaCliOptions {
  readonly resultsTopic: string;
  readonly allowedLateness: number;
  readonly idleTimeout: number;
  readonly group: string;
  readonly transactionalIdPrefix: string;
  readonly region: string;
  readonly fromSavepoint?: string;
}

interface StopOptions extends EndpointOptions {
  readonly savepoint?: string;
}

function url(name: string, value: string): string {
  try {
    const u = new URL(value);
    if (u.protocol === 'http:' || u.protocol === 'https:') return value.replace(/\/$/, '');
  } catch {
    // reported below
  }
  throw new CliError(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
}

function endpoints(options: EndpointOptions): FlinkEndpoints {
  return { gatewayUrl: url('--gateway', options.gateway), restUrl: url('--rest', options.rest) };
}

/** The module's errors as one CLI line; anything else as it is. */
function explain(error: unknown): never {
  if (
    error instanceof StreamJobError ||
    error instanceof StreamJobSettingError ||
    error instanceof FlinkError ||
    error instanceof KafkaUnavailableError
  )
    throw new CliError(error.message, { cause: error });
  throw error;
}

function withEndpointOptions(command: Command, json = true): Command {
  command
    .addOption(
      new Option('--gateway <url>', 'the Flink SQL Gateway')
        .env('ELT_FLINK_GATEWAY')
        .default(DEFAULT_FLINK_GATEWAY_URL),
    )
    .addOption(
      new Option('--rest <url>', "the Flink JobManager's REST API")
        .env('ELT_FLINK_REST')
        .default(DEFAULT_FLINK_REST_URL),
    );
  return json ? command.option('--json', 'machine-readable output on stdout', false) : command;
}

function startCommand(): Command {
  const command = new Command('start')
    .description(
      `Submit the live windows job (sql/stream/: logins per minute, logins in the last hour, active users of the day so far, over event time) to the local Flink cluster through its SQL Gateway, reading the topic of the Kafka path with its own consumer group and writing its results as events of source elt.stream to the results topic (created if absent) in Kafka transactions. Refuses when ${STREAM_JOB_NAME} runs already. Land the results with: elt land --transport kafka --topic ${DEFAULT_RESULTS_TOPIC} --group elt-landing-stream`,
    )
    .addOption(
      new Option('--results-topic <name>', 'the topic of the results').default(DEFAULT_RESULTS_TOPIC),
    )
    .addOption(
      new Option(
        '--allowed-lateness <seconds>',
        'how far the watermark trails the newest event time; events of a window closed by it are late',
      )
        .default(DEFAULT_ALLOWED_LATENESS_SECONDS)
        .argParser(intInRange(LATENESS_RANGE.min, LATENESS_RANGE.max)),
    )
    .addOption(
      new Option(
        '--idle-timeout <seconds>',
        'a partition without records for this long stops holding the watermark back',
      )
        .default(DEFAULT_IDLE_TIMEOUT_SECONDS)
        .argParser(intInRange(IDLE_TIMEOUT_RANGE.min, IDLE_TIMEOUT_RANGE.max)),
    )
    .option('--group <id>', "the job's consumer group on the topic", DEFAULT_STREAM_GROUP)
    .option(
      '--transactional-id-prefix <prefix>',
      "prefix of the sink's Kafka transactional ids (one per job)",
      STREAM_JOB_NAME,
    )
    .option('--region <region>', 'the region of the result envelopes', LOCAL_REGION)
    .option(
      '--from-savepoint <path>',
      'restore the state of a savepoint (what `elt stream stop --savepoint` printed)',
    );
  withKafkaOptions(command, `the topic the job reads (default ${DEFAULT_TOPIC})`);
  withEndpointOptions(command);
  return command.action(async (options: StartOptions) => {
    const { brokers, topic } = kafkaTarget(options);
    const started = await startStreamJob({
      ...endpoints(options),
      settings: {
        sourceTopic: topic,
        resultsTopic: options.resultsTopic,
        bootstrapServers: brokers,
        groupId: options.group,
        allowedLatenessSeconds: options.allowedLateness,
        idleTimeoutSeconds: options.idleTimeout,
        transactionalIdPrefix: options.transactionalIdPrefix,
        region: options.region,
      },
      ...(options.fromSavepoint ? { fromSavepoint: options.fromSavepoint } : {}),
    }).catch(explain);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(started)}\n`);
      return;
    }
    process.stdout.write(
      `${started.jobId}\n` +
        `started ${started.name}: ${started.sourceTopic} (group ${started.groupId}) → ${started.resultsTopic}, allowed lateness ${started.allowedLatenessSeconds} s; see ${options.rest}/#/job/running/${started.jobId}\n`,
    );
  });
}

function stopCommand(): Command {
  const command = new Command('stop')
    .description(
      `Stop the live windows job: cancel it, or with --savepoint take a savepoint first (start it from there with elt stream start --from-savepoint, so that windows open at the stop are not lost).`,
    )
    .option('--savepoint <dir>', 'take a savepoint into this directory (path or URI the JobManager writes)');
  withEndpointOptions(command);
  return command.action(async (options: StopOptions) => {
    const stopped = await stopStreamJob({
      ...endpoints(options),
      ...(options.savepoint ? { savepointDir: options.savepoint } : {}),
    }).catch(explain);
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ stopped })}\n`);
      return;
    }
    for (const s of stopped)
      process.stdout.write(
        `stopped ${STREAM_JOB_NAME} (job ${s.jobId}): ${s.state}${s.savepoint ? `; savepoint ${s.savepoint}` : ''}\n`,
      );
  });
}

function statusCommand(): Command {
  const command = new Command('status').description(
    "The live windows job's state, its last completed checkpoint and, per vertex (chain of operators), backpressure (ok, low, high) and busy time, from the JobManager's REST API. Exit code 3 when it is not running.",
  );
  withEndpointOptions(command);
  return command.action(async (options: EndpointOptions) => {
    const status = await streamJobStatus(endpoints(options)).catch(explain);
    if (status.state !== 'RUNNING') process.exitCode = 3;
    if (options.json) {
      process.stdout.write(`${JSON.stringify(status)}\n`);
      return;
    }
    const lines = [
      `${status.name}: ${status.state}${status.jobId ? ` (job ${status.jobId}, started ${status.startedAt})` : ''}`,
    ];
    if (status.checkpoints)
      lines.push(
        `checkpoints: ${status.checkpoints.completed} completed, ${status.checkpoints.failed} failed, ${status.checkpoints.restored} restored; last ${status.lastCheckpoint ? `#${status.lastCheckpoint.id} at ${status.lastCheckpoint.completedAtIso}` : 'none yet'}`,
      );
    if (status.vertices.length > 0)
      lines.push(
        table(
          status.vertices.map((v) => ({
            vertex: v.name.length > 70 ? `${v.name.slice(0, 69)}…` : v.name,
            parallelism: v.parallelism,
            status: v.status,
            backpressure: v.backpressure ?? '–',
            'busy ms/s': v.busyMsPerSecond ?? null,
            'backpressured ms/s': v.backPressuredMsPerSecond ?? null,
          })),
        ),
      );
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}

/** `elt stream start|stop|status`: the live windows job on the local Flink cluster. */
export function streamCommand(): Command {
  return new Command('stream')
    .description(
      'The stream processor: the live windows job of sql/stream/ on Apache Flink (start the cluster with npm run flink:up), a second consumer of the Kafka path beside the landing.',
    )
    .addCommand(startCommand().exitOverride().showHelpAfterError('(run with --help for usage)'))
    .addCommand(stopCommand().exitOverride().showHelpAfterError('(run with --help for usage)'))
    .addCommand(statusCommand().exitOverride().showHelpAfterError('(run with --help for usage)'))
    .addCommand(streamDemoCommand().exitOverride().showHelpAfterError('(run with --help for usage)'))
    .addCommand(streamCompareCommand().exitOverride().showHelpAfterError('(run with --help for usage)'));
}

interface DemoCliOptions extends EndpointOptions, CommonOptions {
  readonly brokers: string;
  readonly events: number;
  readonly seed: string;
  readonly days: number;
  readonly allowedLateness: number;
}

/** `elt stream demo`: Kafka + Flink + landing + ELT on the demo workload, then stream against batch. */
function streamDemoCommand(): Command {
  const command = withWarehouseOption(
    withCommonOptions(
      new Command('demo')
        .description(
          `Run the demo workload (no invalid events) through a real Kafka broker (npm run kafka:up) into a fresh topic: the landing lands it and the ELT loads it, while the live windows job on Flink (npm run flink:up) counts the same events; then land the job's results, run the ELT again and compare every closed window with the batch. Prints windowsCompared, windowsEqual, windowsExplained, lateEvents and unexplained; exit 1 on an unexplained difference. Starts from an empty data directory; refuses while ${STREAM_JOB_NAME} runs already.`,
        )
        .addOption(
          new Option('--events <n>', 'events to generate (duplicates and late ones included)')
            .default(20_000)
            .argParser(intInRange(1, 10_000_000)),
        )
        .option('--seed <seed>', 'workload seed: the same seed gives the same events', '42')
        .addOption(new Option('--days <n>', 'simulated days').default(1).argParser(intInRange(1, 30)))
        .addOption(
          new Option('--allowed-lateness <seconds>', 'how far the watermark trails the newest event time')
            .default(DEFAULT_ALLOWED_LATENESS_SECONDS)
            .argParser(intInRange(LATENESS_RANGE.min, LATENESS_RANGE.max)),
        )
        .addOption(
          new Option('--brokers <host:port,…>', 'Kafka bootstrap brokers')
            .env('ELT_KAFKA_BROKERS')
            .default(DEFAULT_BROKERS),
        ),
    ),
  );
  return withEndpointOptions(command, false).action(async (options: DemoCliOptions) => {
    const brokers = parseBrokers(options.brokers);
    const flink = endpoints(options);
    const progress = new Progress(!options.json);
    const ctx = await openLocal(options, { reset: true });
    let summary: StreamDemoSummary;
    try {
      await dropPipelineTables(ctx.warehouse, loadModels());
      summary = await runStreamDemo({
        brokers,
        store: ctx.store,
        warehouse: ctx.warehouse,
        models: loadModels(),
        events: options.events,
        seed: options.seed,
        days: options.days,
        allowedLatenessSeconds: options.allowedLateness,
        flink,
        onProgress: (stage, message) => progress.update(`[${stage}] ${message}`),
      }).catch((error: unknown) => {
        if (error instanceof StreamDemoStalledError) throw new CliError(error.message, { cause: error });
        return explain(error);
      });
    } finally {
      progress.done();
      await ctx.warehouse.close();
    }
    if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else
      process.stdout.write(
        [
          '',
          `  events             ${n(summary.events)} (late ${n(summary.generatedLate)} · duplicates ${n(summary.duplicates)}), ${n(summary.landedEvents)} landed from ${summary.sourceTopic}`,
          `  stream             job ${summary.jobId}, allowed lateness ${summary.allowedLatenessSeconds} s, ${n(summary.streamResults)} results landed from ${summary.resultsTopic}`,
          `  ${describeStreamComparison(summary).split('\n').join('\n  ')}`,
          `  took               ${secs(summary.durationMs)} (publish + land ${secs(summary.publishAndLandMs)}, stream catch-up ${secs(summary.streamCatchUpMs)}, ELT ${secs(summary.eltMs)})`,
          '',
          `  ${summary.unexplained === 0 ? '✓' : '✗'} every closed window agrees with the batch, or differs by exactly its late events`,
          '',
        ].join('\n'),
      );
    if (summary.unexplained > 0) process.exitCode = 1;
  });
}
