import { Base, Consumer, FetchIsolationLevels, type Message } from '@platformatic/kafka';
import {
  checkBatchSize,
  checkBatchWindowMs,
  EVENT_SOURCE_LIMITS,
} from '../../core/landing/event-source-limits.js';
import type { KafkaEvent, KafkaEventRecord } from '../../core/landing/kafka-event.js';
import { EltError } from '../../core/util/errors.js';
import { ensureTopic } from './kafka-bus.js';
import { explainKafkaError, KafkaUnavailableError } from './kafka-errors.js';

/**
 * Records per invocation unless told: Lambda's maximum for Kafka. A batch lands one object per event type
 * and hour, so bigger batches write fewer, larger objects (measured: +30% records/s over 1,000).
 */
export const DEFAULT_KAFKA_BATCH_SIZE = EVENT_SOURCE_LIMITS.batchSize.max;

/** Options of {@link KafkaEventSource}: the settings of Lambda's Kafka event source mapping it plays. */
export interface KafkaEventSourceOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly groupId: string;
  /** @default `${groupId}-consumer` */
  readonly clientId?: string;
  /** Invokes the function with an event; a rejection fails the batch (it is retried). */
  readonly invoke: (event: KafkaEvent) => Promise<unknown>;
  /** Records per invocation, within EVENT_SOURCE_LIMITS.batchSize. @default {@link DEFAULT_KAFKA_BATCH_SIZE} */
  readonly batchSize?: number;
  /**
   * Ends a batch before its event would pass this many bytes of JSON, as Lambda's mapping ends a batch at
   * the invocation payload limit. @default EVENT_SOURCE_LIMITS.invocationPayloadBytes (6 MiB)
   */
  readonly maxPayloadBytes?: number;
  /** Wait up to this long to fill a batch, from its first record. @default 500 (Lambda's default for Kafka) */
  readonly batchWindowMs?: number;
  /** Batches being landed at once; the stream pauses while this many are in flight. @default 2 */
  readonly maxInFlight?: number;
  /** Attempts per batch before it goes to `onFailure` (then its offsets are committed). @default 3 */
  readonly maxAttempts?: number;
  /**
   * The on-failure destination: receives a batch that failed every attempt, so consumption goes on. Without
   * one, a failing batch is retried until it succeeds (Lambda's default: the partition waits).
   */
  readonly onFailure?: (event: KafkaEvent, error: Error, attempts: number) => Promise<void>;
  /** @default 10000 */
  readonly sessionTimeoutMs?: number;
  /** How often consumer lag is measured. @default 2000 */
  readonly lagIntervalMs?: number;
  /** Called after each batch is landed and committed, and after each lag measurement. */
  readonly onProgress?: (stats: Readonly<KafkaEventSourceStats>) => void;
  /** Called with every lag measurement: the total and per `<topic>-<partition>`. */
  readonly onLag?: (lag: number, byPartition: Readonly<Record<string, number>>) => void;
  /** Delay before a failed batch is retried; doubles each attempt. @default 500 */
  readonly retryDelayMs?: number;
}

/** What the event source did. */
export interface KafkaEventSourceStats {
  invocations: number;
  records: number;
  committedBatches: number;
  failedInvocations: number;
  /** Batches handed to the on-failure destination. */
  toFailureDestination: number;
  /** Group joins after the first (rebalances). */
  rebalances: number;
  /** Consumer streams re-created after the client gave up (e.g. the broker restarted). */
  restarts: number;
  /** Records produced and not yet committed by the group, summed over partitions; -1 before the first measurement. */
  lag: number;
  /** Lag per partition at the last measurement. */
  lagByPartition: Record<string, number>;
  lastError?: string;
}

interface Batch {
  readonly seq: number;
  readonly messages: Message<Buffer, Buffer, Buffer, Buffer>[];
}

/**
 * Lambda's Kafka event source mapping, played by a consumer group member: it reads the topic, hands the
 * function batches in exactly the event shape Lambda uses (records under `<topic>-<partition>`, base64
 * key and value, headers as byte arrays), and commits a batch's offsets only after the function has
 * landed it — in batch order, so a later batch never commits past an earlier one that is still landing.
 * At most `maxInFlight` batches are in flight: beyond that the stream pauses (backpressure reaches the
 * broker, which keeps the records). A rebalance or a crash before a commit means the records are read
 * again: at-least-once, with duplicates removed downstream by event id.
 */
