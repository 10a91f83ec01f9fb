import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openOltpDatabase } from '../../../lib/adapters/oltp/oltp-database.js';
import { FsObjectStore } from '../../../lib/adapters/store/fs-object-store.js';
import type { PutEventsEntry, PutEventsResult } from '../../../lib/core/events/envelope.js';
import { createEventValidator } from '../../../lib/core/events/validator.js';
import type { QuarantineRecord } from '../../../lib/core/landing/quarantine.js';
import type { OltpDatabase, OltpSql } from '../../../lib/core/oltp/ports.js';
import {
  outboxLag,
  relayOutbox,
  RelayFailedError,
  type RelayOptions,
  type RelayRound,
} from '../../../lib/core/oltp/relay.js';
import { systemClock, type Bus } from '../../../lib/core/ports.js';
import { LocalPipeline } from '../../../lib/local/local-pipeline.js';
import { readRecords } from '../../support/objects.js';
import { useTempDirs } from '../../support/temp-dir.js';
import { insertOutboxRows, outboxEnvelopeText } from '../../support/outbox-rows.js';

const validator = createEventValidator();

/** A bus that passes calls on to `inner`, failing as told. */
function scriptedBus(
  inner: Bus,
  script: { throwTimes?: number; reject?: (detail: { eventId: string }) => boolean },
): Bus & { calls: number } {
  let throwsLeft = script.throwTimes ?? 0;
  const bus = {
    calls: 0,
    describe: () => `scripted(${inner.describe()})`,
    async putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsResult> {
      bus.calls++;
      if (throwsLeft > 0) {
        throwsLeft--;
        throw new Error('the bus is unavailable (simulated)');
      }
      const rejected = entries.map((e) => script.reject?.(JSON.parse(e.Detail!) as { eventId: string }));
      const pass = entries.filter((_, i) => !rejected[i]);
      const passed = pass.length > 0 ? (await inner.putEvents(pass)).Entries : [];
      let j = 0;
      const Entries = entries.map((_, i) =>
        rejected[i] ? { ErrorCode: 'InvalidArgument', ErrorMessage: 'rejected (simulated)' } : passed[j++]!,
      );
      return { FailedEntryCount: Entries.filter((e) => !e.EventId).length, Entries };
    },
  };
  return bus;
}

/** The database, with the statement that marks rows sent failing the first `times` times. */
function markFails(db: OltpDatabase, times: number): OltpDatabase {
  let left = times;
  const wrap = (sql: OltpSql): OltpSql => ({
    query: async (text, params) => {
      if (left > 0 && text.startsWith('UPDATE outbox SET sent_at')) {
        left--;
        throw new Error('the connection was lost while marking rows sent (simulated)');
      }
      return sql.query(text, params);
    },
  });
  return {
    kind: db.kind,
    description: db.description,
    query: (text, params) => db.query(text, params),
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
    migrate: () => db.migrate(),
    close: () => db.close(),
  };
}

