// What FsObjectStore makes durable, and in which order: every file operation it does is recorded through
// wrappers around node:fs and node:fs/promises, on a real directory (only the recording is added).
import type * as Fs from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** `sync <dir>`, `datasync <file>`, `mkdir <dir>`, `open <file>`, `rename <from> <to>`: paths as given. */
const ops: string[] = [];
/** The path each open descriptor was opened with. */
const opened = new Map<number, string>();

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof FsPromises>();
  return {
    ...fs,
    mkdir: async (...args: Parameters<typeof fs.mkdir>) => {
      ops.push(`mkdir ${String(args[0])}`);
      return fs.mkdir(...args);
    },
  };
});

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof Fs>();
  type Done = (error: NodeJS.ErrnoException | null) => void;
  return {
    ...fs,
    open: (path: string, flags: string, done: (error: NodeJS.ErrnoException | null, fd: number) => void) =>
      fs.open(path, flags, (error, fd) => {
        if (!error) {
          opened.set(fd, path);
          if (flags === 'w') ops.push(`open ${path}`);
        }
        done(error, fd);
      }),
    openSync: (path: string, flags: string) => {
      const fd = fs.openSync(path, flags);
      opened.set(fd, path);
      if (flags === 'w') ops.push(`open ${path}`);
      return fd;
    },
    fdatasync: (fd: number, done: Done) => {
      ops.push(`datasync ${opened.get(fd)}`);
      fs.fdatasync(fd, done);
    },
    fsync: (fd: number, done: Done) => {
      ops.push(`sync ${opened.get(fd)}`);
      fs.fsync(fd, done);
    },
    renameSync: (from: string, to: string) => {
      ops.push(`rename ${from} ${to}`);
      fs.renameSync(from, to);
    },
  };
});

const { FsObjectStore } = await import('../../lib/adapters/store/fs-object-store.js');

const body = new TextEncoder().encode('{"a":1}\n');

/** What committing object `name` in `dir` does: the temporary file written, synced, renamed; the directory synced. */
const committed = (dir: string, name: string): string[] => [
  `open ${dir}/~tmp`,
  `datasync ${dir}/~tmp`,
  `rename ${dir}/~tmp ${dir}/${name}`,
  `sync ${dir}`,
];

