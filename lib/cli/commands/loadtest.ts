import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { kafkaVersions, machineInfo } from '../../local/machine-info.js';
import { KafkaUnavailableError } from '../../adapters/kafka/kafka-errors.js';
import {
  DEFAULT_FLINK_GATEWAY_URL,
  DEFAULT_FLINK_REST_URL,
  FlinkError,
} from '../../adapters/stream/flink-gateway.js';
import {
  DEFAULT_ALLOWED_LATENESS_SECONDS,
  DEFAULT_STREAM_GROUP,
  LATENESS_RANGE,
} from '../../core/stream/job.js';
import { EltError } from '../../core/util/errors.js';
import { LoadEventFactory } from '../../loadtest/load-events.js';
import {
  buildStreamReport,
  renderStreamChart,
  renderStreamMarkdown,
  streamReportFile,
  type StreamReportPart,
} from '../../loadtest/stream-report.js';
import { startStreamLoadTarget, type StreamLoadTarget } from '../../loadtest/stream-target.js';
import { EVENT_SOURCE_LIMITS } from '../../core/landing/event-source-limits.js';
import { startKafkaTarget } from '../../loadtest/kafka-target.js';
import { renderLoadChart } from '../../loadtest/load-chart.js';
import { runLoad, type ProgressTick } from '../../loadtest/load-driver.js';
import { buildLoadReport, renderLoadMarkdown, type LoadSettings } from '../../loadtest/load-report.js';
import { LOAD_TRANSPORTS, type LoadTarget, type LoadTransport } from '../../loadtest/load-target.js';
import { startLocalTarget } from '../../loadtest/local-target.js';
import { startLocalStackTarget } from '../../loadtest/localstack-target.js';
import {
  describeRampStep,
  parseRampStep,
  rampSteps,
  RampOptionsError,
  type RampStep,
  type ScheduledStep,
} from '../../loadtest/ramp-schedule.js';
import { awsEndpoint, explainAwsError, isLocalEndpoint } from '../aws-errors.js';
import { parseBrokers, parseTopic, withKafkaOptions, type KafkaCliOptions } from '../kafka-options.js';
import { CliError, intInRange, n, Progress, table } from '../output.js';
import { bundledFunctionOption, landingOutputs } from '../stack-outputs.js';

interface LoadtestOptions extends KafkaCliOptions {
  readonly transport: LoadTransport;
  readonly startRate: number;
  readonly step: RampStep;
  readonly stepSeconds: number;
  readonly maxRate: number;
  readonly maxSeconds: number;
  readonly maxEvents: number;
  readonly drainSeconds: number;
  readonly maxInFlight: number;
  readonly requestEntries: number;
  readonly spoolMaxRequests: number;
  readonly queueCapacity: number;
  readonly breakerTimeoutMs: number;
  readonly breakerOpenMs: number;
  readonly partitions: number;
  readonly outputs: string;
  readonly cdkOut: string;
  readonly function: string;
  readonly batchSize: number;
  readonly batchWindow: number;
  readonly out?: string;
  readonly dataDir?: string;
  readonly keepData: boolean;
  readonly json: boolean;
  readonly stream: boolean;
  readonly flinkRestUrl: string;
  readonly flinkGatewayUrl: string;
  readonly streamGroup: string;
  readonly allowedLateness: number;
}

