import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';

/** Where a locally run function's output goes: its logs and its metrics apart. */
export interface FunctionLogOptions {
  /** Print the function's structured log lines to stderr (otherwise: only to the file). */
  readonly verbose: boolean;
  /** Print its CloudWatch embedded-metric-format lines to stderr (otherwise: only to the file). */
  readonly emf: boolean;
  /** Every line, logs and metrics, is appended here. */
  readonly file: string;
  /** @default process.stderr */
  readonly console?: NodeJS.WritableStream;
}

/** What a {@link FunctionLogSink} has written, for the command's summary. */
export interface FunctionLogCounts {
  readonly logLines: number;
  readonly metricLines: number;
}

/** An EMF line is a JSON object with an `_aws.CloudWatchMetrics` member; Powertools Metrics writes one per flush. */
export function isMetricLine(line: string): boolean {
  if (!line.startsWith('{') || !line.includes('"_aws"')) return false;
  try {
    const parsed = JSON.parse(line) as { _aws?: { CloudWatchMetrics?: unknown } };
    return Array.isArray(parsed._aws?.CloudWatchMetrics);
  } catch {
    return false;
  }
}

/**
 * The stream a bundled function's stdout and stderr are piped to: every line goes to the log file (as
 * CloudWatch Logs would keep it), and to the console only when asked, so that the command's own progress and
 * summary stay readable. Lines are split as they arrive; a partial last line waits for its end.
 */
export class FunctionLogSink extends Writable {
  private pending = '';
  private file: WriteStream | undefined;
  private logLines = 0;
  private metricLines = 0;

  constructor(private readonly options: FunctionLogOptions) {
    super();
  }

  get counts(): FunctionLogCounts {
    return { logLines: this.logLines, metricLines: this.metricLines };
  }

  get path(): string {
    return this.options.file;
  }

  override _write(
    chunk: Buffer | string,
    _encoding: BufferEncoding,
    done: (error?: Error | null) => void,
  ): void {
    const text = this.pending + chunk.toString();
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.line(line);
    done();
  }

  override _final(done: (error?: Error | null) => void): void {
    if (this.pending !== '') this.line(this.pending);
    this.pending = '';
    if (!this.file) return done();
    this.file.end(() => done());
  }

  /** Writes out a partial last line and closes the file. */
  async close(): Promise<void> {
    if (this.writableFinished) return;
    await new Promise<void>((resolve, reject) =>
      this.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }

  private line(line: string): void {
    if (line.trim() === '') return;
    const metric = isMetricLine(line);
    if (metric) this.metricLines++;
    else this.logLines++;
    this.openFile().write(`${line}\n`);
    if (metric ? this.options.emf : this.options.verbose)
      (this.options.console ?? process.stderr).write(`${line}\n`);
  }

  private openFile(): WriteStream {
    if (!this.file) {
      mkdirSync(dirname(this.options.file), { recursive: true });
      this.file = createWriteStream(this.options.file, { flags: 'a' });
    }
    return this.file;
  }
}
