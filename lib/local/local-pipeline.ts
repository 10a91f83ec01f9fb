import { createEventValidator, type EventValidator } from '../core/events/validator.js';
import { landSqsEvent } from '../core/landing/sqs-event.js';
import type { LandingResult } from '../core/landing/land-batch.js';
import { writeDeadLetters } from '../core/landing/quarantine.js';
import type { Clock, ObjectStore } from '../core/ports.js';
import { systemClock } from '../core/ports.js';
import { RULES, type RuleDefinition } from '../core/rules.js';
import { InProcessBus, type BusTargetQueue } from './in-process-bus.js';
import { InProcessQueue, type QueueMessage } from './in-process-queue.js';
import { inProcessInvoker, WorkerLandingInvoker, type SqsInvoker } from './landing-invoker.js';
import { SqsEventSource } from './sqs-event-source.js';
import { bodyBytesOf } from './sqs-records.js';

/** Options of {@link LocalPipeline}: the embedded runtime's equivalents of the AWS settings. */
export interface LocalPipelineOptions {
  readonly store: ObjectStore;
  readonly clock?: Clock;
  readonly rules?: readonly RuleDefinition[];
  readonly validator?: EventValidator;
  /** Records per landing invocation. @default 10_000 */
  readonly batchSize?: number;
  /** Batching window. @default 1000 */
  readonly batchWindowMs?: number;
  /** Landing invocations at once. @default 2 */
  readonly concurrency?: number;
  /** Messages the landing queue holds before the bus waits: about two full batches. @default 20_000 */
  readonly queueCapacity?: number;
  /** Deliveries before a message goes to the dead-letter objects. @default 3 */
  readonly maxReceiveCount?: number;
  /** Delay before a failed message is delivered again. @default 1000 */
  readonly retryDelayMs?: number;
  readonly gzipLevel?: number;
  /**
   * Run landing in worker threads (each batch crosses to the worker as data, like a Lambda invocation).
   * Needs the store to be a local directory, given as `storeRoot`. @default in this thread
   */
  readonly landingWorkers?: { readonly storeRoot: string; readonly count?: number };
}

/** What the embedded pipeline did, for summaries. */
export interface LocalPipelineStats {
  landedEvents: number;
  /** Distinct object keys written (a retried batch rewrites its own key). */
  readonly landedObjectKeys: Set<string>;
  quarantined: number;
  failedRecords: number;
  deadLettered: number;
}

/**
 * The embedded pipeline: an in-process bus with the rule catalogue, a bounded landing queue with SQS
 * semantics, and an event source that feeds the landing handler (the same code as the Lambda) in
 * batches. Messages that keep failing are written under `dlq/` so nothing is lost.
 */
export class LocalPipeline {
  readonly bus: InProcessBus;
  readonly queue: InProcessQueue;
  readonly eventSource: SqsEventSource;
  readonly stats: LocalPipelineStats = {
    landedEvents: 0,
    landedObjectKeys: new Set(),
    quarantined: 0,
    failedRecords: 0,
    deadLettered: 0,
  };
  private readonly deadLetters: { message: QueueMessage; reason: string }[] = [];
  private readonly landing = new LandingTracker();
  private deadLetterTimer: NodeJS.Timeout | undefined;
  private readonly store: ObjectStore;
  private readonly clock: Clock;

  constructor(options: LocalPipelineOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    const validator = options.validator ?? createEventValidator();
    this.queue = new InProcessQueue('landing', {
      capacity: options.queueCapacity ?? 20_000,
      maxReceiveCount: options.maxReceiveCount ?? 3,
      retryDelayMs: options.retryDelayMs ?? 1000,
      onDeadLetter: (message, reason) => {
        this.stats.deadLettered++;
        this.deadLetters.push({ message, reason });
        this.writeDeadLettersSoon();
      },
    });
    this.bus = new InProcessBus({
      rules: options.rules ?? RULES,
      targets: { landing: this.landing.target(this.queue) },
      clock: this.clock,
    });
    const gzip = options.gzipLevel !== undefined ? { gzipLevel: options.gzipLevel } : {};
    let invoker: SqsInvoker;
    if (options.landingWorkers) {
      invoker = new WorkerLandingInvoker(
        { storeRoot: options.landingWorkers.storeRoot, ...gzip },
        options.landingWorkers.count,
      );
    } else {
      const deps = { store: this.store, validator, clock: this.clock, ...gzip };
      invoker = inProcessInvoker(async (event) => {
        const { response, result } = await landSqsEvent(event, deps, bodyBytesOf(event.Records));
        this.count(result);
        return response;
      });
    }
    this.eventSource = new SqsEventSource(this.queue, this.landing.invoker(invoker, this.queue), {
      batchSize: options.batchSize ?? 10_000,
      maxBatchingWindowMs: options.batchWindowMs ?? 1000,
      maxConcurrency: options.concurrency ?? 2,
      ...(options.landingWorkers ? { onOutcome: (o) => o.result && this.count(o.result) } : {}),
    });
  }

