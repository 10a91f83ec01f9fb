import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../lib/adapters/store/fs-object-store.js';
import { EVENT_CATALOGUE } from '../../../lib/core/events/catalogue.js';
import { createEventValidator } from '../../../lib/core/events/validator.js';
import { landBatch, type LandingRecord } from '../../../lib/core/landing/land-batch.js';
import type { QuarantineRecord } from '../../../lib/core/landing/quarantine.js';
import { landSqsEvent } from '../../../lib/core/landing/sqs-event.js';
import { NASTY_STRINGS } from '../../../lib/core/generator/workload.js';
import { envelope } from '../../support/envelopes.js';
import { FlakyStore } from '../../support/flaky-store.js';
import { readObjects, readRecords } from '../../support/objects.js';
import { useTempDirs } from '../../support/temp-dir.js';

const tempDir = useTempDirs();
const clock = { now: () => new Date('2026-11-25T10:00:00Z') };
const validator = createEventValidator();

const record = (id: string, body: unknown): LandingRecord => ({
  id,
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

async function store(): Promise<FsObjectStore> {
  return new FsObjectStore(await tempDir(), { durable: false });
}

describe('landBatch', () => {
  it('writes one gzip NDJSON object per source, detail-type, UTC date and hour', async () => {
    const s = await store();
    const records = [
      record('m1', envelope('PageViewed', { id: 'a', time: '2026-11-01T10:15:00Z' })),
      record('m2', envelope('PageViewed', { id: 'b', time: '2026-11-01T10:59:59Z' })),
      record('m3', envelope('PageViewed', { id: 'c', time: '2026-11-01T11:00:00Z' })),
      record('m4', envelope('BidCreated', { id: 'd', time: '2026-11-01T10:20:00Z' })),
    ];
    const result = await landBatch(records, { store: s, validator, clock });
    expect(result).toMatchObject({ landedEvents: 4, quarantined: 0, failedIds: [] });
    const objects = await readObjects(s, 'raw/');
    const byPartition = [...objects.entries()].map(([key, lines]) => [
      key.replace(/part-[0-9a-f]{32}\.ndjson\.gz$/, ''),
      lines.length,
    ]);
    expect(byPartition.sort()).toEqual([
      ['raw/source=marketplace.auctions/detail_type=BidCreated/dt=2026-11-01/hour=10/', 1],
      ['raw/source=marketplace.web/detail_type=PageViewed/dt=2026-11-01/hour=10/', 2],
      ['raw/source=marketplace.web/detail_type=PageViewed/dt=2026-11-01/hour=11/', 1],
    ]);
  });

  it('lands the schema versions of one type in one object per partition', async () => {
    const s = await store();
    const v1 = EVENT_CATALOGUE.find((t) => t.detailType === 'PageViewed')!;
    const v2 = { ...v1, version: 2 };
    const twoVersions = createEventValidator({ catalogue: [...EVENT_CATALOGUE, v2] });
    const records = [
      record('m1', envelope('PageViewed', { id: 'a' })),
      record('m2', envelope('PageViewed', { id: 'b', detail: { schemaVersion: 2 } })),
    ];
    const result = await landBatch(records, { store: s, validator: twoVersions, clock });
    expect(result).toMatchObject({ landedEvents: 2, failedIds: [] });
    expect([...(await readObjects(s, 'raw/')).values()].map((lines) => lines.length)).toEqual([2]);
  });

  it('files an event older than the lateness window under the window start, keeping its time', async () => {
    const s = await store();
    // Landing at 2026-11-25T10:00Z with 48 h: the window starts at 2026-11-23 hour 10.
    const records = [
      record('late', envelope('PageViewed', { id: 'late', time: '2026-11-01T07:00:00Z' })),
      record('edge', envelope('PageViewed', { id: 'edge', time: '2026-11-23T10:30:00Z' })),
      record('future', envelope('PageViewed', { id: 'future', time: '2027-01-01T00:00:00Z' })),
    ];
    const result = await landBatch(records, { store: s, validator, clock, latenessHours: 48 });
    expect(result).toMatchObject({ landedEvents: 3, failedIds: [] });
    const objects = await readObjects(s, 'raw/');
    const byPartition = [...objects.entries()].map(([key, lines]) => [
      key.replace(
        /^raw\/source=marketplace.web\/detail_type=PageViewed\/|part-[0-9a-f]{32}\.ndjson\.gz$/g,
        '',
      ),
      lines.map((l) => (JSON.parse(l) as { id: string; time: string }).time),
    ]);
    expect(byPartition.sort()).toEqual([
      ['dt=2026-11-23/hour=10/', ['2026-11-01T07:00:00Z', '2026-11-23T10:30:00Z']],
      ['dt=2027-01-01/hour=00/', ['2027-01-01T00:00:00Z']],
    ]);
  });

  it('writes each envelope exactly as delivered, one per line', async () => {
    const s = await store();
    const bodies = [
      JSON.stringify(envelope('PageViewed', { id: 'a' })),
      JSON.stringify(envelope('PageViewed', { id: 'b' })),
    ];
    await landBatch(
      bodies.map((b, i) => record(`m${i}`, b)),
      { store: s, validator, clock },
    );
    const [lines] = [...(await readObjects(s, 'raw/')).values()];
    expect(lines).toEqual(bodies);
  });

  it('partitions by the UTC hour of an event time given with an offset', async () => {
    const s = await store();
    await landBatch([record('m', envelope('PageViewed', { time: '2026-11-01T00:30:00+02:00' }))], {
      store: s,
      validator,
      clock,
    });
    const [key] = [...(await readObjects(s, 'raw/')).keys()];
    expect(key).toContain('/dt=2026-10-31/hour=22/');
  });

  it('gives a retried batch the same object names, so it overwrites instead of duplicating', async () => {
    const s = await store();
    const records = [
      record('m1', envelope('PageViewed', { id: 'a' })),
      record('m2', envelope('PageViewed', { id: 'b' })),
    ];
    const first = await landBatch(records, { store: s, validator, clock });
    const again = await landBatch([...records].reverse(), { store: s, validator, clock });
    expect(again.objects.map((o) => o.key)).toEqual(first.objects.map((o) => o.key));
    expect([...(await readObjects(s, 'raw/')).values()].flat()).toHaveLength(2);
  });

  it('quarantines invalid events with the reason beside the input and lands the valid ones', async () => {
    const s = await store();
    const result = await landBatch(
      [
        record('ok', envelope('PageViewed')),
        record('bad-json', '{"id":'),
        record('unknown', { ...envelope('PageViewed'), 'detail-type': 'UserTeleported' }),
        record('schema', envelope('BidCreated', { detail: { amountMinor: 0 } })),
      ],
      { store: s, validator, clock },
    );
    expect(result).toMatchObject({ landedEvents: 1, quarantined: 3, failedIds: [] });
    const records = await readRecords<QuarantineRecord>(s, 'quarantine/stage=landing/dt=2026-11-25/hour=10/');
    expect(records.map((r) => [r.ref, r.code])).toEqual([
      ['bad-json', 'NOT_JSON'],
      ['unknown', 'UNKNOWN_EVENT_TYPE'],
      ['schema', 'SCHEMA_VIOLATION'],
    ]);
    expect(records[0]!.input).toBe('{"id":');
    expect(records[2]!.reason).toBe('detail.amountMinor must be >= 1');
    expect(records[2]!.eventId).toBe('11111111-2222-4333-8444-555555555555');
  });

  it('reports the records of a partition whose write failed and still lands the others', async () => {
    const failing = new FlakyStore(
      await store(),
      (key) => key.includes('BidCreated'),
      () => 'SlowDown',
    );
    const result = await landBatch(
      [
        record('page', envelope('PageViewed')),
        record('bid1', envelope('BidCreated')),
        record('bid2', envelope('BidCreated', { id: 'z' })),
      ],
      { store: failing, validator, clock },
    );
    expect(result.failedIds).toEqual(['bid1', 'bid2']);
    expect(result.landedEvents).toBe(1);
    expect(result.errors[0]).toMatch(
      /^writing raw\/source=marketplace.auctions\/detail_type=BidCreated\/.* failed: SlowDown$/,
    );
  });

  it('reads each record’s body and bytes once, and its id only when it quarantines or fails it', async () => {
    const reads: string[] = [];
    const counted = (id: string, body: string, bytes?: Uint8Array): LandingRecord => ({
      get id() {
        reads.push(`${id}.id`);
        return id;
      },
      get body() {
        reads.push(`${id}.body`);
        return body;
      },
      get bytes() {
        reads.push(`${id}.bytes`);
        return bytes;
      },
    });
    const page = JSON.stringify(envelope('PageViewed'));
    const failing = new FlakyStore(
      await store(),
      (key) => key.includes('BidCreated'),
      () => 'SlowDown',
    );
    const result = await landBatch(
      [
        counted('page', page, new TextEncoder().encode(page)),
        counted('bid', JSON.stringify(envelope('BidCreated'))),
        counted('bad', '{"not":"an event"}'),
      ],
      { store: failing, validator, clock },
    );
    expect(result.failedIds).toEqual(['bid']);
    expect(reads.sort()).toEqual([
      'bad.body',
      'bad.id',
      'bid.body',
      'bid.bytes',
      'bid.id',
      'page.body',
      'page.bytes',
    ]);
  });

  it('reports quarantined records as failed when the quarantine write fails', async () => {
    const failing = new FlakyStore(
      await store(),
      (key) => key.startsWith('quarantine/'),
      () => 'AccessDenied',
    );
    const result = await landBatch([record('ok', envelope('PageViewed')), record('bad', '[]')], {
      store: failing,
      validator,
      clock,
    });
    expect(result).toMatchObject({ landedEvents: 1, quarantined: 0, failedIds: ['bad'] });
  });

  it('stores hostile strings of valid events byte for byte', async () => {
    const s = await store();
    const bodies = NASTY_STRINGS.map((title, i) =>
      JSON.stringify(envelope('ItemListed', { id: `n${i}`, detail: { title } })),
    );
    await landBatch(
      bodies.map((b, i) => record(`m${i}`, b)),
      { store: s, validator, clock },
    );
    const lines = [...(await readObjects(s, 'raw/')).values()].flat();
    expect(lines.map((l) => (JSON.parse(l) as { detail: { title: string } }).detail.title).sort()).toEqual(
      [...NASTY_STRINGS].sort(),
    );
  });

  it('keeps an envelope body spread over lines as one NDJSON line', async () => {
    const s = await store();
    await landBatch([record('m', JSON.stringify(envelope('PageViewed'), null, 2))], {
      store: s,
      validator,
      clock,
    });
    const [lines] = [...(await readObjects(s, 'raw/')).values()];
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines![0]!)).toEqual(envelope('PageViewed'));
  });
});

