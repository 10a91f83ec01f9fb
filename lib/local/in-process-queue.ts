import { randomUUID } from 'node:crypto';

/** A message in an {@link InProcessQueue}. */
export interface QueueMessage {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
}

/** A message handed out by {@link InProcessQueue.receive}; it stays in flight until deleted or released. */
export interface ReceivedMessage {
  readonly message: QueueMessage;
  readonly receiptHandle: string;
}

/** Where a queue puts a message it gives up on. */
export type DeadLetterHandler = (message: QueueMessage, reason: string) => void;

/** Options of {@link InProcessQueue}. */
export interface InProcessQueueOptions {
  /** Most messages held (visible, in flight or waiting for redelivery). @default 100_000 */
  readonly capacity?: number;
  /** Most bytes of message bodies held. @default 128 MiB */
  readonly capacityBytes?: number;
  /** Deliveries before a message is dead-lettered (SQS redrive `maxReceiveCount`). @default 3 */
  readonly maxReceiveCount?: number;
  /** How long a released (failed) message stays invisible, like a visibility timeout. @default 1000 */
  readonly retryDelayMs?: number;
  /** Receives messages that failed `maxReceiveCount` times. Without one they are kept in `deadLetters`. */
  readonly onDeadLetter?: DeadLetterHandler;
}

/**
 * A bounded in-memory queue with SQS delivery semantics: at-least-once, a receive hides messages until
 * they are deleted or released, released messages come back after a delay with a higher receive count,
 * and after `maxReceiveCount` deliveries they go to the dead-letter handler. Producers wait when it is
 * full, which is how backpressure reaches the bus and the publisher.
 */
export class InProcessQueue {
  readonly deadLetters: QueueMessage[] = [];
  // Received slots are cleared so a deleted message can be collected before the array is compacted.
  private readonly visible: (QueueMessage | undefined)[] = [];
  private head = 0;
  private readonly inFlight = new Map<string, QueueMessage>();
  private delayed = 0;
  private held = 0;
  private heldBytes = 0;
  private readonly capacity: number;
  private readonly capacityBytes: number;
  private readonly maxReceiveCount: number;
  private readonly retryDelayMs: number;
  private spaceWaiters: (() => void)[] = [];
  private visibleWaiter: { count: number; resolve: () => void } | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private receipts = 0;

  constructor(
    readonly name: string,
    private readonly options: InProcessQueueOptions = {},
  ) {
    this.capacity = options.capacity ?? 100_000;
    this.capacityBytes = options.capacityBytes ?? 128 * 1024 * 1024;
    this.maxReceiveCount = options.maxReceiveCount ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
  }

  /** Messages ready to receive. */
  get visibleCount(): number {
    return this.visible.length - this.head;
  }

  /** Messages held in any state: what still has to be processed. */
  get depth(): { visible: number; inFlight: number; delayed: number; total: number } {
    return {
      visible: this.visibleCount,
      inFlight: this.inFlight.size,
      delayed: this.delayed,
      total: this.held,
    };
  }

  /** Enqueues unless the queue is full. An empty queue takes any message, so one large message cannot wedge it. */
  trySend(body: string): boolean {
    if (this.held > 0 && (this.held >= this.capacity || this.heldBytes + body.length > this.capacityBytes)) {
      return false;
    }
    this.held++;
    this.heldBytes += body.length;
    this.pushVisible({ messageId: randomUUID(), body, sentAt: Date.now(), receiveCount: 0 });
    return true;
  }

  /** Enqueues, waiting for space when the queue is full. */
  async send(body: string): Promise<void> {
    while (!this.trySend(body)) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
  }

  /**
   * Takes up to `max` visible messages, stopping before their bodies plus `overheadBytes` each would
   * exceed `maxBytes` (at least one message is always returned when any is visible).
   */
  receive(max: number, maxBytes = Number.POSITIVE_INFINITY, overheadBytes = 0): ReceivedMessage[] {
    const out: ReceivedMessage[] = [];
    let bytes = 0;
    const now = Date.now();
    while (out.length < max && this.head < this.visible.length) {
      const message = this.visible[this.head] as QueueMessage;
      if (out.length > 0 && bytes + message.body.length + overheadBytes > maxBytes) break;
      this.visible[this.head++] = undefined;
      bytes += message.body.length + overheadBytes;
      message.receiveCount++;
      message.firstReceivedAt ??= now;
      // Opaque and unique, like an SQS receipt handle; a counter is enough in one process.
      const receiptHandle = `${this.name}#${++this.receipts}`;
      this.inFlight.set(receiptHandle, message);
      out.push({ message, receiptHandle });
    }
    this.compact();
    return out;
  }

  /** Removes a processed message. */
  delete(receiptHandle: string): void {
    const message = this.inFlight.get(receiptHandle);
    if (!message) return;
    this.inFlight.delete(receiptHandle);
    this.forget(message);
  }

  /** Returns a failed message: redelivered after the retry delay, or dead-lettered after its last delivery. */
  release(receiptHandle: string, reason: string): void {
    const message = this.inFlight.get(receiptHandle);
    if (!message) return;
    this.inFlight.delete(receiptHandle);
    if (message.receiveCount >= this.maxReceiveCount) {
      this.forget(message);
      const why = `${reason} (delivered ${message.receiveCount} times; maxReceiveCount ${this.maxReceiveCount})`;
      if (this.options.onDeadLetter) this.options.onDeadLetter(message, why);
      else this.deadLetters.push(message);
      return;
    }
    this.delayed++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.delayed--;
      this.pushVisible(message);
    }, this.retryDelayMs);
    this.timers.add(timer);
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
