import { randomBytes } from 'node:crypto';

/** A message in an {@link InProcessQueue}. */
export interface QueueMessage {
  /** Unique within the queue; the SQS message id is derived from it ({@link InProcessQueue.messageId}). */
  readonly seq: number;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  firstReceivedAt: number;
}

/**
 * Messages handed out together by {@link InProcessQueue.receiveBatch}: hidden from other receivers until
 * the lease is settled, like the receipt of one SQS ReceiveMessage call.
 */
export interface Lease {
  readonly id: number;
  readonly messages: readonly QueueMessage[];
}

/** Where a queue puts a message it gives up on. */
export type DeadLetterHandler = (message: QueueMessage, reason: string) => void;

/** Options of {@link InProcessQueue}. */
export interface InProcessQueueOptions {
  /** Most messages held (visible, in flight or waiting for redelivery). @default 100_000 */
  readonly capacity?: number;
  /** Most bytes (UTF-16 code units) of message bodies held. @default 128 MiB */
  readonly capacityBytes?: number;
  /** Deliveries before a message is dead-lettered (SQS redrive `maxReceiveCount`). @default 3 */
  readonly maxReceiveCount?: number;
  /** How long a released (failed) message stays invisible, like a visibility timeout. @default 1000 */
  readonly retryDelayMs?: number;
  /** Receives messages that failed `maxReceiveCount` times. Without one they are kept in `deadLetters`. */
  readonly onDeadLetter?: DeadLetterHandler;
}

const UUID_SUFFIX = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-([0-9a-f]{12})$/;

/**
 * A bounded in-memory queue with SQS delivery semantics: at-least-once, a receive hides messages until
 * they are settled, failed messages come back after a delay with a higher receive count, and after
 * `maxReceiveCount` deliveries they go to the dead-letter handler. Producers wait when it is full, which
 * is how backpressure reaches the bus and the publisher.
 *
 * Built for the embedded pipeline's hot path: messages carry a number rather than an id string, and
 * receipts are per batch rather than per message.
 */
