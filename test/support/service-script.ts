import { spawn } from 'node:child_process';
import { basename } from 'node:path';

/** A service script that exited non-zero (or ran past its time): its stderr says why. */
export class ServiceScriptError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/**
 * Runs one of scripts/services/*.sh and returns its stdout. Its stderr (what it installs or fetches, what
 * it starts, why it failed) is shown on the test run's console line by line as it comes, so a first run's
 * downloads are not minutes of silence, and kept for the error.
 */
export function runServiceScript(
  script: string,
  args: readonly string[],
  options: { env?: Readonly<Record<string, string>>; timeoutMs?: number } = {},
): Promise<string> {
  const label = `${basename(script)} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn(script, args, {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr += text;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') console.error(`[${label}] ${line}`);
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 600_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new ServiceScriptError(`${label}: ${error.message}`, stderr));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (partial.trim() !== '') console.error(`[${label}] ${partial}`);
      if (code === 0) resolve(stdout);
      else
        reject(
          new ServiceScriptError(
            `${label} ${signal ? `was stopped by ${signal} (over ${Math.round((options.timeoutMs ?? 600_000) / 1000)} s?)` : `exited ${code}`}`,
            stderr,
          ),
        );
    });
  });
}
