import type { LoadEventFactory } from './load-events.js';
import { landedFields } from './load-events.js';
import type { SampleRecorder } from './sample-recorder.js';

// What the client knows of an event (0: not offered).
const OFFERED = 1;
const ACCEPTED = 2;
const REJECTED = 3;
const UNANSWERED = 4;

/** The end-of-run check: every accepted event landed exactly once. */
export interface LedgerTotals {
  readonly offered: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Sent, but the answer never came: neither counted accepted nor lost. */
  readonly unanswered: number;
  /** Distinct event ids of this run found in landed objects. */
  readonly landedDistinct: number;
  /** Accepted events found landed. */
  readonly landedAccepted: number;
  /** Accepted events not found in any landed object. */
  readonly lost: number;
  /** Landings beyond the first of an event (the same id in another object). */
  readonly duplicates: number;
  /** Distinct events landed more than once. */
  readonly duplicatedEvents: number;
  /** Landed events the client was not told were accepted (unanswered, or refused yet landed). */
  readonly landedUnacknowledged: number;
  /** Lines under the watched prefix that are not this run's events. */
  readonly foreignLines: number;
  /** Accepted events whose answer named another id than the one sent (should never happen). */
  readonly idMismatches: number;
}

/**
 * What happened to every event of a run, by its number: offered, then accepted, refused or unanswered;
 * and how many times it was found in a landed object. Typed arrays sized by the run's event cap keep
 * the bookkeeping small next to the pipeline it measures.
 */
export class EventLedger {
  private readonly state: Uint8Array;
  private readonly landings: Uint8Array;
  /** Ids the transport assigned instead of the factory's (multi-entry ingest requests). */
  private readonly assigned = new Map<string, number>();
  private counts = { offered: 0, accepted: 0, rejected: 0, unanswered: 0, landedDistinct: 0 };
  private landedAccepted = 0;
  private duplicates = 0;
  private duplicatedEvents = 0;
  private foreign = 0;
  private idMismatches = 0;

  constructor(
    private readonly factory: LoadEventFactory,
    private readonly recorder: SampleRecorder,
    maxEvents: number,
  ) {
    this.state = new Uint8Array(maxEvents);
    this.landings = new Uint8Array(maxEvents);
  }

  /** Event `seq` was sent; `eventId` is the id the transport will give it (registered before it can land). */
  offered(seq: number, eventId: string, atMs: number): void {
    if (eventId !== this.factory.eventIdOf(seq)) this.assigned.set(eventId, seq);
    this.state[seq] = OFFERED;
    this.counts.offered++;
    this.recorder.offered(atMs, 1);
  }

  /** Event `seq` was offered and refused by the client itself (never sent). */
  shed(seq: number, code: string, atMs: number): void {
    this.state[seq] = OFFERED;
    this.counts.offered++;
    this.recorder.offered(atMs, 1);
    this.rejected(seq, code, atMs);
  }

  /** Event `seq` was accepted under `eventId` (an id other than the one expected is counted as a mismatch). */
  accepted(seq: number, eventId: string, atMs: number): void {
    const expected = this.assigned.get(eventId) ?? this.factory.seqOf(eventId);
    if (expected !== seq) this.idMismatches++;
    this.state[seq] = ACCEPTED;
    this.counts.accepted++;
    // Landed before the answer arrived (possible: the answer travels after the bus took the event).
    if (this.landings[seq]! > 0) this.landedAccepted++;
    this.recorder.accepted(atMs, 1);
  }

  rejected(seq: number, code: string, atMs: number): void {
    this.state[seq] = REJECTED;
    this.counts.rejected++;
    this.recorder.rejected(atMs, code, 1);
  }

  unanswered(seq: number, atMs: number): void {
    this.state[seq] = UNANSWERED;
    this.counts.unanswered++;
    this.recorder.unanswered(atMs, 1);
  }

  /** Counts the events of one landed object (each object is read once), landed at `landedAtMs`. */
  landedObject(lines: readonly string[], landedAtMs: number): void {
    for (const line of lines) {
      const fields = landedFields(line);
      const seq = fields
        ? (this.factory.seqOf(fields.eventId) ?? this.assigned.get(fields.eventId))
        : undefined;
      if (seq === undefined || seq >= this.state.length) {
        this.foreign++;
        continue;
      }
      const before = this.landings[seq]!;
      if (before < 255) this.landings[seq] = before + 1;
      if (before === 0) {
        this.counts.landedDistinct++;
        if (this.state[seq] === ACCEPTED) this.landedAccepted++;
        const latency = fields!.offeredAtMs === undefined ? undefined : landedAtMs - fields!.offeredAtMs;
        this.recorder.landed(landedAtMs, latency === undefined ? undefined : Math.max(0, latency));
      } else {
        if (before === 1) this.duplicatedEvents++;
        this.duplicates++;
        this.recorder.duplicate(landedAtMs);
      }
    }
  }

  /** Whether every accepted event has been found landed. */
  allAcceptedLanded(): boolean {
    return this.landedAccepted >= this.counts.accepted;
  }

  totals(): LedgerTotals {
    let unacknowledged = 0;
    for (let i = 0; i < this.counts.offered; i++) {
      if (this.landings[i]! > 0 && this.state[i] !== ACCEPTED) unacknowledged++;
    }
    return {
      ...this.counts,
      landedAccepted: this.landedAccepted,
      lost: this.counts.accepted - this.landedAccepted,
      duplicates: this.duplicates,
      duplicatedEvents: this.duplicatedEvents,
      landedUnacknowledged: unacknowledged,
      foreignLines: this.foreign,
      idMismatches: this.idMismatches,
    };
  }
}
