import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../lib/adapters/store/fs-object-store.js';
import { DuckDbWarehouse } from '../../../lib/adapters/warehouse/duckdb-warehouse.js';
import { EltRunFailedError, runElt } from '../../../lib/core/elt/run-elt.js';
import { loadModels } from '../../../lib/core/elt/sql-sources.js';
import { timePartition } from '../../../lib/core/events/event-time.js';
import { createEventValidator } from '../../../lib/core/events/validator.js';
import { gzipNdjson } from '../../../lib/core/landing/ndjson-gzip.js';
import { objectNameFor, rawObjectKey } from '../../../lib/core/landing/object-keys.js';
import { systemClock } from '../../../lib/core/ports.js';
import { compareStreamWithBatch, describeStreamComparison } from '../../../lib/core/stream/compare.js';
import { envelope } from '../../support/envelopes.js';
import { useTempDirs } from '../../support/temp-dir.js';

const tempDir = useTempDirs();
const validator = createEventValidator();

let store: FsObjectStore;
let warehouse: DuckDbWarehouse;

/** Lands one envelope as the landing would (checked against the catalogue first). */
async function land(e: ReturnType<typeof envelope>): Promise<void> {
  const line = JSON.stringify(e);
  const checked = validator.validateText(line);
  if (!checked.ok) throw new Error(`test envelope is not valid: ${JSON.stringify(checked.rejection)}`);
  const key = rawObjectKey(
    e.source,
    e['detail-type'],
    timePartition(new Date(e.time)),
    objectNameFor([e.id]),
  );
  await store.put(key, await gzipNdjson([line]));
}

const event = (detailType: string, time: string, userId: string, eventId = randomUUID()) =>
  envelope(detailType, { id: randomUUID(), time, detail: { eventId, userId } });

const result = (detailType: string, detail: Record<string, unknown>) => ({
  version: '0',
  id: randomUUID(),
  'detail-type': detailType,
  source: 'elt.stream',
  account: '000000000000',
  time: '2026-12-03T10:06:00Z',
  region: 'local',
  resources: [],
  detail: { eventId: randomUUID(), ...detail },
});

const counted = (metric: string, window: string, windowStart: string, windowEnd: string, value: number) =>
  result('StreamWindowCounted', {
    metric,
    window,
    windowStart,
    windowEnd,
    value,
    allowedLatenessSeconds: 10,
  });

const run = () => runElt({ warehouse, store, clock: systemClock, models: loadModels() });

/**
 * The batch: logins of u1 (10:00:10), u2 (10:00:20), u3 (10:01:05, which the stream saw late), u6 (10:01:40,
 * two copies, the second seen late), u1 again (10:02:00) and u5 (10:05:10, the batch's newest minute), and a
 * page view of u4 (10:01:30). The stream: logins per minute 2 (10:00), 1 (10:01), 1 (10:02), 1 (10:05, beyond
 * the common watermark of 10:05); 4 logins in the hour to 10:03; 4 active users of the day to 10:03 (u1, u2,
 * u4, u6); and the late copies of u3's and u6's logins.
 */
beforeAll(async () => {
  store = new FsObjectStore(join(await tempDir(), 'store'), { durable: false });
  warehouse = await DuckDbWarehouse.open(':memory:');
  const lateLogin = event('UserLoggedIn', '2026-12-03T10:01:05Z', 'u3');
  // u6's login reached the stream twice (a producer's retry under another envelope id): the first copy on
  // time and counted, the second late; both landed.
  const u6 = randomUUID();
  const u6First = event('UserLoggedIn', '2026-12-03T10:01:40Z', 'u6', u6);
  const u6Again = event('UserLoggedIn', '2026-12-03T10:01:40Z', 'u6', u6);
  for (const e of [
    event('UserLoggedIn', '2026-12-03T10:00:10Z', 'u1'),
    event('UserLoggedIn', '2026-12-03T10:00:20Z', 'u2'),
    lateLogin,
    u6First,
    u6Again,
    event('PageViewed', '2026-12-03T10:01:30Z', 'u4'),
    event('UserLoggedIn', '2026-12-03T10:02:00Z', 'u1'),
    event('UserLoggedIn', '2026-12-03T10:05:10Z', 'u5'),
  ])
    await land(e);
  const late = (e: ReturnType<typeof envelope>, userId: string) =>
    result('LateEventSeen', {
      lateEventId: e.detail.eventId,
      lateBusId: e.id,
      lateSource: 'marketplace.users',
      lateDetailType: 'UserLoggedIn',
      lateUserId: userId,
      eventTime: e.time,
      watermark: '2026-12-03T10:02:03Z',
    });
  for (const r of [
    counted('logins', 'minute', '2026-12-03T10:00:00Z', '2026-12-03T10:01:00Z', 2),
    counted('logins', 'minute', '2026-12-03T10:01:00Z', '2026-12-03T10:02:00Z', 1),
    counted('logins', 'minute', '2026-12-03T10:02:00Z', '2026-12-03T10:03:00Z', 1),
    counted('logins', 'minute', '2026-12-03T10:05:00Z', '2026-12-03T10:06:00Z', 1),
    counted('logins', 'hour', '2026-12-03T09:03:00Z', '2026-12-03T10:03:00Z', 4),
    counted('active_users', 'day', '2026-12-03T00:00:00Z', '2026-12-03T10:03:00Z', 4),
    late(lateLogin, 'u3'),
    late(u6Again, 'u6'),
  ])
    await land(r);
  await run();
}, 120_000);

