import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../lib/adapters/store/fs-object-store.js';
import type {
  PutEventsEntry,
  PutEventsResult,
  PutEventsResultEntry,
} from '../../../lib/core/events/envelope.js';
import type { QuarantineRecord } from '../../../lib/core/landing/quarantine.js';
import type { Bus } from '../../../lib/core/ports.js';
import {
  PublishFailedError,
  publishEvents,
  type PublishInput,
  type PublishLines,
} from '../../../lib/core/publish/publisher.js';
import { readRecords } from '../../support/objects.js';
import { useTempDirs } from '../../support/temp-dir.js';

const tempDir = useTempDirs();
const clock = { now: () => new Date('2026-11-25T10:00:00Z') };

/** A bus of our own port whose answer per entry is decided by the test. */
class ScriptedBus implements Bus {
  readonly calls: PutEventsEntry[][] = [];
  constructor(
    private readonly answer: (entry: PutEventsEntry, call: number) => PutEventsResultEntry | 'throw',
  ) {}
  describe(): string {
    return 'scripted';
  }
  async putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsResult> {
    this.calls.push([...entries]);
    const answers = entries.map((e) => this.answer(e, this.calls.length));
    if (answers.includes('throw')) throw new Error('connection reset');
    const results = answers as PutEventsResultEntry[];
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
  }
}

const line = (n: number): PublishInput & { line: string } => ({
  ref: `f:${n}`,
  line: JSON.stringify({ source: 's', 'detail-type': 'T', detail: { n } }),
});

