import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { EventBridgeBus } from '../../adapters/bus/eventbridge-bus.js';
import { KafkaBus } from '../../adapters/kafka/kafka-bus.js';
import { KafkaUnavailableError } from '../../adapters/kafka/kafka-errors.js';
import {
  Breaker,
  type BreakerSettings,
  type BreakerTransition,
} from '../../adapters/resilience/circuit-breaker.js';
import { checkIngestToken, IngestTokenInvalidError } from '../../core/ingest/bearer-token.js';
import type { Bus } from '../../core/ports.js';
import { openLocalIngest } from '../../local/ingest/local-ingest.js';
import { LocalPipeline } from '../../local/local-pipeline.js';
import { openDataDir, withCommonOptions, type CommonOptions } from '../context.js';
import { kafkaTarget, withDefaultTopicOptions, type KafkaCliOptions } from '../kafka-options.js';
import { CliError, intInRange } from '../output.js';
import { untilStopped } from '../stop-signals.js';

interface ServeOptions extends CommonOptions, KafkaCliOptions {
  readonly port: number;
  readonly bus: string;
  readonly transport?: 'kafka';
  readonly tokenFile?: string;
  readonly idempotencyTtl: number;
  readonly maxBody: number;
  readonly spoolMaxRequests: number;
  readonly breakerFailureRate: number;
  readonly breakerMinimumCalls: number;
  readonly breakerOpenMs: number;
  readonly breakerWindowMs: number;
  readonly breakerTimeoutMs: number;
}

/** The ingest token: `--token-file`, else `$ELT_INGEST_TOKEN`. Never logged. */
async function readToken(options: ServeOptions): Promise<string> {
  const token = options.tokenFile
    ? (
        await readFile(options.tokenFile, 'utf8').catch(() => {
          throw new CliError(`--token-file: cannot read ${options.tokenFile}`);
        })
      ).trim()
    : (process.env.ELT_INGEST_TOKEN ?? '').trim();
  if (!token)
    throw new CliError('set ELT_INGEST_TOKEN (or pass --token-file) to the bearer token clients must send');
  try {
    return checkIngestToken(token);
  } catch (error) {
    if (error instanceof IngestTokenInvalidError) throw new CliError(error.message);
    throw error;
  }
}

