import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import {
  DEFAULT_DUCKDB_MEMORY_MB,
  DuckDbLimitError,
  duckDbLimits,
  DuckDbWarehouse,
  WarehouseBusyError,
} from '../../lib/adapters/warehouse/duckdb-warehouse.js';
import type { EventEnvelope } from '../../lib/core/events/envelope.js';
import { NASTY_STRINGS } from '../../lib/core/generator/workload.js';
import { gzipNdjson } from '../../lib/core/landing/ndjson-gzip.js';
import type { ObjectInfo, ObjectStore, RunRecord } from '../../lib/core/ports.js';
import { envelope } from '../support/envelopes.js';
import { useTempDirs } from '../support/temp-dir.js';
import { parseRunId } from '../../lib/core/elt/sql-values.js';

// event_time must be UTC whatever the machine's zone: run this file in a zone that is not UTC. DuckDB
// takes the process zone when its first instance is created, so this must run before any test opens one.
const originalTz = process.env.TZ;
process.env.TZ = 'America/New_York';
afterAll(() => {
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

const tempDir = useTempDirs();
const opened: DuckDbWarehouse[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((w) => w.close()));
});

async function open(path = ':memory:'): Promise<DuckDbWarehouse> {
  const w = await DuckDbWarehouse.open(path);
  opened.push(w);
  await w.ensureSchema();
  return w;
}

const SIGNUP_KEY =
  'raw/source=marketplace.users/detail_type=UserSignedUp/dt=2026-11-01/hour=12/part-a.ndjson.gz';
const BID_KEY =
  'raw/source=marketplace.auctions/detail_type=BidCreated/dt=2026-11-01/hour=12/part-b.ndjson.gz';

/** A store holding gzip NDJSON objects of the given envelopes; returns the store and the objects' info. */
async function storeWith(
  objects: Record<string, EventEnvelope[]>,
): Promise<{ store: FsObjectStore; infos: ObjectInfo[] }> {
  const store = new FsObjectStore(await tempDir(), { durable: false });
  for (const [key, envelopes] of Object.entries(objects)) {
    await store.put(key, await gzipNdjson(envelopes.map((e) => JSON.stringify(e))));
  }
  const infos: ObjectInfo[] = [];
  for await (const o of store.list('raw/')) infos.push(o);
  return { store, infos: infos.sort((a, b) => a.key.localeCompare(b.key)) };
}

/** The same objects, through a store that has no `localPath` (as S3 has none). */
function withoutLocalPath(store: FsObjectStore): ObjectStore {
  return {
    put: (key, body, options) => store.put(key, body, options),
    get: (key) => store.get(key),
    list: (prefix) => store.list(prefix),
    delete: (key) => store.delete(key),
    describe: () => 'remote',
  };
}

const signup1 = envelope('UserSignedUp', { id: 'env-1', time: '2026-11-01T12:00:00Z' });
const signup2 = envelope('UserSignedUp', {
  id: 'env-2',
  time: '2026-11-01T12:30:00Z',
  detail: { eventId: '0b7f2f7e-6a4f-4b8e-9d0a-000000000002', userId: 'u_2' },
});
const bid = envelope('BidCreated', { id: 'env-3', time: '2026-11-01T13:45:10+01:00' });

