import { createHash } from 'node:crypto';
import { timePartition, type TimePartition } from '../events/event-time.js';
import { EltError } from '../util/errors.js';

/** Landed, valid events: `raw/source=…/detail_type=…/dt=YYYY-MM-DD/hour=HH/part-….ndjson.gz`. */
export const RAW_PREFIX = 'raw/';
/** Rejected inputs with their reasons: `quarantine/stage=…/dt=…/hour=…/part-….ndjson.gz`. */
export const QUARANTINE_PREFIX = 'quarantine/';
/** Messages a queue gave up on after its retries: `dlq/queue=…/dt=…/part-….ndjson.gz`. */
export const DLQ_PREFIX = 'dlq/';
export const OBJECT_SUFFIX = '.ndjson.gz';

// Every key segment: what S3, a filesystem and a Redshift COPY manifest all take without quoting.
const SAFE_SEGMENT = /^[A-Za-z0-9._=-]{1,200}$/;

/** A key that is not a safe, relative, `/`-separated path. */
export class ObjectKeyInvalidError extends EltError {
  constructor(readonly key: string) {
    super(
      `object key ${JSON.stringify(key)} is not a safe relative key (segments of A-Z a-z 0-9 . _ = -, no "..")`,
    );
  }
}

/** A store location or list prefix the object stores cannot use (an S3 URL, a prefix without its "/"). */
export class ObjectStoreLocationError extends EltError {}

/** Throws {@link ObjectStoreLocationError} unless `prefix` is empty or ends in "/" (what `listPrefixes` takes). */
export function assertListPrefix(prefix: string): void {
  if (prefix !== '' && !prefix.endsWith('/'))
    throw new ObjectStoreLocationError(`listPrefixes needs a prefix ending in "/": ${prefix}`);
}

/** Throws unless every segment of the key is safe. */
export function assertSafeKey(key: string): void {
  const segments = key.split('/');
  for (const s of segments) {
    if (!SAFE_SEGMENT.test(s) || s === '.' || s === '..') throw new ObjectKeyInvalidError(key);
  }
}

/**
 * The deterministic name of an object holding a set of events: a hash of their ids in sorted order. A
 * retried batch produces the same name and overwrites its own object instead of adding a copy.
 */
export function objectNameFor(ids: readonly string[]): string {
  return `part-${linesDigest([...ids].sort()).slice(0, 32)}${OBJECT_SUFFIX}`;
}

/**
 * The SHA-256 (hex) of the lines, each followed by a newline: what deterministic object names are made
 * of. One update of the joined text hashes the same bytes as an update per line and newline, without a
 * call into the hash per line; the bytes must not change from one version to the next, or a retry after an
 * upgrade would write its object under a new name.
 */
export function linesDigest(lines: readonly string[]): string {
  const all = [...lines, ''];
  return createHash('sha256').update(all.join('\n')).digest('hex');
}

/** The key of a raw object. `source` and `detailType` come from the catalogue, never from event text. */
export function rawObjectKey(
  source: string,
  detailType: string,
  partition: TimePartition,
  name: string,
): string {
  const key = `${RAW_PREFIX}source=${source}/detail_type=${detailType}/dt=${partition.dt}/hour=${partition.hour}/${name}`;
  assertSafeKey(key);
  return key;
}

/** The key of a quarantine object for a stage (`publish`, `landing`), partitioned by processing time. */
export function quarantineObjectKey(stage: string, partition: TimePartition, name: string): string {
  const key = `${QUARANTINE_PREFIX}stage=${stage}/dt=${partition.dt}/hour=${partition.hour}/${name}`;
  assertSafeKey(key);
  return key;
}

/** The key of a dead-letter object for a queue. */
export function dlqObjectKey(queue: string, partition: TimePartition, name: string): string {
  const key = `${DLQ_PREFIX}queue=${queue}/dt=${partition.dt}/hour=${partition.hour}/${name}`;
  assertSafeKey(key);
  return key;
}

/** Table extracts of the marketplace database: `raw/source=oltp/table=…/dt=…/extract-….ndjson.gz`. */
export const OLTP_EXTRACT_PREFIX = `${RAW_PREFIX}source=oltp/`;

/**
 * The deterministic name of a table extract object: a hash of what identifies its content (table, mode,
 * first and last `(updated_at, key)`, the rows), so a rerun that reads the same rows writes the same key.
 */
export function oltpExtractObjectName(parts: readonly string[]): string {
  return `extract-${linesDigest(parts).slice(0, 32)}${OBJECT_SUFFIX}`;
}

/**
 * The key of a table extract object, partitioned by the UTC date of the extract run. `table` comes from
 * the extract's fixed table list, never from input.
 */
export function oltpExtractObjectKey(table: string, runAt: Date, name: string): string {
  const key = `${OLTP_EXTRACT_PREFIX}table=${table}/dt=${timePartition(runAt).dt}/${name}`;
  assertSafeKey(key);
  return key;
}

/** The table and partition of a table extract key, or undefined when the key is not one. */
export function parseOltpExtractKey(key: string): { table: string; dt: string; name: string } | undefined {
  const m = /^raw\/source=oltp\/table=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/([^/]+\.ndjson\.gz)$/.exec(key);
  if (!m) return undefined;
  return { table: m[1]!, dt: m[2]!, name: m[3]! };
}

/** The prefix of the local Kafka landing's failure objects (all topics). */
export const KAFKA_FAILURE_PREFIX = `${DLQ_PREFIX}queue=kafka-`;

/**
 * The key of a local Kafka failure object: `dlq/queue=kafka-<topic>/dt=…/hour=…/failure-<hash>.json`, the
 * hash of the batch's record refs, so writing the same batch again replaces its object.
 */
export function kafkaFailureKey(topic: string, at: Date, refs: readonly string[]): string {
  const name = objectNameFor(refs)
    .replace(/^part-/, 'failure-')
    .replace(OBJECT_SUFFIX, '.json');
  return dlqObjectKey(`kafka-${topic}`, timePartition(at), name);
}

/** The Hive partition values of a raw key, or undefined when the key is not a raw object key. */
export function parseRawKey(
  key: string,
): { source: string; detailType: string; dt: string; hour: string; name: string } | undefined {
  const m =
    /^raw\/source=([^/]+)\/detail_type=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/([^/]+\.ndjson\.gz)$/.exec(
      key,
    );
  if (!m) return undefined;
  return { source: m[1]!, detailType: m[2]!, dt: m[3]!, hour: m[4]!, name: m[5]! };
}

/**
 * Whether the ELT loads the object at `key` into raw_events: a landed event object ({@link parseRawKey}) or a
 * table extract object ({@link parseOltpExtractKey}), whose lines are envelopes too. Only event objects are
 * bus events (replayed, compacted by hour): code about those uses {@link parseRawKey} alone.
 */
export function isRawLoadKey(key: string): boolean {
  return parseRawKey(key) !== undefined || parseOltpExtractKey(key) !== undefined;
}
