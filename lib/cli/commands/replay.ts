import { gunzipSync } from 'node:zlib';
import { EventBridgeClient, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { Command } from 'commander';
import { parseEventTime } from '../../core/events/event-time.js';
import { parseRawKey, RAW_PREFIX } from '../../core/landing/object-keys.js';
import { publishEvents, type PublishInput } from '../../core/publish/publisher.js';
import { systemClock, type ObjectStore } from '../../core/ports.js';
import { LocalPipeline } from '../../local/local-pipeline.js';
import { explainAwsError } from '../aws-errors.js';
import { openDataDir, withCommonOptions, type CommonOptions } from '../context.js';
import { CliError, n, Progress } from '../output.js';

interface ReplayOptions extends CommonOptions {
  readonly from: string;
  readonly to: string;
  readonly bus: string;
  readonly archive?: string;
  readonly name?: string;
}

/** The landed events whose time is in [from, to), as publish inputs, read partition by partition. */
export async function* landedEventsBetween(
  store: ObjectStore,
  from: Date,
  to: Date,
): AsyncGenerator<PublishInput> {
  const firstHour = from.toISOString().slice(0, 13);
  const lastHour = to.toISOString().slice(0, 13);
  for await (const info of store.list(RAW_PREFIX)) {
    const key = parseRawKey(info.key);
    if (!key) continue;
    const hour = `${key.dt}T${key.hour}`;
    if (hour < firstHour || hour > lastHour) continue;
    const lines = gunzipSync(await store.get(info.key))
      .toString('utf8')
      .split('\n');
    for (const [i, line] of lines.entries()) {
      if (!line) continue;
      const e = JSON.parse(line) as Record<string, unknown>;
      const time = parseEventTime(String(e.time));
      if (!time || time < from || time >= to) continue;
      yield {
        ref: `${info.key}:${i + 1}`,
        value: {
          source: e.source,
          'detail-type': e['detail-type'],
          time: e.time,
          resources: e.resources,
          detail: e.detail,
        },
      };
    }
  }
}

/** `elt replay`: the events of a time window, delivered again. */
export function replayCommand(): Command {
  return withCommonOptions(
    new Command('replay')
      .description(
        "Deliver the events of a time window again. On AWS (--bus eventbridge:<name> --archive <archive ARN>), starts an EventBridge archive replay into the bus. Locally, re-publishes the landed raw events of the window through the in-process bus. Either way the events keep their detail.eventId, so the warehouse's dedupe keeps the marts right; run `elt run` afterwards.",
      )
      .requiredOption('--from <time>', 'start of the window, RFC 3339 (inclusive)')
      .requiredOption('--to <time>', 'end of the window, RFC 3339 (exclusive)')
      .option('--bus <bus>', '"local" or "eventbridge:<bus-name>"', 'local')
      .option('--archive <arn>', 'with --bus eventbridge:…: the archive to replay from')
      .option('--name <name>', 'with --bus eventbridge:…: the replay name (default elt-replay-<time>)'),
  ).action(async (options: ReplayOptions) => {
    const from = parseEventTime(options.from);
    const to = parseEventTime(options.to);
    if (!from)
      throw new CliError(
        `--from ${JSON.stringify(options.from)} is not an RFC 3339 time (e.g. 2026-11-01T00:00:00Z)`,
      );
    if (!to)
      throw new CliError(
        `--to ${JSON.stringify(options.to)} is not an RFC 3339 time (e.g. 2026-11-02T00:00:00Z)`,
      );
    if (to <= from) throw new CliError('--to must be after --from');

    if (options.bus.startsWith('eventbridge:')) {
      if (!options.archive) throw new CliError('--archive <archive ARN> is required to replay on AWS');
      const busName = options.bus.slice('eventbridge:'.length);
      const arn = /^arn:aws[\w-]*:events:([\w-]+):(\d{12}):archive\//.exec(options.archive);
      if (!arn) throw new CliError(`--archive must be an EventBridge archive ARN, got ${options.archive}`);
      const name = options.name ?? `elt-replay-${Date.now()}`;
      const busArn = busName.startsWith('arn:')
        ? busName
        : `arn:aws:events:${arn[1]}:${arn[2]}:event-bus/${busName}`;
      let out;
      const eventbridge = new EventBridgeClient({});
      try {
        out = await eventbridge.send(
          new StartReplayCommand({
            ReplayName: name,
            EventSourceArn: options.archive,
            EventStartTime: from,
            EventEndTime: to,
            Destination: { Arn: busArn },
          }),
        );
      } catch (error) {
        throw explainAwsError(error, 'eventbridge', `starting replay ${name}`);
      } finally {
        eventbridge.destroy();
      }
      const result = {
        replay: name,
        state: out.State,
        arn: out.ReplayArn,
        from: from.toISOString(),
        to: to.toISOString(),
      };
      process.stdout.write(
        options.json
          ? `${JSON.stringify(result)}\n`
          : `replay ${name} ${String(out.State ?? 'STARTING').toLowerCase()}: events of ${result.from} – ${result.to} from the archive into ${busName}. Follow it: aws events describe-replay --replay-name ${name}\n`,
      );
      return;
    }
    if (options.bus !== 'local')
      throw new CliError(`--bus must be "local" or "eventbridge:<bus-name>", got "${options.bus}"`);

    const ctx = await openDataDir(options, { mustExist: true });
    const progress = new Progress(!options.json);
    const pipeline = new LocalPipeline({
      store: ctx.store,
      landingWorkers: { storeRoot: ctx.dataDir.storeRoot },
    }).start();
    let summary;
    try {
      summary = await publishEvents(landedEventsBetween(ctx.store, from, to), {
        bus: pipeline.bus,
        store: ctx.store,
        clock: systemClock,
        onProgress: (read) => progress.update(`${n(read)} events replayed`),
      });
    } finally {
      await pipeline.close();
      progress.done();
    }
    const result = {
      from: from.toISOString(),
      to: to.toISOString(),
      replayed: summary.accepted,
      landedEvents: pipeline.stats.landedEvents,
      quarantined: summary.quarantined + pipeline.stats.quarantined,
    };
    process.stdout.write(
      options.json
        ? `${JSON.stringify(result)}\n`
        : `replayed ${n(result.replayed)} events of ${result.from} – ${result.to}; ${n(result.landedEvents)} landed again. Next: npx elt run (the warehouse keeps each event id once)\n`,
    );
  });
}
