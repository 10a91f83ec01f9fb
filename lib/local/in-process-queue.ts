import { randomBytes } from 'node:crypto';

/** A message in an {@link InProcessQueue}. */
export interface QueueMessage {
  /** Unique within the queue; the SQS message id is derived from it ({@link InProcessQueue.messageId}). */
  readonly seq: number;
  /** The body as it was sent. */
  readonly body: string;
  /** The body's size in UTF-8 bytes, as SQS counts it. */
  readonly byteLength: number;
  readonly sentAt: number;
  receiveCount: number;
  firstReceivedAt: number;
}

/** Bytes of each buffer the queue writes message bodies into. */
const SLAB_BYTES = 1 << 20;

/**
 * Where the bodies of an {@link InProcessQueue} are kept: UTF-8 bytes written one after another into
 * buffers of {@link SLAB_BYTES}, outside the JavaScript heap. A queue holds thousands of bodies for as long
 * as the landing takes to reach them; as strings they outlived the young generation and the garbage
 * collector copied them into the old one (measured 2026-12-05 on 2 cores, 1,000,000 events through the
 * embedded pipeline, one run each: the publishing thread's scavenges paused it 1.47 s with strings, 0.92 s
 * with bytes). The bytes are also what a landing worker receives: a batch is copied out in runs of
 * adjacent bodies instead of encoding each body then.
 */
class BodySlabs {
  private slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  private at = 0;

  /**
   * Writes a body after the last one kept, without keeping it yet ({@link keep}). Returns its UTF-8 byte
   * length, or -1 for a body UTF-8 cannot carry exactly (a lone UTF-16 surrogate), which stays text.
   */
  stage(body: string): number {
    if (!body.isWellFormed()) return -1;
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    const most = body.length * 3;
    if (this.slab.length - this.at < most) {
      this.slab = Buffer.allocUnsafeSlow(most > SLAB_BYTES ? Buffer.byteLength(body) : SLAB_BYTES);
      this.at = 0;
    }
    return this.slab.write(body, this.at);
  }

  /** Keeps the body {@link stage} wrote last, as the message's bytes. */
  keep(message: StoredMessage, byteLength: number): void {
    message.slab = this.slab;
    message.start = this.at;
    message.byteLength = byteLength;
    this.at += byteLength;
  }
}

/** A message as the queue holds it: its body is bytes in a slab (or text, when UTF-8 cannot carry it). */
class StoredMessage implements QueueMessage {
  receiveCount = 0;
  firstReceivedAt = 0;
  slab: Buffer = EMPTY;
  start = 0;
  byteLength = 0;
  text: string | undefined = undefined;

  constructor(
    readonly seq: number,
    readonly sentAt: number,
  ) {}

  get body(): string {
    return this.text ?? this.slab.toString('utf8', this.start, this.start + this.byteLength);
  }

  /**
   * Gives the message a buffer of its own, for when it stays behind the messages around it (waiting for
   * redelivery, or dead-lettered): it then no longer holds on to a whole slab.
   */
  detach(): void {
    if (this.text !== undefined || this.slab.length === this.byteLength) return;
    this.slab = Buffer.from(this.slab.subarray(this.start, this.start + this.byteLength));
    this.start = 0;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Copies the bytes of messages received from an {@link InProcessQueue} (a lease's) into one new buffer, one
 * after another, a run of messages adjacent in one slab at a time. Returns the buffer, where each message's
 * bytes end, and the bodies kept as text by position (their bytes are empty).
 */
export function copyBodies(messages: readonly QueueMessage[]): {
  bytes: Uint8Array;
  ends: Uint32Array;
  texts: Record<number, string>;
} {
  const n = messages.length;
  const ends = new Uint32Array(n);
  const texts: Record<number, string> = {};
  let total = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i] as StoredMessage;
    if (m.text === undefined) total += m.byteLength;
  }
  // Not from Buffer's shared pool: the buffer is transferred to a worker.
  const out = Buffer.allocUnsafeSlow(total);
  let copied = 0;
  let run: Buffer = EMPTY;
  let runStart = 0;
  let runEnd = 0;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i] as StoredMessage;
    if (m.text !== undefined) {
      texts[i] = m.text;
    } else {
      if (m.slab !== run || m.start !== runEnd) {
        copied += run.copy(out, copied, runStart, runEnd);
        run = m.slab;
        runStart = m.start;
        runEnd = m.start;
      }
      runEnd += m.byteLength;
      at += m.byteLength;
    }
    ends[i] = at;
  }
  run.copy(out, copied, runStart, runEnd);
  return { bytes: new Uint8Array(out.buffer, out.byteOffset, total), ends, texts };
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
  /** Most bytes (UTF-8) of message bodies held. @default 128 MiB */
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
 * Built for the embedded pipeline's hot path: messages carry a number rather than an id string, receipts
 * are per batch rather than per message, and bodies are kept as UTF-8 bytes outside the heap
 * ({@link BodySlabs}), ready to be copied to a landing worker in runs.
 */