export class KafkaEventSource {
  readonly stats: KafkaEventSourceStats = {
    invocations: 0,
    records: 0,
    committedBatches: 0,
    failedInvocations: 0,
    toFailureDestination: 0,
    rebalances: 0,
    restarts: 0,
    lag: -1,
    lagByPartition: {},
  };
  private readonly consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  private readonly batchSize: number;
  private readonly batchWindowMs: number;
  private readonly maxInFlight: number;
  private readonly bootstrap: string;
  private readonly maxPayloadBytes: number;
  private current: Message<Buffer, Buffer, Buffer, Buffer>[] = [];
  /** The bytes `current` takes in its event, at most ({@link eventRecordBytes}). */
  private currentBytes = EVENT_ENVELOPE_BYTES;
  private windowTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private inFlight = 0;
  private commitChain: Promise<void> = Promise.resolve();
  private joins = 0;
  private fatal: Error | undefined;
  /** Ends the current consumer stream with a restart; set while one runs. */
  private restartStream: (() => void) | undefined;
  /** The end offsets (last stable offsets: read_committed) of the last lag measurement, by partition. */
  private ends: readonly bigint[] = [];

  constructor(private readonly options: KafkaEventSourceOptions) {
    this.batchSize = checkBatchSize('batchSize', options.batchSize ?? DEFAULT_KAFKA_BATCH_SIZE);
    this.batchWindowMs = checkBatchWindowMs('batchWindowMs', options.batchWindowMs ?? 500);
    this.maxPayloadBytes = options.maxPayloadBytes ?? EVENT_SOURCE_LIMITS.invocationPayloadBytes;
    this.maxInFlight = options.maxInFlight ?? 2;
    this.bootstrap = options.brokers.join(',');
    const session = options.sessionTimeoutMs ?? 10_000;
    this.consumer = new Consumer({
      clientId: options.clientId ?? `${options.groupId}-consumer`,
      groupId: options.groupId,
      bootstrapBrokers: [...options.brokers],
      autocommit: false,
      sessionTimeout: session,
      rebalanceTimeout: session,
      heartbeatInterval: Math.min(1000, Math.floor(session / 3)),
      maxWaitTime: 250,
      // Records of aborted transactions (the stream job's results after a restart) are never landed, and
      // records of open ones wait for their commit; also the default, said here because landing depends on it.
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      highWaterMark: Math.max(1024, this.batchSize * 2),
      retries: 5,
      retryDelay: 1000,
    });
    this.consumer.on('consumer:group:join', () => {
      if (this.joins++ > 0) this.stats.rebalances++;
    });
    // The client emits 'error' when it gives up rejoining the group (the broker was gone for longer than its
    // retries). Without a listener that would throw out of the event loop and end the process; the member
    // starts a new stream instead, which joins the group again, as after any other failed stream.
    this.consumer.on('error', (error: Error) => {
      this.stats.lastError = explainKafkaError(error, this.options.brokers, this.options.topic);
      this.restartStream?.();
    });
  }

  /**
   * Consumes until `signal` aborts or `until()` returns true once everything read is committed and the lag
   * is 0. In-flight batches are landed and committed before it returns; then the member leaves the group.
   */
  async run(opts: { signal?: AbortSignal; until?: () => boolean } = {}): Promise<KafkaEventSourceStats> {
    const lagTimer = setInterval(() => void this.measureLag(), this.options.lagIntervalMs ?? 2000);
    try {
      await this.checkTopic();
      while (!opts.signal?.aborted && !this.fatal) {
        const ended = await this.consumeOnce(opts);
        if (ended === 'done') break;
        this.stats.restarts++;
        await sleep(1000);
      }
    } finally {
      clearInterval(lagTimer);
      await this.commitChain;
      try {
        await this.consumer.close(true);
      } catch {
        // Leaving the group failed (the broker is gone, or the group is rebalancing): the session timeout
        // removes the member. The client then stays open (its close undoes itself), so its connections are
        // closed here without leaving: nothing of this source outlives run().
        await Base.prototype.close.call(this.consumer).catch(() => undefined);
      }
    }
    if (this.fatal) throw this.fatal;
    return this.stats;
  }

  /** Measures the group's lag on the topic now. */
  async measureLag(): Promise<number> {
    try {
      const latest = await this.consumer.listOffsets({ topics: [this.options.topic] });
      const ends = latest.get(this.options.topic) ?? [];
      const committed = await this.consumer.listCommittedOffsets({
        topics: [{ topic: this.options.topic, partitions: ends.map((_, i) => i) }],
      });
      const done = committed.get(this.options.topic) ?? [];
      let total = 0;
      const byPartition: Record<string, number> = {};
      ends.forEach((end, p) => {
        const c = done[p] ?? -1n;
        const lag = Number(end - (c < 0n ? 0n : c));
        byPartition[`${this.options.topic}-${p}`] = lag;
        total += lag;
      });
      this.stats.lag = total;
      this.stats.lagByPartition = byPartition;
      this.ends = ends;
      this.options.onLag?.(total, byPartition);
      this.options.onProgress?.(this.stats);
      return total;
    } catch (error) {
      this.stats.lastError = `measuring lag: ${(error as Error).message}`;
      return this.stats.lag;
    }
  }

