import { randomUUID } from 'node:crypto';
import {
  Admin,
  compatibilityPartitioner,
  Producer,
  stringSerializers,
  type CompressionAlgorithmValue,
} from '@platformatic/kafka';
import { BusSettingsError } from '../../core/bus/bus-errors.js';
import { checkPutEventsRequest, EntryAcceptor } from '../../core/bus/put-events.js';
import type { PutEventsEntry, PutEventsResult, PutEventsResultEntry } from '../../core/events/envelope.js';
import type { Bus, Clock } from '../../core/ports.js';
import { systemClock } from '../../core/ports.js';
import { explainKafkaError, kafkaFailure, KafkaUnavailableError } from './kafka-errors.js';

/** Compression codecs of the producer. */
export const KAFKA_COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type KafkaCompression = (typeof KAFKA_COMPRESSIONS)[number];

/** Options of {@link KafkaBus}. */
export interface KafkaBusOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  /** @default 'elt-producer' */
  readonly clientId?: string;
  /** @default 'lz4' */
  readonly compression?: KafkaCompression;
  /** Wait up to this long to fill a produce request (Kafka's linger.ms). @default 5 */
  readonly lingerMs?: number;
  /** Records per produce request at most. @default 2000 */
  readonly batchRecords?: number;
  /** Bytes of record values per produce request at most (stay under the broker's message.max.bytes). @default 768 KiB */
  readonly batchBytes?: number;
  /** Client-level retries of a failed request (connection lost, leader moved), `retryDelayMs` apart. @default 30 */
  readonly retries?: number;
  /** @default 1000 */
  readonly retryDelayMs?: number;
  /** Stamped on envelopes, as EventBridge stamps its own. @default '000000000000', 'local' */
  readonly account?: string;
  readonly region?: string;
  readonly clock?: Clock;
}

interface Pending {
  readonly key: string;
  readonly value: string;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Checks that the brokers answer and `topic` exists, creating it with `create.partitions` when asked;
 * fails at once with a {@link KafkaUnavailableError} that says what to do.
 */
export async function ensureTopic(
  brokers: readonly string[],
  topic: string,
  create?: { partitions: number },
): Promise<void> {
  const admin = new Admin({
    clientId: 'elt-admin',
    bootstrapBrokers: [...brokers],
    retries: 1,
    retryDelay: 500,
  });
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) {
      if (!create) throw new KafkaUnavailableError(`Unknown topic ${topic}.`);
      await admin.createTopics({ topics: [topic], partitions: create.partitions, replicas: 1 });
    }
  } catch (error) {
    throw new KafkaUnavailableError(explainKafkaError(error, brokers, topic), { cause: error });
  } finally {
    await admin.close();
  }
}

/**
 * A Kafka topic as the bus: PutEvents semantics on the way in (each entry checked as EventBridge checks
 * it, an envelope with a new id), then the envelope produced to the topic by an idempotent producer
 * (acks=all, retries without duplicates), keyed by the event's user (`detail.userId`, else its
 * `detail.eventId`) so one user's events keep their order in one partition. Entries from concurrent
 * calls are gathered into one produce request for up to `lingerMs`. An entry is reported accepted only
 * once the broker has acknowledged it.
 */
export class KafkaBus implements Bus {
  private producer: Producer<string, string, string, string>;
  /** Produce requests go one at a time: the idempotent producer's sequence numbers must reach each partition in order. */
  private chain: Promise<void> = Promise.resolve();
  private readonly acceptor: EntryAcceptor;
  private readonly clock: Clock;
  private readonly lingerMs: number;
  private readonly batchRecords: number;
  private readonly batchBytes: number;
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly sends = new Set<Promise<void>>();
  /** Produce requests and records sent, for summaries. */
  readonly stats = { produceRequests: 0, records: 0, failedRequests: 0 };

  constructor(private readonly options: KafkaBusOptions) {
    if (options.brokers.length === 0) throw new BusSettingsError('KafkaBus needs at least one broker');
    this.acceptor = new EntryAcceptor({
      account: options.account ?? '000000000000',
      region: options.region ?? 'local',
    });
    this.clock = options.clock ?? systemClock;
    this.lingerMs = options.lingerMs ?? 5;
    this.batchRecords = options.batchRecords ?? 2000;
    this.batchBytes = options.batchBytes ?? 768 * 1024;
    this.producer = this.newProducer();
  }