describe('DuckDbWarehouse', () => {
  describe('ensureSchema', () => {
    it('can run again on a warehouse that has data, keeping it', async () => {
      const w = await open();
      const { store, infos } = await storeWith({ [SIGNUP_KEY]: [signup1] });
      await w.loadObjects(infos, store, parseRunId('run-1'));

      await w.ensureSchema();

      const [row] = await w.query('SELECT COUNT(*) AS n FROM raw_events');
      expect(row).toEqual({ n: 1 });
      expect(await w.loadedObjectKeys()).toEqual(new Set([SIGNUP_KEY]));
    });
  });

  describe('loadObjects', () => {
    it('returns the number of events it loaded', async () => {
      const w = await open();
      const { store, infos } = await storeWith({ [SIGNUP_KEY]: [signup1, signup2], [BID_KEY]: [bid] });

      expect(await w.loadObjects(infos, store, parseRunId('run-1'))).toBe(3);
    });

    it('loads every line with its object key, envelope columns and run id', async () => {
      const w = await open();
      const { store, infos } = await storeWith({ [SIGNUP_KEY]: [signup1, signup2], [BID_KEY]: [bid] });

      await w.loadObjects(infos, store, parseRunId('run-1'));

      expect(
        await w.query(
          `SELECT object_key, id, version, detail_type, source, account, region, CAST(resources AS VARCHAR) AS resources, run_id
           FROM raw_events ORDER BY id`,
        ),
      ).toEqual([
        {
          object_key: SIGNUP_KEY,
          id: 'env-1',
          version: '0',
          detail_type: 'UserSignedUp',
          source: 'marketplace.users',
          account: '000000000000',
          region: 'us-east-1',
          resources: '[]',
          run_id: 'run-1',
        },
        {
          object_key: SIGNUP_KEY,
          id: 'env-2',
          version: '0',
          detail_type: 'UserSignedUp',
          source: 'marketplace.users',
          account: '000000000000',
          region: 'us-east-1',
          resources: '[]',
          run_id: 'run-1',
        },
        {
          object_key: BID_KEY,
          id: 'env-3',
          version: '0',
          detail_type: 'BidCreated',
          source: 'marketplace.auctions',
          account: '000000000000',
          region: 'us-east-1',
          resources: '[]',
          run_id: 'run-1',
        },
      ]);
    });

    it('stores event_time as UTC, whatever the offset of the event and the zone of the machine', async () => {
      // Precondition: a DuckDB session in this process would not be in UTC by itself.
      const raw = await DuckDBInstance.create(':memory:');
      const c = await raw.connect();
      const zone = (await c.runAndReadAll("SELECT current_setting('TimeZone')")).getRows()[0]?.[0];
      c.closeSync();
      raw.closeSync();
      expect(zone).toBe('America/New_York');
      const w = await open();
      const { store, infos } = await storeWith({ [SIGNUP_KEY]: [signup1], [BID_KEY]: [bid] });

      await w.loadObjects(infos, store, parseRunId('run-1'));

      expect(
        await w.query(
          `SELECT id, strftime(event_time, '%Y-%m-%d %H:%M:%S') AS t FROM raw_events ORDER BY id`,
        ),
      ).toEqual([
        { id: 'env-1', t: '2026-11-01 12:00:00' },
        { id: 'env-3', t: '2026-11-01 12:45:10' },
      ]);
    });

    it('keeps each landed line verbatim in event', async () => {
      const w = await open();
      const { store, infos } = await storeWith({ [SIGNUP_KEY]: [signup1, signup2], [BID_KEY]: [bid] });

      await w.loadObjects(infos, store, parseRunId('run-1'));

      const rows = await w.query('SELECT event FROM raw_events ORDER BY id');
      expect(rows.map((r) => r.event)).toEqual([signup1, signup2, bid].map((e) => JSON.stringify(e)));
    });

    it('keeps quotes, emoji, backslashes, control characters and newlines in strings verbatim', async () => {
      const w = await open();
      const strings = [...NASTY_STRINGS, 'a NUL \u0000 byte', 'a literal \\u0041 escape', 'a "\\n" and a\n'];
      const envelopes = strings.map((s, i) =>
        envelope('UserSignedUp', { id: `env-${String(i).padStart(2, '0')}`, detail: { displayName: s } }),
      );
      const { store, infos } = await storeWith({ [SIGNUP_KEY]: envelopes });

      await w.loadObjects(infos, store, parseRunId('run-1'));

      const rows = await w.query(
        `SELECT event, json_extract_string(event, '$.detail.displayName') AS name FROM raw_events ORDER BY id`,
      );
      expect(rows.map((r) => r.event)).toEqual(envelopes.map((e) => JSON.stringify(e)));
      expect(rows.map((r) => r.name)).toEqual(strings);
    });

    it('records each object in the ledger with its size, event count and run', async () => {
      const w = await open();
      const { store, infos } = await storeWith({ [SIGNUP_KEY]: [signup1, signup2], [BID_KEY]: [bid] });

      await w.loadObjects(infos, store, parseRunId('run-1'));

      expect(
        await w.query(
          'SELECT object_key, size_bytes, events, run_id FROM elt_loaded_objects ORDER BY object_key',
        ),
      ).toEqual([
        { object_key: BID_KEY, size_bytes: infos[0]!.size, events: 1, run_id: 'run-1' },
        { object_key: SIGNUP_KEY, size_bytes: infos[1]!.size, events: 2, run_id: 'run-1' },
      ]);
    });

    it('loads nothing and records nothing when the ledger rows cannot be written', async () => {
      const w = await open();
      const { store, infos } = await storeWith({ [SIGNUP_KEY]: [signup1, signup2], [BID_KEY]: [bid] });
      await w.execute(`INSERT INTO elt_loaded_objects VALUES ($1, 1, 1, 'run-0', now()::TIMESTAMP)`, [
        BID_KEY,
      ]);

      // The raw rows insert fine; the ledger insert then hits the primary key of BID_KEY.
      await expect(w.loadObjects(infos, store, parseRunId('run-1'))).rejects.toThrow(/constraint/i);

      expect(await w.query('SELECT COUNT(*) AS n FROM raw_events')).toEqual([{ n: 0 }]);
      expect(await w.loadedObjectKeys()).toEqual(new Set([BID_KEY]));
    });

    it('returns 0 and writes nothing for no objects', async () => {
      const w = await open();
      const { store } = await storeWith({});

      expect(await w.loadObjects([], store, parseRunId('run-1'))).toBe(0);
      expect(await w.query('SELECT COUNT(*) AS n FROM elt_loaded_objects')).toEqual([{ n: 0 }]);
    });

    it('loads the same rows from a store without localPath', async () => {
      const { store, infos } = await storeWith({ [SIGNUP_KEY]: [signup1, signup2], [BID_KEY]: [bid] });
      const local = await open();
      const remote = await open();
      const columns = `SELECT object_key, id, detail_type, source, strftime(event_time, '%c') AS t, event, run_id
                       FROM raw_events ORDER BY id`;

      await local.loadObjects(infos, store, parseRunId('run-1'));
      const loaded = await remote.loadObjects(infos, withoutLocalPath(store), parseRunId('run-1'));

      expect(loaded).toBe(3);
      expect(await remote.query(columns)).toEqual(await local.query(columns));
      expect(await remote.loadedObjectKeys()).toEqual(new Set([SIGNUP_KEY, BID_KEY]));
    });

    it('removes its staging files after loading from a store without localPath', async () => {
      const { store, infos } = await storeWith({ [SIGNUP_KEY]: [signup1], [BID_KEY]: [bid] });
      const w = await open();
      const staging = join(await tempDir(), 'tmp');
      await mkdir(staging);
      const tmpdirBefore = process.env.TMPDIR;
      process.env.TMPDIR = staging;
      try {
        await w.loadObjects(infos, withoutLocalPath(store), parseRunId('run-1'));
      } finally {
        if (tmpdirBefore === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = tmpdirBefore;
      }

      expect(await readdir(staging)).toEqual([]);
    });
  });

  describe('loadedObjectKeys', () => {
    it('is empty before any load', async () => {
      const w = await open();

      expect(await w.loadedObjectKeys()).toEqual(new Set());
    });

    it('accumulates the keys of every load', async () => {
      const w = await open();
      const { store, infos } = await storeWith({ [SIGNUP_KEY]: [signup1], [BID_KEY]: [bid] });
      await w.loadObjects([infos[0]!], store, parseRunId('run-1'));
      await w.loadObjects([infos[1]!], store, parseRunId('run-2'));

      expect(await w.loadedObjectKeys()).toEqual(new Set([SIGNUP_KEY, BID_KEY]));
    });
  });

  describe('transaction', () => {
    it('commits and returns the result when the function resolves', async () => {
      const w = await open();
      await w.execute('CREATE TABLE t (v INTEGER)');

      const result = await w.transaction(async () => {
        await w.execute('INSERT INTO t VALUES (1)');
        return 'done';
      });

      expect(result).toBe('done');
      expect(await w.query('SELECT v FROM t')).toEqual([{ v: 1 }]);
    });

    it('rolls back and rethrows when the function throws', async () => {
      const w = await open();
      await w.execute('CREATE TABLE t (v INTEGER)');
      const failure = new Error('boom');

      await expect(
        w.transaction(async () => {
          await w.execute('INSERT INTO t VALUES (1)');
          await w.execute('CREATE OR REPLACE TABLE u AS SELECT 1 AS x');
          throw failure;
        }),
      ).rejects.toBe(failure);

      expect(await w.query('SELECT v FROM t')).toEqual([]);
      expect(
        await w.query(`SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = 'u'`),
      ).toEqual([{ n: 0 }]);
    });

    it('joins an enclosing transaction, so an outer rollback undoes the inner work', async () => {
      const w = await open();
      await w.execute('CREATE TABLE t (v INTEGER)');

      await expect(
        w.transaction(async () => {
          await w.transaction(() => w.execute('INSERT INTO t VALUES (1)'));
          throw new Error('outer fails');
        }),
      ).rejects.toThrow('outer fails');

      expect(await w.query('SELECT v FROM t')).toEqual([]);
    });

    it('can start a new transaction after a rollback', async () => {
      const w = await open();
      await w.execute('CREATE TABLE t (v INTEGER)');
      await w.transaction(() => w.execute('INSERT INTO t VALUES (0, 0)')).catch(() => undefined);

      await w.transaction(() => w.execute('INSERT INTO t VALUES (2)'));

      expect(await w.query('SELECT v FROM t')).toEqual([{ v: 2 }]);
    });
  });

  describe('run history', () => {
    const older: RunRecord = {
      runId: 'run-20261101T120000Z-aaaaaa',
      status: 'failed',
      startedAt: '2026-11-01T12:00:00.000Z',
      finishedAt: '2026-11-01T12:00:01.250Z',
      durationMs: 1250,
      objectsLoaded: 3,
      eventsLoaded: 30,
      models: [{ name: 'stg_events', rows: 30, ms: 12 }],
      tests: [{ name: 'unique(stg_events.event_id)', failures: 2 }],
      error: "data tests failed: it's broken",
    };
    const newer: RunRecord = {
      runId: 'run-20261101T130000Z-bbbbbb',
      status: 'succeeded',
      startedAt: '2026-11-01T13:00:00.123Z',
      finishedAt: '2026-11-01T13:00:00.456Z',
      durationMs: 333,
      objectsLoaded: 0,
      eventsLoaded: 0,
      models: [],
      tests: [],
    };

    it('lists recorded runs newest first, as they were recorded', async () => {
      const w = await open();
      await w.recordRun(older);
      await w.recordRun(newer);

      expect(await w.listRuns(10)).toEqual([newer, older]);
    });

    it('lists at most the limit', async () => {
      const w = await open();
      await w.recordRun(older);
      await w.recordRun(newer);

      expect(await w.listRuns(1)).toEqual([newer]);
    });

    it('keeps a running run without finish time, duration or error', async () => {
      const w = await open();
      const running: RunRecord = {
        runId: 'run-1',
        status: 'running',
        startedAt: '2026-11-01T12:00:00.000Z',
        objectsLoaded: 0,
        eventsLoaded: 0,
        models: [],
        tests: [],
      };

      await w.recordRun(running);

      expect(await w.listRuns(10)).toStrictEqual([running]);
    });

    it('replaces a run recorded again under the same id', async () => {
      const w = await open();
      await w.recordRun({ ...older, status: 'running' });

      await w.recordRun(older);

      expect(await w.listRuns(10)).toEqual([older]);
    });
  });

  describe('query', () => {
    it('returns BIGINT counts as numbers', async () => {
      const w = await open();

      expect(await w.query('SELECT COUNT(*) AS n, CAST(42 AS BIGINT) AS b')).toEqual([{ n: 1, b: 42 }]);
    });

    it('keeps a BIGINT that a number cannot hold exactly as text', async () => {
      const w = await open();

      expect(await w.query('SELECT CAST(9007199254740993 AS BIGINT) AS big')).toEqual([
        { big: '9007199254740993' },
      ]);
    });

    it('binds parameters as values, never as SQL', async () => {
      const w = await open();
      const text = "Robert'); DROP TABLE raw_events;--";

      const rows = await w.query('SELECT $1 AS s, list_sum($2) AS total', [text, [1, 2, 3]]);

      expect(rows).toEqual([{ s: text, total: 6 }]);
      expect(await w.query('SELECT COUNT(*) AS n FROM raw_events')).toEqual([{ n: 0 }]);
    });
  });

  describe('open', () => {
    it('keeps data in a file across close and reopen', async () => {
      const path = join(await tempDir(), 'warehouse.duckdb');
      const first = await DuckDbWarehouse.open(path);
      await first.ensureSchema();
      await first.recordRun({
        runId: 'run-1',
        status: 'succeeded',
        startedAt: '2026-11-01T12:00:00.000Z',
        objectsLoaded: 0,
        eventsLoaded: 0,
        models: [],
        tests: [],
      });
      await first.close();

      const second = await open(path);

      expect((await second.listRuns(10)).map((r) => r.runId)).toEqual(['run-1']);
    });

    it('fails with WarehouseBusyError while another process holds the file', async () => {
      const path = join(await tempDir(), 'warehouse.duckdb');
      const holder = await holdOpen(path);
      try {
        const attempt = DuckDbWarehouse.open(path);

        await expect(attempt).rejects.toBeInstanceOf(WarehouseBusyError);
        await expect(attempt).rejects.toThrow(`the DuckDB warehouse ${path} is in use by another process (`);
        await expect(attempt).rejects.toThrow(`(PID ${holder.pid}`);
      } finally {
        holder.kill();
        await new Promise((resolve) => holder.once('exit', resolve));
      }
    });
  });
});

/** Starts a node process that opens the DuckDB file and keeps it open until killed. */
async function holdOpen(path: string): Promise<ChildProcess> {
  const script = `
    const { DuckDBInstance } = require('@duckdb/node-api');
    DuckDBInstance.create(process.argv[1]).then(async (instance) => {
      await (await instance.connect()).run('CREATE TABLE IF NOT EXISTS held (v INTEGER)');
      process.stdout.write('ready\\n');
      setInterval(() => undefined, 60_000);
    });
  `;
  const child = spawn(process.execPath, ['-e', script, path], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the holder exited (${code}): ${stderr}`)));
  });
  return child;
}

describe('DuckDB warehouse: bounded memory', () => {
  it('opens with a memory limit and threads from the environment, spilling past it, without keeping insertion order', async () => {
    expect(duckDbLimits({})).toEqual({ memoryMb: DEFAULT_DUCKDB_MEMORY_MB, threads: availableParallelism() });
    expect(duckDbLimits({ ELT_DUCKDB_MEMORY_MB: '1024', ELT_DUCKDB_THREADS: '1' })).toEqual({
      memoryMb: 1024,
      threads: 1,
    });
    const w = await DuckDbWarehouse.open(':memory:', { memoryMb: 200, threads: 1 });
    try {
      const [row] = await w.query(
        "SELECT current_setting('memory_limit') AS memory, current_setting('threads') AS threads, current_setting('temp_directory') AS spill, current_setting('preserve_insertion_order') AS ordered",
      );
      // DuckDB reports the limit in its own units (200 MB = 190.7 MiB).
      expect(String(row?.memory)).toMatch(/^190\.\d MiB$/);
      expect(Number(row?.threads)).toBe(1);
      expect(String(row?.spill)).toContain(`elt-duckdb-${process.pid}`);
      // Loads and builds write in parallel without buffering rows for their order.
      expect(row?.ordered).toBe(false);
    } finally {
      await w.close();
    }
  });

  it('refuses a limit that is not a whole number in range, naming the variable', () => {
    for (const [name, value] of [
      ['ELT_DUCKDB_MEMORY_MB', '32'],
      ['ELT_DUCKDB_MEMORY_MB', '1GB'],
      ['ELT_DUCKDB_THREADS', '0'],
      ['ELT_DUCKDB_THREADS', '2.5'],
    ] as const) {
      expect(() => duckDbLimits({ [name]: value }), `${name}=${value}`).toThrow(DuckDbLimitError);
      expect(() => duckDbLimits({ [name]: value })).toThrow(new RegExp(`^${name} must be a whole number`));
    }
  });
});