describe('landBatch: compression and staged writes', () => {
  it('lands a batch larger than a slice, its big partitions compressed as they fill, lines in batch order', async () => {
    const s = await store();
    // 3,000 events of one partition (about 1 MB of lines: streamed) and a few of another (gzipped at the end).
    const records = Array.from({ length: 3000 }, (_, i) =>
      record(
        `m${i}`,
        i % 500 === 7
          ? envelope('BidCreated', { id: `b${i}`, time: '2026-11-01T10:00:00Z' })
          : envelope('PageViewed', {
              id: `p${i}`,
              time: '2026-11-01T10:00:00Z',
              detail: { path: `/items/${i}`.padEnd(300, 'x') },
            }),
      ),
    );
    const result = await landBatch(records, { store: s, validator, clock });
    expect(result).toMatchObject({ landedEvents: 3000, quarantined: 0, failedIds: [] });
    const objects = await readObjects(s, 'raw/');
    const lines = [...objects.entries()].find(([key]) => key.includes('PageViewed'))![1];
    expect(lines).toEqual(
      records.map((r) => r.body).filter((b) => (JSON.parse(b) as { id: string }).id.startsWith('p')),
    );
    expect(result.objects.reduce((n, o) => n + o.events, 0)).toBe(3000);
  });

  it('leaves no temporary file when a staged write fails, and reports its records', async () => {
    const dir = await tempDir();
    const real = new FsObjectStore(dir, { durable: false });
    // A store whose commits of BidCreated objects fail after the temporary file was made.
    const failing = Object.assign(Object.create(real) as FsObjectStore, {
      stage: async (dirKey: string) => {
        const staged = await real.stage(dirKey);
        return dirKey.includes('BidCreated')
          ? {
              commit: async () => {
                await staged.discard();
                throw new Error('disk full');
              },
              discard: staged.discard,
            }
          : staged;
      },
    });
    const result = await landBatch(
      [record('page', envelope('PageViewed')), record('bid', envelope('BidCreated'))],
      { store: failing, validator, clock },
    );
    expect(result).toMatchObject({ landedEvents: 1, failedIds: ['bid'] });
    expect(result.errors[0]).toMatch(/BidCreated.* failed: disk full$/);
    const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    expect(files.map((f) => f.name)).toEqual([expect.stringMatching(/^part-[0-9a-f]{32}\.ndjson\.gz$/)]);
  });
});

