import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FsObjectStore } from '../adapters/store/fs-object-store.js';
import { EltError } from '../core/util/errors.js';

const MARKER = '.elt-data-dir';

/** A data directory that exists, is not empty and was not made by elt: never reset. */
export class DataDirNotOursError extends EltError {
  constructor(readonly dir: string) {
    super(
      `refusing to reset ${dir}: it is not empty and was not created by elt (no ${MARKER} file). Choose another --data-dir.`,
    );
  }
}

/**
 * The local data directory: `store/` is the object store (raw/, quarantine/, dlq/) and
 * `warehouse.duckdb` the embedded warehouse. A marker file says elt made it, so only such a directory is
 * ever reset.
 */
export class DataDir {
  readonly root: string;

  constructor(dir: string) {
    this.root = resolve(dir);
  }

  get storeRoot(): string {
    return join(this.root, 'store');
  }

  get warehousePath(): string {
    return join(this.root, 'warehouse.duckdb');
  }

  /** Creates the directory (and its marker) if needed. */
  async ensure(): Promise<this> {
    if (existsSync(this.root) && !existsSync(join(this.root, MARKER))) {
      const entries = await readdir(this.root);
      if (entries.length > 0) throw new DataDirNotOursError(this.root);
    }
    await mkdir(this.root, { recursive: true });
    await writeFile(
      join(this.root, MARKER),
      'This directory holds data of the elt CLI (serverless-elt). Safe to delete.\n',
    );
    return this;
  }

  /** Deletes the store, the warehouse and the embedded marketplace database, keeping the directory. */
  async reset(): Promise<this> {
    await this.ensure();
    await rm(this.storeRoot, { recursive: true, force: true });
    await rm(this.oltpRoot, { recursive: true, force: true });
    for (const f of ['warehouse.duckdb', 'warehouse.duckdb.wal'])
      await rm(join(this.root, f), { force: true });
    return this;
  }

  /** The embedded marketplace database (PGlite's data) of `elt oltp`. */
  get oltpRoot(): string {
    return join(this.root, 'oltp');
  }

  /** The object store in this directory. */
  store(options: { durable?: boolean } = {}): FsObjectStore {
    return new FsObjectStore(this.storeRoot, options);
  }
}
