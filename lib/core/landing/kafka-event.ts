import { EVENT_LIMITS } from '../events/rejection.js';
import { landBatch, type LandingDeps, type LandingRecord, type LandingResult } from './land-batch.js';
import { EltError } from '../util/errors.js';

/**
 * One record of the event Lambda's Kafka event source mapping (Amazon MSK or self-managed Apache Kafka)
 * hands to a function: key and value base64-encoded, headers as arrays of byte values.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html
 */
export interface KafkaEventRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: string;
  /** Base64; absent or null for a record without a key. */
  readonly key?: string | null;
  /** Base64; null for a record without a value (a tombstone). */
  readonly value: string | null;
  readonly headers: readonly Readonly<Record<string, readonly number[]>>[];
}

/** The event: records grouped under `<topic>-<partition>`. */
export interface KafkaEvent {
  /** `aws:kafka` (Amazon MSK) or `SelfManagedKafka`. */
  readonly eventSource: string;
  readonly eventSourceArn?: string;
  readonly bootstrapServers: string;
  readonly records: Readonly<Record<string, readonly KafkaEventRecord[]>>;
}

/** Where a record came from, as quarantine and logs name it: `<topic>-<partition>@<offset>`. */
export function kafkaRecordRef(record: Pick<KafkaEventRecord, 'topic' | 'partition' | 'offset'>): string {
  return `${record.topic}-${record.partition}@${record.offset}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The landing records of a Kafka event. A record that cannot be an event is marked for quarantine with a
 * specific reason: no value, a value that is not UTF-8, or one larger than the event size limit. A
 * record without a key is landed (the key only orders a user's events within a partition) and counted.
 */
export function kafkaLandingRecords(
  event: KafkaEvent,
  maxValueBytes: number = EVENT_LIMITS.maxEntryBytes,
): { records: LandingRecord[]; unkeyed: number } {
  const records: LandingRecord[] = [];
  let unkeyed = 0;
  const lists = Object.values(event.records);
  // Every value is decoded into one buffer (views of it go to the landing) rather than a buffer each: one
  // allocation per event instead of one per record. 3 bytes per 4 characters bound each value's bytes.
  let room = 0;
  for (const list of lists)
    for (const r of list) if (typeof r.value === 'string') room += Math.ceil(r.value.length / 4) * 3;
  const slab = Buffer.allocUnsafe(room);
  let at = 0;
  for (const list of lists) {
    for (const r of list) {
      const id = kafkaRecordRef(r);
      if (!r.key) unkeyed++;
      if (r.value === null || r.value === undefined || r.value === '') {
        records.push({
          id,
          body: '',
          rejection: { code: 'NOT_JSON', reason: 'the record has no value (a tombstone or an empty record)' },
        });
        continue;
      }
      const bytes = slab.subarray(at, at + slab.write(r.value, at, 'base64'));
      at += bytes.length;
      if (bytes.length > maxValueBytes) {
        records.push({
          id,
          // Only the start of an oversized value is kept: enough to recognize it.
          body: bytes.subarray(0, 1024).toString('utf8'),
          rejection: {
            code: 'ENTRY_TOO_LARGE',
            reason: `the record value is ${bytes.length} bytes; events are limited to ${maxValueBytes} bytes (the PutEvents entry limit)`,
          },
        });
        continue;
      }
      let text: string;
      try {
        text = utf8.decode(bytes);
      } catch {
        records.push({
          id,
          body: r.value,
          rejection: { code: 'NOT_JSON', reason: 'the record value is not UTF-8 text (kept base64-encoded)' },
        });
        continue;
      }
      // The decoder drops a leading byte order mark from the text; the bytes would keep it in the line.
      const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
      records.push(bom ? { id, body: text } : { id, body: text, bytes });
    }
  }
  return { records, unkeyed };
}

/** Some records of a Kafka batch were not durably written: the event source must retry the batch. */
export class KafkaBatchNotLandedError extends EltError {
  constructor(readonly result: LandingResult) {
    const ids = result.failedIds;
    super(
      `${ids.length} record(s) not landed (${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', …' : ''}): ${result.errors[0] ?? 'unknown error'}`,
    );
  }
}

/** What landing a Kafka batch did. */
export interface KafkaLandingOutcome {
  readonly result: LandingResult;
  readonly records: number;
  /** Records without a key (landed: the key only orders a user's events within a partition). */
  readonly unkeyed: number;
}

/**
 * Lands a Kafka event's records. Kafka has no per-record redelivery, so when any record was not durably
 * written the batch fails as a whole ({@link KafkaBatchNotLandedError}) and the event source retries it;
 * a retry rewrites the same object names (a batch's object name is the hash of its event ids).
 */
export async function landKafkaEvent(event: KafkaEvent, deps: LandingDeps): Promise<KafkaLandingOutcome> {
  const { records, unkeyed } = kafkaLandingRecords(event);
  const result = await landBatch(records, deps);
  if (result.failedIds.length > 0) throw new KafkaBatchNotLandedError(result);
  return { result, records: records.length, unkeyed };
}