describe('landSqsEvent', () => {
  const sqsRecord = (messageId: string, body: unknown) => ({
    messageId,
    receiptHandle: 'r',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {},
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:landing',
    awsRegion: 'us-east-1',
  });

  it('maps failed records to batchItemFailures by messageId', async () => {
    const failing = new FlakyStore(
      await store(),
      () => true,
      () => 'InternalError',
    );
    const { response } = await landSqsEvent(
      { Records: [sqsRecord('a', envelope('PageViewed'))] },
      { store: failing, validator, clock },
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'a' }] });
  });

  it('writes the same objects from the bodies’ bytes as from the bodies', async () => {
    const bodies = [
      JSON.stringify(envelope('PageViewed', { id: 'a' })),
      JSON.stringify(envelope('PageViewed', { id: 'b', detail: { path: '/zoë—“𝔘𝔫𝔦”' } })),
      '{"not":"an event"}',
    ];
    const event = { Records: bodies.map((body, i) => sqsRecord(`m${i}`, body)) };
    const fromText = await store();
    const fromBytes = await store();
    await landSqsEvent(event, { store: fromText, validator, clock });
    // The last body has no bytes (as a body UTF-8 cannot carry): it is landed from its text.
    const bytes = [...bodies.slice(0, 2).map((b) => new TextEncoder().encode(b)), undefined];
    const { result } = await landSqsEvent(event, { store: fromBytes, validator, clock }, (i) => bytes[i]);
    expect(result.landedEvents).toBe(2);
    expect(result.quarantined).toBe(1);
    const raw = await readObjects(fromBytes, 'raw/');
    expect(raw).toEqual(await readObjects(fromText, 'raw/'));
    expect(
      [...raw.values()]
        .flat()
        .map((l) => (JSON.parse(l) as { id: string }).id)
        .sort(),
    ).toEqual(['a', 'b']);
  });
});
