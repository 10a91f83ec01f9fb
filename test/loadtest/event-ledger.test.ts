import { describe, expect, it } from 'vitest';
import { EventLedger } from '../../lib/loadtest/event-ledger.js';
import { landedFields, LoadEventFactory } from '../../lib/loadtest/load-events.js';
import { SampleRecorder } from '../../lib/loadtest/sample-recorder.js';

/** An envelope line as landing writes it, for one of the factory's events. */
function line(factory: LoadEventFactory, seq: number, offeredAt = 1000): string {
  const e = factory.make(seq, offeredAt);
  return JSON.stringify({
    version: '0',
    id: `env-${seq}`,
    'detail-type': 'UserLoggedIn',
    detail: e.value.detail,
  });
}

function ledgerOf(events: number): {
  ledger: EventLedger;
  factory: LoadEventFactory;
  recorder: SampleRecorder;
} {
  const factory = new LoadEventFactory();
  const recorder = new SampleRecorder(0);
  return { ledger: new EventLedger(factory, recorder, events), factory, recorder };
}

describe('the event ledger', () => {
  it('maps an event id back to its event, and refuses ids of another run', () => {
    const a = new LoadEventFactory();
    const b = new LoadEventFactory();
    expect(a.seqOf(a.eventIdOf(123_456))).toBe(123_456);
    expect(a.seqOf(b.eventIdOf(1))).toBeUndefined();
    expect(a.eventIdOf(1)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('reads the event id and the offer time from a landed line', () => {
    const f = new LoadEventFactory();
    expect(landedFields(line(f, 7, 1_700_000_000_123))).toEqual({
      eventId: f.eventIdOf(7),
      offeredAtMs: 1_700_000_000_123,
    });
  });

  it('counts an accepted event that never landed as lost', () => {
    const { ledger, factory } = ledgerOf(3);
    for (const seq of [0, 1]) {
      ledger.offered(seq, factory.eventIdOf(seq), 0);
      ledger.accepted(seq, factory.eventIdOf(seq), 10);
    }
    ledger.landedObject([line(factory, 0)], 2000);
    expect(ledger.allAcceptedLanded()).toBe(false);
    expect(ledger.totals()).toMatchObject({ accepted: 2, landedDistinct: 1, lost: 1, duplicates: 0 });
  });

  it('counts an event found in two objects once as landed and once as a duplicate', () => {
    const { ledger, factory, recorder } = ledgerOf(1);
    ledger.offered(0, factory.eventIdOf(0), 0);
    ledger.accepted(0, factory.eventIdOf(0), 10);
    ledger.landedObject([line(factory, 0, 0)], 1500);
    ledger.landedObject([line(factory, 0, 0)], 2500);
    expect(ledger.totals()).toMatchObject({ landedDistinct: 1, lost: 0, duplicates: 1, duplicatedEvents: 1 });
    const samples = recorder.samples([], 3000);
    expect(samples.map((s) => [s.landed, s.duplicates])).toEqual([
      [0, 0],
      [1, 0],
      [0, 1],
    ]);
    expect(samples[1]!.latencyP50Ms).toBe(1500);
  });

  it('counts an event landed before its answer arrived as accepted and landed', () => {
    const { ledger, factory } = ledgerOf(1);
    ledger.offered(0, factory.eventIdOf(0), 0);
    ledger.landedObject([line(factory, 0)], 500);
    ledger.accepted(0, factory.eventIdOf(0), 900);
    expect(ledger.totals()).toMatchObject({ landedAccepted: 1, lost: 0, landedUnacknowledged: 0 });
  });

  it('reports an event that landed though the client was never told it was accepted', () => {
    const { ledger, factory } = ledgerOf(1);
    ledger.offered(0, factory.eventIdOf(0), 0);
    ledger.unanswered(0, 30_000);
    ledger.landedObject([line(factory, 0)], 500);
    expect(ledger.totals()).toMatchObject({ accepted: 0, lost: 0, landedUnacknowledged: 1 });
  });

  it('matches an event by the id the transport assigned (multi-entry ingest requests)', () => {
    const { ledger, factory } = ledgerOf(1);
    const assigned = '0b7f2f7e-6a4f-5b8e-9d0a-1f2e3d4c5b6a';
    ledger.offered(0, assigned, 0);
    ledger.accepted(0, assigned, 10);
    const landed = line(factory, 0).replace(factory.eventIdOf(0), assigned);
    ledger.landedObject([landed], 800);
    expect(ledger.totals()).toMatchObject({ landedAccepted: 1, lost: 0, idMismatches: 0, foreignLines: 0 });
  });

  it('ignores lines of other runs', () => {
    const { ledger } = ledgerOf(1);
    ledger.landedObject([line(new LoadEventFactory(), 0), 'not json'], 800);
    expect(ledger.totals()).toMatchObject({ landedDistinct: 0, foreignLines: 2 });
  });
});
