import { Admin } from '@platformatic/kafka';
import { KafkaUnavailableError } from './kafka-errors.js';

/** A consumer group's lag on a topic: records produced and not yet committed, in total and by partition. */
export interface GroupLag {
  readonly total: number;
  readonly byPartition: Readonly<Record<number, number>>;
  /** Whether the group has committed any offset on the topic (a group that never did lags by everything). */
  readonly committed: boolean;
}

/**
 * Measures a group's lag on a topic from outside the group (any consumer: a Flink job commits its offsets at
 * each checkpoint; the landing after each batch): the end offsets (read committed, so an open transaction's
 * records do not count) less the group's committed offsets.
 */
export async function groupLag(
  brokers: readonly string[],
  topic: string,
  groupId: string,
): Promise<GroupLag> {
  const admin = new Admin({ clientId: 'elt-group-lag', bootstrapBrokers: [...brokers], retries: 1 });
  try {
    const metadata = await admin.metadata({ topics: [topic] });
    const partitions = metadata.topics.get(topic)?.partitionsCount ?? 0;
    const ends = await admin.listOffsets({
      topics: [
        {
          name: topic,
          partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({
            partitionIndex,
            timestamp: -1n,
          })),
        },
      ],
      isolationLevel: 1,
    });
    const [group] = await admin.listConsumerGroupOffsets({ groups: [groupId], requireStable: true });
    const done = new Map(
      (group?.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => [
        p.partitionIndex,
        p.committedOffset,
      ]),
    );
    const byPartition: Record<number, number> = {};
    let total = 0;
    for (const p of ends.find((t) => t.name === topic)?.partitions ?? []) {
      const c = done.get(p.partitionIndex) ?? -1n;
      const lag = Number(p.offset - (c < 0n ? 0n : c));
      byPartition[p.partitionIndex] = lag;
      total += lag;
    }
    return { total, byPartition, committed: [...done.values()].some((c) => c >= 0n) };
  } catch (error) {
    throw new KafkaUnavailableError(
      `cannot measure the lag of group ${groupId} on ${topic} at ${brokers.join(',')}: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await admin.close().catch(() => undefined);
  }
}