  private count(result: LandingResult): void {
    this.stats.landedEvents += result.landedEvents;
    for (const o of result.objects) this.stats.landedObjectKeys.add(o.key);
    this.stats.quarantined += result.quarantined;
    this.stats.failedRecords += result.failedIds.length;
  }

  /**
   * Resolves once every message the bus has delivered so far is settled durably: landed (or quarantined)
   * in the store, or written as a dead letter. The ingest log lets go of a request only then.
   */
  landed(): Promise<void> {
    return this.landing.barrier();
  }

  /** The last landing failures (most recent last): why messages were redelivered or dead-lettered. */
  get landingErrors(): readonly string[] {
    return this.eventSource.recentErrors;
  }

  /** Starts the landing event source. */
  start(): this {
    this.eventSource.start();
    return this;
  }

  /** Lands everything queued (without waiting out batching windows) and writes dead letters. */
  async flush(): Promise<void> {
    await this.eventSource.drain();
    await this.writeDeadLetters();
  }

  /** Flushes, then stops the event source. */
  async close(): Promise<void> {
    clearTimeout(this.deadLetterTimer);
    try {
      await this.flush();
    } finally {
      // Stopped even when the flush fails: live landing workers would keep the process from exiting.
      await this.eventSource.stop();
      this.queue.close();
    }
  }

  /** Dead letters are written promptly, so that what waits on {@link landed} does not wait for a flush. */
  private writeDeadLettersSoon(delayMs = 100): void {
    if (this.deadLetterTimer) return;
    this.deadLetterTimer = setTimeout(() => {
      this.deadLetterTimer = undefined;
      this.writeDeadLetters().catch(() => this.writeDeadLettersSoon(1000));
    }, delayMs).unref();
  }

  private async writeDeadLetters(): Promise<void> {
    if (this.deadLetters.length === 0) return;
    const taken = this.deadLetters.splice(0);
    const letters = taken.map((l) => ({ ...l, messageId: this.queue.messageId(l.message.seq) }));
    const lines = letters.map((l) =>
      JSON.stringify({
        messageId: l.messageId,
        receiveCount: l.message.receiveCount,
        reason: l.reason,
        deadLetteredAt: this.clock.now().toISOString(),
        body: l.message.body,
      }),
    );
    try {
      await writeDeadLetters(
        this.store,
        'landing',
        letters.map((l) => l.messageId),
        lines,
        this.clock,
      );
      this.landing.settled(taken.map((l) => l.message.seq));
    } catch (error) {
      // The queue has already let go of these messages: kept here, a later flush can still write them.
      this.deadLetters.unshift(...taken);
      throw error;
    }
  }
}

/** Sequence numbers per page of the landing tracker. */
const TRACKER_PAGE = 4096;

/**
 * Which delivered messages are not yet settled durably, by generation: {@link barrier} starts a new
 * generation and resolves when no message of an older one is left. Messages are known by their sequence
 * number in the queue, which it hands out in order: each unsettled message's generation is kept in pages of
 * 4,096 sequence numbers (a page goes once none of its messages is unsettled). A Map entry per message cost
 * more than the rest of the bookkeeping; hashing each body as a key cost more again.
 */
