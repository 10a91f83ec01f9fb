import { gunzipNdjson } from '../core/landing/ndjson-gzip.js';
import type { ObjectStore } from '../core/ports.js';

/** When an object counts as landed. */
export type LandedClock =
  /** The store's write time: exact on a local directory (file mtime, in milliseconds). */
  | 'lastModified'
  /** The first listing that shows the object: S3's LastModified has whole seconds only. */
  | 'observed';

/** Options of {@link LandedWatcher}. */
export interface LandedWatcherOptions {
  readonly store: ObjectStore;
  /** @default 'raw/' */
  readonly prefix?: string;
  readonly clock: LandedClock;
  /** Objects written before this (epoch ms) are earlier runs' and are not read. */
  readonly notBeforeMs?: number;
  /** Objects read at once. @default 8 */
  readonly concurrency?: number;
  readonly onObject: (lines: readonly string[], landedAtMs: number, key: string) => void;
}

/**
 * Finds the objects landed under a prefix, reading each new key once: an object is durable once the
 * store lists it (the landing code writes whole objects, and a retried batch rewrites its own key with
 * the same events, so a key seen again is not read again).
 */
export class LandedWatcher {
  private readonly seen = new Set<string>();
  private polling: Promise<void> | undefined;
  readonly stats = { objects: 0, skippedOlder: 0 };

  constructor(private readonly options: LandedWatcherOptions) {}

  /** One pass over the prefix (a pass already running is joined, not doubled). */
  poll(): Promise<void> {
    this.polling ??= this.pass().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async pass(): Promise<void> {
    const fresh: { key: string; at: number }[] = [];
    const listedAt = Date.now();
    for await (const o of this.options.store.list(this.options.prefix ?? 'raw/')) {
      if (this.seen.has(o.key)) continue;
      const modified = o.lastModified?.getTime();
      if (this.options.notBeforeMs !== undefined && modified !== undefined) {
        // S3 keeps whole seconds: an object of this run may show up to a second before it started.
        if (modified < this.options.notBeforeMs - 1000) {
          this.seen.add(o.key);
          this.stats.skippedOlder++;
          continue;
        }
      }
      const at = this.options.clock === 'lastModified' && modified !== undefined ? modified : listedAt;
      fresh.push({ key: o.key, at });
    }
    const concurrency = this.options.concurrency ?? 8;
    for (let i = 0; i < fresh.length; i += concurrency) {
      const chunk = fresh.slice(i, i + concurrency);
      const bodies = await Promise.all(
        chunk.map(async (f) => gunzipNdjson(await this.options.store.get(f.key))),
      );
      chunk.forEach((f, j) => {
        this.seen.add(f.key);
        this.stats.objects++;
        this.options.onObject(bodies[j]!, f.at, f.key);
      });
    }
  }
}
