import type { EventType } from '../events/catalogue.js';
import type { Rejection } from '../events/rejection.js';
import { eventTimePartition, timePartition } from '../events/event-time.js';
import type { EventValidator } from '../events/validator.js';
import type { Clock, ObjectStore } from '../ports.js';
import { DEFAULT_GZIP_LEVEL, NdjsonGzipBuilder } from './ndjson-gzip.js';
import { objectNameFor, rawObjectKey } from './object-keys.js';
import { forEachBounded } from '../util/concurrency.js';
import { quarantineRecord, writeQuarantine } from './quarantine.js';

/**
 * One message to land, whatever carried it: `id` is what the carrier needs back to report a failure (an
 * SQS messageId, a Kafka `topic-partition@offset`); `body` is the EventBridge envelope as JSON text. The
 * landing reads `body` and `bytes` once each, and `id` only for a record it quarantines or fails, so a
 * carrier may make them on read.
 */
export interface LandingRecord {
  readonly id: string;
  readonly body: string;
  /**
   * `body` as the UTF-8 bytes the carrier delivered (a Kafka record's value), when it has them: a valid
   * event is written from them instead of encoding `body` again.
   */
  readonly bytes?: Uint8Array;
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
  /** Objects written at the same time. @default 32 */
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

/** An object started before its name and body are known; `commit` or `discard` ends it. */
export interface StagedObject {
  /** Writes the object durably under `key`, which must be in the directory it was staged in. */
  commit(key: string, body: Uint8Array): Promise<void>;
  discard(): Promise<void>;
}

/**
 * A store that can start an object in a directory ahead of its name (FsObjectStore: the directory and the
 * temporary file are made while the batch is still being validated).
 */
export interface StagingObjectStore extends ObjectStore {
  stage(dirKey: string): Promise<StagedObject>;
}

function canStage(store: ObjectStore): store is StagingObjectStore {
  return typeof (store as Partial<StagingObjectStore>).stage === 'function';
}

interface PartitionGroup {
  readonly type: EventType;
  readonly dt: string;
  readonly hour: string;
  readonly body: NdjsonGzipBuilder;
  readonly eventIds: string[];
  /** Positions of the group's records in the batch. */
  readonly positions: number[];
  readonly staged?: Promise<StagedObject>;
  settled: boolean;
}

/** Records validated between two hand-overs of the groups' lines to their compressors. */
const SLICE_RECORDS = 1000;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Lands one batch: validates every record, writes the valid events as one gzip NDJSON object per
 * partition (source, detail-type, UTC date and hour of the event's time, or with `latenessHours` of the
 * window's start for an event older than it) and the invalid ones to
 * quarantine with their reasons. A write that fails marks its records as failed; nothing is swallowed.
 *
 * While the batch is validated, the thread pool already works for it: a partition's lines are compressed as
 * they fill once they pass 1 MiB (NdjsonGzipBuilder; a smaller object is compressed in one call at the end,
 * by a reused compressor) and, with a store that can stage objects, its directory and temporary file are
 * made. Every object is durable (with FsObjectStore: file and directory synced) before this resolves.
 */
export async function landBatch(
  records: readonly LandingRecord[],
  deps: LandingDeps,
): Promise<LandingResult> {
  const groups = new Map<string, PartitionGroup>();
  const rejected: string[] = [];
  const rejectedPositions: number[] = [];
  const now = deps.clock.now();
  // ISO partitions compare as text: an event before the floor is filed at the floor.
  const floor =
    deps.latenessHours === undefined
      ? undefined
      : timePartition(new Date(now.getTime() - deps.latenessHours * 3600_000));

  const level = deps.gzipLevel ?? DEFAULT_GZIP_LEVEL;
  const store = deps.store;
  const staging = canStage(store);
  try {
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      if (i > 0 && i % SLICE_RECORDS === 0) {
        // Compression of what the groups hold so far runs on the thread pool while the next slice is
        // validated; a turn of the event loop lets each compressor take its next chunk.
        for (const group of groups.values()) group.body.drain();
        await nextTurn();
      }
      const body = record.body;
      if (record.rejection) {
        rejected.push(JSON.stringify(quarantineRecord('landing', record.rejection, record.id, body, now)));
        rejectedPositions.push(i);
        continue;
      }
      const result = deps.validator.validateText(body);
      if (!result.ok) {
        rejected.push(
          JSON.stringify(
            quarantineRecord('landing', result.rejection, record.id, body, now, result.envelope?.id),
          ),
        );
        rejectedPositions.push(i);
        continue;
      }
      const { eventType: type, envelope, time } = result;
      let { dt, hour } = eventTimePartition(envelope.time, time);
      if (floor && (dt < floor.dt || (dt === floor.dt && hour < floor.hour))) ({ dt, hour } = floor);
      const groupKey = `${type.source}\u0000${type.detailType}\u0000${dt}\u0000${hour}`;
      let group = groups.get(groupKey);
      if (!group) {
        let staged: Promise<StagedObject> | undefined;
        if (staging) {
          // The partition's directory and a temporary file are made while the rest of the batch is validated.
          const dirKey = rawObjectKey(type.source, type.detailType, { dt, hour }, 'part');
          staged = store.stage(dirKey.slice(0, dirKey.lastIndexOf('/')));
          // Awaited when the group is written; a failure before then must not count as unhandled.
          staged.catch(() => undefined);
        }
        group = {
          type,
          dt,
          hour,
          body: new NdjsonGzipBuilder(level),
          eventIds: [],
          positions: [],
          ...(staged ? { staged } : {}),
          settled: false,
        };
        groups.set(groupKey, group);
      }
      // The envelope as delivered is the line; a body spread over lines (not what EventBridge sends) is
      // re-serialized so the object stays valid NDJSON.
      const bytes = record.bytes;
      if (body.includes('\n') || body.includes('\r')) group.body.add(JSON.stringify(envelope));
      else if (bytes) group.body.addBytes(bytes);
      else group.body.add(body);
      group.eventIds.push(envelope.id);
      group.positions.push(i);
    }
  } catch (error) {
    await Promise.all([...groups.values()].map(abandon));
    throw error;
  }

  const objects: LandedObject[] = [];
  const failedPositions: number[] = [];
  const errors: string[] = [];
  let landedEvents = 0;

  const writeGroup = async (group: PartitionGroup): Promise<void> => {
    const key = rawObjectKey(
      group.type.source,
      group.type.detailType,
      { dt: group.dt, hour: group.hour },
      objectNameFor(group.eventIds),
    );
    const events = group.body.lines;
    try {
      const body = await group.body.finish();
      if (group.staged) await (await group.staged).commit(key, body);
      else await store.put(key, body, NDJSON_GZIP);
      group.settled = true;
      objects.push({ key, events, bytes: body.length });
      landedEvents += events;
    } catch (error) {
      await abandon(group);
      failedPositions.push(...group.positions);
      errors.push(`writing ${key} failed: ${(error as Error).message}`);
    }
  };

  let quarantineKey: string | undefined;
  const writeRejected = async (): Promise<void> => {
    if (rejected.length === 0) return;
    try {
      quarantineKey = await writeQuarantine(deps.store, 'landing', rejected, deps.clock);
    } catch (error) {
      failedPositions.push(...rejectedPositions);
      errors.push(`writing quarantine failed: ${(error as Error).message}`);
    }
  };

  await Promise.all([
    writeRejected(),
    forEachBounded([...groups.values()], deps.writeConcurrency ?? 32, writeGroup),
  ]);
  // Writes finish in any order; report failures in the batch's own order, so the outcome is deterministic.
  failedPositions.sort((a, b) => a - b);
  const failedIds = failedPositions.map((i) => records[i]!.id);
  return {
    landedEvents,
    objects,
    quarantined: quarantineKey ? rejected.length : 0,
    ...(quarantineKey ? { quarantineKey } : {}),
    failedIds,
    errors,
  };
}

const NDJSON_GZIP = { contentType: 'application/x-ndjson', contentEncoding: 'gzip' } as const;

/** Lets go of a group that will not be written: its compressor and its temporary file. */
async function abandon(group: PartitionGroup): Promise<void> {
  if (group.settled) return;
  group.settled = true;
  group.body.close();
  if (group.staged)
    await group.staged.then(
      (s) => s.discard(),
      () => undefined,
    );
}
