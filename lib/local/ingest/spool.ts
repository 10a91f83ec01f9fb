import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SpoolFullError } from '../../core/ingest/ingest-sink.js';

/** One spooled request: its entries, as JSON values. */
export interface SpoolItem {
  readonly name: string;
  readonly values: readonly Record<string, unknown>[];
}

/** Options of {@link DirectorySpool}. */
export interface DirectorySpoolOptions {
  /** Requests held at most. @default 10,000 */
  readonly maxItems?: number;
  /** Bytes held at most. @default 256 MiB */
  readonly maxBytes?: number;
}

/**
 * A durable, bounded FIFO of accepted requests in a directory: one file per request, written to a
 * temporary name, fsynced and renamed, so an item is either whole or absent after a crash. Names sort in
 * arrival order, which is the order the spool drains in.
 */
export class DirectorySpool {
  private items: { name: string; bytes: number; ready: boolean; taken?: boolean; held?: boolean }[] = [];
  private bytes = 0;
  private seq = 0;
  private readonly maxItems: number;
  private readonly maxBytes: number;

  private constructor(
    readonly dir: string,
    options: DirectorySpoolOptions,
  ) {
    this.maxItems = options.maxItems ?? 10_000;
    this.maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  }

  /** Opens (and creates) the spool, picking up what an earlier process left in it. */
  static async open(dir: string, options: DirectorySpoolOptions = {}): Promise<DirectorySpool> {
    const spool = new DirectorySpool(dir, options);
    await mkdir(dir, { recursive: true });
    const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
    for (const name of names) {
      const { size } = await stat(join(dir, name));
      spool.items.push({ name, bytes: size, ready: true });
      spool.bytes += size;
    }
    for (const tmp of (await readdir(dir)).filter((n) => n.endsWith('.tmp')))
      await rm(join(dir, tmp), { force: true });
    const last = names.at(-1);
    spool.seq = last ? Number(last.split('-')[0]) + 1 : 0;
    return spool;
  }

  get depth(): number {
    return this.items.length;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /**
   * Writes a request durably at the end of the spool; returns its name, or throws {@link SpoolFullError}
   * when it would exceed a bound. `held`: the drain must not take it
   * (nor anything after it, to keep the order) until {@link release} or {@link recall} says whether it is
   * still needed — for a request whose first publish is still under way.
   */
  async push(values: readonly Record<string, unknown>[], options: { held?: boolean } = {}): Promise<string> {
    const text = JSON.stringify(values);
    const size = Buffer.byteLength(text);
    if (this.items.length + 1 > this.maxItems || this.bytes + size > this.maxBytes) {
      throw new SpoolFullError(
        `the spool holds ${this.items.length} requests (${this.bytes} bytes), its limit is ${this.maxItems} requests or ${this.maxBytes} bytes`,
      );
    }
    const name = `${String(this.seq++).padStart(12, '0')}-${Date.now()}.json`;
    // Reserve before the first await so concurrent pushes cannot overshoot the bounds.
    const item = { name, bytes: size, ready: false, held: options.held === true };
    this.items.push(item);
    this.bytes += size;
    try {
      const tmp = join(this.dir, `${name}.tmp`);
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(this.dir, name));
      item.ready = true;
      return name;
    } catch (error) {
      this.items = this.items.filter((i) => i !== item);
      this.bytes -= size;
      throw error;
    }
  }

  /** The oldest request, or undefined when empty (or while the oldest is still being written). */
  async oldest(): Promise<SpoolItem | undefined> {
    const first = this.items[0];
    if (!first?.ready || first.held) return undefined;
    const values = JSON.parse(await readFile(join(this.dir, first.name), 'utf8')) as Record<
      string,
      unknown
    >[];
    first.taken = true;
    return { name: first.name, values };
  }

  /**
   * Takes a request back before anyone has read it for publishing: true if it was removed, false if it is
   * gone already or {@link oldest} has handed it out.
   */
  async recall(name: string): Promise<boolean> {
    const item = this.items.find((it) => it.name === name);
    if (!item?.ready || item.taken) return false;
    await this.remove(name);
    return true;
  }

  /** Keeps the drain from taking a request (again) until it is released or recalled. */
  hold(name: string): void {
    const item = this.items.find((it) => it.name === name);
    if (item) {
      item.held = true;
      item.taken = false;
    }
  }

  /** Lets the drain take a held request (its first publish failed after all, or took too long). */
  release(name: string): void {
    const item = this.items.find((it) => it.name === name);
    if (item) item.held = false;
  }

  /** Removes a request once it is published. */
  async remove(name: string): Promise<void> {
    await rm(join(this.dir, name), { force: true });
    const i = this.items.findIndex((it) => it.name === name);
    if (i >= 0) {
      this.bytes -= this.items[i]!.bytes;
      this.items.splice(i, 1);
    }
  }
}
