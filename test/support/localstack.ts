import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../../lib/package-paths.js';
import { runServiceScript } from './service-script.js';

const exec = promisify(execFile);
const script = (name: string): string => join(packageRoot(), 'scripts', 'services', name);

/** The environment that points the AWS SDK (and `elt`) at LocalStack. */
export function localstackEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
  };
}

/** A running LocalStack; `stop` stops it only if this suite started it. */
export interface LocalStack {
  readonly endpoint: string;
  readonly startedHere: boolean;
  stop(): Promise<void>;
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/_localstack/health`, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * LocalStack on 127.0.0.1:4566: the one already running, or one started (and installed on first use) by
 * scripts/services/localstack.sh. Fails with the script's explanation when it cannot start: the suite must
 * not pass without it.
 */
export async function localstack(env: Readonly<Record<string, string>> = {}): Promise<LocalStack> {
  const opts = { env: { ...process.env, ...env } };
  const { stdout: url } = await exec(script('localstack.sh'), ['url'], opts);
  const endpoint = url.trim();
  if (await answers(endpoint)) return { endpoint, startedHere: false, stop: async () => undefined };
  try {
    await runServiceScript(script('localstack.sh'), ['up'], { env });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(
      `LocalStack could not be started by scripts/services/localstack.sh: ${e.stderr?.trim() || e.message}`,
    );
  }
  return {
    endpoint,
    startedHere: true,
    stop: async () => {
      await exec(script('localstack.sh'), ['down'], { timeout: 60_000, ...opts });
    },
  };
}

/** The outputs of the deployed `local` environment. */
export interface LocalStackOutputs {
  readonly BusName: string;
  readonly RawBucketName: string;
  readonly LandingQueueUrl: string;
  readonly LandingDeadLetterQueueUrl: string;
  readonly file: string;
}

/** Deploys the `local` environment with scripts/services/localstack-stack.sh; returns its outputs. */
export async function deployLocalStack(): Promise<LocalStackOutputs> {
  let file: string;
  try {
    const { stdout } = await exec(script('localstack-stack.sh'), ['deploy'], {
      timeout: 600_000,
      maxBuffer: 64 << 20,
    });
    file = stdout.trim().split('\n').at(-1)!;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`deploying to LocalStack failed: ${(e.stderr ?? '').slice(-4000) || e.message}`);
  }
  const outputs = JSON.parse(await readFile(file, 'utf8')) as Record<string, Omit<LocalStackOutputs, 'file'>>;
  const stack = outputs['elt-local-stateful'];
  if (!stack) throw new Error(`${file} has no elt-local-stateful outputs`);
  return { ...stack, file };
}

/** Deletes the deployed stack. */
export async function destroyLocalStack(): Promise<void> {
  await exec(script('localstack-stack.sh'), ['destroy'], { timeout: 300_000, maxBuffer: 64 << 20 });
}
