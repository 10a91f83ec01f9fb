import { promisify } from 'node:util';
import { constants, createGzip, gunzip, type Gzip } from 'node:zlib';
import type { ObjectStore } from '../ports.js';

const gunzipAsync = promisify(gunzip);

/** zlib's default: the usual size/speed balance for objects that are stored for months and read by COPY. */
export const DEFAULT_GZIP_LEVEL = 6;

/**
 * Gzips NDJSON lines (each already a single line of JSON) into one object body. zlib runs on libuv's
 * thread pool, so compression overlaps with parsing and validation on the main thread.
 */
export async function gzipNdjson(lines: readonly string[], level = DEFAULT_GZIP_LEVEL): Promise<Buffer> {
  return gzipReused(Buffer.from(lines.join('\n') + '\n', 'utf8'), level);
}

/**
 * Output buffer of a one-shot gzip: room for the compressed body of most objects in one piece (NDJSON events
 * compress about 5:1, so bodies up to about 300 KB), so zlib answers in one round trip to the thread pool
 * (with its default 16 KiB, most objects took two). It stays below glibc's 128 KiB mmap threshold, so the
 * buffer is not mapped and unmapped again.
 */
const ONE_SHOT_CHUNK = 64 * 1024;

/**
 * What {@link ReusedGzip} calls on a zlib stream beyond its typed API: `_processChunk`, the stream's own
 * entry point for one chunk with a flush flag, and `reset` (documented for every zlib class).
 */
interface ZlibCalls {
  _processChunk(chunk: Buffer, flushFlag: number, callback: () => void): void;
  reset(): void;
}

/**
 * A gzip compressor that makes one member per call and is then reset for the next, so its zlib state
 * (about 270 KB: window, hash chains, pending buffer) is allocated once instead of for every object. A fresh
 * compressor per object costs that allocation (zeroed by calloc) on the thread pool every time, and the pool
 * threads' heaps hand the memory back to the system between objects, so it is faulted in again: measured
 * 2026-12-04 on 2 cores, the 4,256 SQS-shaped objects of the landing benchmark (mean 17 KB, four at a time)
 * took 885–932 ms of CPU with a new compressor each and 522–612 ms with four reused ones, 80,000 fewer page
 * faults per 200,000 records. The bytes are a valid gzip member of the same text; zlib does not clear its
 * window on reset, so a rare match may be chosen differently than by a fresh compressor (2–4 objects of
 * 4,256 differed in their compressed bytes, none in their text).
 */
class ReusedGzip {
  private readonly stream: Gzip & ZlibCalls;
  private out: Buffer[] = [];
  private failed: Error | undefined;
  /** Rejects the call in progress: zlib reports a failure as an error event, not through the callback. */
  private fail: ((error: Error) => void) | undefined;

  constructor(level: number) {
    this.stream = createGzip({ level, chunkSize: ONE_SHOT_CHUNK }) as Gzip & ZlibCalls;
    this.stream.on('data', (chunk: Buffer) => this.out.push(chunk));
    this.stream.on('error', (error: Error) => {
      this.failed = error;
      this.fail?.(error);
    });
  }

  /** Whether this compressor can take another body (it has not failed). */
  get usable(): boolean {
    return this.failed === undefined && !this.stream.destroyed;
  }

  /** One gzip member of `body`, compressed on the thread pool. */
  compress(body: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.fail = reject;
      // One round trip to the thread pool: the body with Z_FINISH. (write + flush(Z_FINISH) takes two, and
      // measured 15–20% more CPU.)
      this.stream._processChunk(body, constants.Z_FINISH, () => {
        this.fail = undefined;
        // A chunk the stream could not hand over at once is still in its buffer: take it now.
        while (this.stream.readableLength > 0 && this.stream.read() !== null);
        const out = this.out;
        this.out = [];
        if (!this.usable) {
          reject(this.failed ?? new Error('the gzip stream closed before its end'));
          return;
        }
        this.stream.reset();
        resolve(out.length === 1 ? out[0]! : Buffer.concat(out));
      });
    });
  }

  close(): void {
    this.stream.destroy();
  }
}

/**
 * Compressors kept per level, at most {@link POOL_SIZE} of them in use: the thread pool runs that many
 * at once anyway, so a caller beyond them waits here instead of in libuv's queue.
 */
const POOL_SIZE = Math.max(1, Number(process.env.UV_THREADPOOL_SIZE) || 4);
const pools = new Map<number, { idle: ReusedGzip[]; busy: number; waiting: (() => void)[] }>();

/** One gzip member of `body` at `level`, from a compressor reused across calls. */
export async function gzipReused(body: Buffer, level = DEFAULT_GZIP_LEVEL): Promise<Buffer> {
  let pool = pools.get(level);
  if (!pool) pools.set(level, (pool = { idle: [], busy: 0, waiting: [] }));
  while (pool.busy >= POOL_SIZE) await new Promise<void>((resolve) => pool.waiting.push(resolve));
  pool.busy++;
  const compressor = pool.idle.pop() ?? new ReusedGzip(level);
  try {
    return await compressor.compress(body);
  } finally {
    if (compressor.usable) pool.idle.push(compressor);
    else compressor.close();
    pool.busy--;
    pool.waiting.shift()?.();
  }
}

/**
 * Pending characters from which {@link NdjsonGzipBuilder} compresses as lines are added, on a stream of
 * its own. Below this an object is compressed in one call at the end by a reused compressor: a stream costs
 * a fresh zlib state (about 270 KB, zeroed) and three or more round trips to the thread pool. At 64 KiB,
 * about half of the embedded pipeline's objects (mean 90 KB for 1,000,000 events) took the stream; at
 * 1 MiB, nearly none. Measured 2026-12-05 on 2 cores, together with the embedded queue's bodies kept as
 * bytes (which alone changed nothing measurable), 4 interleaved pairs at 1,000,000 events: 122–128k →
 * 128–129k events/s, 14.8–15.5 → 14.7–14.9 CPU-s.
 */
const STREAM_FROM_CHARS = 1024 * 1024;

/**
 * Gzips NDJSON lines as they are added, into one gzip member (the bytes {@link gzipNdjson} would make, up
 * to how the compressor split its blocks). Once `flushChars` characters are pending, {@link drain} hands
 * them to a zlib stream, which compresses them on libuv's thread pool while the caller goes on (parsing,
 * validating the next records); {@link finish} compresses the rest. Lines that never reach `flushChars`
 * are gzipped in one call at the end, without a stream, by a compressor reused across objects ({@link gzipReused}).
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
    private readonly flushChars = STREAM_FROM_CHARS,
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
      return gzipReused(this.take(), this.level);
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