describe('relayOutbox on PGlite with the in-process pipeline', () => {
  const tempDir = useTempDirs();
  let db: OltpDatabase;
  let store: FsObjectStore;
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    db = await openOltpDatabase('pglite');
    await db.migrate();
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    await db.query('TRUNCATE outbox');
    store = new FsObjectStore(await tempDir());
    pipeline = new LocalPipeline({ store, batchWindowMs: 20 }).start();
    return async () => {
      await pipeline.close();
    };
  });

  const options = (over: Partial<RelayOptions> = {}): RelayOptions => ({
    bus: pipeline.bus,
    store,
    clock: systemClock,
    batchSize: 50,
    validator,
    once: true,
    retryBaseMs: 5,
    ...over,
  });

  /** The detail.eventId of every landed event (with repeats). */
  async function landedEventIds(): Promise<string[]> {
    await pipeline.flush();
    const events = await readRecords<{ detail: { eventId: string } }>(store, 'raw/');
    return events.map((e) => e.detail.eventId);
  }

  async function rowsById(): Promise<
    Map<string, { sent: boolean; attempts: number; reason: string | null }>
  > {
    const { rows } = await db.query<{
      id: string;
      sent: boolean;
      attempts: number;
      quarantine_reason: string | null;
    }>('SELECT id::text AS id, sent_at IS NOT NULL AS sent, attempts, quarantine_reason FROM outbox');
    return new Map(
      rows.map((r) => [r.id, { sent: r.sent, attempts: r.attempts, reason: r.quarantine_reason }]),
    );
  }

  it('publishes every row once, in seq order per round, and marks it sent', async () => {
    const ids = await insertOutboxRows(db, 120);
    expect(await outboxLag(db)).toMatchObject({ unsent: 120 });
    expect((await outboxLag(db)).oldestUnsentAgeSeconds).toBeGreaterThanOrEqual(59);
    const rounds: RelayRound[] = [];
    const started = performance.now();
    const summary = await relayOutbox(db, options({ onBatch: (r) => rounds.push(r) }));
    const ms = performance.now() - started;

    expect(summary).toMatchObject({ published: 120, quarantined: 0, rounds: 3, failedRounds: 0 });
    expect(summary.lag).toEqual({ unsent: 0, oldestUnsentAgeSeconds: 0 });
    expect(rounds.map((r) => r.claimed)).toEqual([50, 50, 20]);
    expect(rounds.every((r, i) => i === 0 || r.firstSeq > rounds[i - 1]!.lastSeq)).toBe(true);
    expect(rounds.at(-1)!.lag.unsent).toBe(0);
    const landed = await landedEventIds();
    expect(landed.sort()).toEqual([...ids].sort());
    const rows = await rowsById();
    expect([...rows.values()].every((r) => r.sent && r.attempts === 1)).toBe(true);
    process.stderr.write(`relay on PGlite: 120 rows in ${ms.toFixed(0)} ms\n`);

    // Drained: another relay finds nothing.
    expect(await relayOutbox(db, options())).toMatchObject({ published: 0, rounds: 0 });
  });

  it('quarantines poison rows (no schema accepts them, the bus rejects them) and publishes the rest', async () => {
    const good = await insertOutboxRows(db, 6);
    const [unknownType] = await insertOutboxRows(db, 1, (id) =>
      outboxEnvelopeText('UserSignedUp', id).replace(
        '"detail-type":"UserSignedUp"',
        '"detail-type":"UserSignedUpp"',
      ),
    );
    const [badCountry] = await insertOutboxRows(db, 1, (id) =>
      outboxEnvelopeText('UserSignedUp', id, { country: 'gb' }),
    );
    const [wrongEventId] = await insertOutboxRows(db, 1, () =>
      outboxEnvelopeText('BidCreated', randomUUID()),
    );
    const [busRejects] = await insertOutboxRows(db, 1);
    const more = await insertOutboxRows(db, 4);
    const bus = scriptedBus(pipeline.bus, { reject: (d) => d.eventId === busRejects });

    const summary = await relayOutbox(db, options({ bus, batchSize: 5 }));

    expect(summary).toMatchObject({ published: 10, quarantined: 4, failedRounds: 0 });
    const rows = await rowsById();
    expect(rows.get(unknownType!)).toMatchObject({ sent: false, attempts: 1 });
    expect(rows.get(unknownType!)!.reason).toMatch(/^UNKNOWN_EVENT_TYPE: /);
    expect(rows.get(badCountry!)!.reason).toMatch(/^SCHEMA_VIOLATION: detail\.country/);
    expect(rows.get(wrongEventId!)!.reason).toMatch(/detail\.eventId is not the outbox row's id/);
    expect(rows.get(busRejects!)!.reason).toMatch(/^BUS_REJECTED: .*InvalidArgument/);
    const { rows: quarantinedRows } = await db.query<{ n: number }>(
      'SELECT count(*) AS n FROM outbox WHERE quarantined_at IS NOT NULL',
    );
    expect(quarantinedRows[0]!.n).toBe(4);

    const records = await readRecords<QuarantineRecord>(store, 'quarantine/');
    expect(records.map((r) => r.ref).sort()).toEqual(
      [unknownType, badCountry, wrongEventId, busRejects].sort(),
    );
    const record = records.find((r) => r.ref === badCountry)!;
    expect(record).toMatchObject({ stage: 'publish', code: 'SCHEMA_VIOLATION', eventId: badCountry });
    expect(JSON.parse(record.input)).toMatchObject({ id: badCountry, detail: { country: 'gb' } });

    expect((await landedEventIds()).sort()).toEqual([...good, ...more].sort());
    // Quarantined rows are never retried.
    expect(await relayOutbox(db, options({ bus }))).toMatchObject({ published: 0, quarantined: 0 });
    expect(await outboxLag(db)).toEqual({ unsent: 0, oldestUnsentAgeSeconds: 0 });
  });

  it('rolls a round back when the bus fails, waits and tries again: nothing lost', async () => {
    const ids = await insertOutboxRows(db, 30);
    const bus = scriptedBus(pipeline.bus, { throwTimes: 1 });
    const retries: string[] = [];
    const summary = await relayOutbox(
      db,
      options({ bus, publishAttempts: 1, onRetry: (e, n) => retries.push(`${n}: ${e.message}`) }),
    );
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatch(/^1: .*unavailable/);
    expect(summary).toMatchObject({ published: 30, failedRounds: 1, quarantined: 0 });
    // PutEvents calls of the failed round that went through before it failed are sent again: at least once.
    const landed = await landedEventIds();
    expect(new Set(landed)).toEqual(new Set(ids));
    expect(landed.length).toBeLessThanOrEqual(60);
    expect([...(await rowsById()).values()].every((r) => r.sent && r.attempts === 1)).toBe(true);
  });

  it('gives up after maxFailedRounds consecutive failures, leaving the rows unsent', async () => {
    await insertOutboxRows(db, 3);
    const bus = scriptedBus(pipeline.bus, { throwTimes: 100 });
    await expect(relayOutbox(db, options({ bus, publishAttempts: 1, maxFailedRounds: 3 }))).rejects.toThrow(
      RelayFailedError,
    );
    expect(bus.calls).toBe(3);
    expect(await outboxLag(db)).toMatchObject({ unsent: 3 });
  });

  it('republishes a round whose mark failed after the bus took it (at least once, deduplicable)', async () => {
    const ids = await insertOutboxRows(db, 40);
    const summary = await relayOutbox(markFails(db, 1), options({ batchSize: 25 }));
    expect(summary).toMatchObject({ published: 40, failedRounds: 1 });

    const landed = await landedEventIds();
    expect(new Set(landed)).toEqual(new Set(ids));
    const counts = new Map<string, number>();
    for (const id of landed) counts.set(id, (counts.get(id) ?? 0) + 1);
    // The first round (the 25 oldest rows) went out twice; nothing else did.
    expect([...counts.values()].filter((c) => c === 2)).toHaveLength(25);
    expect([...counts.values()].every((c) => c <= 2)).toBe(true);
    expect(ids.slice(0, 25).every((id) => counts.get(id) === 2)).toBe(true);
    // The rolled-back round left no trace on the rows.
    expect([...(await rowsById()).values()].every((r) => r.sent && r.attempts === 1)).toBe(true);
  });

  it('follows the outbox until stopped, relaying rows written meanwhile', async () => {
    const stop = new AbortController();
    const rounds: RelayRound[] = [];
    const running = relayOutbox(
      db,
      options({ once: false, pollIntervalMs: 20, signal: stop.signal, onBatch: (r) => rounds.push(r) }),
    );
    const ids = await insertOutboxRows(db, 12);
    const deadline = Date.now() + 10_000;
    while ((await outboxLag(db)).unsent > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    stop.abort();
    const summary = await running;
    expect(summary).toMatchObject({ published: 12, stoppedBy: 'signal' });
    expect(rounds.length).toBeGreaterThanOrEqual(1);
    expect((await landedEventIds()).sort()).toEqual([...ids].sort());
  });
});
