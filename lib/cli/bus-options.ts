import { Option, type Command } from 'commander';
import { CliError } from './output.js';

/** Options of commands that publish to a bus. */
export interface BusCliOptions {
  readonly bus: string;
  readonly transport?: 'kafka';
}

/** Adds `--bus` (the in-process bus or a deployed EventBridge bus) and `--transport kafka`. */
export function withBusOptions(command: Command): Command {
  return command
    .option(
      '--bus <bus>',
      '"local" (the in-process bus, landing into --data-dir) or "eventbridge:<bus-name>" (a deployed bus; AWS credentials and region from the default chain)',
      'local',
    )
    .addOption(
      new Option(
        '--transport <transport>',
        'kafka: produce to a Kafka topic instead of a bus (land it with elt land --transport kafka)',
      ).choices(['kafka']),
    );
}

/** The EventBridge bus `--bus eventbridge:<bus-name>` names (call it when `--bus` is not "local"). */
export function eventBridgeBusName(bus: string): string {
  const m = /^eventbridge:(.+)$/.exec(bus);
  if (!m) throw new CliError(`--bus must be "local" or "eventbridge:<bus-name>", got "${bus}"`);
  return m[1]!;
}