export class InProcessQueue {
  readonly deadLetters: QueueMessage[] = [];
  // Received slots are cleared so a settled message can be collected before the array is compacted.
  private readonly visible: (QueueMessage | undefined)[] = [];
  private head = 0;
  private readonly leases = new Map<number, QueueMessage[]>();
  private inFlight = 0;
  private delayed = 0;
  private held = 0;
  private heldBytes = 0;
  private nextSeq = 1;
  private nextLease = 1;
  private readonly idPrefix: string;
  private readonly capacity: number;
  private readonly capacityBytes: number;
  private readonly maxReceiveCount: number;
  private readonly retryDelayMs: number;
  private spaceWaiters: (() => void)[] = [];
  private visibleWaiter: { count: number; resolve: () => void } | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly name: string,
    private readonly options: InProcessQueueOptions = {},
  ) {
    this.capacity = options.capacity ?? 100_000;
    this.capacityBytes = options.capacityBytes ?? 128 * 1024 * 1024;
    this.maxReceiveCount = options.maxReceiveCount ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    const r = randomBytes(10).toString('hex');
    this.idPrefix = `${r.slice(0, 8)}-${r.slice(8, 12)}-4${r.slice(12, 15)}-${'89ab'[parseInt(r[15]!, 16) & 3]}${r.slice(16, 19)}-`;
  }

  /** Messages ready to receive. */
  get visibleCount(): number {
    return this.visible.length - this.head;
  }

  /** Messages held in any state: what still has to be processed. */
  get depth(): { visible: number; inFlight: number; delayed: number; total: number } {
    return { visible: this.visibleCount, inFlight: this.inFlight, delayed: this.delayed, total: this.held };
  }

  /** The prefix every message id of this queue starts with (random per queue, UUID-shaped ids). */
  get messageIdPrefix(): string {
    return this.idPrefix;
  }

  /** The SQS-style message id (a version-4-shaped UUID) of a message. */
  messageId(seq: number): string {
    return messageIdFor(this.idPrefix, seq);
  }

  /** The sequence number behind a message id of this queue, or undefined for a foreign id. */
  seqOf(messageId: string): number | undefined {
    if (!messageId.startsWith(this.idPrefix)) return undefined;
    const m = UUID_SUFFIX.exec(messageId);
    return m ? parseInt(m[1]!, 16) : undefined;
  }

  /** Enqueues unless the queue is full. An empty queue takes any message, so one large message cannot wedge it. */
  trySend(body: string): boolean {
    if (this.held > 0 && (this.held >= this.capacity || this.heldBytes + body.length > this.capacityBytes)) {
      return false;
    }
    this.held++;
    this.heldBytes += body.length;
    this.pushVisible({ seq: this.nextSeq++, body, sentAt: Date.now(), receiveCount: 0, firstReceivedAt: 0 });
    return true;
  }

  /** The sequence number of the message the last successful send enqueued (-1 before the first). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /**
   * Enqueues, waiting for space when the queue is full. `onSent` gets the message's sequence number at
   * once, before anything can receive it.
   */
  async send(body: string, onSent?: (seq: number) => void): Promise<void> {
    while (!this.trySend(body)) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    onSent?.(this.nextSeq - 1);
  }

  /**
   * Takes up to `max` visible messages, stopping before their sizes (`sizeOf`, by default the body's
   * length) would add up to more than `maxBytes`; at least one message when any is visible. Undefined
   * when none is visible.
   */
  receiveBatch(
    max: number,
    maxBytes = Number.POSITIVE_INFINITY,
    sizeOf: (body: string) => number = (body) => body.length,
  ): Lease | undefined {
    if (this.head >= this.visible.length) return undefined;
    const messages: QueueMessage[] = [];
    let bytes = 0;
    const now = Date.now();
    while (messages.length < max && this.head < this.visible.length) {
      const message = this.visible[this.head] as QueueMessage;
      const size = sizeOf(message.body);
      if (messages.length > 0 && bytes + size > maxBytes) break;
      this.visible[this.head++] = undefined;
      bytes += size;
      message.receiveCount++;
      if (message.firstReceivedAt === 0) message.firstReceivedAt = now;
      messages.push(message);
    }
    this.compact();
    const id = this.nextLease++;
    this.leases.set(id, messages);
    this.inFlight += messages.length;
    return { id, messages };
  }

  /**
   * Ends a lease: the messages at the `failed` indexes (or all of them) are released for redelivery after
   * the retry delay, or dead-lettered after their last allowed delivery; the rest are deleted.
   */
  settle(leaseId: number, failed: ReadonlySet<number> | 'all' | 'none', reason: string): void {
    const messages = this.leases.get(leaseId);
    if (!messages) return;
    this.leases.delete(leaseId);
    this.inFlight -= messages.length;
    const retry: QueueMessage[] = [];
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      if (failed === 'none' || (failed !== 'all' && !failed.has(i))) {
        this.forget(message);
      } else if (message.receiveCount >= this.maxReceiveCount) {
        this.forget(message);
        const why = `${reason} (delivered ${message.receiveCount} times; maxReceiveCount ${this.maxReceiveCount})`;
        if (this.options.onDeadLetter) this.options.onDeadLetter(message, why);
        else this.deadLetters.push(message);
      } else {
        retry.push(message);
      }
    }
    if (retry.length > 0) {
      this.delayed += retry.length;
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.delayed -= retry.length;
        for (const m of retry) this.pushVisible(m);
      }, this.retryDelayMs);
      this.timers.add(timer);
    }
    this.notify();
  }

  /** Resolves once at least `count` messages are visible (one waiter at a time: the event source). */
  whenVisible(count: number): Promise<void> {
    if (this.visibleCount >= count) return Promise.resolve();
    return new Promise((resolve) => {
      this.visibleWaiter = { count, resolve };
    });
  }

  /** Resolves when the queue holds nothing: every message deleted or dead-lettered. */
  whenEmpty(): Promise<void> {
    if (this.held === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cancels redelivery timers (the messages waiting on them stay held). */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private pushVisible(message: QueueMessage): void {
    this.visible.push(message);
    const waiter = this.visibleWaiter;
    if (waiter && this.visibleCount >= waiter.count) {
      this.visibleWaiter = undefined;
      waiter.resolve();
    }
  }

  private forget(message: QueueMessage): void {
    this.held--;
    this.heldBytes -= message.body.length;
  }

  private notify(): void {
    if (this.spaceWaiters.length > 0) {
      const waiters = this.spaceWaiters;
      this.spaceWaiters = [];
      for (const w of waiters) w();
    }
    if (this.held === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private compact(): void {
    if (this.head > 4096 && this.head * 2 > this.visible.length) {
      this.visible.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** A UUID-shaped message id from a queue's prefix and a message's sequence number (48 bits of hex). */
export function messageIdFor(prefix: string, seq: number): string {
  return prefix + seq.toString(16).padStart(12, '0');
}
