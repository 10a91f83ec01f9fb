import { randomBytes } from 'node:crypto';
import { closeSync, fdatasync, fsync, open, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StagedObject } from '../../core/landing/land-batch.js';
import { assertListPrefix, assertSafeKey, ObjectKeyInvalidError } from '../../core/landing/object-keys.js';
import type { ListOptions, ObjectInfo, ObjectStore, PutObjectOptions } from '../../core/ports.js';

/** Options of {@link FsObjectStore}. */
export interface FsObjectStoreOptions {
  /**
   * fsync each object and its directory before the write counts as done, so a landed batch survives a
   * crash of the machine, not only of the process. @default true
   */
  readonly durable?: boolean;
}

/**
 * An object store on the local filesystem: key `a/b/c` is the file `<root>/a/b/c`. Writes go to a
 * temporary file that is renamed into place, so a reader never sees half an object and a rewrite of the
 * same key replaces it whole (what S3 PutObject guarantees).
 */
export class FsObjectStore implements ObjectStore {
  readonly root: string;
  private readonly durable: boolean;
  /** Directories made (and, when durable, synced into their parents) by this store, or being made. */
  private readonly madeDirectories = new Map<string, Promise<void>>();
  /** Per directory, its latest sync, and whether that sync has started yet. */
  private readonly directorySyncs = new Map<string, { started: boolean; done: Promise<void> }>();

  constructor(root: string, options: FsObjectStoreOptions = {}) {
    this.root = resolve(root);
    this.durable = options.durable ?? true;
  }

  describe(): string {
    return pathToFileURL(this.root).href;
  }

  localPath(key: string): string {
    assertSafeKey(key);
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Uint8Array, _options?: PutObjectOptions): Promise<void> {
    assertSafeKey(key);
    const slash = key.lastIndexOf('/');
    const staged = await this.stage(slash >= 0 ? key.slice(0, slash) : '');
    await staged.commit(key, body);
  }