describe('publishEvents', () => {
  it('sends entries in PutEvents calls of at most 10', async () => {
    const bus = new ScriptedBus(() => ({ EventId: 'id' }));
    const store = new FsObjectStore(await tempDir());
    const summary = await publishEvents(
      Array.from({ length: 25 }, (_, i) => line(i)),
      { bus, store, clock },
    );
    expect(bus.calls.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(summary).toMatchObject({ read: 25, accepted: 25, quarantined: 0, putEventsCalls: 3 });
  });

  it('takes inputs in chunks as well as one by one', async () => {
    const bus = new ScriptedBus(() => ({ EventId: 'id' }));
    const store = new FsObjectStore(await tempDir());
    const summary = await publishEvents([[line(1), line(2)], [line(3)]], { bus, store, clock });
    expect(summary.accepted).toBe(3);
  });

  it('takes chunks of lines, naming a line only when it quarantines it, at publish or when the bus rejects it', async () => {
    const bus = new ScriptedBus((e) =>
      JSON.parse(e.Detail!).n === 2
        ? { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }
        : { EventId: 'id' },
    );
    const store = new FsObjectStore(await tempDir());
    const named: number[] = [];
    const chunk = (lines: string[], first: number): PublishLines => ({
      lines,
      ref: (i) => {
        named.push(first + i);
        return `f:${first + i}`;
      },
    });
    const summary = await publishEvents(
      [chunk([line(0).line, 'not json', line(2).line], 0), chunk([line(3).line], 3)],
      { bus, store, clock },
    );
    expect(summary).toMatchObject({ read: 4, accepted: 2, quarantined: 2 });
    expect(named.sort()).toEqual([1, 2]);
    const records = await readRecords<QuarantineRecord>(store, 'quarantine/stage=publish/');
    expect(records.map((r) => [r.code, r.ref, r.input]).sort()).toEqual([
      ['BUS_REJECTED', 'f:2', line(2).line],
      ['NOT_JSON', 'f:1', 'not json'],
    ]);
  });

  it('retries only the entries the bus failed with a retryable code', async () => {
    let throttled = false;
    const bus = new ScriptedBus((e) => {
      if (JSON.parse(e.Detail!).n === 3 && !throttled) {
        throttled = true;
        return { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' };
      }
      return { EventId: 'id' };
    });
    const store = new FsObjectStore(await tempDir());
    const summary = await publishEvents(
      Array.from({ length: 5 }, (_, i) => line(i)),
      { bus, store, clock, baseDelayMs: 1 },
    );
    expect(bus.calls.map((c) => c.map((e) => JSON.parse(e.Detail!).n))).toEqual([[0, 1, 2, 3, 4], [3]]);
    expect(summary).toMatchObject({ accepted: 5, retriedEntries: 1, quarantined: 0 });
  });

  it('fails, without quarantining, when the bus still throttles valid entries at the last attempt', async () => {
    const bus = new ScriptedBus((e) =>
      JSON.parse(e.Detail!).n === 1
        ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }
        : { EventId: 'id' },
    );
    const dir = await tempDir();
    const store = new FsObjectStore(dir);
    const failure = await publishEvents([line(0), line(1)], {
      bus,
      store,
      clock,
      maxAttempts: 3,
      baseDelayMs: 1,
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PublishFailedError);
    expect((failure as PublishFailedError).message).toBe(
      'the bus (scripted) failed 1 entry 3 times (ThrottlingException: Rate exceeded)',
    );
    expect((failure as PublishFailedError).summary).toMatchObject({ accepted: 1, quarantined: 0 });
    expect(bus.calls.map((c) => c.map((e) => JSON.parse(e.Detail!).n))).toEqual([[0, 1], [1], [1]]);
    expect(await readRecords(store, 'quarantine/')).toEqual([]);
  });

  it('quarantines entries the bus rejects for good, with the bus error as the reason', async () => {
    const bus = new ScriptedBus((e) =>
      JSON.parse(e.Detail!).n === 1
        ? { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }
        : { EventId: 'id' },
    );
    const dir = await tempDir();
    const store = new FsObjectStore(dir);
    const summary = await publishEvents([line(0), line(1)], { bus, store, clock });
    expect(summary).toMatchObject({ accepted: 1, quarantined: 1, rejections: { BUS_REJECTED: 1 } });
    const records = await readRecords<QuarantineRecord>(store, 'quarantine/stage=publish/');
    expect(records).toEqual([
      expect.objectContaining({
        code: 'BUS_REJECTED',
        reason: 'the bus rejected the entry (MalformedDetail: Detail is malformed.)',
        ref: 'f:1',
        input: line(1).line,
        stage: 'publish',
      }),
    ]);
  });

  it('quarantines invalid inputs with their reasons and publishes the valid ones', async () => {
    const bus = new ScriptedBus(() => ({ EventId: 'id' }));
    const store = new FsObjectStore(await tempDir());
    const inputs: PublishInput[] = [
      line(0),
      { ref: 'f:2', line: 'not json' },
      { ref: 'f:3', line: '[1]' },
      { ref: 'f:4', value: { source: 's', 'detail-type': 'T' } },
      line(5),
    ];
    const summary = await publishEvents(inputs, { bus, store, clock });
    expect(summary).toMatchObject({
      read: 5,
      accepted: 2,
      quarantined: 3,
      rejections: { NOT_JSON: 1, NOT_AN_OBJECT: 1, MALFORMED_DETAIL: 1 },
    });
    const records = await readRecords<QuarantineRecord>(store, 'quarantine/');
    expect(records.map((r) => [r.ref, r.code, r.input])).toEqual(
      expect.arrayContaining([
        ['f:2', 'NOT_JSON', 'not json'],
        ['f:3', 'NOT_AN_OBJECT', '[1]'],
        ['f:4', 'MALFORMED_DETAIL', '{"source":"s","detail-type":"T"}'],
      ]),
    );
  });

  it('writes quarantine in objects of at most quarantineFlushEvery records', async () => {
    const bus = new ScriptedBus(() => ({ EventId: 'id' }));
    const store = new FsObjectStore(await tempDir());
    const summary = await publishEvents(
      Array.from({ length: 7 }, (_, i) => ({ ref: `f:${i}`, line: `bad ${i}` })),
      { bus, store, clock, quarantineFlushEvery: 3 },
    );
    expect(summary.quarantineKeys).toHaveLength(3);
    expect(await readRecords(store, 'quarantine/')).toHaveLength(7);
  });

  it('fails with PublishFailedError when the bus keeps failing, without quarantining valid entries', async () => {
    const bus = new ScriptedBus(() => 'throw');
    const store = new FsObjectStore(await tempDir());
    const error = await publishEvents([line(0)], { bus, store, clock, maxAttempts: 3, baseDelayMs: 1 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PublishFailedError);
    expect((error as Error).message).toBe('the bus (scripted) failed PutEvents 3 times: connection reset');
    expect(bus.calls).toHaveLength(3);
    expect(await readRecords(store, 'quarantine/')).toHaveLength(0);
  });

  it('reports progress and a final count', async () => {
    const bus = new ScriptedBus(() => ({ EventId: 'id' }));
    const store = new FsObjectStore(await tempDir());
    const seen: number[] = [];
    await publishEvents(
      Array.from({ length: 25 }, (_, i) => line(i)),
      { bus, store, clock, progressEvery: 10, onProgress: (read) => seen.push(read) },
    );
    expect(seen).toEqual([10, 20, 25]);
  });
});