  private async checkTopic(): Promise<void> {
    await ensureTopic(this.options.brokers, this.options.topic);
  }

  /** One consumer stream's life: ends with 'done' (stopped) or 'restart' (the stream failed). */
  private async consumeOnce(opts: {
    signal?: AbortSignal;
    until?: () => boolean;
  }): Promise<'done' | 'restart'> {
    let stream;
    try {
      stream = await this.consumer.consume({
        topics: [this.options.topic],
        mode: 'committed',
        fallbackMode: 'earliest',
      });
    } catch (error) {
      this.stats.lastError = explainKafkaError(error, this.options.brokers, this.options.topic);
      if (this.stats.invocations === 0 && this.stats.restarts === 0) {
        throw new KafkaUnavailableError(this.stats.lastError, { cause: error });
      }
      return 'restart';
    }
    const s = stream;
    return new Promise<'done' | 'restart'>((resolve) => {
      let finished = false;
      const finish = (how: 'done' | 'restart'): void => {
        if (finished) return;
        finished = true;
        this.restartStream = undefined;
        clearInterval(poll);
        opts.signal?.removeEventListener('abort', onAbort);
        this.flushCurrent();
        void this.drain()
          .then(() => s.close())
          .catch(() => undefined)
          .then(() => resolve(how));
      };
      const onAbort = (): void => finish('done');
      this.restartStream = () => finish('restart');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      // Stop when asked to and caught up: nothing gathered, nothing landing, lag 0.
      const poll = setInterval(() => {
        if (!opts.until?.() || this.current.length > 0 || this.inFlight > 0) return;
        void this.measureLag().then((lag) => {
          if (this.current.length > 0 || this.inFlight > 0) return;
          if (lag === 0 || this.fetchedToEnd(s)) finish('done');
        });
      }, 250);
      s.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
        const bytes = eventRecordBytes(message);
        if (this.current.length > 0 && this.currentBytes + bytes > this.maxPayloadBytes) this.flushCurrent(s);
        this.current.push(message);
        this.currentBytes += bytes;
        if (this.current.length === 1 && this.batchWindowMs > 0) {
          this.windowTimer = setTimeout(() => this.flushCurrent(s), this.batchWindowMs);
        }
        if (this.current.length >= this.batchSize || this.batchWindowMs === 0) this.flushCurrent(s);
      });
      s.on('error', (error: Error) => {
        this.stats.lastError = explainKafkaError(error, this.options.brokers, this.options.topic);
        finish('restart');
      });
      if (opts.signal?.aborted) finish('done');
    });
  }

  /**
   * Whether every record up to the end of each partition has been handed over (and, with nothing gathered or in
   * flight, landed and committed). On a topic written in transactions (the stream job's results) the end is past
   * the last transaction's commit marker, which is no record: the committed offset (last record + 1) stays one
   * short of it, so the lag never reaches 0, while the fetch position has moved past the marker.
   */
  private fetchedToEnd(stream: {
    readonly readableLength: number;
    readonly offsetsToFetch: Map<string, bigint>;
  }): boolean {
    if (stream.readableLength > 0 || this.ends.length === 0) return false;
    return this.ends.every(
      (end, p) => (stream.offsetsToFetch.get(`${this.options.topic}:${p}`) ?? -1n) >= end,
    );
  }

  /** Sends the gathered records as one batch; pauses the stream when enough batches are in flight. */
  private flushCurrent(stream?: { pause(): void; resume(): void }): void {
    if (this.windowTimer) clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    if (this.current.length === 0) return;
    const batch: Batch = { seq: this.seq++, messages: this.current };
    this.current = [];
    this.currentBytes = EVENT_ENVELOPE_BYTES;
    this.inFlight++;
    if (stream && this.inFlight >= this.maxInFlight) stream.pause();
    const landed = this.land(batch);
    this.commitChain = this.commitChain.then(async () => {
      await landed;
      await this.commit(batch);
    });
    void this.commitChain
      .catch((error: Error) => {
        this.fatal ??= error;
      })
      .finally(() => {
        this.inFlight--;
        if (stream && this.inFlight < this.maxInFlight) stream.resume();
        this.options.onProgress?.(this.stats);
      });
  }

  private async drain(): Promise<void> {
    while (this.inFlight > 0) await this.commitChain.catch(() => undefined);
  }

  /**
   * Invokes the function with the batch, retrying with backoff; after `maxAttempts`, the on-failure
   * destination. An outage (an `OutageError`: a dependency's breaker is open) does not count as an
   * attempt: the batch waits, as it would behind a failing partition, because it is not the batch that is
   * bad. If the destination itself fails, the batch keeps being retried: nothing is skipped unrecorded.
   */
  private async land(batch: Batch): Promise<void> {
    const event = this.toEvent(batch.messages);
    const maxAttempts = this.options.maxAttempts ?? 3;
    for (let attempt = 1; ;) {
      this.stats.invocations++;
      try {
        await this.options.invoke(event);
        this.stats.records += batch.messages.length;
        return;
      } catch (error) {
        this.stats.failedInvocations++;
        this.stats.lastError = (error as Error).message;
        if ((error as Error).name === 'OutageError') {
          await sleep(1000);
          continue;
        }
        if (attempt >= maxAttempts && this.options.onFailure) {
          try {
            await this.options.onFailure(event, error as Error, attempt);
            this.stats.toFailureDestination++;
            return;
          } catch (destinationError) {
            this.stats.lastError = `on-failure destination: ${(destinationError as Error).message}`;
          }
        }
        await sleep(Math.min(30_000, (this.options.retryDelayMs ?? 500) * 2 ** (Math.min(attempt, 10) - 1)));
        attempt++;
      }
    }
  }

  /** Commits the next offset of every partition in the batch. */
  private async commit(batch: Batch): Promise<void> {
    const next = new Map<string, { topic: string; partition: number; offset: bigint }>();
    for (const m of batch.messages) {
      const k = `${m.topic}-${m.partition}`;
      const prev = next.get(k);
      if (!prev || m.offset + 1n > prev.offset)
        next.set(k, { topic: m.topic, partition: m.partition, offset: m.offset + 1n });
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.consumer.commit({
          offsets: [...next.values()].map((o) => ({ ...o, leaderEpoch: -1 })),
        });
        this.stats.committedBatches++;
        return;
      } catch (error) {
        // Not committed: after a rebalance another member reads these records again, and the warehouse
        // removes the duplicates. Landing already happened, so nothing is lost either way.
        this.stats.lastError = `commit: ${(error as Error).message}`;
        if (attempt >= 3) return;
        await sleep(500 * attempt);
      }
    }
  }

  /** The event Lambda's Kafka event source mapping builds for these records. */
  private toEvent(messages: readonly Message<Buffer, Buffer, Buffer, Buffer>[]): KafkaEvent {
    const records: Record<string, KafkaEventRecord[]> = {};
    for (const m of messages) {
      const key = `${m.topic}-${m.partition}`;
      (records[key] ??= []).push(toEventRecord(m));
    }
    return { eventSource: 'SelfManagedKafka', bootstrapServers: this.bootstrap, records };
  }
}

