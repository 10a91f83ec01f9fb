import { Admin } from '@platformatic/kafka';
import { afterAll, beforeAll } from 'vitest';
import { flinkCluster, type FlinkCluster } from './flink.js';
import { kafkaBroker, type KafkaBroker } from './kafka.js';

/** A suite's Flink cluster and Kafka broker, and the topics it makes (deleted after the suite). */
export interface FlinkWithKafka {
  readonly broker: KafkaBroker;
  readonly flink: FlinkCluster;
  /** Creates topic `name` (one replica) and deletes it after the suite. */
  createTopic(name: string, partitions: number): Promise<string>;
}

/**
 * Starts (or joins) the repository's Kafka broker and Flink cluster before the suite's tests, and after
 * them runs `cleanUp` (cancel the suite's jobs, close its sessions), deletes its topics and stops what it
 * started. `clientId` names the suite's admin client to the broker.
 */
export function flinkWithKafka(
  clientId: string,
  cleanUp: (flink: FlinkCluster) => Promise<void> = async () => undefined,
): FlinkWithKafka {
  let broker: KafkaBroker | undefined;
  let flink: FlinkCluster | undefined;
  const topics: string[] = [];
  const admin = (): Admin => new Admin({ clientId, bootstrapBrokers: [started().broker.bootstrap] });
  const started = (): { broker: KafkaBroker; flink: FlinkCluster } => {
    if (!broker || !flink) throw new Error('Flink and Kafka are used before the suite started them');
    return { broker, flink };
  };

  beforeAll(async () => {
    broker = await kafkaBroker();
    flink = await flinkCluster();
  }, 600_000);

  afterAll(async () => {
    if (flink) await cleanUp(flink).catch(() => undefined);
    if (broker && topics.length > 0) {
      const client = admin();
      await client.deleteTopics({ topics }).catch(() => undefined);
      await client.close();
    }
    await flink?.stop();
    await broker?.stop();
  }, 180_000);

  return {
    get broker() {
      return started().broker;
    },
    get flink() {
      return started().flink;
    },
    async createTopic(name, partitions) {
      const client = admin();
      try {
        await client.createTopics({ topics: [name], partitions, replicas: 1 });
      } finally {
        await client.close();
      }
      topics.push(name);
      return name;
    },
  };
}
