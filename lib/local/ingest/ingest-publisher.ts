import type { Breaker } from '../../adapters/resilience/circuit-breaker.js';
import { BreakerOpenError } from '../../adapters/resilience/circuit-breaker.js';
import { SpoolFullError, type Acceptance, type IngestSink } from '../../core/ingest/ingest-sink.js';
import { publishEvents, type PublishSummary } from '../../core/publish/publisher.js';
import type { Bus, Clock, ObjectStore } from '../../core/ports.js';
import { systemClock } from '../../core/ports.js';
import type { DirectorySpool } from './spool.js';

/** How long a spooled request waits for the outcome of its timed-out first publish. */
const LATE_CALL_HOLD_MS = 60_000;

/** Options of {@link IngestPublisher}. */
export interface IngestPublisherOptions {
  readonly bus: Bus;
  readonly breaker: Breaker;
  readonly spool: DirectorySpool;
  /** Where entries the bus refuses for good are quarantined. */
  readonly store: ObjectStore;
  readonly clock?: Clock;
  /** How often the spool is drained while it holds requests. @default 250 ms */
  readonly drainEveryMs?: number;
  /**
   * Resolves once the events the bus has acknowledged so far are durable past it: for the in-process bus,
   * landed (its queue is in memory). Only then does the log let go of a published request. @default the
   * bus's acknowledgement is durable (Kafka, EventBridge)
   */
  readonly landed?: () => Promise<void>;
}

/**
 * Takes accepted requests durably, then publishes them to the bus through a circuit breaker. Every request
 * is first appended to the spool, a write-ahead log (fsynced, group-committed), so an answered request
 * survives a crash: a restart publishes again what the log still holds, and the warehouse removes the
 * duplicates by event id. A request leaves the log once its events are durable downstream (`landed`).
 *
 * While the bus is away (the breaker is open, or a publish fails) requests wait in the spool's drain queue,
 * and later requests queue behind them so order is kept. A drain loop republishes them, oldest first,
 * whenever the breaker lets a call through; a probe that succeeds closes the breaker. Only a full drain
 * queue refuses work ({@link SpoolFullError}).
 */
export class IngestPublisher implements IngestSink {
  /** `recalled`: spooled requests dropped again because the publish that timed out succeeded after all. */
  readonly stats = { published: 0, spooled: 0, drained: 0, quarantined: 0, recalled: 0 };
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  /** Published requests waiting to be durable downstream before the log lets go of them. */
  private readonly releasing = new Set<Promise<void>>();
  private readonly clock: Clock;

  constructor(private readonly options: IngestPublisherOptions) {
    this.clock = options.clock ?? systemClock;
    this.timer = setInterval(() => void this.drain(), options.drainEveryMs ?? 250);
  }

  get spoolDepth(): number {
    return this.options.spool.depth;
  }

  /**
   * Logs a request's entries durably, then publishes them now or leaves them queued in the spool; either
   * way they will reach the bus, even after a crash.
   */
  async accept(values: readonly Record<string, unknown>[]): Promise<Acceptance> {
    const spool = this.options.spool;
    if (spool.depth > 0 || this.options.breaker.state !== 'closed') {
      await spool.push(values);
      this.stats.spooled += values.length;
      return 'spooled';
    }
    const name = await spool.append(values);
    let publishing: Promise<PublishSummary> | undefined;
    try {
      await this.options.breaker.run(() => (publishing = this.publish(values)));
      this.stats.published += values.length;
      this.released(name);
      return 'published';
    } catch (error) {
      if (!(error instanceof BreakerOpenError) && !isBusFailure(error)) {
        await spool.discard(name);
        throw error;
      }
    }
    // A call the breaker gave up on (its timeout) goes on and may still succeed. Its queued copy is held
    // (the drain waits behind it, keeping the order) until the call settles.
    const late = publishing;
    spool.enqueue(name, { held: late !== undefined });
    this.stats.spooled += values.length;
    if (late) this.settleLate(name, values.length, late);
    return 'spooled';
  }

  /** Publishes what the spool holds, oldest first, while the breaker lets calls through. */
  drain(): Promise<void> {
    // One drain at a time; the promise is assigned before the loop can finish, even synchronously.
    if (this.draining) return this.draining;
    const run = async (): Promise<void> => {
      await Promise.resolve();
      for (;;) {
        if (this.options.breaker.state === 'open') return;
        const item = await this.options.spool.oldest().catch(() => undefined);
        if (!item) return;
        let publishing: Promise<PublishSummary> | undefined;
        try {
          await this.options.breaker.run(() => (publishing = this.publish(item.values)));
        } catch {
          // Timed out but still running: hold the request until that call says whether it is needed.
          if (publishing) {
            this.options.spool.hold(item.name);
            this.settleLate(item.name, item.values.length, publishing);
          }
          return;
        }
        await this.options.spool.remove(item.name);
        this.released(item.name);
        this.stats.drained += item.values.length;
      }
    };
    const draining = run().finally(() => {
      if (this.draining === draining) this.draining = undefined;
    });
    this.draining = draining;
    return draining;
  }

  /**
   * Settles a held request by the outcome of its timed-out publish: dropped from the spool if the call
   * succeeded after all, released to the drain if it failed or takes longer than LATE_CALL_HOLD_MS (then
   * a duplicate is possible, and the warehouse removes it).
   */
  private settleLate(name: string, events: number, late: Promise<PublishSummary>): void {
    const spool = this.options.spool;
    const giveUp = setTimeout(() => spool.release(name), LATE_CALL_HOLD_MS).unref();
    late
      .then(
        async () => {
          if (await spool.recall(name)) {
            this.stats.recalled += events;
            this.released(name);
          }
        },
        () => spool.release(name),
      )
      .catch(() => spool.release(name))
      .finally(() => clearTimeout(giveUp));
  }

  /**
   * Lets the log go of a published request once its events are durable downstream. A request still in the
   * log at a crash is published again at the next start.
   */
  private released(name: string): void {
    const spool = this.options.spool;
    const landed = this.options.landed?.() ?? Promise.resolve();
    const releasing: Promise<void> = landed
      .then(() => spool.discard(name))
      .catch(() => undefined)
      .finally(() => this.releasing.delete(releasing));
    this.releasing.add(releasing);
  }

  /**
   * Stops the drain loop after a last drain attempt, and waits for published requests to be durable
   * downstream, both bounded by `deadlineMs`; then closes the spool's file.
   */
  async close(deadlineMs = 10_000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const end = Date.now() + deadlineMs;
    while (this.options.spool.depth > 0 && Date.now() < end) {
      await this.drain();
      if (this.options.spool.depth > 0) await new Promise((r) => setTimeout(r, 200));
    }
    await this.draining;
    const left = Math.max(0, end - Date.now());
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.releasing),
      new Promise((r) => (timer = setTimeout(r, left))),
    ]).finally(() => clearTimeout(timer));
    await this.options.spool.close();
  }

  private async publish(values: readonly Record<string, unknown>[]): Promise<PublishSummary> {
    const summary = await publishEvents(
      values.map((value, i) => ({ ref: `ingest:${String(value.source)}:${i}`, value })),
      {
        bus: this.options.bus,
        store: this.options.store,
        clock: this.clock,
        // Few attempts: the breaker and the spool handle an outage, not long retry loops per request.
        maxAttempts: 2,
        baseDelayMs: 50,
      },
    );
    this.stats.quarantined += summary.quarantined;
    return summary;
  }
}

/** A failure of the bus itself (not of one entry): worth spooling for later. */
function isBusFailure(error: unknown): boolean {
  return error instanceof Error && !(error instanceof SpoolFullError);
}