/** The event's own fields around its records (`eventSource`, `bootstrapServers`, braces), at most. */
const EVENT_ENVELOPE_BYTES = 1024;

/**
 * What one message adds to its event's JSON, at most: the record's fields ({@link toEventRecord}: key and
 * value in base64, each header byte as a number of up to three digits and a comma), the comma before it
 * and its partition's key (counted for every record, an upper bound of the one per partition).
 */
export function eventRecordBytes(m: Message<Buffer | undefined, Buffer | undefined, Buffer, Buffer>): number {
  const base64 = (b: Buffer | undefined): number => 4 * Math.ceil((b?.length ?? 0) / 3);
  let headers = 0;
  for (const [k, v] of m.headers ?? new Map<Buffer, Buffer>())
    headers += k.length * 6 + 8 + 4 * (v?.length ?? 0);
  // {"topic":"","partition":,"offset":,"timestamp":,"timestampType":"CREATE_TIME","key":"","value":"","headers":[]}
  // is 112 characters; the numbers take at most 10 + 20 + 20.
  const fields = 112 + 50;
  const partitionKey = 2 * m.topic.length + 30;
  return fields + partitionKey + 1 + base64(m.key) + base64(m.value) + headers;
}

/** One record of the event, as Lambda encodes it. */
export function toEventRecord(
  m: Message<Buffer | undefined, Buffer | undefined, Buffer, Buffer>,
): KafkaEventRecord {
  const headers: Record<string, number[]>[] = [];
  for (const [k, v] of m.headers ?? new Map<Buffer, Buffer>()) {
    headers.push({ [k.toString('utf8')]: [...(v ?? Buffer.alloc(0))] });
  }
  return {
    topic: m.topic,
    partition: m.partition,
    offset: Number(m.offset),
    timestamp: Number(m.timestamp),
    timestampType: 'CREATE_TIME',
    ...(m.key && m.key.length > 0 ? { key: m.key.toString('base64') } : {}),
    value: m.value && m.value.length > 0 ? m.value.toString('base64') : null,
    headers,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A dependency is unavailable (its circuit breaker is open): wait and retry the batch, it is not bad. */
export class OutageError extends EltError {}
