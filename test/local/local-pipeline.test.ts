import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import type { EventEnvelope, PutEventsEntry, PutEventsResult } from '../../lib/core/events/envelope.js';
import type { QuarantineRecord } from '../../lib/core/landing/quarantine.js';
import { entryFromValue } from '../../lib/core/publish/entry-input.js';
import { LocalPipeline, type LocalPipelineOptions } from '../../lib/local/local-pipeline.js';
import { eventType } from '../support/envelopes.js';
import { readObjects, readRecords } from '../support/objects.js';
import { FlakyStore } from '../support/flaky-store.js';
import { useTempDirs } from '../support/temp-dir.js';

const NOW = new Date('2026-11-25T09:15:00Z');
const CLOCK = { now: () => NOW };
const MESSAGE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const tempDir = useTempDirs();
const pipelines: LocalPipeline[] = [];

afterEach(async () => {
  // Stops event sources and workers a failed test left running; a pipeline closed by its test closes again harmlessly.
  await Promise.all(pipelines.splice(0).map((p) => p.eventSource.stop().finally(() => p.queue.close())));
});

function pipelineOf(options: LocalPipelineOptions): LocalPipeline {
  const pipeline = new LocalPipeline({ clock: CLOCK, retryDelayMs: 5, batchWindowMs: 60_000, ...options });
  pipelines.push(pipeline);
  return pipeline.start();
}

/** A publish input of a catalogue type, from its example detail. */
function input(
  detailType: string,
  eventId: string,
  detail: Record<string, unknown> = {},
  time = '2026-11-01T10:00:00Z',
) {
  const t = eventType(detailType);
  return {
    source: t.source,
    'detail-type': t.detailType,
    detail: { ...t.example, eventId, ...detail },
    time,
  };
}

/** PutEvents entries built the way the publisher builds them. */
function entries(...values: unknown[]): PutEventsEntry[] {
  return values.map((v) => {
    const r = entryFromValue(v);
    if (!r.ok) throw new Error(r.rejection.reason);
    return r.entry;
  });
}

const VALID = [
  input('UserSignedUp', 'e0000000-0000-4000-8000-000000000001'),
  input('PageViewed', 'e0000000-0000-4000-8000-000000000002', {}, '2026-11-01T11:30:00Z'),
  input('UserSignedUp', 'e0000000-0000-4000-8000-000000000003', { userId: 'u_2' }, '2026-11-01T10:59:59Z'),
];
const INVALID = [
  input('UserSignedUp', 'e0000000-0000-4000-8000-000000000004', { country: 'gb' }),
  { ...input('PageViewed', 'e0000000-0000-4000-8000-000000000005'), 'detail-type': 'PageTeleported' },
  input('PageViewed', ''),
];

/** The event ids the bus returned, in entry order; every entry must have been accepted. */
function idsOf(result: PutEventsResult): string[] {
  return result.Entries.map((e) => {
    if (!e.EventId) throw new Error(`entry rejected: ${e.ErrorMessage}`);
    return e.EventId;
  });
}

interface DeadLetter {
  readonly messageId: string;
  readonly receiveCount: number;
  readonly reason: string;
  readonly deadLetteredAt: string;
  readonly body: string;
}