export class InProcessQueue {
  readonly deadLetters: QueueMessage[] = [];
  // Received slots are cleared so a settled message can be collected before the array is compacted.
  private readonly visible: (StoredMessage | undefined)[] = [];
  private head = 0;
  private readonly leases = new Map<number, StoredMessage[]>();
  private readonly slabs = new BodySlabs();
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
  private visibleWaiter:
    | { count: number; full: ((count: number, bytes: number) => boolean) | undefined; resolve: () => void }
    | undefined;
  private visibleByteCount = 0;
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

  /** UTF-8 bytes of the bodies of the messages ready to receive. */
  get visibleBytes(): number {
    return this.visibleByteCount;
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
    if (this.held > 0 && this.held >= this.capacity) return false;
    const staged = this.slabs.stage(body);
    const byteLength = staged >= 0 ? staged : Buffer.byteLength(body);
    if (this.held > 0 && this.heldBytes + byteLength > this.capacityBytes) return false;
    const message = new StoredMessage(this.nextSeq++, Date.now());
    if (staged >= 0) {
      this.slabs.keep(message, byteLength);
    } else {
      message.text = body;
      message.byteLength = byteLength;
    }
    this.held++;
    this.heldBytes += byteLength;
    this.pushVisible(message);
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
   * UTF-8 bytes) would add up to more than `maxBytes`; at least one message when any is visible. Undefined
   * when none is visible.
   */
  receiveBatch(
    max: number,
    maxBytes = Number.POSITIVE_INFINITY,
    sizeOf: (message: QueueMessage) => number = (message) => message.byteLength,
  ): Lease | undefined {
    if (this.head >= this.visible.length) return undefined;
    const messages: StoredMessage[] = [];
    let bytes = 0;
    const now = Date.now();
    while (messages.length < max && this.head < this.visible.length) {
      const message = this.visible[this.head] as StoredMessage;
      const size = sizeOf(message);
      if (messages.length > 0 && bytes + size > maxBytes) break;
      this.visible[this.head++] = undefined;
      this.visibleByteCount -= message.byteLength;
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
    const retry: StoredMessage[] = [];
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      if (failed === 'none' || (failed !== 'all' && !failed.has(i))) {
        this.forget(message);
        continue;
      }
      message.detach();
      if (message.receiveCount >= this.maxReceiveCount) {
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

  /**
   * Resolves once at least `count` messages are visible, or once `full` says the visible messages (their
   * number and bytes) make a full batch already (one waiter at a time: the event source).
   */
  whenVisible(count: number, full?: (count: number, bytes: number) => boolean): Promise<void> {
    if (this.visibleCount >= count || full?.(this.visibleCount, this.visibleByteCount))
      return Promise.resolve();
    return new Promise((resolve) => {
      this.visibleWaiter = { count, full, resolve };
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

  private pushVisible(message: StoredMessage): void {
    this.visible.push(message);
    this.visibleByteCount += message.byteLength;
    const waiter = this.visibleWaiter;
    if (
      waiter &&
      (this.visibleCount >= waiter.count || waiter.full?.(this.visibleCount, this.visibleByteCount))
    ) {
      this.visibleWaiter = undefined;
      waiter.resolve();
    }
  }

  private forget(message: QueueMessage): void {
    this.held--;
    this.heldBytes -= message.byteLength;
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