afterAll(async () => {
  await warehouse?.close();
});

describe('stream against batch in the warehouse', () => {
  it('compares every closed window up to the common watermark, and the late events explain the differences exactly', async () => {
    const rows = await warehouse.query(
      `SELECT metric, window_kind, CAST(window_end AS VARCHAR) AS window_end, stream_value, batch_value, on_time_value, agreement
       FROM stream_batch_agreement ORDER BY window_end, metric, window_kind`,
    );
    expect(
      rows.map((r) => [
        r.metric,
        r.window_kind,
        r.window_end,
        Number(r.stream_value),
        Number(r.batch_value),
        Number(r.on_time_value),
        r.agreement,
      ]),
    ).toEqual([
      ['logins', 'minute', '2026-12-03 10:01:00', 2, 2, 2, 'equal'],
      // u3's login was late; u6's counted, though a second copy of it came late.
      ['logins', 'minute', '2026-12-03 10:02:00', 1, 2, 1, 'explained'],
      ['active_users', 'day', '2026-12-03 10:03:00', 4, 5, 4, 'explained'],
      ['logins', 'hour', '2026-12-03 10:03:00', 4, 5, 4, 'explained'],
      ['logins', 'minute', '2026-12-03 10:03:00', 1, 1, 1, 'equal'],
    ]);
  });

  it('reports the comparison: windows compared, equal, explained, late events, unexplained', async () => {
    const c = await compareStreamWithBatch(warehouse);
    expect(c).toMatchObject({
      windowsCompared: 5,
      windowsEqual: 2,
      windowsExplained: 3,
      lateEvents: 2,
      unexplained: 0,
      byWindow: { 'logins/minute': 3, 'logins/hour': 1, 'active_users/day': 1 },
      comparedUpTo: '2026-12-03T10:03:00',
    });
    expect(describeStreamComparison(c)).toContain('windows compared 5');
  });

  it('fails the run on a window nothing explains, and the comparison names it', async () => {
    // The stream says a login at 10:03 that the batch never had.
    await land(counted('logins', 'minute', '2026-12-03T10:03:00Z', '2026-12-03T10:04:00Z', 1));
    const failed = await run().catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(EltRunFailedError);
    expect((failed as Error).message).toContain(
      'accepted_values(stream_batch_agreement.agreement): 1 row(s)',
    );
    // Nothing was published: the comparison still reads the last published run's tables.
    expect((await compareStreamWithBatch(warehouse)).windowsCompared).toBe(5);
  });

  it('names each unexplained window in the text', () => {
    const text = describeStreamComparison({
      windowsCompared: 1,
      windowsEqual: 0,
      windowsExplained: 0,
      lateEvents: 0,
      unexplained: 1,
      byWindow: { 'logins/minute': 1 },
      comparedUpTo: '2026-12-03T10:04:00',
      differences: [
        {
          metric: 'logins',
          window: 'minute',
          windowStart: '2026-12-03T10:03:00',
          windowEnd: '2026-12-03T10:04:00',
          streamValue: 1,
          batchValue: 0,
          onTimeValue: 0,
          agreement: 'unexplained',
        },
      ],
    });
    expect(text).toContain(
      'unexplained logins/minute 2026-12-03T10:03:00 – 2026-12-03T10:04:00: stream 1, batch 0 (0 without the late events)',
    );
  });
});