describe('FsObjectStore: what a durable write syncs', () => {
  let base: string;
  let root: string;
  /** The recorded operations with paths relative to the store's root (`.` for the root itself). */
  const seen = (): string[] =>
    ops.map((op) =>
      op
        .split(' ')
        .map((part, i) => (i === 0 ? part : relative(root, part) || '.'))
        .map((part) => part.replace(/~[0-9a-f]+\.tmp$/, '~tmp'))
        .join(' '),
    );

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'fs-object-store-durability-'));
    root = join(base, 'store');
    ops.length = 0;
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('syncs each directory it creates into its parent before the object is written', async () => {
    const store = new FsObjectStore(root);
    await store.put('raw/a/b/x.json.gz', body);
    expect(seen()).toEqual([
      // The root goes into its parent; then each directory is made once the one above it is durable, and
      // its entry is synced into that one.
      'mkdir .',
      'sync ..',
      'mkdir raw',
      'sync .',
      'mkdir raw/a',
      'sync raw',
      'mkdir raw/a/b',
      'sync raw/a',
      ...committed('raw/a/b', 'x.json.gz'),
    ]);
  });

  it('syncs only the object and its directory when the directory exists, without making it again', async () => {
    const store = new FsObjectStore(root);
    await store.put('raw/a/b/x.json.gz', body);
    ops.length = 0;
    await store.put('raw/a/b/y.json.gz', body);
    expect(seen()).toEqual([...committed('raw/a/b', 'y.json.gz')]);
  });

  it('makes a directory again, durably, when it was removed behind the store’s back', async () => {
    const store = new FsObjectStore(root);
    await store.put('raw/a/b/x.json.gz', body);
    await rm(join(root, 'raw', 'a'), { recursive: true });
    ops.length = 0;
    await store.put('raw/a/b/y.json.gz', body);
    expect(seen()).toEqual([
      // The first attempt finds its parent gone: the parent is made again first.
      'mkdir raw/a/b',
      'mkdir raw/a',
      'sync raw',
      'mkdir raw/a/b',
      'sync raw/a',
      ...committed('raw/a/b', 'y.json.gz'),
    ]);
    expect(new TextDecoder().decode(await store.get('raw/a/b/y.json.gz'))).toBe('{"a":1}\n');
  });

  it('makes a removed directory again once, durably, when writes into it run at once', async () => {
    const store = new FsObjectStore(root);
    await store.put('raw/a/b/x.json.gz', body);
    await rm(join(root, 'raw', 'a'), { recursive: true });
    ops.length = 0;
    const keys = ['raw/a/b/1.gz', 'raw/a/b/2.gz', 'raw/a/b/3.gz'];
    await Promise.all(keys.map((key) => store.put(key, body)));
    const list = seen();
    const made = list.filter((op) => op === 'mkdir raw/a');
    expect(made.length).toBeGreaterThanOrEqual(1);
    for (const parent of ['raw', 'raw/a']) {
      const synced = list.indexOf(`sync ${parent}`);
      expect(synced, parent).toBeGreaterThanOrEqual(0);
      for (const [i, op] of list.entries()) if (op === 'open raw/a/b/~tmp') expect(synced).toBeLessThan(i);
    }
    for (const key of keys) expect(new TextDecoder().decode(await store.get(key))).toBe('{"a":1}\n');
  });

  it('writes nothing into a new directory before its parents are durable, when writes run at once', async () => {
    const store = new FsObjectStore(root);
    await Promise.all(
      ['raw/a/c/1.gz', 'raw/a/d/2.gz', 'raw/b/e/3.gz', 'raw/a/c/4.gz'].map((key) => store.put(key, body)),
    );
    const list = seen();
    // Each object's file is made only after every directory entry on its path is synced.
    const path = {
      'raw/a/c': ['..', '.', 'raw', 'raw/a'],
      'raw/a/d': ['raw/a'],
      'raw/b/e': ['raw', 'raw/b'],
    };
    for (const [dir, parents] of Object.entries(path)) {
      const opened = list.indexOf(`open ${dir}/~tmp`);
      expect(opened, dir).toBeGreaterThan(0);
      for (const parent of parents) {
        const synced = list.indexOf(`sync ${parent}`);
        expect(synced, `${parent} before ${dir}`).toBeGreaterThanOrEqual(0);
        expect(synced, `${parent} before ${dir}`).toBeLessThan(opened);
      }
    }
    // Each directory is made once, directories on different paths at the same time.
    expect(list.filter((op) => op.startsWith('mkdir')).sort()).toEqual([
      'mkdir .',
      'mkdir raw',
      'mkdir raw/a',
      'mkdir raw/a/c',
      'mkdir raw/a/d',
      'mkdir raw/b',
      'mkdir raw/b/e',
    ]);
    expect(list.filter((op) => op.startsWith('rename'))).toHaveLength(4);
  });

  it('syncs a directory after every rename into it, one sync serving the renames made before it starts', async () => {
    const store = new FsObjectStore(root);
    await store.put('raw/a/first.gz', body);
    ops.length = 0;
    const names = Array.from({ length: 24 }, (_, i) => `raw/a/${i}.gz`);
    await Promise.all(names.map((key) => store.put(key, body)));
    const list = seen();
    const syncs = list.flatMap((op, i) => (op === 'sync raw/a' ? [i] : []));
    for (const name of names) {
      const renamed = list.findIndex((op) => op.endsWith(` ${name}`) && op.startsWith('rename'));
      expect(renamed, name).toBeGreaterThanOrEqual(0);
      // A sync of the directory started after the rename (a sync recorded before it may have missed it).
      expect(
        syncs.some((at) => at > renamed),
        name,
      ).toBe(true);
    }
    expect(syncs.length).toBeGreaterThan(0);
    expect(syncs.length).toBeLessThanOrEqual(names.length);
  });

  it('syncs nothing when not durable', async () => {
    const store = new FsObjectStore(root, { durable: false });
    await store.put('raw/a/b/x.json.gz', body);
    expect(seen().filter((op) => op.includes('sync'))).toEqual([]);
    expect(seen()).toContain('rename raw/a/b/~tmp raw/a/b/x.json.gz');
  });
});
