import { mkdir, open, readdir, readFile, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from '../../adapters/store/fs-object-store.js';
import { jsonLines } from './json-lines.js';
import { SpoolFullError } from '../../core/ingest/ingest-sink.js';
import { EltError } from '../../core/util/errors.js';

/** One logged request: its entries, as JSON values. */
export interface SpoolItem {
  readonly name: string;
  readonly values: readonly Record<string, unknown>[];
}

/** Options of {@link DirectorySpool}. */
export interface DirectorySpoolOptions {
  /** Requests waiting for the bus at most (the drain queue). @default 10,000 */
  readonly maxItems?: number;
  /** Bytes of requests waiting for the bus at most. @default 256 MiB */
  readonly maxBytes?: number;
  /** A log file is closed and a new one started past this size. @default 4 MiB */
  readonly segmentBytes?: number;
  /** Told what was dropped when reopening the log (a torn last line). */
  readonly warn?: (message: string) => void;
}

/** A log file cannot be read back: a line other than the last is not a request. */
export class SpoolCorruptError extends EltError {}

interface Segment {
  readonly file: string;
  /** Entries of this file the log still keeps. */
  live: number;
  /** No more appends: the file is deleted once `live` is 0. */
  sealed: boolean;
  bytes: number;
}

interface Entry {
  readonly name: string;
  readonly text: string;
  readonly bytes: number;
  readonly segment: Segment;
  /** Waiting in the drain queue. */
  queued: boolean;
  /** Handed out by {@link DirectorySpool.oldest}. */
  taken: boolean;
  held: boolean;
}

const LOG_FILE = /^log-(\d{12})\.ndjson$/;
/** The spool of earlier versions: one file per request. Read at start and let go of like log entries. */
const LEGACY_FILE = /^\d{12}-\d+\.json$/;

/**
 * The ingest write-ahead log: every accepted request is appended to it, durably, before it is answered.
 * Appends are group-committed: the requests that arrive while a write is under way share the next write
 * and its one fsync. A request leaves the log only when {@link discard} says its events are durable
 * downstream (the bus acknowledged them, or they landed). On open, everything an earlier process left in
 * the log is queued to be published again: the warehouse removes the duplicates by event id.
 *
 * The log also holds the drain queue, a bounded FIFO of the requests waiting for the bus while it is away
 * ({@link push}, {@link oldest}, {@link remove}); a request whose first publish failed joins it too
 * ({@link enqueue}). Files are `log-<seq>.ndjson`, one request (a JSON array of entries) per line; a file
 * is deleted once every request in it is discarded and a newer file has taken the appends. A crash
 * mid-append leaves a partial last line, which was never acknowledged: it is dropped on open (and said).
 */
export class DirectorySpool {
  private readonly entries = new Map<string, Entry>();
  private queue: Entry[] = [];
  private queuedBytes = 0;
  private seq = 0;
  private fileSeq = 0;
  /** The file new appends go to. */
  private current: Segment;
  /** The file open for writing (the current one, or the one before until its last write is done). */
  private active: { segment: Segment; fh: FileHandle } | undefined;
  private pending: {
    line: string;
    segment: Segment;
    resolve: () => void;
    reject: (error: unknown) => void;
  }[] = [];
  private writing: Promise<void> | undefined;
  private readonly maxItems: number;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;

  private constructor(
    readonly dir: string,
    options: DirectorySpoolOptions,
  ) {
    this.maxItems = options.maxItems ?? 10_000;
    this.maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024;
    this.current = this.nextSegment();
  }

  /**
   * Opens (and creates) the log, queueing what an earlier process left in it. Throws
   * {@link SpoolCorruptError} for a file that cannot be read back (a bad line before the last).
   */
  static async open(dir: string, options: DirectorySpoolOptions = {}): Promise<DirectorySpool> {
    const spool = new DirectorySpool(dir, options);
    await mkdir(dir, { recursive: true });
    const names = (await readdir(dir)).sort();
    for (const tmp of names.filter((n) => n.endsWith('.tmp'))) await rm(join(dir, tmp), { force: true });
    for (const name of names) {
      const m = LOG_FILE.exec(name);
      if (m) {
        spool.fileSeq = Math.max(spool.fileSeq, Number(m[1]) + 1);
        await spool.recover(name, options.warn);
      } else if (LEGACY_FILE.test(name)) {
        const text = await readFile(join(dir, name), 'utf8');
        spool.recovered(name, [parseLine(text, name, 1)]);
      }
    }
    spool.current = spool.nextSegment();
    return spool;
  }

  /** Requests waiting for the bus. */
  get depth(): number {
    return this.queue.length;
  }

  /** Bytes of the requests waiting for the bus. */
  get sizeBytes(): number {
    return this.queuedBytes;
  }

  /** Requests in the log: waiting, or published and not yet known to be durable downstream. */
  get unreleased(): number {
    return this.entries.size;
  }

  /** Logs a request durably (not bounded, not queued: the caller publishes it now); returns its name. */
  async append(values: readonly Record<string, unknown>[]): Promise<string> {
    const entry = this.add(JSON.stringify(values));
    await this.write(entry);
    return entry.name;
  }

  /**
   * Logs a request durably and queues it for the drain; returns its name, or throws {@link SpoolFullError}
   * when the drain queue is at a bound. `held`: the drain must not take it (nor anything after it, to keep
   * the order) until {@link release} or {@link recall} says whether it is still needed.
   */
  async push(values: readonly Record<string, unknown>[], options: { held?: boolean } = {}): Promise<string> {
    const text = JSON.stringify(values);
    const size = Buffer.byteLength(text);
    if (this.queue.length + 1 > this.maxItems || this.queuedBytes + size > this.maxBytes) {
      throw new SpoolFullError(
        `the spool holds ${this.queue.length} requests (${this.queuedBytes} bytes), its limit is ${this.maxItems} requests or ${this.maxBytes} bytes`,
      );
    }
    // Queued before the first await so concurrent pushes cannot overshoot the bounds (and keep the order).
    const entry = this.add(text);
    this.enqueueEntry(entry, options.held === true);
    try {
      await this.write(entry);
    } catch (error) {
      this.dequeue(entry);
      this.forget(entry);
      throw error;
    }
    return entry.name;
  }

  /** Queues a logged request for the drain (its publish failed). `held` as for {@link push}. */
  enqueue(name: string, options: { held?: boolean } = {}): void {
    const entry = this.entries.get(name);
    if (entry && !entry.queued) this.enqueueEntry(entry, options.held === true);
  }

  /** The oldest waiting request, or undefined when none (or while the oldest is held). */
  oldest(): Promise<SpoolItem | undefined> {
    const first = this.queue[0];
    if (!first || first.held) return Promise.resolve(undefined);
    first.taken = true;
    return Promise.resolve({
      name: first.name,
      values: JSON.parse(first.text) as Record<string, unknown>[],
    });
  }

  /**
   * Takes a waiting request out of the drain queue before the drain has read it (its publish succeeded
   * after all): true if it was taken out, false if it is not waiting or {@link oldest} has handed it out.
   * The request stays in the log until {@link discard}.
   */
  recall(name: string): Promise<boolean> {
    const entry = this.entries.get(name);
    if (!entry?.queued || entry.taken) return Promise.resolve(false);
    this.dequeue(entry);
    return Promise.resolve(true);
  }

  /** Keeps the drain from taking a request (again) until it is released or recalled. */
  hold(name: string): void {
    const entry = this.entries.get(name);
    if (entry) {
      entry.held = true;
      entry.taken = false;
    }
  }

  /** Lets the drain take a held request (its first publish failed after all, or took too long). */
  release(name: string): void {
    const entry = this.entries.get(name);
    if (entry) entry.held = false;
  }

  /** Takes a request out of the drain queue once it is published; it stays in the log until {@link discard}. */
  remove(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (entry) this.dequeue(entry);
    return Promise.resolve();
  }

  /** Lets go of a request whose events are durable downstream; its file goes once all of its requests have. */
  async discard(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) return;
    this.dequeue(entry);
    this.forget(entry);
    const segment = entry.segment;
    if (segment.live > 0) return;
    if (segment.sealed) await rm(join(this.dir, segment.file), { force: true });
    else if (this.current === segment && this.active?.segment === segment) {
      // Everything appended to the current file is downstream: start a new one, so this one can go.
      this.current = this.nextSegment();
      this.kick();
    }
  }

  /** Finishes the writes under way and closes the current file. */
  async close(): Promise<void> {
    while (this.writing) await this.writing;
    await this.seal();
  }

  /** A new request of `segment` (by default the file new appends go to), kept until discarded. */
  private add(text: string, segment = this.current): Entry {
    const entry: Entry = {
      name: String(this.seq++),
      text,
      bytes: Buffer.byteLength(text),
      segment,
      queued: false,
      taken: false,
      held: false,
    };
    segment.live++;
    this.entries.set(entry.name, entry);
    return entry;
  }

  private forget(entry: Entry): void {
    if (this.entries.delete(entry.name)) entry.segment.live--;
  }

  private enqueueEntry(entry: Entry, held: boolean): void {
    entry.queued = true;
    entry.held = held;
    entry.taken = false;
    this.queue.push(entry);
    this.queuedBytes += entry.bytes;
  }

  private dequeue(entry: Entry): void {
    if (!entry.queued) return;
    entry.queued = false;
    if (this.queue[0] === entry) this.queue.shift();
    else this.queue = this.queue.filter((e) => e !== entry);
    this.queuedBytes -= entry.bytes;
  }

  /** The file the next appends go to (opened by the writer). */
  private nextSegment(): Segment {
    return {
      file: `log-${String(this.fileSeq++).padStart(12, '0')}.ndjson`,
      live: 0,
      sealed: false,
      bytes: 0,
    };
  }

  /** Resolves once the entry's line is written and fsynced, with the lines of any concurrent appends. */
  private write(entry: Entry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ line: `${entry.text}\n`, segment: entry.segment, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.writing) return;
    const writing = this.writeLoop().finally(() => {
      this.writing = undefined;
      if (this.pending.length > 0 || (this.active && this.active.segment !== this.current)) this.kick();
    });
    this.writing = writing;
  }

  /** Writes what is pending, each run of lines of one file with one write and one fsync. */
  private async writeLoop(): Promise<void> {
    await Promise.resolve();
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      for (let i = 0; i < batch.length;) {
        const segment = batch[i]!.segment;
        let j = i;
        while (j < batch.length && batch[j]!.segment === segment) j++;
        const run = batch.slice(i, j);
        i = j;
        try {
          const fh = await this.fileOf(segment);
          const text = run.map((b) => b.line).join('');
          await fh.write(text);
          await fh.datasync();
          segment.bytes += Buffer.byteLength(text);
          for (const b of run) b.resolve();
          if (segment.bytes >= this.segmentBytes && this.current === segment)
            this.current = this.nextSegment();
        } catch (error) {
          // A failed write may leave part of a line: later appends go to a new file, so it stays the tail.
          if (this.current === segment) this.current = this.nextSegment();
          for (const b of run) b.reject(error);
        }
      }
    }
    if (this.active && this.active.segment !== this.current) await this.seal();
  }

  /** The open file of a segment (closing the one before). */
  private async fileOf(segment: Segment): Promise<FileHandle> {
    if (this.active?.segment === segment) return this.active.fh;
    await this.seal();
    const fh = await open(join(this.dir, segment.file), 'a');
    this.active = { segment, fh };
    // The new file's name is made durable too.
    await syncDirectory(this.dir);
    return fh;
  }

  /** Closes the open file; it is deleted when none of its requests is kept. */
  private async seal(): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = undefined;
    active.segment.sealed = true;
    await active.fh.close();
    if (active.segment.live === 0) await rm(join(this.dir, active.segment.file), { force: true });
  }

  private async recover(file: string, warn: DirectorySpoolOptions['warn']): Promise<void> {
    const path = join(this.dir, file);
    const lines: { text: string; line: number }[] = [];
    for await (const line of jsonLines(path)) {
      if (!line.torn) {
        lines.push(line);
        continue;
      }
      warn?.(
        `${path}: dropped a partial last line (line ${line.line}): a write cut off by a crash, never acknowledged`,
      );
    }
    this.recovered(
      file,
      lines.map((l) => parseLine(l.text, path, l.line)),
    );
  }

  /** Queues the requests read back from an earlier process's file; the file goes once they are discarded. */
  private recovered(file: string, texts: readonly string[]): void {
    const segment: Segment = { file, live: 0, sealed: true, bytes: 0 };
    for (const text of texts) this.enqueueEntry(this.add(text, segment), false);
    if (texts.length === 0) void rm(join(this.dir, file), { force: true });
  }
}

/** A logged request's text, checked: a JSON array of objects. */
function parseLine(text: string, file: string, line: number): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SpoolCorruptError(
      `${file}:${line}: not a JSON request (${(error as Error).message}); move the file aside to start without it`,
      { cause: error },
    );
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'object' && v !== null)) {
    throw new SpoolCorruptError(`${file}:${line}: not a JSON array of entries`);
  }
  return text;
}
