import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../lib/package-paths.js';
import { runServiceScript } from './service-script.js';

const exec = promisify(execFile);
const script = (name: string): string => join(packageRoot(), 'scripts', 'services', name);

/** A running MiniStack; `stop` stops it only if this suite started it. */
export interface MiniStack {
  readonly endpoint: string;
  readonly startedHere: boolean;
  stop(): Promise<void>;
}

/** Whether MiniStack (not a LocalStack on its port: only MiniStack's health has `ready_scripts`) answers. */
async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/_ministack/health`, { signal: AbortSignal.timeout(2000) });
    return res.ok && (await res.text()).includes('"ready_scripts"');
  } catch {
    return false;
  }
}

/**
 * MiniStack on 127.0.0.1:4567: the one already running, or one started (and installed on first use) by
 * scripts/services/ministack.sh. Fails with the script's explanation when it cannot start: the suite must
 * not pass without it.
 */
export async function ministack(env: Readonly<Record<string, string>> = {}): Promise<MiniStack> {
  const opts = { env: { ...process.env, ...env } };
  const { stdout: url } = await exec(script('ministack.sh'), ['url'], opts);
  const endpoint = url.trim();
  if (await answers(endpoint)) return { endpoint, startedHere: false, stop: async () => undefined };
  try {
    await runServiceScript(script('ministack.sh'), ['up'], { env });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(
      `MiniStack could not be started by scripts/services/ministack.sh: ${e.stderr?.trim() || e.message}`,
    );
  }
  return {
    endpoint,
    startedHere: true,
    stop: async () => {
      await exec(script('ministack.sh'), ['down'], { timeout: 60_000, ...opts });
    },
  };
}

/** The environment `scripts/services/ministack.sh env` prints: the AWS SDK (and `elt`) pointed at MiniStack. */
export async function ministackEnv(): Promise<Record<string, string>> {
  const { stdout } = await exec(script('ministack.sh'), ['env']);
  const env: Record<string, string> = {};
  for (const m of stdout.matchAll(/([A-Z0-9_]+)=(\S+)/g)) env[m[1]!] = m[2]!;
  return env;
}

/** The outputs of the deployed `emulator` environment (both stacks). */
export interface EmulatorOutputs {
  readonly BusName: string;
  readonly RawBucketName: string;
  readonly LandingQueueUrl: string;
  readonly LandingDeadLetterQueueUrl: string;
  readonly IngestTokenSecretArn: string;
  readonly LandingFunctionName: string;
  readonly StateMachineArn: string;
  readonly AlarmTopicArn: string;
  readonly IngestApiUrl: string;
  readonly file: string;
}

/** Deploys the `emulator` environment with scripts/services/emulator-stack.sh; returns its outputs. */
export async function deployEmulator(): Promise<EmulatorOutputs> {
  let file: string;
  try {
    const stdout = await runServiceScript(script('emulator-stack.sh'), ['deploy'], { timeoutMs: 600_000 });
    file = stdout.trim().split('\n').at(-1)!;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`deploying to MiniStack failed: ${(e.stderr ?? '').slice(-4000) || e.message}`);
  }
  const outputs = JSON.parse(await readFile(file, 'utf8')) as Record<string, Record<string, string>>;
  const stateful = outputs['elt-emulator-stateful'];
  const stateless = outputs['elt-emulator-stateless'];
  if (!stateful || !stateless)
    throw new Error(`${file} lacks the outputs of elt-emulator-stateful/-stateless`);
  return { ...(stateful as object), ...(stateless as object), file } as EmulatorOutputs;
}

/** Empties the buckets and deletes both stacks. */
export async function destroyEmulator(): Promise<void> {
  await runServiceScript(script('emulator-stack.sh'), ['destroy'], { timeoutMs: 300_000 });
}
