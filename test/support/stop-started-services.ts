import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../lib/package-paths.js';
import { CHAOS_CONNECT_ENV } from './connect.js';
import { CHAOS_KAFKA_ENV } from './kafka.js';

const exec = promisify(execFile);

/** A service a suite may start through scripts/services/*.sh: its script and the environment that places it. */
interface Service {
  readonly name: string;
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
}

const SERVICES: readonly Service[] = [
  { name: 'PostgreSQL', script: 'postgres.sh', env: {} },
  { name: 'LocalStack', script: 'localstack.sh', env: {} },
  { name: 'MiniStack', script: 'ministack.sh', env: {} },
  // Before the broker its jobs read from and write to.
  { name: 'Flink', script: 'flink.sh', env: {} },
  // Before the brokers they keep their state on: a worker stopping cleanly commits its offsets there.
  { name: 'Kafka Connect', script: 'connect.sh', env: {} },
  { name: 'Kafka Connect (chaos)', script: 'connect.sh', env: CHAOS_CONNECT_ENV },
  { name: 'Kafka', script: 'kafka.sh', env: {} },
  { name: 'Kafka (chaos)', script: 'kafka.sh', env: CHAOS_KAFKA_ENV },
];

function run(service: Service, command: 'status' | 'down'): Promise<{ stdout: string; stderr: string }> {
  return exec(join(packageRoot(), 'scripts', 'services', service.script), [command], {
    env: { ...process.env, ...service.env },
    timeout: 120_000,
  });
}

const runs = (service: Service): Promise<boolean> =>
  run(service, 'status').then(
    () => true,
    () => false,
  );

/**
 * Global setup of the `e2e` project: notes which services already run, and at teardown stops those the run
 * started. Suites share the PostgreSQL server (one per run, not one per file), so no file can stop it; this
 * does, so `npm test` leaves nothing listening and a second checkout's suite finds its ports free.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const before = await Promise.all(SERVICES.map(runs));
  return async () => {
    const failures: string[] = [];
    for (const [i, service] of SERVICES.entries()) {
      if (before[i] || !(await runs(service))) continue;
      try {
        await run(service, 'down');
      } catch (error) {
        const e = error as { stderr?: string; message: string };
        failures.push(`${service.name}: ${e.stderr?.trim() || e.message}`);
      }
    }
    if (failures.length > 0) {
      throw new Error(
        `could not stop the services this run started (stop them with scripts/services/<name>.sh down):\n${failures.join('\n')}`,
      );
    }
  };
}
