import { expect } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
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

/** An `elt` process the test can signal while it runs. */
export interface RunningCli {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  readonly done: Promise<CliRun>;
}

/** Starts `elt …` as a child process, like {@link runCli}, without waiting for it. */
export function startCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): RunningCli {
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), join(packageRoot(), 'bin', 'elt.ts'), ...args],
    {
      cwd: packageRoot(),
      env: { ...process.env, NO_COLOR: '1', ...env },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliRun>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** Polls `check` every 100 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Awaits a CLI run, fails the test with its stderr unless it exited 0, and returns its `--json` result. */
export async function okJson(run: Promise<CliRun>): Promise<Record<string, unknown>> {
  const r = await run;
  expect(r.code, r.stderr.slice(-3000)).toBe(0);
  return lastJson(r);
}
