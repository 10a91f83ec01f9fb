import { promisify } from 'node:util';
import { createGzip, gunzip, gzip, type Gzip } from 'node:zlib';
import type { ObjectStore } from '../ports.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** zlib's default: the usual size/speed balance for objects that are stored for months and read by COPY. */
export const DEFAULT_GZIP_LEVEL = 6;

/**
 * Gzips NDJSON lines (each already a single line of JSON) into one object body. zlib runs on libuv's
 * thread pool, so compression overlaps with parsing and validation on the main thread.
 */
export async function gzipNdjson(lines: readonly string[], level = DEFAULT_GZIP_LEVEL): Promise<Buffer> {
  return gzipAsync(Buffer.from(lines.join('\n') + '\n', 'utf8'), { level });
}

/**
 * Gzips NDJSON lines as they are added, into one gzip member (the bytes {@link gzipNdjson} would make, up
 * to how the compressor split its blocks). Once `flushChars` characters are pending, {@link drain} hands
 * them to a zlib stream, which compresses them on libuv's thread pool while the caller goes on (parsing,
 * validating the next records); {@link finish} compresses the rest. Lines that never reach `flushChars`
 * are gzipped in one call at the end, without a stream.
 */
export class NdjsonGzipBuilder {
  private pending: string[] = [];
  private pendingChars = 0;
  private stream: Gzip | undefined;
  private ended: Promise<void> | undefined;
  private readonly out: Buffer[] = [];
  /** Lines added so far. */
  lines = 0;

  constructor(
    private readonly level = DEFAULT_GZIP_LEVEL,
    private readonly flushChars = 64 * 1024,
  ) {}

  /** Adds one line (a single line of JSON, no newline). */
  add(line: string): void {
    this.pending.push(line);
    this.pendingChars += line.length + 1;
    this.lines++;
  }

  /** Starts compressing the pending lines in the background when there are at least `flushChars` of them. */
  drain(): void {
    if (this.pendingChars < this.flushChars) return;
    (this.stream ?? this.open()).write(this.take());
  }

  /** The gzip body of every line added. */
  async finish(): Promise<Buffer> {
    if (!this.stream) return gzipAsync(this.take(), { level: this.level });
    this.stream.end(this.take());
    await this.ended;
    return Buffer.concat(this.out);
  }

  /** Stops compressing (the body is not wanted). */
  close(): void {
    this.stream?.destroy();
  }

  private open(): Gzip {
    const stream = createGzip({ level: this.level });
    stream.on('data', (chunk: Buffer) => this.out.push(chunk));
    this.ended = new Promise<void>((resolve, reject) => {
      stream.once('end', resolve);
      stream.once('error', reject);
      stream.once('close', () => reject(new Error('the gzip stream closed before its end')));
    });
    // Awaited by finish(); a failure before then must not count as unhandled.
    this.ended.catch(() => undefined);
    this.stream = stream;
    return stream;
  }

  private take(): Buffer {
    const body = Buffer.from(this.pending.length > 0 ? `${this.pending.join('\n')}\n` : '', 'utf8');
    this.pending = [];
    this.pendingChars = 0;
    return body;
  }
}

/** Writes NDJSON lines as one gzip object, labelled as such; returns its size in bytes. */
export async function putGzipNdjson(
  store: ObjectStore,
  key: string,
  lines: readonly string[],
  level = DEFAULT_GZIP_LEVEL,
): Promise<number> {
  const body = await gzipNdjson(lines, level);
  await store.put(key, body, { contentType: 'application/x-ndjson', contentEncoding: 'gzip' });
  return body.length;
}

/** Splits a gzip NDJSON object back into its lines (no parsing). */
export async function gunzipNdjson(body: Uint8Array): Promise<string[]> {
  const text = (await gunzipAsync(body)).toString('utf8');
  return text.split('\n').filter((line) => line.length > 0);
}