/** `elt serve`: the HTTP ingest API in front of the bus. */
export function serveCommand(): Command {
  const command = withCommonOptions(
    new Command('serve')
      .description(
        'Serve the HTTP ingest API on 127.0.0.1: POST /v1/events (Authorization: Bearer <token>, Idempotency-Key, one entry or a batch) publishes to the bus; GET /health shows the circuit breakers and the spool. Locally the bus is the in-process one, landing under --data-dir; while the bus is unavailable, accepted requests wait in a durable spool under --data-dir. SIGINT/SIGTERM (or the exit of the process that started it) drain and flush before exiting.',
      )
      .addOption(
        new Option('--port <n>', 'port on 127.0.0.1 (0: any free port)')
          .default(8080)
          .argParser(intInRange(0, 65_535)),
      )
      .option(
        '--bus <bus>',
        '"local" (in-process, landing into --data-dir) or "eventbridge:<bus-name>"',
        'local',
      )
      .addOption(
        new Option(
          '--transport <transport>',
          'kafka: publish to a Kafka topic instead (--brokers, --topic)',
        ).choices(['kafka']),
      )
      .option('--token-file <file>', 'read the bearer token from this file instead of $ELT_INGEST_TOKEN')
      .addOption(
        new Option('--idempotency-ttl <seconds>', 'how long a key is remembered')
          .default(86_400)
          .argParser(intInRange(1, 30 * 86_400)),
      )
      .addOption(
        new Option('--max-body <bytes>', 'largest request body')
          .default(1_048_576)
          .argParser(intInRange(1024, 16 * 1_048_576)),
      )
      .addOption(
        new Option('--spool-max-requests <n>', 'requests the spool holds before answering 503')
          .default(10_000)
          .argParser(intInRange(1, 10_000_000)),
      )
      .addOption(
        new Option('--breaker-failure-rate <percent>', 'open the bus breaker at this failure rate')
          .default(50)
          .argParser(intInRange(1, 100)),
      )
      .addOption(
        new Option('--breaker-minimum-calls <n>', 'calls in the window before the rate counts')
          .default(5)
          .argParser(intInRange(1, 10_000)),
      )
      .addOption(
        new Option('--breaker-open-ms <ms>', 'stay open this long before a half-open probe')
          .default(5000)
          .argParser(intInRange(100, 600_000)),
      )
      .addOption(
        new Option('--breaker-window-ms <ms>', 'rolling window of the failure rate')
          .default(10_000)
          .argParser(intInRange(1000, 600_000)),
      )
      .addOption(
        new Option('--breaker-timeout-ms <ms>', 'a bus call slower than this counts as failed')
          .default(10_000)
          .argParser(intInRange(100, 600_000)),
      ),
  );
  withDefaultTopicOptions(command);
  return command.action(async (options: ServeOptions) => {
    const token = await readToken(options);
    const ctx = await openDataDir(options);
    const log = (entry: Record<string, unknown>): void => {
      process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
    };
    const settings: BreakerSettings = {
      failureRatePercent: options.breakerFailureRate,
      minimumCalls: options.breakerMinimumCalls,
      openMs: options.breakerOpenMs,
      windowMs: options.breakerWindowMs,
      callTimeoutMs: options.breakerTimeoutMs,
    };
    const onTransition = (t: BreakerTransition): void =>
      log({
        level: 'WARN',
        message: 'circuit breaker state change',
        ...t,
        metric: { name: 'BreakerTransition', value: 1 },
      });
    const busBreaker = new Breaker('bus', settings, onTransition);

    let bus: Bus;
    let closeBus: () => Promise<void> = async () => undefined;
    let landed: (() => Promise<void>) | undefined;
    if (options.transport === 'kafka') {
      const kafka = new KafkaBus({
        ...kafkaTarget(options),
        // The breaker decides when Kafka is down: the client gives up fast instead of retrying for long.
        retries: 2,
        retryDelayMs: 300,
      });
      try {
        await kafka.open();
      } catch (error) {
        if (error instanceof KafkaUnavailableError) throw new CliError(error.message);
        throw error;
      }
      bus = kafka;
      closeBus = () => kafka.close();
    } else if (options.bus.startsWith('eventbridge:')) {
      bus = new EventBridgeBus({ busName: options.bus.slice('eventbridge:'.length) });
    } else if (options.bus === 'local') {
      const pipeline = new LocalPipeline({
        store: ctx.store,
        landingWorkers: { storeRoot: ctx.dataDir.storeRoot },
      }).start();
      bus = pipeline.bus;
      closeBus = () => pipeline.close();
      // The in-process bus holds events in memory: the log keeps a request until its events have landed.
      landed = () => pipeline.landed();
    } else {
      throw new CliError(`--bus must be "local" or "eventbridge:<bus-name>", got "${options.bus}"`);
    }

    let opened: Awaited<ReturnType<typeof openLocalIngest>>;
    let port: number;
    try {
      opened = await openLocalIngest({
        root: ctx.dataDir.root,
        bus,
        breaker: busBreaker,
        store: ctx.store,
        token,
        idempotencyTtlMs: options.idempotencyTtl * 1000,
        spoolMaxRequests: options.spoolMaxRequests,
        maxBodyBytes: options.maxBody,
        log,
        ...(landed ? { landed } : {}),
      });
    } catch (error) {
      // A start-up failure ends the command (non-zero): the bus and its landing workers would keep the
      // process alive, not listening.
      await stopAfterFailedStart(closeBus, busBreaker);
      throw new CliError(`cannot start: ${(error as Error).message}`);
    }
    const { server, publisher, spool } = opened;
    try {
      port = await server.listen(options.port);
    } catch (error) {
      await publisher.close(0);
      await stopAfterFailedStart(closeBus, busBreaker);
      throw new CliError(`cannot listen on 127.0.0.1:${options.port}: ${(error as Error).message}`);
    }
    const ready = {
      listening: `http://127.0.0.1:${port}`,
      bus: bus.describe(),
      dataDir: ctx.dataDir.root,
      spoolDepth: spool.depth,
    };
    process.stdout.write(
      options.json
        ? `${JSON.stringify(ready)}\n`
        : `elt serve: listening on ${ready.listening}, publishing to ${ready.bus} (data in ${ready.dataDir}${spool.depth > 0 ? `, ${spool.depth} spooled requests to drain` : ''})\n`,
    );

    const reason = await untilStopped();
    log({ level: 'INFO', message: `stopping (${reason}): draining the spool and flushing the bus` });
    await server.close();
    await publisher.close();
    await closeBus();
    busBreaker.shutdown();
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ stopped: true, ...publisher.stats, spoolDepth: spool.depth, requests: server.stats })}\n`,
      );
    }
  });
}

/** Stops what was started before a start-up failure, so the process can exit. */
async function stopAfterFailedStart(closeBus: () => Promise<void>, breaker: Breaker): Promise<void> {
  await closeBus().catch(() => undefined);
  breaker.shutdown();
}
