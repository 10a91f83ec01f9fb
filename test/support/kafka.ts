import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../lib/package-paths.js';
import { runServiceScript } from './service-script.js';

const exec = promisify(execFile);
const script = join(packageRoot(), 'scripts', 'services', 'kafka.sh');

/** Runs scripts/services/kafka.sh; fails with its explanation. */
export function kafkaScript(...args: string[]): Promise<string> {
  return kafkaScriptWith({}, ...args);
}

/**
 * A second broker for suites that kill brokers (the chaos suite), so they never take down the one other
 * suites use: its own folder and ports.
 */
export const CHAOS_KAFKA_ENV: Readonly<Record<string, string>> = {
  ELT_KAFKA_HOME: join(packageRoot(), '.services', 'kafka-chaos'),
  ELT_KAFKA_PORT: '29092',
  ELT_KAFKA_CONTROLLER_PORT: '29093',
};

/** Runs scripts/services/kafka.sh with extra environment (e.g. {@link CHAOS_KAFKA_ENV}). */
export async function kafkaScriptWith(
  env: Readonly<Record<string, string>>,
  ...args: string[]
): Promise<string> {
  try {
    return (await runServiceScript(script, args, { env })).trim();
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`scripts/services/kafka.sh ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

/** A running broker; `stop` stops it only if this suite started it. */
export interface KafkaBroker {
  readonly bootstrap: string;
  readonly startedHere: boolean;
  stop(): Promise<void>;
}

/**
 * The repository's Kafka broker (127.0.0.1:9092): the one already running, or one started (its jars fetched
 * from Maven Central on first use) by scripts/services/kafka.sh. Fails with the script's explanation when it
 * cannot start: the suite must not pass without a real broker.
 */
export async function kafkaBroker(env: Readonly<Record<string, string>> = {}): Promise<KafkaBroker> {
  const running = await exec(script, ['status'], { env: { ...process.env, ...env } }).then(
    () => true,
    () => false,
  );
  const bootstrap = (await kafkaScriptWith(env, 'up')).split('\n').at(-1)!;
  return {
    bootstrap,
    startedHere: !running,
    stop: async () => {
      if (!running) await kafkaScriptWith(env, 'down');
    },
  };
}
