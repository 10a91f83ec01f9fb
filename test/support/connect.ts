import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../lib/package-paths.js';
import { runServiceScript } from './service-script.js';

const exec = promisify(execFile);
const script = join(packageRoot(), 'scripts', 'services', 'connect.sh');

/**
 * A second Kafka Connect worker for suites that kill workers (SIGKILL mid-stream), so they never take down the
 * one other suites use: its own folder, port, group and internal topics, on the same broker.
 */
export const CHAOS_CONNECT_ENV: Readonly<Record<string, string>> = {
  ELT_CONNECT_HOME: join(packageRoot(), '.services', 'connect-chaos'),
  ELT_CONNECT_PORT: '28083',
  ELT_CONNECT_GROUP: 'elt-connect-chaos',
};

/** Runs scripts/services/connect.sh with extra environment (e.g. {@link CHAOS_CONNECT_ENV}); fails with its explanation. */
export async function connectScript(
  env: Readonly<Record<string, string>>,
  ...args: string[]
): Promise<string> {
  try {
    return (await runServiceScript(script, args, { env })).trim();
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`scripts/services/connect.sh ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

/** A running Kafka Connect worker; `stop` stops it only if this suite started it. */
export interface ConnectWorker {
  readonly url: string;
  readonly startedHere: boolean;
  /** SIGKILL (no clean shutdown). */
  kill(): Promise<void>;
  /** `connect.sh up` again (after a kill): resumes its connectors from their stored offsets. */
  up(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A Kafka Connect worker with Debezium's PostgreSQL connector: the one already running, or one started (its
 * jars fetched from Maven Central on first use) by scripts/services/connect.sh. The broker must run already
 * (test/support/kafka.ts). Fails with the script's explanation when it cannot start.
 */
export async function kafkaConnect(env: Readonly<Record<string, string>> = {}): Promise<ConnectWorker> {
  const running = await exec(script, ['status'], { env: { ...process.env, ...env } }).then(
    () => true,
    () => false,
  );
  const url = (await connectScript(env, 'up')).split('\n').at(-1)!;
  let killed = false;
  return {
    url,
    startedHere: !running,
    kill: async () => {
      killed = true;
      await connectScript(env, 'kill');
    },
    up: async () => {
      await connectScript(env, 'up');
    },
    stop: async () => {
      // A worker this suite killed and restarted is its own now, whoever started it first.
      if (!running || killed) await connectScript(env, 'down');
    },
  };
}
