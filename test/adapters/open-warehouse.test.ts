import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { openWarehouse, WarehouseUrlError } from '../../lib/adapters/warehouse/open-warehouse.js';
import { parseRunId } from '../../lib/core/elt/sql-values.js';

const ROLE = 'arn:aws:iam::123456789012:role/elt-copy';

describe('openWarehouse', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'elt-open-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('opens the data directory DuckDB file for "duckdb" and a named file for "duckdb:<path>"', async () => {
    const a = await openWarehouse('duckdb', join(dir, 'default.duckdb'));
    const b = await openWarehouse(`duckdb:${join(dir, 'other.duckdb')}`, join(dir, 'default.duckdb'));
    try {
      expect(a.describe()).toBe(`duckdb:${join(dir, 'default.duckdb')}`);
      expect(b.describe()).toBe(`duckdb:${join(dir, 'other.duckdb')}`);
      expect(await b.query('SELECT 41 + 1 AS answer')).toEqual([{ answer: 42 }]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('opens a Redshift workgroup with the Redshift dialect, or a cluster', async () => {
    const wg = await openWarehouse(
      `redshift-data://workgroup/elt-dev-warehouse/analytics?bucket=raw-bucket&copyRole=${ROLE}`,
      'unused',
    );
    const cluster = await openWarehouse(
      'redshift-data://cluster/c1/analytics?dbUser=elt&dialect=postgres',
      'unused',
    );
    try {
      expect(wg.describe()).toBe('redshift-data:workgroup/elt-dev-warehouse/analytics');
      expect(wg.dialect.name).toBe('redshift');
      expect(cluster.describe()).toBe('redshift-data:cluster/c1/analytics');
      expect(cluster.dialect.name).toBe('postgres');
    } finally {
      await wg.close();
      await cluster.close();
    }
  });

  it('opens Redshift for queries only without bucket and copyRole, and refuses to load with a clear error', async () => {
    const w = await openWarehouse('redshift-data://workgroup/elt-dev-warehouse/analytics', 'unused');
    try {
      const store = new FsObjectStore(dir);
      await expect(
        w.loadObjects(
          [{ key: 'raw/a.ndjson.gz', size: 1 }],
          store,
          parseRunId('run-20261125T100000Z-abcdef'),
        ),
      ).rejects.toThrow(
        /needs the raw bucket and the COPY role: add bucket=<raw bucket>&copyRole=<role ARN>/,
      );
    } finally {
      await w.close();
    }
  });

  it.each([
    ['mysql://x', /unknown kind/],
    ['duckdb:', /no file after duckdb:/],
    ['redshift-data://namespace/x/db', /expected redshift-data:\/\/workgroup\/<name>\/<database>/],
    ['redshift-data://workgroup/wg', /expected redshift-data:\/\/workgroup\/<name>\/<database>/],
    ['redshift-data://workgroup/wg/db?bucket=raw-bucket', /bucket= and copyRole= go together/],
    [`redshift-data://workgroup/wg/db?copyRole=${ROLE}`, /bucket= and copyRole= go together/],
  ])('rejects %s naming what is wrong and the accepted forms', async (url, why) => {
    const error = await openWarehouse(url, 'unused').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WarehouseUrlError);
    expect((error as Error).message).toMatch(why);
    expect((error as Error).message).toContain('Use duckdb, duckdb:<file>, postgres://');
  });

  it('never prints a password from the URL in an error', async () => {
    const error = await openWarehouse('postgresx://elt:s3cret@127.0.0.1/db', 'unused').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain(':****@');
    expect(error?.message).not.toContain('s3cret');
  });
});
