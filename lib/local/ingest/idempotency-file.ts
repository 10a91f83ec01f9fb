import { appendFile, open, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MemoryIdempotencyStore, type IdempotencyRecord } from '../../core/ingest/idempotency.js';
import { EltError } from '../../core/util/errors.js';
import { syncDirectory } from '../../adapters/store/fs-object-store.js';
import { jsonLines } from './json-lines.js';

/** The idempotency keys file cannot be read back: starting without its keys would publish keys again. */
export class IdempotencyFileError extends EltError {}

/** Options of {@link openIdempotencyFile}. */
export interface IdempotencyFileOptions {
  /** How long a completed key is remembered. */
  readonly ttlMs: number;
  /** Told what was dropped on open (a torn last line). */
  readonly warn?: (message: string) => void;
  /** The file is compacted when it grows past this many times its size after the last compaction. @default 4 */
  readonly compactFactor?: number;
  /** …and past this size. @default 1 MiB */
  readonly compactMinBytes?: number;
  readonly now?: () => number;
}

/**
 * Idempotency keys kept in memory and persisted to a JSON-lines file: read back streaming at start (a torn
 * last line, a crash mid-append, is dropped and said; any other bad line, or a file that cannot be read,
 * is an {@link IdempotencyFileError}), compacted to the keys still live at start and whenever it grows past
 * `compactFactor` times its compacted size (written to a temporary file, fsynced, renamed over).
 * Appends are batched and not fsynced: a key lost in a crash only lets a retry publish its events again,
 * which the warehouse removes by event id.
 */
export async function openIdempotencyFile(
  path: string,
  options: IdempotencyFileOptions,
): Promise<{ store: MemoryIdempotencyStore; file: IdempotencyFile }> {
  const now = options.now ?? Date.now;
  const restore = await readIdempotencyFile(path, now(), options.warn);
  const file = new IdempotencyFile(path, options);
  const store = new MemoryIdempotencyStore({
    ttlMs: options.ttlMs,
    restore: restore.values(),
    persist: (record) => file.append(record),
  });
  file.live = () => store.records(now());
  await file.compact();
  return { store, file };
}

/** The live records of a keys file (the last one of each key), read line by line. */
export async function readIdempotencyFile(
  path: string,
  now: number,
  warn?: (message: string) => void,
): Promise<Map<string, IdempotencyRecord>> {
  const records = new Map<string, IdempotencyRecord>();
  try {
    await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return records;
    throw unreadable(path, error);
  }
  try {
    for await (const { text, line, torn } of jsonLines(path)) {
      try {
        const record = checkRecord(JSON.parse(text));
        if (record.expiresAt > now) records.set(record.key, record);
        else records.delete(record.key);
      } catch (error) {
        if (!torn) throw corrupt(path, line, error);
        warn?.(
          `${path}: dropped a partial last line (line ${line}): an append cut off by a crash; its request was not answered`,
        );
      }
    }
  } catch (error) {
    if (error instanceof IdempotencyFileError) throw error;
    throw unreadable(path, error);
  }
  return records;
}

/** The keys file: batched appends and atomic compaction. */
export class IdempotencyFile {
  /** The records a compaction keeps. */
  live: () => Iterable<IdempotencyRecord> = () => [];
  private pending: { line: string; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private writing: Promise<void> | undefined;
  private bytes = 0;
  private compactedBytes = 0;
  /** Compactions done, for tests and summaries. */
  compactions = 0;

  constructor(
    readonly path: string,
    private readonly options: IdempotencyFileOptions,
  ) {}

  /** The file's size as this process knows it. */
  get sizeBytes(): number {
    return this.bytes;
  }

  /** Appends a record (with the records appended at the same time, in one write). */
  append(record: IdempotencyRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ line: `${JSON.stringify(record)}\n`, resolve, reject });
      this.kick();
    });
  }

  /** Rewrites the file with the live records only: temporary file, fsync, rename, fsync of the directory. */
  async compact(): Promise<void> {
    while (this.writing) await this.writing;
    const writing = this.rewrite().finally(() => {
      this.writing = undefined;
      if (this.pending.length > 0) this.kick();
    });
    this.writing = writing;
    await writing;
  }

  private kick(): void {
    if (this.writing) return;
    this.writing = this.writeLoop().finally(() => {
      this.writing = undefined;
      if (this.pending.length > 0) this.kick();
    });
  }

  private async writeLoop(): Promise<void> {
    await Promise.resolve();
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      const text = batch.map((b) => b.line).join('');
      try {
        await appendFile(this.path, text);
        this.bytes += Buffer.byteLength(text);
        for (const b of batch) b.resolve();
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
      const factor = this.options.compactFactor ?? 4;
      const min = this.options.compactMinBytes ?? 1024 * 1024;
      if (this.bytes > min && this.bytes > factor * this.compactedBytes) {
        // A failed compaction leaves the file as it was; the next append tries again.
        await this.rewrite().catch(() => undefined);
      }
    }
  }

  private async rewrite(): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const fh = await open(tmp, 'w');
    let bytes = 0;
    try {
      let chunk: string[] = [];
      let chunkChars = 0;
      for (const record of this.live()) {
        const line = `${JSON.stringify(record)}\n`;
        chunk.push(line);
        chunkChars += line.length;
        if (chunkChars > 1024 * 1024) {
          const text = chunk.join('');
          await fh.write(text);
          bytes += Buffer.byteLength(text);
          chunk = [];
          chunkChars = 0;
        }
      }
      const text = chunk.join('');
      await fh.write(text);
      bytes += Buffer.byteLength(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
    await syncDirectory(dirname(this.path));
    this.bytes = bytes;
    this.compactedBytes = bytes;
    this.compactions++;
  }
}

function checkRecord(value: unknown): IdempotencyRecord {
  const r = value as Partial<IdempotencyRecord> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.key !== 'string' ||
    typeof r.fingerprint !== 'string' ||
    typeof r.expiresAt !== 'number' ||
    typeof r.response !== 'object' ||
    r.response === null ||
    typeof r.response.status !== 'number'
  ) {
    throw new IdempotencyFileError('not an idempotency record {key, fingerprint, expiresAt, response}');
  }
  return r as IdempotencyRecord;
}

function unreadable(path: string, error: unknown): IdempotencyFileError {
  return new IdempotencyFileError(
    `cannot read the idempotency keys file ${path}: ${(error as Error).message}; fix it or move it aside (starting without it would forget every key)`,
    { cause: error },
  );
}

function corrupt(path: string, line: number, error: unknown): IdempotencyFileError {
  return new IdempotencyFileError(
    `${path}:${line}: not an idempotency record (${(error as Error).message}); fix the line or move the file aside (starting without it would forget every key)`,
    { cause: error },
  );
}
