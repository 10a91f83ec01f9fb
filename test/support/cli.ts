import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../lib/package-paths.js';

/** What a CLI run printed and how it ended. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `elt` as a user would, in its own process, from the TypeScript sources (so the suite needs no
 * build first).
 */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; input?: string; timeoutMs?: number; env?: Readonly<Record<string, string>> } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), join(packageRoot(), 'bin', 'elt.ts'), ...args],
      {
        cwd: options.cwd ?? packageRoot(),
        env: { ...process.env, NO_COLOR: '1', ...options.env },
      },
    );
    let stdout = '';
    let stderr = '';
    // Decoded as streams: a multi-byte character can straddle two chunks.
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (stdout += d));
    child.stderr.on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

/** The last line of stdout, parsed: the `--json` result. */
export function lastJson<T = Record<string, unknown>>(run: CliRun): T {
  const line = run.stdout.trim().split('\n').at(-1);
  if (!line) throw new Error(`no output; stderr: ${run.stderr}`);
  return JSON.parse(line) as T;
}
