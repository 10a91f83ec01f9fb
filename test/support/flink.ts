import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FlinkJobManager, FlinkSqlGateway } from '../../lib/adapters/stream/flink-gateway.js';
import { packageRoot } from '../../lib/package-paths.js';
import { runServiceScript } from './service-script.js';

const exec = promisify(execFile);
const script = join(packageRoot(), 'scripts', 'services', 'flink.sh');

/** Runs scripts/services/flink.sh; fails with its explanation (the log tail of a process that did not start). */
export async function flinkScript(...args: string[]): Promise<string> {
  try {
    return (await runServiceScript(script, args)).trim();
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`scripts/services/flink.sh ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

/** A running Flink cluster with its SQL Gateway; `stop` stops it only if this suite started it. */
export interface FlinkCluster {
  readonly restUrl: string;
  readonly gatewayUrl: string;
  readonly jobManager: FlinkJobManager;
  readonly gateway: FlinkSqlGateway;
  readonly startedHere: boolean;
  /** SIGKILL the TaskManager (no clean shutdown): running jobs fail over and wait for slots. */
  killTaskManager(): Promise<void>;
  /** Start the TaskManager again; resolves once it has registered with the JobManager. */
  startTaskManager(): Promise<void>;
  stop(): Promise<void>;
}

let starting: Promise<FlinkCluster> | undefined;

/**
 * The repository's Flink cluster (JobManager on 127.0.0.1:8081, SQL Gateway on 127.0.0.1:8084): the one already
 * running, or one started (its jars fetched from Maven Central on first use) by scripts/services/flink.sh, once per
 * test file. Fails with the script's explanation when it cannot start: the suite must not pass without a real
 * Flink.
 */
export function flinkCluster(): Promise<FlinkCluster> {
  starting ??= start().catch((error: unknown) => {
    starting = undefined;
    throw error;
  });
  return starting;
}

async function start(): Promise<FlinkCluster> {
  const running = await exec(script, ['status']).then(
    () => true,
    () => false,
  );
  const [restUrl, gatewayUrl] = (await flinkScript('up')).split('\n').slice(-2);
  if (!restUrl?.startsWith('http') || !gatewayUrl?.startsWith('http'))
    throw new Error(
      `scripts/services/flink.sh up printed no REST and gateway URLs (got ${restUrl}, ${gatewayUrl})`,
    );
  return {
    restUrl,
    gatewayUrl,
    jobManager: new FlinkJobManager(restUrl),
    gateway: new FlinkSqlGateway(gatewayUrl),
    startedHere: !running,
    killTaskManager: async () => {
      await flinkScript('kill-taskmanager');
    },
    startTaskManager: async () => {
      await flinkScript('start-taskmanager');
    },
    stop: async () => {
      starting = undefined;
      // A cluster that ran before keeps running (a TaskManager restarted here is part of it now).
      if (!running) await flinkScript('down');
    },
  };
}
