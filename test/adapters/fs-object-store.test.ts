import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { ObjectKeyInvalidError, ObjectStoreLocationError } from '../../lib/core/landing/object-keys.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (body: Uint8Array): string => new TextDecoder().decode(body);

async function keys(store: FsObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out.sort();
}

/** Every file under a directory, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('FsObjectStore', () => {
  let base: string;
  let root: string;
  let store: FsObjectStore;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'fs-object-store-'));
    root = join(base, 'store');
    store = new FsObjectStore(root);
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  describe('put and get', () => {
    it('returns the bytes that were put', async () => {
      const body = new Uint8Array([0, 1, 2, 255, 10, 13]);

      await store.put('raw/source=a/part-1.ndjson.gz', body);

      expect(await store.get('raw/source=a/part-1.ndjson.gz')).toEqual(Buffer.from(body));
    });

    it('writes the object as the file <root>/<key>', async () => {
      await store.put('a/b/c.txt', bytes('hello'));

      expect(await readFile(join(root, 'a', 'b', 'c.txt'), 'utf8')).toBe('hello');
    });

    it('replaces an object whole when its key is written again', async () => {
      await store.put('a/obj', bytes('a much longer first version of the object'));

      await store.put('a/obj', bytes('short'));

      expect(text(await store.get('a/obj'))).toBe('short');
    });

    it('works without fsync (durable: false)', async () => {
      const fast = new FsObjectStore(root, { durable: false });

      await fast.put('a/obj', bytes('x'));

      expect(text(await fast.get('a/obj'))).toBe('x');
    });

    it('leaves no temporary file after writes and rewrites', async () => {
      await store.put('a/one', bytes('1'));
      await store.put('a/one', bytes('2'));
      await store.put('a/two', bytes('3'));

      expect(await filesUnder(root)).toEqual([join('a', 'one'), join('a', 'two')]);
    });

    it('removes its temporary file when the rename into place fails', async () => {
      // A directory where the object should go makes the rename fail.
      await mkdir(join(root, 'a', 'taken', 'child'), { recursive: true });

      await expect(store.put('a/taken', bytes('x'))).rejects.toThrow();

      expect(await readdir(join(root, 'a'))).toEqual(['taken']);
    });

    it('rejects get of a missing object with ENOENT', async () => {
      await expect(store.get('a/missing')).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  describe('list', () => {
    beforeEach(async () => {
      for (const key of [
        'raw/source=marketplace.users/dt=2026-11-01/part-1.ndjson.gz',
        'raw/source=marketplace.users/dt=2026-11-02/part-2.ndjson.gz',
        'raw/source=marketplace.web/dt=2026-11-01/part-3.ndjson.gz',
        'raw/top.txt',
        'rawish/part-4.ndjson.gz',
        'quarantine/stage=landing/part-5.ndjson.gz',
      ]) {
        await store.put(key, bytes(key));
      }
    });

    it('lists exactly the objects under a prefix that ends in "/"', async () => {
      expect(await keys(store, 'raw/source=marketplace.users/')).toEqual([
        'raw/source=marketplace.users/dt=2026-11-01/part-1.ndjson.gz',
        'raw/source=marketplace.users/dt=2026-11-02/part-2.ndjson.gz',
      ]);
    });

    it('lists the objects whose keys start with a prefix that ends mid-name', async () => {
      expect(await keys(store, 'raw/source=marketplace.u')).toEqual([
        'raw/source=marketplace.users/dt=2026-11-01/part-1.ndjson.gz',
        'raw/source=marketplace.users/dt=2026-11-02/part-2.ndjson.gz',
      ]);
    });

    it('treats a prefix without "/" as a prefix of the first segment', async () => {
      expect(await keys(store, 'raw')).toEqual([
        'raw/source=marketplace.users/dt=2026-11-01/part-1.ndjson.gz',
        'raw/source=marketplace.users/dt=2026-11-02/part-2.ndjson.gz',
        'raw/source=marketplace.web/dt=2026-11-01/part-3.ndjson.gz',
        'raw/top.txt',
        'rawish/part-4.ndjson.gz',
      ]);
    });

    it('lists every object for the empty prefix', async () => {
      expect(await keys(store, '')).toEqual([
        'quarantine/stage=landing/part-5.ndjson.gz',
        'raw/source=marketplace.users/dt=2026-11-01/part-1.ndjson.gz',
        'raw/source=marketplace.users/dt=2026-11-02/part-2.ndjson.gz',
        'raw/source=marketplace.web/dt=2026-11-01/part-3.ndjson.gz',
        'raw/top.txt',
        'rawish/part-4.ndjson.gz',
      ]);
    });

    it('lists nothing under a directory that does not exist', async () => {
      expect(await keys(store, 'dlq/queue=landing/')).toEqual([]);
    });

    it('lists only keys after startAfter, skipping whole directories before it', async () => {
      const listed: string[] = [];
      for await (const o of store.list('raw/source=marketplace.users/', {
        startAfter: 'raw/source=marketplace.users/dt=2026-11-02',
      }))
        listed.push(o.key);
      expect(listed).toEqual(['raw/source=marketplace.users/dt=2026-11-02/part-2.ndjson.gz']);
    });

    it('lists the folders one level below a prefix, as S3 common prefixes', async () => {
      const prefixes: string[] = [];
      for await (const p of store.listPrefixes('raw/')) prefixes.push(p);
      expect(prefixes).toEqual(['raw/source=marketplace.users/', 'raw/source=marketplace.web/']);
      const none: string[] = [];
      for await (const p of store.listPrefixes('dlq/')) none.push(p);
      expect(none).toEqual([]);
    });

    it('refuses to list the folders below a prefix that does not end in "/"', async () => {
      const listing = store.listPrefixes('raw')[Symbol.asyncIterator]().next();
      await expect(listing).rejects.toThrow(ObjectStoreLocationError);
      await expect(listing).rejects.toThrow('listPrefixes needs a prefix ending in "/": raw');
    });

    it('lists nothing when the store root does not exist', async () => {
      expect(await keys(new FsObjectStore(join(base, 'nowhere')), '')).toEqual([]);
    });

    it('lists nothing under a prefix that continues below an object key', async () => {
      expect(await keys(store, 'raw/top.txt/')).toEqual([]);
    });

    it('reports each object with its size in bytes and when it was written', async () => {
      const listed = [];
      for await (const o of store.list('raw/top')) listed.push(o);

      expect(listed).toEqual([
        { key: 'raw/top.txt', size: 'raw/top.txt'.length, lastModified: expect.any(Date) },
      ]);
      expect(Date.now() - listed[0]!.lastModified!.getTime()).toBeLessThan(60_000);
    });

    it('does not list a temporary file of a write in progress', async () => {
      await writeFile(join(root, 'raw', 'top.txt~0123456789ab.tmp'), 'partial');

      expect(await keys(store, 'raw/t')).toEqual(['raw/top.txt']);
    });

    it('lists an object whose key contains ".tmp-"', async () => {
      await store.put('raw/part.tmp-1', bytes('x'));

      expect(await keys(store, 'raw/part')).toEqual(['raw/part.tmp-1']);
    });

    it('rejects a prefix that would walk outside the root', async () => {
      await writeFile(join(base, 'outside.txt'), 'secret');

      await expect(keys(store, '../')).rejects.toBeInstanceOf(ObjectKeyInvalidError);
    });
  });

  describe('unsafe keys', () => {
    const unsafe = [
      ['a parent segment', '../outside.txt'],
      ['a parent segment inside the key', 'raw/../../outside.txt'],
      ['an absolute path', '/tmp/outside.txt'],
      ['an empty segment', 'raw//part.ndjson.gz'],
      ['a trailing slash', 'raw/'],
      ['a space', 'raw/my part.ndjson.gz'],
      ['the empty key', ''],
      ['a "." segment', 'raw/./part'],
      ['a backslash', 'raw\\..\\outside.txt'],
    ] as const;

    it.each(unsafe)('put rejects %s before touching the disk', async (_what, key) => {
      await expect(store.put(key, bytes('x'))).rejects.toBeInstanceOf(ObjectKeyInvalidError);

      expect(existsSync(root)).toBe(false);
      expect(existsSync(join(base, 'outside.txt'))).toBe(false);
    });

    it.each(unsafe)('get rejects %s', async (_what, key) => {
      await writeFile(join(base, 'outside.txt'), 'secret');

      await expect(store.get(key)).rejects.toBeInstanceOf(ObjectKeyInvalidError);
    });

    it.each(unsafe)('localPath rejects %s', (_what, key) => {
      expect(() => store.localPath(key)).toThrow(ObjectKeyInvalidError);
    });
  });

  describe('localPath and describe', () => {
    it('maps a key to its file under the root', () => {
      expect(store.localPath('raw/dt=2026-11-01/part-1.ndjson.gz')).toBe(
        join(root, 'raw', 'dt=2026-11-01', 'part-1.ndjson.gz'),
      );
    });

    it('resolves a relative root against the working directory', () => {
      expect(new FsObjectStore('relative/store').localPath('a')).toBe(
        join(process.cwd(), 'relative', 'store', 'a'),
      );
    });

    it('describes itself as the file URL of its root', () => {
      expect(store.describe()).toBe(`file://${root}`);
    });
  });
});

describe('FsObjectStore: staged objects', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'elt-fs-stage-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('makes the directory and a hidden temporary file first, and the object on commit', async () => {
    const store = new FsObjectStore(root);
    const staged = await store.stage('raw/source=s/hour=01');
    expect(await readdir(join(root, 'raw', 'source=s', 'hour=01'))).toEqual([
      expect.stringMatching(/^~[0-9a-f]{12}\.tmp$/),
    ]);
    expect(await keys(store, 'raw/')).toEqual([]);
    await staged.commit('raw/source=s/hour=01/part-1.ndjson.gz', bytes('body'));
    expect(await readdir(join(root, 'raw', 'source=s', 'hour=01'))).toEqual(['part-1.ndjson.gz']);
    expect(text(await store.get('raw/source=s/hour=01/part-1.ndjson.gz'))).toBe('body');
  });

  it('removes the temporary file on discard', async () => {
    const store = new FsObjectStore(root);
    const staged = await store.stage('a');
    await staged.discard();
    await staged.discard();
    expect(await readdir(join(root, 'a'))).toEqual([]);
  });

  it('refuses a commit to another directory and removes the temporary file', async () => {
    const store = new FsObjectStore(root);
    const staged = await store.stage('a');
    await expect(staged.commit('b/obj', bytes('x'))).rejects.toBeInstanceOf(ObjectKeyInvalidError);
    expect(await readdir(join(root, 'a'))).toEqual([]);
    expect(existsSync(join(root, 'b'))).toBe(false);
  });

  it('refuses an unsafe directory before touching the disk', async () => {
    const store = new FsObjectStore(join(root, 'store'));
    await expect(store.stage('../outside')).rejects.toBeInstanceOf(ObjectKeyInvalidError);
    expect(existsSync(join(root, 'store'))).toBe(false);
  });
});

describe('FsObjectStore: directories made once', () => {
  it('writes again into a partition directory removed after its first object', async () => {
    const root = await mkdtemp(join(tmpdir(), 'elt-fs-dirs-'));
    try {
      const store = new FsObjectStore(root);
      const key = 'raw/source=s/detail_type=t/dt=2026-11-01/hour=00/part-a.ndjson.gz';
      await store.put(key, Buffer.from('one'));
      // Something else removes the directory (a cleanup, a test): the next put makes it again.
      await rm(join(root, 'raw'), { recursive: true, force: true });
      await store.put(key.replace('part-a', 'part-b'), Buffer.from('two'));
      expect(Buffer.from(await store.get(key.replace('part-a', 'part-b'))).toString()).toBe('two');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
