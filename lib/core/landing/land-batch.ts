import type { EventType } from '../events/catalogue.js';
import type { Rejection } from '../events/rejection.js';
import { eventTimePartition, timePartition } from '../events/event-time.js';
import type { EventValidator } from '../events/validator.js';
import type { Clock, ObjectStore } from '../ports.js';
import { DEFAULT_GZIP_LEVEL, putGzipNdjson } from './ndjson-gzip.js';
import { objectNameFor, rawObjectKey } from './object-keys.js';
import { forEachBounded } from '../util/concurrency.js';
import { quarantineRecord, writeQuarantine } from './quarantine.js';

/**
 * One message to land, whatever carried it: `id` is what the carrier needs back to report a failure (an
 * SQS messageId, a Kafka `topic-partition@offset`); `body` is the EventBridge envelope as JSON text.
 */
export interface LandingRecord {
  readonly id: string;
  readonly body: string;
  /**
   * Set when the carrier already knows the record cannot be an event (a Kafka record without a value, or
   * not UTF-8): it goes to quarantine with this reason, `body` being what is kept of the input.
   */
  readonly rejection?: Rejection;
}

/** What landing needs. */
export interface LandingDeps {
  readonly store: ObjectStore;
  readonly validator: EventValidator;
  readonly clock: Clock;
  /** @default DEFAULT_GZIP_LEVEL */
  readonly gzipLevel?: number;
  /** Objects written at the same time. @default 8 */
  readonly writeConcurrency?: number;
  /**
   * An event whose time is more than this many hours before landing is filed under the partition of
   * (landing time − this) instead of its own, so an ELT plan that lists only the partitions of that window
   * still finds it; its `time` stays exact in the data. @default unset: every event under its own partition
   */
  readonly latenessHours?: number;
}

/** One object written by a batch. */
export interface LandedObject {
  readonly key: string;
  readonly events: number;
  readonly bytes: number;
}

/** The outcome of one batch. `failedIds` must be reported back so the carrier redelivers them. */
export interface LandingResult {
  readonly landedEvents: number;
  readonly objects: readonly LandedObject[];
  readonly quarantined: number;
  readonly quarantineKey?: string;
  /** Records that were not durably written (valid or quarantined): report as batch item failures. */
  readonly failedIds: readonly string[];
  readonly errors: readonly string[];
}

interface PartitionGroup {
  readonly type: EventType;
  readonly dt: string;
  readonly hour: string;
  readonly lines: string[];
  readonly eventIds: string[];
  readonly recordIds: string[];
}

/**
 * Lands one batch: validates every record, writes the valid events as one gzip NDJSON object per
 * partition (source, detail-type, UTC date and hour of the event's time, or with `latenessHours` of the
 * window's start for an event older than it) and the invalid ones to
 * quarantine with their reasons. A write that fails marks its records as failed; nothing is swallowed.
 */
export async function landBatch(
  records: readonly LandingRecord[],
  deps: LandingDeps,
): Promise<LandingResult> {
  const groups = new Map<string, PartitionGroup>();
  const rejected: string[] = [];
  const rejectedIds: string[] = [];
  const now = deps.clock.now();
  // ISO partitions compare as text: an event before the floor is filed at the floor.
  const floor =
    deps.latenessHours === undefined
      ? undefined
      : timePartition(new Date(now.getTime() - deps.latenessHours * 3600_000));

  for (const record of records) {
    if (record.rejection) {
      rejected.push(
        JSON.stringify(quarantineRecord('landing', record.rejection, record.id, record.body, now)),
      );
      rejectedIds.push(record.id);
      continue;
    }
    const result = deps.validator.validateText(record.body);
    if (!result.ok) {
      rejected.push(
        JSON.stringify(
          quarantineRecord('landing', result.rejection, record.id, record.body, now, result.envelope?.id),
        ),
      );
      rejectedIds.push(record.id);
      continue;
    }
    const { eventType: type, envelope, time } = result;
    let { dt, hour } = eventTimePartition(envelope.time, time);
    if (floor && (dt < floor.dt || (dt === floor.dt && hour < floor.hour))) ({ dt, hour } = floor);
    const groupKey = `${type.source}\u0000${type.detailType}\u0000${dt}\u0000${hour}`;
    let group = groups.get(groupKey);
    if (!group) {
      group = { type, dt, hour, lines: [], eventIds: [], recordIds: [] };
      groups.set(groupKey, group);
    }
    // The envelope as delivered is the line; a body spread over lines (not what EventBridge sends) is
    // re-serialized so the object stays valid NDJSON.
    group.lines.push(
      record.body.includes('\n') || record.body.includes('\r') ? JSON.stringify(envelope) : record.body,
    );
    group.eventIds.push(envelope.id);
    group.recordIds.push(record.id);
  }

  const level = deps.gzipLevel ?? DEFAULT_GZIP_LEVEL;
  const objects: LandedObject[] = [];
  const failedIds: string[] = [];
  const errors: string[] = [];
  let landedEvents = 0;

  const writeGroup = async (group: PartitionGroup): Promise<void> => {
    const key = rawObjectKey(
      group.type.source,
      group.type.detailType,
      { dt: group.dt, hour: group.hour },
      objectNameFor(group.eventIds),
    );
    try {
      const bytes = await putGzipNdjson(deps.store, key, group.lines, level);
      objects.push({ key, events: group.lines.length, bytes });
      landedEvents += group.lines.length;
    } catch (error) {
      failedIds.push(...group.recordIds);
      errors.push(`writing ${key} failed: ${(error as Error).message}`);
    }
  };

  let quarantineKey: string | undefined;
  const writeRejected = async (): Promise<void> => {
    if (rejected.length === 0) return;
    try {
      quarantineKey = await writeQuarantine(deps.store, 'landing', rejected, deps.clock);
    } catch (error) {
      failedIds.push(...rejectedIds);
      errors.push(`writing quarantine failed: ${(error as Error).message}`);
    }
  };

  await Promise.all([
    writeRejected(),
    forEachBounded([...groups.values()], deps.writeConcurrency ?? 8, writeGroup),
  ]);
  // Writes finish in any order; report failures in the batch's own order, so the outcome is deterministic.
  if (failedIds.length > 1) {
    const position = new Map(records.map((r, i) => [r.id, i]));
    failedIds.sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
  }
  return {
    landedEvents,
    objects,
    quarantined: quarantineKey ? rejected.length : 0,
    ...(quarantineKey ? { quarantineKey } : {}),
    failedIds,
    errors,
  };
}