class LandingTracker {
  private generation = 0;
  /** Per page: generation + 1 of each unsettled message (0: settled or never sent), and how many. */
  private readonly pages = new Map<number, { readonly gens: Uint32Array; unsettled: number }>();
  /** Unsettled messages per generation, oldest generation first. */
  private readonly counts = new Map<number, number>();
  /** Messages sent in the current generation not yet added to {@link counts}. */
  private sentNow = 0;
  private waiters: { generation: number; resolve: () => void }[] = [];

  /** The bus's target: the queue, with every message sent counted as pending. */
  target(queue: InProcessQueue): BusTargetQueue {
    return {
      trySend: (body) => {
        if (!queue.trySend(body)) return false;
        this.sent(queue.lastSeq);
        return true;
      },
      send: (body) => queue.send(body, (seq) => this.sent(seq)),
    };
  }

  /** The invoker, with the messages of each invocation that did not fail settled. */
  invoker(inner: SqsInvoker, queue: InProcessQueue): SqsInvoker {
    return {
      invoke: async (batch, source) => {
        // Read before invoking: a worker invoker transfers the numbers' buffer away.
        const seqs = Array.from(batch.numbers.subarray(0, batch.ends.length));
        const outcome = await inner.invoke(batch, source);
        const failures = outcome.response?.batchItemFailures ?? [];
        if (failures.length === 0) {
          this.settled(seqs);
          return outcome;
        }
        const failed = new Set(failures.map((f) => (f.itemIdentifier ? queue.seqOf(f.itemIdentifier) : -1)));
        // As the event source does: an identifier not in the batch fails the whole batch.
        const inBatch = new Set(seqs);
        if ([...failed].every((s) => s !== undefined && inBatch.has(s))) {
          this.settled(seqs.filter((seq) => !failed.has(seq)));
        }
        return outcome;
      },
      close: () => inner.close(),
    };
  }

  barrier(): Promise<void> {
    this.addSent();
    const generation = this.generation++;
    if (this.oldestPending() > generation) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ generation, resolve }));
  }

  settled(seqs: readonly number[]): void {
    this.addSent();
    // Runs of one generation (the usual batch) are taken off its count at once.
    let runGeneration = -1;
    let run = 0;
    for (const seq of seqs) {
      const key = Math.floor(seq / TRACKER_PAGE);
      const page = this.pages.get(key);
      if (!page) continue;
      const at = seq - key * TRACKER_PAGE;
      const stored = page.gens[at]!;
      if (stored === 0) continue;
      page.gens[at] = 0;
      if (--page.unsettled === 0) this.pages.delete(key);
      if (stored - 1 !== runGeneration) {
        this.uncount(runGeneration, run);
        runGeneration = stored - 1;
        run = 0;
      }
      run++;
    }
    this.uncount(runGeneration, run);
    const oldest = this.oldestPending();
    if (this.waiters.length === 0 || this.waiters[0]!.generation >= oldest) return;
    const ready = this.waiters.filter((w) => w.generation < oldest);
    this.waiters = this.waiters.filter((w) => w.generation >= oldest);
    for (const w of ready) w.resolve();
  }

  private sent(seq: number): void {
    const key = Math.floor(seq / TRACKER_PAGE);
    let page = this.pages.get(key);
    if (!page) this.pages.set(key, (page = { gens: new Uint32Array(TRACKER_PAGE), unsettled: 0 }));
    const at = seq - key * TRACKER_PAGE;
    if (page.gens[at] !== 0) return; // The queue hands out each number once.
    page.gens[at] = this.generation + 1;
    page.unsettled++;
    this.sentNow++;
  }

  /** Adds the current generation's sends to {@link counts}. */
  private addSent(): void {
    if (this.sentNow === 0) return;
    this.counts.set(this.generation, (this.counts.get(this.generation) ?? 0) + this.sentNow);
    this.sentNow = 0;
  }

  private uncount(generation: number, n: number): void {
    if (n === 0) return;
    const left = (this.counts.get(generation) ?? n) - n;
    if (left > 0) this.counts.set(generation, left);
    else this.counts.delete(generation);
  }

  /** The oldest generation with an unsettled message (Infinity when none). */
  private oldestPending(): number {
    for (const generation of this.counts.keys()) return generation;
    return Number.POSITIVE_INFINITY;
  }
}