const EXAMPLES = `
Examples:
  # The embedded pipeline behind the HTTP ingest API, 500 → 32,000 events/s doubling every 10 s, at most 90 s
  npx elt loadtest --transport local

  # A short ramp, results committed with the docs
  npx elt loadtest --transport local --start-rate 1000 --step +1000 --step-seconds 5 --max-seconds 60 --out docs/loadtest

  # Through Kafka (a fresh topic of 3 partitions, deleted at the end)
  npm run kafka:up && npx elt loadtest --transport kafka --start-rate 2000 --max-rate 64000

  # Kafka with a second consumer: the live windows job on Flink (started on the run's topic, stopped after)
  npm run kafka:up && npm run flink:up
  npx elt loadtest --transport kafka --stream --start-rate 1000 --step +1000 --step-seconds 30 --max-rate 6000 --max-seconds 180 --drain-seconds 300

  # The stack deployed on LocalStack (PutEvents → SQS → elt land → S3)
  npm run localstack:up && npm run localstack:deploy && eval "$(scripts/services/localstack.sh env)"
  npx elt loadtest --transport localstack --start-rate 50 --max-rate 800 --step-seconds 15

Writes <out>/<transport>.json (every second's sample and the summary), <transport>.svg (the chart) and
<transport>.md (where backpressure appeared, how it propagated, and the loss check). Exit 1 when an
accepted event did not land, an event landed twice, or the pipeline did not drain in --drain-seconds.

--stream (with --transport kafka) writes stream.json, stream.svg and stream.md instead: it starts the live
windows job (sql/stream/) on the Flink cluster at --flink-gateway-url/--flink-rest-url reading the run's topic
(refusing when the job runs there already), and records every second each vertex's back-pressured and busy
time (ms/s, max over subtasks) from the JobManager's REST API, the records its source read, the lag of the
job's group and of the landing's group, and each minute's result as read (read committed) from the results
topic: end-to-end latency = read time − window end, whose floor is the allowed lateness plus the checkpoint
interval. After the load it waits for both lags to reach 0, sends one record per partition past the last
minute's end so that minute closes, and checks that the minutes' login counts add up to the logins Kafka
acknowledged less the late ones. Exit 1 also when they do not, or a result was read twice. --json prints the
summary with every per-second series.
`;

const positive = (max: number) => intInRange(1, max);

