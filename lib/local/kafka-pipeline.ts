import { KafkaBus, type KafkaCompression } from '../adapters/kafka/kafka-bus.js';
import {
  KafkaEventSource,
  OutageError,
  type KafkaEventSourceStats,
} from '../adapters/kafka/kafka-event-source.js';
import { BreakingStore } from '../adapters/resilience/breaking-store.js';
import type { Breaker } from '../adapters/resilience/circuit-breaker.js';
import { createEventValidator } from '../core/events/validator.js';
import {
  KafkaBatchNotLandedError,
  kafkaRecordRef,
  landKafkaEvent,
  type KafkaEvent,
} from '../core/landing/kafka-event.js';
import { kafkaFailureDocument } from '../core/landing/kafka-failures.js';
import { kafkaFailureKey } from '../core/landing/object-keys.js';
import type { Clock, ObjectStore } from '../core/ports.js';
import { systemClock } from '../core/ports.js';
import type { LocalPipelineStats } from './local-pipeline.js';

/** Options of {@link KafkaLanding}. */
export interface KafkaLandingOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly groupId: string;
  readonly store: ObjectStore;
  readonly clock?: Clock;
  readonly batchSize?: number;
  readonly batchWindowMs?: number;
  readonly maxInFlight?: number;
  readonly onProgress?: (stats: Readonly<KafkaEventSourceStats>) => void;
  /** Called with every lag measurement. */
  readonly onLag?: (lag: number, byPartition: Readonly<Record<string, number>>) => void;
  /** A breaker around the store's writes: while it is open, batches wait instead of failing. */
  readonly storeBreaker?: Breaker;
}

/**
 * Landing from a Kafka topic into an object store: the Kafka event source feeding the landing code (the
 * same as the Lambda behind MSK runs), with failed batches written under `dlq/` after their attempts, as
 * Lambda's S3 on-failure destination would keep them.
 */
export class KafkaLanding {
  readonly source: KafkaEventSource;
  readonly stats: LocalPipelineStats & { unkeyed: number } = {
    landedEvents: 0,
    landedObjectKeys: new Set(),
    quarantined: 0,
    failedRecords: 0,
    deadLettered: 0,
    unkeyed: 0,
  };
  readonly landingErrors: string[] = [];
  private readonly clock: Clock;

  constructor(private readonly options: KafkaLandingOptions) {
    this.clock = options.clock ?? systemClock;
    const breaker = options.storeBreaker;
    const store = breaker ? new BreakingStore(options.store, breaker) : options.store;
    const deps = { store, validator: createEventValidator(), clock: this.clock };
    this.source = new KafkaEventSource({
      brokers: options.brokers,
      topic: options.topic,
      groupId: options.groupId,
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      ...(options.batchWindowMs !== undefined ? { batchWindowMs: options.batchWindowMs } : {}),
      ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.onLag ? { onLag: options.onLag } : {}),
      invoke: async (event) => {
        if (breaker?.state === 'open')
          throw new OutageError(`${options.store.describe()}: ${breaker.name} circuit breaker is open`);
        try {
          const { result, unkeyed } = await landKafkaEvent(event, deps);
          this.stats.landedEvents += result.landedEvents;
          for (const o of result.objects) this.stats.landedObjectKeys.add(o.key);
          this.stats.quarantined += result.quarantined;
          this.stats.unkeyed += unkeyed;
        } catch (error) {
          this.landingErrors.push((error as Error).message);
          if (this.landingErrors.length > 20) this.landingErrors.shift();
          // Writes refused by the open breaker: an outage of the store, not a bad batch.
          if (breaker && breaker.state !== 'closed' && error instanceof KafkaBatchNotLandedError) {
            throw new OutageError(error.message, { cause: error });
          }
          throw error;
        }
      },
      onFailure: (event, error, attempts) => this.deadLetter(event, error, attempts),
    });
  }

  /** Lands until `signal` aborts, or until `until()` is true and everything produced is committed. */
  run(opts: { signal?: AbortSignal; until?: () => boolean } = {}): Promise<KafkaEventSourceStats> {
    return this.source.run(opts);
  }

  /**
   * Writes a batch that failed every attempt under `dlq/queue=kafka-<topic>/`, as the failure object
   * Lambda writes to an S3 on-failure destination (records included), for `elt redrive --kafka`.
   */
  private async deadLetter(event: KafkaEvent, error: Error, attempts: number): Promise<void> {
    const records = Object.values(event.records).flat();
    const now = this.clock.now();
    const key = kafkaFailureKey(this.options.topic, now, records.map(kafkaRecordRef));
    await this.options.store.put(
      key,
      Buffer.from(
        kafkaFailureDocument(event, error, attempts, `elt land --group ${this.options.groupId}`, now),
      ),
      { contentType: 'application/json' },
    );
    this.stats.deadLettered += records.length;
    this.stats.failedRecords += records.length;
  }
}

/** Options of {@link KafkaPipeline}. */
export interface KafkaPipelineOptions extends KafkaLandingOptions {
  /** Partitions of the topic when it is created. @default 3 */
  readonly partitions?: number;
  readonly compression?: KafkaCompression;
}

/**
 * The pipeline through a real Kafka broker: a producer publishing to the topic as the bus, and a consumer
 * group landing from it, running side by side. `close()` flushes the producer, then waits until the group
 * has landed and committed everything produced.
 */
export class KafkaPipeline {
  readonly bus: KafkaBus;
  readonly landing: KafkaLanding;
  /** Enough PutEvents calls in flight to fill the producer's requests while each waits for acks=all. */
  readonly publishInFlight = 100;
  private producing = true;
  private running: Promise<KafkaEventSourceStats> | undefined;

  constructor(private readonly options: KafkaPipelineOptions) {
    this.bus = new KafkaBus({
      brokers: options.brokers,
      topic: options.topic,
      ...(options.compression ? { compression: options.compression } : {}),
    });
    this.landing = new KafkaLanding(options);
  }

  get stats(): KafkaLanding['stats'] {
    return this.landing.stats;
  }

  get landingErrors(): readonly string[] {
    return this.landing.landingErrors;
  }

  /** Creates the topic if needed and starts consuming. */
  async start(): Promise<this> {
    await this.bus.open({ partitions: this.options.partitions ?? 3 });
    this.running = this.landing.run({ until: () => !this.producing });
    // A consumer that fails at once (no broker) surfaces here rather than at close.
    this.running.catch(() => undefined);
    return this;
  }

  async close(): Promise<void> {
    try {
      await this.bus.close();
    } finally {
      this.producing = false;
      await this.running;
    }
  }
}