describe.each([
  ['in this thread', (_root: string): Partial<LocalPipelineOptions> => ({})],
  [
    'in worker threads',
    (root: string): Partial<LocalPipelineOptions> => ({ landingWorkers: { storeRoot: root, count: 1 } }),
  ],
])('LocalPipeline landing %s', (_mode, landing) => {
  async function published(): Promise<{
    store: FsObjectStore;
    pipeline: LocalPipeline;
    valid: string[];
    invalid: string[];
  }> {
    const root = await tempDir();
    const store = new FsObjectStore(root, { durable: false });
    const pipeline = pipelineOf({ store, ...landing(root) });
    const valid = idsOf(await pipeline.bus.putEvents(entries(...VALID)));
    const invalid = idsOf(await pipeline.bus.putEvents(entries(...INVALID)));
    await pipeline.flush();
    return { store, pipeline, valid, invalid };
  }

  it('lands valid events as gzip NDJSON, one object per source, detail-type, date and hour of event time', async () => {
    const { store, valid } = await published();
    const objects = await readObjects(store, 'raw/');
    const byPartition = new Map(
      [...objects].map(([key, lines]) => [
        key.replace(/\/part-[0-9a-f]{32}\.ndjson\.gz$/, ''),
        lines.map((l) => (JSON.parse(l) as EventEnvelope).id).sort(),
      ]),
    );
    expect(byPartition).toEqual(
      new Map([
        [
          'raw/source=marketplace.users/detail_type=UserSignedUp/dt=2026-11-01/hour=10',
          [valid[0], valid[2]].sort(),
        ],
        ['raw/source=marketplace.web/detail_type=PageViewed/dt=2026-11-01/hour=11', [valid[1]]],
      ]),
    );
  });

  it('lands each event as the envelope the bus delivered', async () => {
    const { store, valid } = await published();
    const landed = await readRecords<EventEnvelope>(store, 'raw/source=marketplace.web/');
    expect(landed).toEqual([
      {
        version: '0',
        id: valid[1],
        'detail-type': 'PageViewed',
        source: 'marketplace.web',
        account: '000000000000',
        time: '2026-11-01T11:30:00Z',
        region: 'us-east-1',
        resources: [],
        detail: VALID[1]!.detail,
      },
    ]);
  });

  it('quarantines the events landing rejects, with code, reason, message id and the body as delivered', async () => {
    const { store, invalid } = await published();
    const records = await readRecords<QuarantineRecord>(store, 'quarantine/stage=landing/');
    const byEvent = new Map(records.map((r) => [r.eventId, r]));
    expect(records).toHaveLength(3);
    expect(byEvent.get(invalid[0])).toMatchObject({
      stage: 'landing',
      code: 'SCHEMA_VIOLATION',
      reason: 'detail.country must match pattern "^[A-Z]{2}$"',
    });
    expect(byEvent.get(invalid[1])).toMatchObject({ code: 'UNKNOWN_EVENT_TYPE' });
    expect(byEvent.get(invalid[2])).toMatchObject({ code: 'MISSING_EVENT_ID' });
    for (const r of records) {
      expect(r.ref).toMatch(MESSAGE_ID);
      expect((JSON.parse(r.input) as EventEnvelope).id).toBe(r.eventId);
    }
  });

  it('counts what it landed and quarantined', async () => {
    const { pipeline } = await published();
    expect(pipeline.stats).toEqual({
      landedEvents: 3,
      landedObjectKeys: expect.any(Set),
      quarantined: 3,
      failedRecords: 0,
      deadLettered: 0,
    });
    expect(pipeline.stats.landedObjectKeys.size).toBe(2);
  });

  it('lands nothing for an entry the bus rejects', async () => {
    const root = await tempDir();
    const store = new FsObjectStore(root, { durable: false });
    const pipeline = pipelineOf({ store, ...landing(root) });
    const result = await pipeline.bus.putEvents([{ DetailType: 'PageViewed', Detail: '{}' }]);
    await pipeline.flush();
    expect(result.FailedEntryCount).toBe(1);
    expect([...(await readObjects(store, ''))]).toEqual([]);
  });

  it('flushes without waiting out the batching window', async () => {
    const root = await tempDir();
    const store = new FsObjectStore(root, { durable: false });
    const pipeline = pipelineOf({ store, batchWindowMs: 300_000, ...landing(root) });
    await pipeline.bus.putEvents(entries(VALID[0]));
    const started = Date.now();
    await pipeline.flush();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(pipeline.stats.landedEvents).toBe(1);
  });

  it('lands what is queued on close, then lands nothing more', async () => {
    const root = await tempDir();
    const store = new FsObjectStore(root, { durable: false });
    // No batching window: a message sent after close would otherwise wait for it rather than for a stopped source.
    const pipeline = pipelineOf({ store, batchWindowMs: 0, ...landing(root) });
    await pipeline.bus.putEvents(entries(VALID[0]));
    await pipeline.close();
    expect(pipeline.stats.landedEvents).toBe(1);
    pipeline.queue.trySend(JSON.stringify(VALID[1]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pipeline.queue.visibleCount).toBe(1);
  });
});

describe('LocalPipeline failures', () => {
  it('lands on redelivery a message whose first write failed', async () => {
    let failures = 1;
    const store = new FlakyStore(new FsObjectStore(await tempDir(), { durable: false }), (key) =>
      key.startsWith('raw/') ? failures-- > 0 : false,
    );
    const pipeline = pipelineOf({ store, maxReceiveCount: 3 });
    const [id] = idsOf(await pipeline.bus.putEvents(entries(VALID[0])));
    await pipeline.flush();
    const landed = await readRecords<EventEnvelope>(store, 'raw/');
    expect(landed.map((e) => e.id)).toEqual([id]);
    expect(pipeline.stats).toMatchObject({ landedEvents: 1, failedRecords: 1, deadLettered: 0 });
  });

  it('dead-letters messages it cannot land after maxReceiveCount deliveries and writes them under dlq/ with the reason', async () => {
    const store = new FlakyStore(
      new FsObjectStore(await tempDir(), { durable: false }),
      (key) => !key.startsWith('dlq/'),
    );
    const pipeline = pipelineOf({ store, maxReceiveCount: 2 });
    const ids = idsOf(await pipeline.bus.putEvents(entries(VALID[0], VALID[1])));
    await pipeline.flush();

    const objects = await readObjects(store, 'dlq/');
    expect([...objects.keys()]).toEqual([
      expect.stringMatching(/^dlq\/queue=landing\/dt=2026-11-25\/hour=09\/part-[0-9a-f]{32}\.ndjson\.gz$/),
    ]);
    const letters = [...objects.values()].flat().map((l) => JSON.parse(l) as DeadLetter);
    expect(letters.map((l) => (JSON.parse(l.body) as EventEnvelope).id).sort()).toEqual([...ids].sort());
    for (const letter of letters) {
      expect(letter).toEqual({
        messageId: expect.stringMatching(MESSAGE_ID),
        receiveCount: 2,
        reason: 'reported in batchItemFailures (delivered 2 times; maxReceiveCount 2)',
        deadLetteredAt: NOW.toISOString(),
        body: expect.any(String),
      });
    }
    expect([...(await readObjects(store, 'raw/'))]).toEqual([]);
    expect(pipeline.stats).toMatchObject({ deadLettered: 2, failedRecords: 4, landedEvents: 0 });
  });

  it('names the handler’s error as the reason when the whole batch failed', async () => {
    const store = new FlakyStore(
      new FsObjectStore(await tempDir(), { durable: false }),
      (key) => !key.startsWith('dlq/'),
    );
    const pipeline = pipelineOf({
      store,
      maxReceiveCount: 1,
      validator: {
        validate: () => {
          throw new Error('validator crashed');
        },
        validateText: () => {
          throw new Error('validator crashed');
        },
      },
    });
    await pipeline.bus.putEvents(entries(VALID[0]));
    await pipeline.flush();
    const [letter] = await readRecords<DeadLetter>(store, 'dlq/');
    expect(letter?.reason).toBe('handler threw: validator crashed (delivered 1 times; maxReceiveCount 1)');
  });

  it('dead-letters what landing workers cannot write, through the pipeline’s own store', async () => {
    const root = await tempDir();
    const notADirectory = join(root, 'file');
    await writeFile(notADirectory, 'x');
    const store = new FsObjectStore(join(root, 'store'), { durable: false });
    const pipeline = pipelineOf({
      store,
      maxReceiveCount: 2,
      landingWorkers: { storeRoot: notADirectory, count: 1 },
    });
    await pipeline.bus.putEvents(entries(VALID[0]));
    await pipeline.flush();
    const letters = await readRecords<DeadLetter>(store, 'dlq/');
    expect(letters.map((l) => l.receiveCount)).toEqual([2]);
    expect(pipeline.stats.deadLettered).toBe(1);
  });

  it('keeps dead letters it could not write and writes them on the next flush', async () => {
    let dlqDown = true;
    const store = new FlakyStore(
      new FsObjectStore(await tempDir(), { durable: false }),
      (key) => !key.startsWith('dlq/') || dlqDown,
    );
    const pipeline = pipelineOf({ store, maxReceiveCount: 1 });
    await pipeline.bus.putEvents(entries(VALID[0]));
    await expect(pipeline.flush()).rejects.toThrow(/disk full writing dlq\//);

    dlqDown = false;
    await pipeline.flush();
    expect(await readRecords<DeadLetter>(store, 'dlq/')).toHaveLength(1);
  });

  it('stops landing on close even when writing the dead letters fails', async () => {
    const store = new FlakyStore(new FsObjectStore(await tempDir(), { durable: false }), () => true);
    const pipeline = pipelineOf({ store, maxReceiveCount: 1, batchWindowMs: 0 });
    await pipeline.bus.putEvents(entries(VALID[0]));
    await expect(pipeline.close()).rejects.toThrow(/disk full writing dlq\//);

    pipeline.queue.trySend(JSON.stringify(VALID[1]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pipeline.queue.visibleCount).toBe(1);
  });
});

describe('LocalPipeline.landed', () => {
  // Gates a failed test left shut, opened so its pipeline can stop.
  const gates: (() => void)[] = [];
  afterEach(() => {
    for (const open of gates.splice(0)) open();
  });

  /** Whether a promise has settled, after the callbacks already queued have run. */
  async function isSettled(p: Promise<unknown>): Promise<boolean> {
    let settled = false;
    void p.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    return settled;
  }

  /** A store whose writes under raw/ wait until `open()`. */
  function gatedStore(inner: FsObjectStore): { store: FlakyStore; open: () => void } {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    gates.push(open);
    const store = new FlakyStore(inner, () => false);
    const put = store.put.bind(store);
    store.put = async (key, body, options) => {
      if (key.startsWith('raw/')) await gate;
      return put(key, body, options);
    };
    return { store, open };
  }

  it('resolves at once when nothing was delivered', async () => {
    const pipeline = pipelineOf({ store: new FsObjectStore(await tempDir(), { durable: false }) });
    expect(await isSettled(pipeline.landed())).toBe(true);
  });

  it('waits for every message delivered before it to be durable, and not for those delivered after', async () => {
    const { store, open } = gatedStore(new FsObjectStore(await tempDir(), { durable: false }));
    const pipeline = pipelineOf({ store, batchWindowMs: 0 });
    await pipeline.bus.putEvents(entries(VALID[0], VALID[1]));
    const first = pipeline.landed();
    expect(await isSettled(first)).toBe(false);
    open();
    await first;
    expect((await readRecords<EventEnvelope>(store, 'raw/')).length).toBe(2);

    // Messages delivered after a barrier do not hold it.
    const gated = gatedStore(new FsObjectStore(await tempDir(), { durable: false }));
    const second = pipelineOf({ store: gated.store, batchWindowMs: 0 });
    await second.bus.putEvents(entries(VALID[0]));
    const before = second.landed();
    await second.bus.putEvents(entries(VALID[1]));
    const after = second.landed();
    gated.open();
    await Promise.all([before, after]);
    expect(second.stats.landedEvents).toBe(2);
  });

  it('holds on to a message whose first write failed until its redelivery lands', async () => {
    let failures = 1;
    const store = new FlakyStore(new FsObjectStore(await tempDir(), { durable: false }), (key) =>
      key.startsWith('raw/') ? failures-- > 0 : false,
    );
    const pipeline = pipelineOf({ store, batchWindowMs: 0, retryDelayMs: 500 });
    await pipeline.bus.putEvents(entries(VALID[0]));
    const barrier = pipeline.landed();
    while (pipeline.stats.failedRecords === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await isSettled(barrier)).toBe(false);
    await barrier;
    expect(pipeline.stats.landedEvents).toBe(1);
  });

  it('lets go of a dead-lettered message once its dead letter is written', async () => {
    const store = new FlakyStore(new FsObjectStore(await tempDir(), { durable: false }), (key) =>
      key.startsWith('raw/'),
    );
    const pipeline = pipelineOf({ store, batchWindowMs: 0, maxReceiveCount: 1 });
    await pipeline.bus.putEvents(entries(VALID[0]));
    await pipeline.landed();
    expect(pipeline.stats.deadLettered).toBe(1);
    expect((await readObjects(store, 'dlq/')).size).toBe(1);
  });

  it('tracks messages across many thousands of sequence numbers and barriers', async () => {
    const root = await tempDir();
    const { store, open } = gatedStore(new FsObjectStore(root, { durable: false }));
    const pipeline = pipelineOf({ store, batchWindowMs: 0, queueCapacity: 100_000 });
    const barriers: Promise<void>[] = [];
    // 12,000 messages (sequence numbers over three pages of the tracker), a barrier after every 1,000.
    for (let n = 0; n < 12_000; n += 10) {
      await pipeline.bus.putEvents(entries(...Array.from({ length: 10 }, () => VALID[0])));
      if ((n + 10) % 1000 === 0) barriers.push(pipeline.landed());
    }
    expect(await isSettled(barriers[0]!)).toBe(false);
    open();
    await Promise.all(barriers);
    expect(pipeline.stats.landedEvents).toBe(12_000);
    expect(await isSettled(pipeline.landed())).toBe(true);
  });
});