  /**
   * Starts an object in the directory of the keys under `dirKey/` before its name and body are known: the
   * directory and the temporary file are made now (creating a file is the costly part of a write on
   * most filesystems), so that work overlaps with whatever the caller does until it commits. `commit` then
   * writes the body, syncs the file, renames it into place and syncs the directory, as {@link put} does;
   * `discard` removes the temporary file. One of them must be called.
   */
  async stage(dirKey: string): Promise<StagedObject> {
    if (dirKey) assertSafeKey(dirKey);
    const dir = dirKey ? join(this.root, ...dirKey.split('/')) : this.root;
    // `~` is never in a key (object-keys.ts), so a temporary file can neither pass for an object nor hide one.
    const tmp = join(dir, `~${randomBytes(6).toString('hex')}.tmp`);
    const fd = await this.inDirectory(dir, () => openFile(tmp));
    let done = false;
    const discard = async (): Promise<void> => {
      if (done) return;
      done = true;
      closeQuietly(fd);
      rmSync(tmp, { force: true });
    };
    const commit = async (key: string, body: Uint8Array): Promise<void> => {
      const path = this.localPath(key);
      if (done || path.slice(0, path.lastIndexOf(sep)) !== dir) {
        await discard();
        throw new ObjectKeyInvalidError(key);
      }
      done = true;
      // Only the syncs wait on the disk, so only they go to the thread pool: writing into the page cache,
      // closing and renaming take microseconds, less than a round trip to the pool costs (one wakes a pool
      // thread, 25–30 µs of this thread's CPU on the 2-core benchmark machine, 2026-12-04). Measured there
      // on disk, 3 interleaved pairs: the SQS-shaped landing-alone side needed 4.1 CPU-s instead of 4.6.
      try {
        try {
          for (let at = 0; at < body.length;) at += writeSync(fd, body, at, body.length - at);
          if (this.durable) await datasyncFd(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(tmp, path);
      } catch (error) {
        rmSync(tmp, { force: true });
        throw error;
      }
      if (this.durable) await this.syncDirectory(dir);
    };
    return { commit, discard };
  }

  /**
   * Makes `dir` and its missing parents. When durable, the entry of every directory it creates is synced
   * into its parent before this resolves (the directory's own entries are synced when an object is
   * committed in it): a new partition's directory would otherwise vanish in a crash with the objects it
   * holds, although each object and its directory were synced. A directory is made once its parent is
   * made and durable, so a stage never commits into a directory whose parents are still being made
   * durable; directories on other paths are made at the same time. Once made, a directory is remembered
   * and costs nothing more.
   */
  private makeDirectory(dir: string): Promise<void> {
    let made = this.madeDirectories.get(dir);
    if (!made) {
      if (this.madeDirectories.size >= MADE_DIRECTORIES_KEPT) this.madeDirectories.clear();
      made = this.createDirectory(dir);
      this.madeDirectories.set(dir, made);
      // A failure is the caller's; the next stage tries again.
      made.catch(() => this.forgetDirectory(dir, made!));
    }
    return made;
  }

  private async createDirectory(dir: string): Promise<void> {
    if (dir === this.root || !dir.startsWith(this.root + sep)) {
      // The root: its missing parents are made at once, each new one synced into the one above it.
      const first = await mkdir(dir, { recursive: true });
      if (first !== undefined && this.durable) {
        await syncDirectory(dirname(first));
        for (let d = first; d !== dir; d = join(d, relative(d, dir).split(sep)[0]!)) await syncDirectory(d);
      }
      return;
    }
    const parent = dirname(dir);
    const made = await this.inDirectory(parent, () => makeOneDirectory(dir));
    // Made here: its entry goes into its parent, whose own entry is durable already.
    if (made && this.durable) await this.syncDirectory(parent);
  }

  /**
   * Runs `op` in `dir`, once this store has made it. A directory this store made may have been removed
   * since (by hand, or a cleanup): when `op` finds it gone (ENOENT), it is made again, once (by the first
   * caller to find it gone; the others wait for that one), and `op` runs again.
   */
  private async inDirectory<T>(dir: string, op: () => Promise<T>): Promise<T> {
    const made = this.makeDirectory(dir);
    await made;
    try {
      return await op();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.forgetDirectory(dir, made);
      await this.makeDirectory(dir);
      return op();
    }
  }

  /** Forgets that `dir` was made, unless it is being made again already (`made` is the stale promise). */
  private forgetDirectory(dir: string, made: Promise<void>): void {
    if (this.madeDirectories.get(dir) === made) this.madeDirectories.delete(dir);
  }

  /**
   * Syncs a directory's entries, sharing one sync among the callers that ask before it starts: a sync
   * started before a caller's change (a rename, a new directory) may miss it, so that caller waits for the
   * next one, which starts once the running one is done.
   */
  private syncDirectory(dir: string): Promise<void> {
    const latest = this.directorySyncs.get(dir);
    if (latest && !latest.started) return latest.done;
    const next = { started: false, done: Promise.resolve() };
    next.done = (latest ? latest.done.catch(() => undefined) : Promise.resolve())
      .then(() => {
        next.started = true;
        return syncDirectory(dir);
      })
      .finally(() => {
        if (this.directorySyncs.get(dir) === next) this.directorySyncs.delete(dir);
      });
    this.directorySyncs.set(dir, next);
    return next.done;
  }

  async get(key: string): Promise<Uint8Array> {
    return readFile(this.localPath(key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.localPath(key), { force: true });
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    // Walk only the directory the prefix names, then filter by the rest of the prefix.
    yield* this.walk(
      this.dirOf(prefix),
      prefix.slice(0, Math.max(0, prefix.lastIndexOf('/'))),
      prefix,
      options.startAfter ?? '',
    );
  }

  async *listPrefixes(prefix: string): AsyncIterable<string> {
    assertListPrefix(prefix);
    let entries;
    try {
      entries = await readdir(this.dirOf(prefix), { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    const names = entries.filter((e) => e.isDirectory()).map((e) => e.name);
    for (const name of names.sort()) yield `${prefix}${name}/`;
  }

  /** The directory of the part of a prefix up to its last `/` (checked: it must not leave the root). */
  private dirOf(prefix: string): string {
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    // A directory part that is not a safe key (`../`, `/etc/`) would walk outside the root.
    if (dirKey) assertSafeKey(dirKey);
    return dirKey ? join(this.root, ...dirKey.split('/')) : this.root;
  }

  private async *walk(
    dir: string,
    dirKey: string,
    prefix: string,
    startAfter: string,
  ): AsyncIterable<ObjectInfo> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      // No directory (or an object where the prefix wants one): nothing is under the prefix.
      if (isMissing(error)) return;
      throw error;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const key = dirKey ? `${dirKey}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        const inside = `${key}/`;
        // Every key under this directory sorts before startAfter: skip the whole subtree.
        if (startAfter && inside < startAfter && !startAfter.startsWith(inside)) continue;
        if (prefix.startsWith(inside) || key.startsWith(prefix) || inside.startsWith(prefix)) {
          yield* this.walk(join(dir, entry.name), key, prefix, startAfter);
        }
      } else if (entry.isFile() && key.startsWith(prefix) && key > startAfter && !entry.name.includes('~')) {
        const info = await stat(join(dir, entry.name));
        yield { key, size: info.size, lastModified: info.mtime };
      }
    }
  }
}

/** Directories a store remembers as made before it starts over (a store lives as long as its process). */
const MADE_DIRECTORIES_KEPT = 10_000;

/** Makes `dir`, whose parent exists; whether it made it (false: it was there already). */
async function makeOneDirectory(dir: string): Promise<boolean> {
  try {
    await mkdir(dir);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

const openFile = (path: string): Promise<number> =>
  new Promise((resolve, reject) => {
    open(path, 'w', (error, fd) => (error ? reject(error) : resolve(fd)));
  });
const datasyncFd = promisify(fdatasync);
const syncFd = promisify(fsync);

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Closing fails only for a descriptor already closed.
  }
}

/** Makes a directory's entries (a file created or renamed in it) durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await syncFd(fd);
  } finally {
    closeSync(fd);
  }
}
