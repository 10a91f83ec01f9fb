import { utimes } from 'node:fs/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../lib/adapters/store/fs-object-store.js';
import {
  isProductObject,
  listRawCandidates,
  readWatermark,
  watermarkKey,
  writeWatermark,
} from '../../../lib/core/elt/raw-listing.js';
import { useTempDirs } from '../../support/temp-dir.js';

const tempDir = useTempDirs();
const key = (source: string, type: string, dt: string, name: string): string =>
  `raw/source=${source}/detail_type=${type}/dt=${dt}/hour=10/part-${name}.ndjson.gz`;

// Landed at these times (the objects' mtimes); partitions are event times.
const OLD_PARTITION = key('marketplace.users', 'UserSignedUp', '2026-10-01', 'a'); // landed long ago
const WINDOW_OLD = key('marketplace.users', 'UserSignedUp', '2026-11-29', 'b'); // in the window, landed before since
const WINDOW_NEW = key('marketplace.users', 'UserSignedUp', '2026-11-30', 'c'); // in the window, landed after
const FUTURE = key('marketplace.web', 'PageViewed', '2027-03-01', 'd'); // a future event time, landed after
const PIPELINE = key('elt.pipeline', 'EltRunSucceeded', '2026-12-01', 'e');
const SINCE = new Date('2026-12-01T00:00:00Z');

let store: FsObjectStore;
beforeEach(async () => {
  store = new FsObjectStore(await tempDir(), { durable: false });
  const landed: [string, string][] = [
    [OLD_PARTITION, '2026-10-01T12:00:00Z'],
    [WINDOW_OLD, '2026-11-30T12:00:00Z'],
    [WINDOW_NEW, '2026-12-01T06:00:00Z'],
    [FUTURE, '2026-12-01T07:00:00Z'],
    [PIPELINE, '2026-12-01T08:00:00Z'],
  ];
  for (const [k, at] of landed) {
    await store.put(k, new Uint8Array([1]));
    await utimes(store.localPath(k), new Date(at), new Date(at));
  }
  await store.put('quarantine/stage=landing/dt=2026-12-01/hour=10/part-q.ndjson.gz', new Uint8Array([1]));
});

const keys = (objects: readonly { key: string }[]): string[] => objects.map((o) => o.key).sort();

describe('listRawCandidates', () => {
  it('lists every raw object without a watermark (the first run, a full refresh)', async () => {
    const { objects, listed } = await listRawCandidates(store, { latenessHours: 72 });
    expect(keys(objects)).toEqual([OLD_PARTITION, PIPELINE, WINDOW_OLD, WINDOW_NEW, FUTURE].sort());
    expect(listed).toBe(5);
  });

  it('keeps only objects written since the watermark, listing all of raw/ without a lateness bound', async () => {
    const { objects, listed } = await listRawCandidates(store, { since: SINCE });
    expect(keys(objects)).toEqual([PIPELINE, WINDOW_NEW, FUTURE].sort());
    expect(listed).toBe(5);
  });

  it('with a lateness bound lists only the partitions from since − lateness on, future event times included', async () => {
    // since − 48 h = 2026-11-29: the October partition is not even listed.
    const { objects, listed } = await listRawCandidates(store, { since: SINCE, latenessHours: 48 });
    expect(keys(objects)).toEqual([PIPELINE, WINDOW_NEW, FUTURE].sort());
    expect(listed).toBe(4);
  });

  it('leaves out the keys the last published run already saw', async () => {
    const { objects } = await listRawCandidates(store, {
      since: SINCE,
      latenessHours: 48,
      seen: new Set([WINDOW_NEW]),
    });
    expect(keys(objects)).toEqual([PIPELINE, FUTURE].sort());
  });

  it('returns the keys it left out as seen, for the next watermark to remember', async () => {
    const { seen } = await listRawCandidates(store, {
      since: SINCE,
      latenessHours: 48,
      seen: new Set([WINDOW_NEW]),
    });
    expect(keys(seen)).toEqual([WINDOW_NEW]);
  });
});

describe('the watermark', () => {
  it('is read back as written, with the run and the keys it remembers', async () => {
    await writeWatermark(store, {
      watermark: '2026-12-01T08:00:00.000Z',
      runId: 'run-1',
      scope: 'duckdb:/w.duckdb',
      recent: [PIPELINE],
    });
    const mark = await readWatermark(store, 'duckdb:/w.duckdb');
    expect(mark?.at.toISOString()).toBe('2026-12-01T08:00:00.000Z');
    expect(mark?.runId).toBe('run-1');
    expect([...(mark?.recent ?? [])]).toEqual([PIPELINE]);
  });

  it('belongs to one warehouse: another warehouse on the same store has none', async () => {
    await writeWatermark(store, {
      watermark: '2026-12-01T08:00:00.000Z',
      runId: 'run-1',
      scope: 'a',
      recent: [],
    });
    expect(await readWatermark(store, 'b')).toBeUndefined();
    expect(watermarkKey('a')).not.toBe(watermarkKey('b'));
  });

  it('is absent when there is none, or it cannot be read (a full listing follows)', async () => {
    expect(await readWatermark(store, 'a')).toBeUndefined();
    await store.put(watermarkKey('a'), Buffer.from('not json'));
    expect(await readWatermark(store, 'a')).toBeUndefined();
  });

  it('does not live under manifests/, whose objects expire', () => {
    expect(watermarkKey('a')).toMatch(/^state\/elt-watermark-[0-9a-f]{16}\.json$/);
  });
});

describe('isProductObject', () => {
  it("tells product events from the pipeline's own", () => {
    expect(isProductObject(WINDOW_NEW)).toBe(true);
    expect(isProductObject(PIPELINE)).toBe(false);
    expect(isProductObject('quarantine/x.ndjson.gz')).toBe(false);
  });

  it('counts a table extract of the marketplace database as product data', () => {
    expect(isProductObject(EXTRACT_NEW)).toBe(true);
    expect(isProductObject('raw/source=oltp/table=users/dt=2026-12-01/extract-a.json')).toBe(false);
  });
});

const EXTRACT_OLD = 'raw/source=oltp/table=users/dt=2026-11-20/extract-old.ndjson.gz';
const EXTRACT_NEW = 'raw/source=oltp/table=items/dt=2026-12-01/extract-new.ndjson.gz';

describe('listRawCandidates with table extracts', () => {
  beforeEach(async () => {
    for (const [k, at] of [
      [EXTRACT_OLD, '2026-11-20T12:00:00Z'],
      [EXTRACT_NEW, '2026-12-01T09:00:00Z'],
    ] as const) {
      await store.put(k, new Uint8Array([1]));
      await utimes(store.localPath(k), new Date(at), new Date(at));
    }
    // Not an extract object: a watermark-like file under the same prefix.
    await store.put('raw/source=oltp/table=items/dt=2026-12-01/notes.txt', new Uint8Array([1]));
  });

  it('lists extract objects with the landed events (the ELT loads both)', async () => {
    const { objects } = await listRawCandidates(store, {});
    expect(keys(objects)).toEqual(
      [OLD_PARTITION, PIPELINE, WINDOW_OLD, WINDOW_NEW, FUTURE, EXTRACT_OLD, EXTRACT_NEW].sort(),
    );
  });

  it('finds them through the lateness window (source=, table=, dt= levels) and by write time', async () => {
    const { objects } = await listRawCandidates(store, { since: SINCE, latenessHours: 48 });
    expect(keys(objects)).toEqual([PIPELINE, WINDOW_NEW, FUTURE, EXTRACT_NEW].sort());
  });
});
