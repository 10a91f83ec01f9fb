import { percentile, sortedCopy } from './percentile.js';
import { stepAt, type ScheduledStep } from './ramp-schedule.js';

/** Whether the driver was offering load or waiting for the pipeline to drain. */
export type LoadPhase = 'ramp' | 'drain';

/** What the pipeline held at one moment. */
export interface DepthReading {
  /** Events waiting anywhere between accepted and landed, as far as the transport can tell. */
  readonly total: number;
  /** The parts of `total` (e.g. `spool`, `queue`; `lag`; `visible`, `notVisible`). */
  readonly parts: Readonly<Record<string, number>>;
}

/** One second of a run. Counts are events; a latency is from offered to durably landed. */
export interface LoadSample {
  /** Seconds from the start of the run to the start of this second. */
  readonly second: number;
  readonly phase: LoadPhase;
  /** The ramp step in force, or null while draining. */
  readonly step: number | null;
  /** The rate the schedule called for (events/s); 0 while draining. */
  readonly scheduledRate: number;
  readonly offered: number;
  readonly accepted: number;
  /** Offered events that were refused, by code (`429`, `503`, `in-flight-limit`, a PutEvents error code, …). */
  readonly rejected: Readonly<Record<string, number>>;
  /** Offered events whose answer never came (a timeout or a dropped connection): their fate is unknown. */
  readonly unanswered: number;
  /** Events landed for the first time in this second (by the landed object's write time). */
  readonly landed: number;
  /** Events landed again in another object (at-least-once hops). */
  readonly duplicates: number;
  /** Events sent and not yet answered by the transport at the end of the second. */
  readonly inFlight: number | null;
  readonly depth: number | null;
  readonly depthParts: Readonly<Record<string, number>>;
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
  readonly rssMb: number | null;
}

interface Bucket {
  offered: number;
  accepted: number;
  rejected: Record<string, number>;
  unanswered: number;
  landed: number;
  duplicates: number;
  latencies: number[];
  gauges?: { inFlight: number; depth: DepthReading | undefined; rssMb: number };
}

/**
 * Gathers what happens during a run into one-second buckets from its start. Events are counted in the
 * second they happen (offered when sent, accepted when answered, landed at the landed object's write
 * time, which may be seen a little later: buckets stay open until {@link samples} is called).
 */
export class SampleRecorder {
  private readonly buckets: Bucket[] = [];
  private readonly allLatencies: number[] = [];
  private drainFromMs: number | undefined;

  constructor(readonly startMs: number) {}

  offered(atMs: number, count: number): void {
    this.bucket(atMs).offered += count;
  }

  accepted(atMs: number, count: number): void {
    this.bucket(atMs).accepted += count;
  }

  rejected(atMs: number, code: string, count: number): void {
    const r = this.bucket(atMs).rejected;
    r[code] = (r[code] ?? 0) + count;
  }

  unanswered(atMs: number, count: number): void {
    this.bucket(atMs).unanswered += count;
  }

  /** An event landed for the first time; `latencyMs` from its offer, when known. */
  landed(atMs: number, latencyMs: number | undefined): void {
    const b = this.bucket(atMs);
    b.landed++;
    if (latencyMs !== undefined) {
      b.latencies.push(latencyMs);
      this.allLatencies.push(latencyMs);
    }
  }

  duplicate(atMs: number): void {
    this.bucket(atMs).duplicates++;
  }

  /** The gauges read at the end of a second (the latest reading of a second wins). */
  gauge(atMs: number, reading: { inFlight: number; depth: DepthReading | undefined; rssMb: number }): void {
    this.bucket(atMs).gauges = reading;
  }

  /** From `atMs` on, the run is draining (no more offers). */
  startDrain(atMs: number): void {
    this.drainFromMs = atMs;
  }

  /** p50, p99 and the maximum of every latency recorded. */
  latencySummary(): { p50Ms: number | null; p99Ms: number | null; maxMs: number | null; count: number } {
    const sorted = sortedCopy(this.allLatencies);
    return {
      p50Ms: percentile(sorted, 50) ?? null,
      p99Ms: percentile(sorted, 99) ?? null,
      maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : null,
      count: sorted.length,
    };
  }

  /** The samples of every second up to `untilMs` (exclusive), with the step each second belongs to. */
  samples(steps: readonly ScheduledStep[], untilMs: number): LoadSample[] {
    const seconds = Math.max(this.buckets.length, Math.ceil((untilMs - this.startMs) / 1000));
    const out: LoadSample[] = [];
    for (let s = 0; s < seconds; s++) {
      const b = this.buckets[s] ?? emptyBucket();
      const atMs = s * 1000;
      const draining = this.drainFromMs !== undefined && this.startMs + atMs >= this.drainFromMs;
      const step = draining ? undefined : stepAt(steps, atMs);
      const sorted = sortedCopy(b.latencies);
      out.push({
        second: s,
        phase: draining ? 'drain' : 'ramp',
        step: step?.index ?? null,
        scheduledRate: step?.rate ?? 0,
        offered: b.offered,
        accepted: b.accepted,
        rejected: { ...b.rejected },
        unanswered: b.unanswered,
        landed: b.landed,
        duplicates: b.duplicates,
        inFlight: b.gauges?.inFlight ?? null,
        depth: b.gauges?.depth?.total ?? null,
        depthParts: { ...(b.gauges?.depth?.parts ?? {}) },
        latencyP50Ms: round(percentile(sorted, 50)),
        latencyP99Ms: round(percentile(sorted, 99)),
        rssMb: b.gauges ? Math.round(b.gauges.rssMb) : null,
      });
    }
    return out;
  }

  private bucket(atMs: number): Bucket {
    const i = Math.max(0, Math.floor((atMs - this.startMs) / 1000));
    while (this.buckets.length <= i) this.buckets.push(emptyBucket());
    return this.buckets[i]!;
  }
}

function emptyBucket(): Bucket {
  return { offered: 0, accepted: 0, rejected: {}, unanswered: 0, landed: 0, duplicates: 0, latencies: [] };
}

function round(value: number | undefined): number | null {
  return value === undefined ? null : Math.round(value);
}