  private newProducer(): Producer<string, string, string, string> {
    return new Producer({
      clientId: this.options.clientId ?? 'elt-producer',
      bootstrapBrokers: [...this.options.brokers],
      serializers: stringSerializers,
      idempotent: true,
      compression: (this.options.compression ?? 'lz4') as CompressionAlgorithmValue,
      // The Java client's partitioner: the same key lands in the same partition as with Kafka's own tools.
      partitioner: compatibilityPartitioner,
      retries: this.options.retries ?? 30,
      retryDelay: this.options.retryDelayMs ?? 1000,
    });
  }

  describe(): string {
    return `kafka:${this.options.topic}@${this.options.brokers.join(',')}`;
  }

  /**
   * Checks that the brokers answer and the topic exists (creating it with `partitions` when asked), so a
   * wrong address or topic fails at once with a clear message instead of after the retries.
   */
  async open(create?: { partitions: number }): Promise<void> {
    await ensureTopic(this.options.brokers, this.options.topic, create);
  }

  async putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsResult> {
    checkPutEventsRequest(entries);
    const now = this.clock.now();
    const results: (PutEventsResultEntry | Promise<PutEventsResultEntry>)[] = [];
    for (const entry of entries) {
      const id = randomUUID();
      const accepted = this.acceptor.accept(entry, id, now);
      if (!accepted.ok) {
        results.push({ ErrorCode: accepted.errorCode, ErrorMessage: accepted.errorMessage });
        continue;
      }
      const detail = accepted.envelope.detail;
      const key = String(detail.userId ?? detail.eventId ?? id);
      results.push(
        this.enqueue(key, accepted.body).then(
          () => ({ EventId: id }),
          (error: Error) => {
            // A record the broker refuses for good is that entry's failure; anything else fails the call.
            if (kafkaFailure(error) === 'too-large') {
              return { ErrorCode: 'KafkaMessageTooLarge', ErrorMessage: error.message };
            }
            throw error;
          },
        ),
      );
    }
    const settled = await Promise.all(results);
    return { FailedEntryCount: settled.filter((r) => !r.EventId).length, Entries: settled };
  }

  /** Sends what is gathered and waits for every produce request in flight. */
  async flush(): Promise<void> {
    this.sendPending();
    await Promise.allSettled([...this.sends]);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.producer.close();
  }

  private enqueue(key: string, value: string): Promise<void> {
    return new Promise((resolve, reject) => {
      // A record bigger than a whole request goes alone, so it cannot take its neighbours down with it.
      if (value.length >= this.batchBytes) {
        this.send([{ key, value, resolve, reject }]);
        return;
      }
      this.pending.push({ key, value, resolve, reject });
      this.pendingBytes += value.length;
      if (this.pending.length >= this.batchRecords || this.pendingBytes >= this.batchBytes)
        this.sendPending();
      else this.timer ??= setTimeout(() => this.sendPending(), this.lingerMs);
    });
  }

  private sendPending(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.send(batch);
  }

  private send(batch: Pending[]): void {
    this.stats.produceRequests++;
    const sending: Promise<void> = this.chain
      .then(() =>
        this.producer.send({
          messages: batch.map((p) => ({ topic: this.options.topic, key: p.key, value: p.value })),
        }),
      )
      .then(
        () => {
          this.stats.records += batch.length;
          for (const p of batch) p.resolve();
        },
        (error: Error) => {
          this.stats.failedRequests++;
          // After a failed request the idempotent producer's sequence state may no longer match the
          // broker's (a restarted broker, a request that half went through): start a new producer, with a
          // new producer id, rather than fail every later request with OUT_OF_ORDER_SEQUENCE_NUMBER.
          const old = this.producer;
          this.producer = this.newProducer();
          old.close(true, () => undefined);
          for (const p of batch) p.reject(error);
        },
      )
      .finally(() => this.sends.delete(sending));
    this.chain = sending;
    this.sends.add(sending);
  }
}
