import { InvalidArgumentError } from 'commander';
import { EltError } from '../core/util/errors.js';

/** An error the CLI reports as one clear line and exit code 1 (or `exitCode`), without a stack trace. */
export class CliError extends EltError {
  readonly exitCode: number;

  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options);
    this.exitCode = options.exitCode ?? 1;
  }
}

/**
 * Reports on stderr a failure that does not change a command's result (closing a client, one poll of
 * many), so it is seen rather than dropped.
 */
export function warn(message: string, error?: unknown): void {
  const detail = error === undefined ? '' : `: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`elt: warning: ${message}${detail}\n`);
}

/** Formats an integer with thousands separators. */
export function n(value: number): string {
  return value.toLocaleString('en-US');
}

/** Formats milliseconds as seconds with one decimal. */
export function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Renders rows as an aligned text table. Numbers are right-aligned. */
export function table(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (cols.length === 0) return '(no columns)';
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return '∅';
    if (typeof v === 'number') return Number.isInteger(v) ? n(v) : String(v);
    if (typeof v === 'object') return JSON.stringify(v);
    // Keep each row on one line: control characters are shown escaped.
    return JSON.stringify(String(v)).slice(1, -1).replace(/\\"/g, '"');
  };
  const body = rows.map((r) => cols.map((c) => cell(r[c])));
  const numeric = cols.map(
    (c) =>
      rows.length > 0 && rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number'),
  );
  const width = cols.map((c, i) => Math.max(c.length, ...body.map((b) => [...(b[i] ?? '')].length)));
  const pad = (s: string, i: number): string => {
    const fill = ' '.repeat(Math.max(0, (width[i] ?? 0) - [...s].length));
    return numeric[i] ? fill + s : s + fill;
  };
  const lines = [
    cols.map((c, i) => pad(c, i)).join('  '),
    width.map((w) => '─'.repeat(w)).join('  '),
    ...body.map((b) => b.map((s, i) => pad(s, i)).join('  ')),
  ];
  return lines.join('\n');
}

/**
 * Progress for long work, on stderr so stdout stays clean for `--json`: rewritten in place on a
 * terminal, at most one line a second otherwise.
 */
export class Progress {
  private last = 0;
  private open = false;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly enabled = true) {}

  update(message: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < (this.tty ? 100 : 1000)) return;
    this.last = now;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${message}`);
      this.open = true;
    } else {
      process.stderr.write(`${message}\n`);
    }
  }

  done(message?: string): void {
    if (!this.enabled) return;
    if (this.open) process.stderr.write('\r\x1b[2K');
    this.open = false;
    if (message) process.stderr.write(`${message}\n`);
  }
}

/** Reads an option that is inline JSON or `@path` to a JSON file. */
export async function readJsonArgument(name: string, value: string): Promise<unknown> {
  let text = value;
  if (value.startsWith('@')) {
    const { readFile } = await import('node:fs/promises');
    try {
      text = await readFile(value.slice(1), 'utf8');
    } catch (error) {
      throw new CliError(
        `${name}: cannot read ${value.slice(1)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        { cause: error },
      );
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${name} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** Parses an integer option in a range (commander reports the error with the option's name). */
export function intInRange(min: number, max: number): (value: string) => number {
  return (value: string) => {
    const v = Number(value.replace(/_/g, ''));
    if (value.trim() === '' || !Number.isInteger(v) || v < min || v > max) {
      throw new InvalidArgumentError(`expected an integer from ${n(min)} to ${n(max)}`);
    }
    return v;
  };
}
