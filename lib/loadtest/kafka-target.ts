import { Admin } from '@platformatic/kafka';
import { KafkaBus } from '../adapters/kafka/kafka-bus.js';
import { kafkaFailure } from '../adapters/kafka/kafka-errors.js';
import type { KafkaEventSourceStats } from '../adapters/kafka/kafka-event-source.js';
import { DataDir } from '../local/data-dir.js';
import { KafkaLanding } from '../local/kafka-pipeline.js';
import { offerToBus } from './bus-offer.js';
import { landingFacts, type LoadTarget } from './load-target.js';

/** Options of {@link startKafkaTarget}. */
export interface KafkaTargetOptions {
  readonly brokers: readonly string[];
  /** A topic of this run's own (created, and deleted at the end unless `keepTopic`). */
  readonly topic: string;
  readonly partitions: number;
  readonly groupId: string;
  /** The data directory the consumer lands into. */
  readonly dataDir: string;
  readonly keepTopic?: boolean;
  /** How long close() waits for the consumer to catch up before it stops it. @default 30,000 ms */
  readonly closeTimeoutMs?: number;
}

/**
 * The Kafka path under load: PutEvents calls of up to 10 entries to the project's producer (`KafkaBus`:
 * idempotent, acks=all, keyed by user), one broker, and a consumer group member landing into the data
 * directory (`KafkaLanding`, the code `elt land --transport kafka` runs). The backlog is the group's
 * consumer lag. An entry counts as accepted once the broker acknowledged it.
 */
export async function startKafkaTarget(options: KafkaTargetOptions): Promise<LoadTarget> {
  const dataDir = await new DataDir(options.dataDir).ensure();
  const store = dataDir.store();
  const bus = new KafkaBus({ brokers: options.brokers, topic: options.topic });
  await bus.open({ partitions: options.partitions });
  const landing = new KafkaLanding({
    brokers: options.brokers,
    topic: options.topic,
    groupId: options.groupId,
    store,
  });
  let producing = true;
  const stop = new AbortController();
  let last: KafkaEventSourceStats | undefined;
  const running = landing.run({ signal: stop.signal, until: () => !producing }).then((s) => (last = s));
  running.catch(() => undefined);

  return {
    transport: 'kafka',
    entriesPerCall: 10,
    store,
    landedClock: 'lastModified',
    describe: () =>
      `KafkaBus → topic ${options.topic} (${options.partitions} partitions, one broker) → consumer group → KafkaLanding → local store`,
    eventIds: (events) => events.map((e) => e.eventId),
    // The producer gave up on the request: the broker may have written it (idempotent, not transactional).
    offer: (events) => offerToBus(bus, events, (error) => `kafka-${kafkaFailure(error)}`),
    depth: async () => {
      const lag = Math.max(0, await landing.source.measureLag());
      return { total: lag, parts: { lag } };
    },
    stopOffering: () => bus.flush(),
    timeline: () => [],
    facts: () => ({
      dataDir: dataDir.root,
      topic: options.topic,
      partitions: options.partitions,
      group: options.groupId,
      producer: bus.stats,
      consumer: { ...(last ?? landing.source.stats) },
      landing: landingFacts(landing),
    }),
    close: async () => {
      producing = false;
      await bus.close().catch(() => undefined);
      const timeout = new Promise((r) => setTimeout(r, options.closeTimeoutMs ?? 30_000).unref());
      await Promise.race([running.catch(() => undefined), timeout]);
      stop.abort();
      await running.catch(() => undefined);
      if (!options.keepTopic) await deleteTopic(options.brokers, options.topic);
    },
  };
}

/** Deletes the run's topic (best effort: a topic left behind only takes disk). */
async function deleteTopic(brokers: readonly string[], topic: string): Promise<void> {
  const admin = new Admin({ clientId: 'elt-loadtest-admin', bootstrapBrokers: [...brokers], retries: 1 });
  try {
    await admin.deleteTopics({ topics: [topic] });
  } catch {
    // Reported by nobody: the next run uses a new topic anyway.
  } finally {
    await admin.close().catch(() => undefined);
  }
}
