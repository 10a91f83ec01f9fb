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

/** zlib's largest window (32 KiB), what a stream of unknown length is compressed with. */
const MAX_WINDOW_BITS = 15;
/** The least window zlib's gzip wrapper takes (512 bytes). */
const MIN_WINDOW_BITS = 9;
/** Bytes zlib keeps free at the end of its window: a match reaches back at most the window less this. */
const MIN_LOOKAHEAD = 262;

/**
 * The smallest window that still reaches back over a whole body of `bytes`: compressing with it finds
 * every match the largest window would, so the object is as small, but zlib sets up (allocates, clears
 * and faults in) a fraction of the 256 KiB a 32 KiB window needs. Readers need nothing: the window size is
 * the compressor's choice, and every inflater reads a stream made with any of them. Measured 2026-12-04
 * on 2 cores, re-gzipping the 4,423 objects of the SQS-shaped landing benchmark (mean 17 KB): 186–215 µs
 * of CPU per object with the 32 KiB window, 158–174 µs with the fitted one, the same bytes stored.
 */
export function windowBitsFor(bytes: number): number {
  let bits = MIN_WINDOW_BITS;
  while (bits < MAX_WINDOW_BITS && (1 << bits) - MIN_LOOKAHEAD < bytes) bits++;
  return bits;
}

/**
 * Output buffer of a one-shot gzip: room for any body below the streaming threshold in one piece, so zlib
 * answers in one round trip to the thread pool (with its default 16 KiB, most objects took two). It stays
 * below glibc's 128 KiB mmap threshold, so the buffer is not mapped and unmapped again for every object.
 */
const ONE_SHOT_CHUNK = 64 * 1024;

/**
 * Gzips NDJSON lines as they are added, into one gzip member (the bytes {@link gzipNdjson} would make, up
 * to how the compressor split its blocks). Once `flushChars` characters are pending, {@link drain} hands
 * them to a zlib stream, which compresses them on libuv's thread pool while the caller goes on (parsing,
 * validating the next records); {@link finish} compresses the rest. Lines that never reach `flushChars`
 * are gzipped in one call at the end, without a stream.
 */
export class NdjsonGzipBuilder {
  private pending: (string | Uint8Array)[] = [];
  private pendingChars = 0;
  /** Whether a pending line is bytes (then the body is concatenated, not joined). */
  private pendingBytes = false;
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

  /**
   * Adds one line given as its UTF-8 bytes (a single line of JSON, no newline), as a carrier that delivers
   * bytes has it: the line is not encoded again.
   */
  addBytes(line: Uint8Array): void {
    this.pending.push(line);
    this.pendingChars += line.length + 1;
    this.pendingBytes = true;
    this.lines++;
  }

  /** Starts compressing the pending lines in the background when there are at least `flushChars` of them. */
  drain(): void {
    if (this.pendingChars < this.flushChars) return;
    (this.stream ?? this.open()).write(this.take());
  }

  /** The gzip body of every line added. */
  async finish(): Promise<Buffer> {
    if (!this.stream) {
      const body = this.take();
      return gzipAsync(body, {
        level: this.level,
        windowBits: windowBitsFor(body.length),
        chunkSize: ONE_SHOT_CHUNK,
      });
    }
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
    const body = this.pendingBytes ? concatLines(this.pending) : joinLines(this.pending as string[]);
    this.pending = [];
    this.pendingChars = 0;
    this.pendingBytes = false;
    return body;
  }
}

/** Lines given as text, each followed by a newline, as UTF-8. */
function joinLines(lines: string[]): Buffer {
  // A last empty line makes join end the body with a newline in the one string it builds (appending '\n'
  // to the joined string would make a second string, copied again before it is encoded).
  if (lines.length > 0) lines.push('');
  return Buffer.from(lines.join('\n'), 'utf8');
}

/** Lines given as bytes or text, each followed by a newline, copied once into one buffer. */
function concatLines(lines: readonly (string | Uint8Array)[]): Buffer {
  const parts = lines.map((l) => (typeof l === 'string' ? Buffer.from(l, 'utf8') : l));
  let size = parts.length;
  for (const p of parts) size += p.length;
  const body = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of parts) {
    body.set(p, at);
    at += p.length;
    body[at++] = 0x0a;
  }
  return body;
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