function stepOption(value: string): RampStep {
  try {
    return parseRampStep(value);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/** `elt loadtest`: ramps the offered rate past the pipeline's capacity and records what happens. */
export function loadtestCommand(): Command {
  const command = new Command('loadtest')
    .description(
      'Ramp the offered event rate in steps past what the pipeline can take, then stop and wait for it to drain. Every second: offered, accepted, landed, refused (429/503), the backlog (local: spool + queue; kafka: consumer lag; localstack: SQS depth), end-to-end latency p50/p99 (offered → durably landed) and RSS. Ends by checking that every accepted event landed exactly once. Writes a JSON report, an SVG chart and a markdown report.',
    )
    .addOption(
      new Option('--transport <transport>', 'the pipeline under load')
        .choices(LOAD_TRANSPORTS)
        .default('local'),
    )
    .addOption(
      new Option('--start-rate <events/s>', 'the first step').default(500).argParser(positive(10_000_000)),
    )
    .addOption(
      new Option('--step <x2|+500>', 'each step multiplies the rate (x2, 1.5x) or adds to it (+500)')
        .default(parseRampStep('x2'), 'x2')
        .argParser(stepOption),
    )
    .addOption(
      new Option('--step-seconds <s>', 'how long each step lasts').default(10).argParser(positive(3600)),
    )
    .addOption(
      new Option('--max-rate <events/s>', 'the last step offers this rate')
        .default(32_000)
        .argParser(positive(10_000_000)),
    )
    .addOption(
      new Option('--max-seconds <s>', 'stop offering after this long, whatever the step')
        .default(90)
        .argParser(positive(86_400)),
    )
    .addOption(
      new Option('--max-events <n>', 'stop offering after this many events')
        .default(1_000_000)
        .argParser(positive(50_000_000)),
    )
    .addOption(
      new Option('--drain-seconds <s>', 'then wait at most this long for every accepted event to land')
        .default(60)
        .argParser(positive(3600)),
    )
    .addOption(
      new Option(
        '--max-in-flight <events>',
        'events sent and not yet answered at most; beyond it the generator refuses its own offers (in-flight-limit)',
      )
        .default(8192)
        .argParser(positive(1_000_000)),
    )
    .addOption(
      new Option('--request-entries <n>', 'local: entries per POST /v1/events request (1–500)')
        .default(1)
        .argParser(intInRange(1, 500)),
    )
    .addOption(
      new Option('--spool-max-requests <n>', "local: the ingest spool's bound, as elt serve's")
        .default(10_000)
        .argParser(positive(10_000_000)),
    )
    .addOption(
      new Option(
        '--queue-capacity <n>',
        'local: messages the landing queue holds before the bus waits (elt serve: 20000); a small one shows the breaker, the spool and 503',
      )
        .default(20_000)
        .argParser(positive(10_000_000)),
    )
    .addOption(
      new Option(
        '--breaker-timeout-ms <ms>',
        'local: a bus call slower than this counts as failed (elt serve: 10000)',
      )
        .default(10_000)
        .argParser(intInRange(100, 600_000)),
    )
    .addOption(
      new Option(
        '--breaker-open-ms <ms>',
        'local: the bus breaker stays open this long before a probe (elt serve: 5000)',
      )
        .default(5000)
        .argParser(intInRange(100, 600_000)),
    )
    .addOption(
      new Option('--partitions <n>', "kafka: partitions of the run's topic")
        .default(3)
        .argParser(intInRange(1, 1000)),
    )
    .option(
      '--outputs <file>',
      'localstack: the `cdk deploy --outputs-file` JSON (bus, queue, bucket)',
      '.services/localstack/outputs.json',
    )
    .option(
      '--cdk-out <dir>',
      "localstack: the cloud assembly holding the landing function's bundle",
      'cdk.out',
    )
    .option('--function <path>', 'localstack: the landing function', 'elt-local-stateless/Landing/Function')
    .addOption(
      new Option('--batch-size <n>', 'localstack: records per landing invocation (elt land --batch-size)')
        .default(100)
        .argParser(intInRange(EVENT_SOURCE_LIMITS.batchSize.min, EVENT_SOURCE_LIMITS.batchSize.max)),
    )
    .addOption(
      new Option('--batch-window <s>', 'localstack: batching window (elt land --batch-window)')
        .default(1)
        .argParser(
          intInRange(EVENT_SOURCE_LIMITS.batchWindowSeconds.min, EVENT_SOURCE_LIMITS.batchWindowSeconds.max),
        ),
    )
    .option('--out <dir>', 'where to write the reports (default .elt/loadtest/<transport>-<time>)')
    .option(
      '--data-dir <dir>',
      'local, kafka: where the pipeline lands (default: a temporary directory, removed after)',
    )
    .option('--keep-data', 'keep the temporary data directory', false)
    .option('--json', 'the summary as JSON on stdout (with --stream: and every per-second series)', false)
    .option(
      '--stream',
      "kafka: also run the live windows job on Flink over the run's topic and record its backpressure, busy time, lag and window latency",
      false,
    )
    .option('--flink-rest-url <url>', "--stream: the Flink JobManager's REST API", DEFAULT_FLINK_REST_URL)
    .option(
      '--flink-gateway-url <url>',
      "--stream: the Flink SQL Gateway's REST API",
      DEFAULT_FLINK_GATEWAY_URL,
    )
    .option(
      '--stream-group <id>',
      "--stream: the job's consumer group on the run's topic",
      DEFAULT_STREAM_GROUP,
    )
    .addOption(
      new Option('--allowed-lateness <s>', '--stream: how far the watermark trails the newest event time')
        .default(DEFAULT_ALLOWED_LATENESS_SECONDS)
        .argParser(intInRange(LATENESS_RANGE.min, LATENESS_RANGE.max)),
    )
    .addHelpText('after', EXAMPLES);
  withKafkaOptions(
    command,
    'kafka: the topic (default: a new elt-loadtest-<time> topic, deleted at the end)',
  );
  return command.action(async (options: LoadtestOptions) => {
    if (options.stream && options.transport !== 'kafka')
      throw new CliError(
        `--stream needs --transport kafka (the stream job reads a Kafka topic), got --transport ${options.transport}`,
      );
    let steps: ScheduledStep[];
    try {
      steps = rampSteps({
        startRate: options.startRate,
        step: options.step,
        stepSeconds: options.stepSeconds,
        maxRate: options.maxRate,
        maxSeconds: options.maxSeconds,
      });
    } catch (error) {
      if (error instanceof RampOptionsError) throw new CliError(error.message);
      throw error;
    }
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    const kind = options.stream ? 'stream' : options.transport;
    const out = resolve(options.out ?? join('.elt', 'loadtest', `${kind}-${stamp}`));
    const factory = new LoadEventFactory();
    const loadAtStart = loadavg().map((v) => Math.round(v * 100) / 100);
    const tempData = options.dataDir === undefined && options.transport !== 'localstack';
    const dataDir = options.dataDir ?? (tempData ? await mkdtemp(join(tmpdir(), 'elt-loadtest-')) : '');
    const progress = new Progress(!options.json);
    try {
      const target = await startTarget(options, dataDir, stamp, factory);
      const settings: LoadSettings = {
        startRate: options.startRate,
        step: describeRampStep(options.step),
        stepSeconds: options.stepSeconds,
        maxRate: options.maxRate,
        maxSeconds: options.maxSeconds,
        maxEvents: options.maxEvents,
        maxInFlight: options.maxInFlight,
        drainSeconds: options.drainSeconds,
        entriesPerCall: target.entriesPerCall,
      };
      if (!options.json) {
        process.stderr.write(
          `elt loadtest: ${target.describe()}\n  ${steps.length} steps: ${steps.map((s) => n(s.rate)).join(' → ')} events/s, ${options.stepSeconds} s each (at most ${options.maxSeconds} s, ${n(options.maxEvents)} events), then up to ${options.drainSeconds} s to drain\n`,
        );
      }
      const run = await runLoad({
        target,
        steps,
        maxEvents: options.maxEvents,
        maxInFlight: options.maxInFlight,
        drainSeconds: options.drainSeconds,
        pollMs: options.transport === 'localstack' ? 1000 : 500,
        factory,
        onSecond: (tick) => progress.update(progressLine(tick, steps.length), true),
      });
      progress.done();
      const machine = machineInfo(options.transport === 'kafka' ? await kafkaVersions() : {});
      const report = buildLoadReport({
        transport: options.transport,
        target: target.describe(),
        command: commandLine(options, settings),
        machine: { ...machine },
        settings,
        facts: target.facts(),
        steps,
        run,
      });
      await mkdir(out, { recursive: true });
      const base = join(out, kind);
      const files = { json: `${base}.json`, svg: `${base}.svg`, markdown: `${base}.md` };
      const s = report.summary;
      if (s.checks.some((c) => !c.ok)) process.exitCode = 1;
      if (options.stream) {
        const streamReport = buildStreamReport(report, (target as StreamLoadTarget).streamData(), {
          start: loadAtStart,
          end: loadavg().map((v) => Math.round(v * 100) / 100),
        });
        await writeFile(`${base}.json`, streamReportFile(streamReport));
        await writeFile(
          `${base}.svg`,
          renderStreamChart(
            streamReport,
            `elt loadtest --transport kafka --stream (${report.startedAt.slice(0, 10)})`,
          ),
        );
        await writeFile(`${base}.md`, renderStreamMarkdown(streamReport, 'stream.svg'));
        if (streamReport.stream.checks.some((c) => !c.ok)) process.exitCode = 1;
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ ...s, stream: streamReport.stream, files })}\n`);
          return;
        }
        process.stdout.write(`${streamLines(streamReport.stream).join('\n')}\n`);
      } else {
        await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
        await writeFile(
          `${base}.svg`,
          renderLoadChart({
            title: `elt loadtest --transport ${options.transport} (${report.startedAt.slice(0, 10)})`,
            samples: report.samples,
            steps,
            timeline: report.timeline,
          }),
        );
        await writeFile(`${base}.md`, renderLoadMarkdown(report, `${options.transport}.svg`));
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ ...s, files })}\n`);
          return;
        }
      }
      const lines = [
        `offered ${n(s.offered)} events in ${s.offerSeconds} s: ${n(s.accepted)} accepted, ${n(s.rejected)} refused${
          s.rejected > 0
            ? ` (${Object.entries(s.rejectedByCode)
                .map(([k, v]) => `${k}: ${n(v)}`)
                .join(', ')})`
            : ''
        }, ${n(s.unanswered)} unanswered`,
        `landed ${n(s.landedDistinct)} distinct events in ${n(s.landedObjects)} objects; ${s.drained ? `drained in ${s.drainSeconds} s` : `NOT drained after ${s.drainSeconds} s`}`,
        s.backpressure
          ? `backpressure at ${n(s.backpressure.rate)} events/s: ${s.backpressure.reasons.join('; ')}`
          : `no backpressure up to ${n(s.keptUpTo ?? 0)} events/s`,
        `latency offered → landed: p50 ${s.latency.p50Ms ?? '–'} ms, p99 ${s.latency.p99Ms ?? '–'} ms · peak backlog ${n(s.peakDepth ?? 0)} · peak RSS ${n(s.peakRssMb ?? 0)} MB`,
        '',
        table(
          report.stepSummaries.map((st) => ({
            step: st.index + 1,
            'rate/s': st.rate,
            'offered/s': st.offeredPerSecond,
            'accepted/s': st.acceptedPerSecond,
            'landed/s': st.landedPerSecond,
            refused: Object.values(st.rejected).reduce((a, b) => a + b, 0),
            'backlog max': st.depthMax,
            'p99 max ms': st.latencyP99MaxMs,
          })),
        ),
        '',
        ...s.checks.map((c) => `  ${c.ok ? '✓' : '✗'} ${c.name}`),
        `  lost ${n(s.lost)} · landed twice ${n(s.duplicates)}`,
        '',
        `Wrote ${relative(process.cwd(), files.json)}, ${relative(process.cwd(), files.svg)}, ${relative(process.cwd(), files.markdown)}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      progress.done();
      if (tempData && !options.keepData) await rm(dataDir, { recursive: true, force: true });
      else if (tempData && !options.json) process.stderr.write(`data kept in ${dataDir}\n`);
    }
  });
}

/** Starts the transport's pipeline; errors a user can fix become one line. */
async function startTarget(
  options: LoadtestOptions,
  dataDir: string,
  stamp: string,
  factory: LoadEventFactory,
): Promise<LoadTarget> {
  if (options.transport === 'local') {
    return startLocalTarget({
      dataDir,
      entriesPerRequest: options.requestEntries,
      maxSockets: Math.ceil(options.maxInFlight / options.requestEntries),
      spoolMaxRequests: options.spoolMaxRequests,
      queueCapacity: options.queueCapacity,
      breaker: { callTimeoutMs: options.breakerTimeoutMs, openMs: options.breakerOpenMs },
    });
  }
  if (options.transport === 'kafka') {
    const name = `elt-loadtest-${stamp.toLowerCase()}`;
    try {
      if (options.stream)
        return await startStreamLoadTarget({
          brokers: parseBrokers(options.brokers),
          topic: parseTopic(options.topic ?? name),
          keepTopic: options.topic !== undefined,
          partitions: options.partitions,
          groupId: name,
          dataDir,
          restUrl: options.flinkRestUrl,
          gatewayUrl: options.flinkGatewayUrl,
          streamGroupId: options.streamGroup,
          resultsTopic: `${name}-stream`,
          transactionalIdPrefix: name,
          allowedLatenessSeconds: options.allowedLateness,
          isRunEvent: (id) => factory.seqOf(id) !== undefined,
        });
      return await startKafkaTarget({
        brokers: parseBrokers(options.brokers),
        topic: parseTopic(options.topic ?? name),
        keepTopic: options.topic !== undefined,
        partitions: options.partitions,
        groupId: name,
        dataDir,
      });
    } catch (error) {
      if (error instanceof KafkaUnavailableError) throw new CliError(error.message);
      // The stream job's errors (Flink down, the job running already, a bad setting) are one line each.
      if (options.stream && (error instanceof FlinkError || error instanceof EltError))
        throw new CliError(error.message);
      throw error;
    }
  }
  const endpoint = awsEndpoint('sqs');
  if (!endpoint || !isLocalEndpoint(endpoint)) {
    // A load test is never pointed at real AWS by accident.
    throw new CliError(
      `--transport localstack needs AWS_ENDPOINT_URL pointing at LocalStack (got ${endpoint ?? 'none'}): eval "$(scripts/services/localstack.sh env)"`,
    );
  }
  const deployed = landingOutputs(options.outputs);
  if (!deployed.bucket || !deployed.busName)
    throw new CliError(
      `--outputs: ${options.outputs} lacks BusName or RawBucketName; deploy again: npm run localstack:deploy`,
    );
  const fn = bundledFunctionOption(options.cdkOut, options.function);
  try {
    return await startLocalStackTarget({
      busName: deployed.busName,
      queueUrl: deployed.queueUrl,
      bucket: deployed.bucket,
      fn,
      batchSize: options.batchSize,
      batchWindowMs: options.batchWindow * 1000,
    });
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue')
      throw new CliError(
        `the landing queue ${deployed.queueUrl} does not exist on ${endpoint}: deploy the stack: npm run localstack:deploy`,
      );
    throw explainAwsError(error, 'sqs', `reading the landing queue ${deployed.queueUrl}`);
  }
}

function progressLine(t: ProgressTick, stepCount: number): string {
  const where = t.step ? `step ${t.step.index + 1}/${stepCount} at ${n(t.step.rate)}/s` : 'draining';
  const parts = t.depth
    ? Object.entries(t.depth.parts)
        .map(([k, v]) => `${k} ${n(v)}`)
        .join(', ')
    : '?';
  const x = t.totals;
  return `[${String(t.second + 1).padStart(3)} s] ${where} · offered ${n(x.offered)} · accepted ${n(x.accepted)} · refused ${n(x.rejected)} · landed ${n(x.landedDistinct)} · backlog ${t.depth ? n(t.depth.total) : '?'} (${parts}) · in flight ${n(t.inFlight)} · RSS ${n(Math.round(t.rssMb))} MB`;
}

/** The run's command line with every setting spelled out, for the report. */
function commandLine(options: LoadtestOptions, settings: LoadSettings): string {
  const args = [
    'elt loadtest',
    `--transport ${options.transport}`,
    `--start-rate ${settings.startRate}`,
    `--step ${settings.step}`,
    `--step-seconds ${settings.stepSeconds}`,
    `--max-rate ${settings.maxRate}`,
    `--max-seconds ${settings.maxSeconds}`,
    `--max-events ${settings.maxEvents}`,
    `--drain-seconds ${settings.drainSeconds}`,
    `--max-in-flight ${settings.maxInFlight}`,
  ];
  if (options.transport === 'local') {
    args.push(`--request-entries ${options.requestEntries}`);
    if (options.spoolMaxRequests !== 10_000) args.push(`--spool-max-requests ${options.spoolMaxRequests}`);
    if (options.queueCapacity !== 20_000) args.push(`--queue-capacity ${options.queueCapacity}`);
    if (options.breakerTimeoutMs !== 10_000) args.push(`--breaker-timeout-ms ${options.breakerTimeoutMs}`);
    if (options.breakerOpenMs !== 5000) args.push(`--breaker-open-ms ${options.breakerOpenMs}`);
  }
  if (options.transport === 'kafka') args.push(`--partitions ${options.partitions}`);
  if (options.stream)
    args.push(
      '--stream',
      `--allowed-lateness ${options.allowedLateness}`,
      `--stream-group ${options.streamGroup}`,
      ...(options.flinkRestUrl !== DEFAULT_FLINK_REST_URL
        ? [`--flink-rest-url ${options.flinkRestUrl}`]
        : []),
      ...(options.flinkGatewayUrl !== DEFAULT_FLINK_GATEWAY_URL
        ? [`--flink-gateway-url ${options.flinkGatewayUrl}`]
        : []),
    );
  if (options.transport === 'localstack')
    args.push(`--batch-size ${options.batchSize}`, `--batch-window ${options.batchWindow}`);
  return args.join(' ');
}

/** The stream side's figures, after the landing's lines. */
function streamLines(st: StreamReportPart): string[] {
  const a = st.analysis;
  const fb = a.firstBackpressure;
  const secs = (ms: number | null): string => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);
  return [
    '',
    `stream job ${st.job.jobId} (started by the load test), vertices: ${st.vertices.join(' → ')}`,
    fb
      ? `backpressure first at ${fb.vertex} (${fb.second} s, ${n(fb.rate)} events/s offered)${fb.bottleneck ? `, waiting on ${fb.bottleneck} (busy ${n(fb.bottleneckBusyMs ?? 0)} ms/s)` : ''}`
      : 'no vertex back-pressured',
    `kept up to ${a.keptUpTo === null ? '–' : `${n(a.keptUpTo)} events/s`}; Flink source ${a.throughput.catchUpMean === null ? '–' : `${n(a.throughput.catchUpMean)}/s`} while catching up`,
    `lag peaks: stream job ${n(a.lags.streamMax)}, landing ${n(a.lags.landingMax)}; both 0 ${a.recovery.bothZeroAfter === null ? 'NEVER' : `${a.recovery.bothZeroAfter} s after the load`}`,
    `window results: ${a.latency.count} minutes, latency p50 ${secs(a.latency.p50Ms)}, p99 ${secs(a.latency.p99Ms)} (floor ${secs(a.latency.floorMs)} + up to ${secs(a.latency.commitWaitMaxMs)})`,
    `logins acknowledged ${n(a.loss.acceptedLogins)} = counted ${n(a.loss.counted)} + late ${n(a.loss.late)} + missing ${n(a.loss.missing)}; repeated results ${n(a.loss.repeatedResults)}`,
    ...st.checks.map((c) => `  ${c.ok ? '✓' : '✗'} ${c.name}`),
  ];
}
