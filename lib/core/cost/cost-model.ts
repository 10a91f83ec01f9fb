import { EVENT_LIMITS } from '../events/rejection.js';
import {
  DEFAULT_ASSUMPTIONS,
  EVENTBRIDGE_ENTRIES_PER_REQUEST,
  EXPRESS_M7G_LARGE_INGRESS_BYTES,
  EVENTBRIDGE_PUTEVENTS_TPS,
  EVENTBRIDGE_PUTEVENTS_TPS_OTHER,
  EVENTBRIDGE_TARGET_INVOCATIONS_TPS,
  KINESIS_ACCOUNT_SHARDS_US_EAST_1,
  KINESIS_ON_DEMAND_INITIAL_WRITE_BYTES,
  MSK_SERVERLESS_ACCOUNT_CLUSTERS,
  MSK_SERVERLESS_CONSUMER_GROUPS,
  OPERATOR_RATE_SOURCE,
  type CostAssumptions,
  type OpsClass,
} from './assumptions.js';
import { priceBook, type FigureFrom, type PriceData, type PriceEntry } from './price-data.js';
import { EltError } from '../util/errors.js';
import { DEFAULT_MAX_BODY_BYTES } from '../ingest/handle-ingest.js';

/** What the user asks about. */
export interface CostInput {
  /** Events per second, steady. */
  readonly ratePerSecond: number;
  /** Bytes per event as the bus carries it. */
  readonly eventBytes: number;
  /** Days the bus keeps events for replay. @default 7 */
  readonly retentionDays: number;
}

/** Where a cost line belongs. */
export type LineKind =
  | 'bus'
  | 'buffer'
  | 'lambda'
  | 's3-requests'
  | 's3-storage'
  | 'warehouse'
  | 'transfer'
  /** What each consumer beyond the first adds (`consumers`). */
  | 'fan-out'
  /** The HTTP ingest API in front of the bus (API Gateway, its function, the idempotency table). */
  | 'ingest'
  /** CloudWatch Logs of the functions. */
  | 'logs'
  /** Operator time (`operations` assumptions). */
  | 'operations'
  /** The live-windows Flink job on Managed Service for Apache Flink and its feed (`--stream`). */
  | 'stream';

/** One priced quantity of one option's month. */
export interface CostLine {
  readonly kind: LineKind;
  readonly label: string;
  /** How the quantity was counted, in words. */
  readonly basis: string;
  /** In the price's unit (`unit`). */
  readonly quantity: number;
  readonly unit: string;
  readonly priceId: string;
  /** USD per `unit`; null when the data files have no confirmed price. */
  readonly unitUsd: number | null;
  readonly source: string | null;
  readonly checked: string | null;
  /** Where the figure was read when not on the primary page (data file `figureFrom`). */
  readonly figureFrom?: FigureFrom;
  /** quantity × unitUsd; null when unpriced. */
  readonly usd: number | null;
  /** Why the line is unpriced. */
  readonly unpriced?: string;
}

/** The month of one option. */
export interface OptionCost {
  readonly id: string;
  readonly name: string;
  /** The option of data/bus-comparison.json this is a way of running. */
  readonly dataOptionId: string;
  readonly kind: 'managed' | 'self-hosted';
  /** Which operator hours apply ({@link CostAssumptions} `operations`). */
  readonly opsClass: OpsClass;
  /** `priced`: every line has a price; `unpriced`: some price is missing; `cannot-carry`: the event is too big. */
  readonly status: 'priced' | 'unpriced' | 'cannot-carry';
  readonly lines: readonly CostLine[];
  /** The month's total; null unless every line is priced. */
  readonly totalUsd: number | null;
  /** The sum of the priced lines (a lower bound when some are unpriced). */
  readonly pricedUsd: number;
  /** Price ids with no confirmed value, each once. */
  readonly missingPriceIds: readonly string[];
  /** Price ids whose figure comes from a third party's table (data file `figureFrom`), each once. */
  readonly thirdPartyPriceIds: readonly string[];
  /** Largest event the option carries, and where that limit comes from (null: not confirmed). */
  readonly maxEventBytes: number | null;
  readonly maxEventSource: string;
  /** Why the option cannot carry the event (status `cannot-carry`). */
  readonly cannotCarry?: string;
  /** Caveats that change how to read the figure. */
  readonly notes: readonly string[];
  /**
   * The landing cost (Lambda, S3 requests and storage: kinds `lambda`, `s3-requests`, `s3-storage`) at the
   * assumed batching window and at the longest one; `usd` null when a landing price is missing. Empty when
   * the option cannot carry the event.
   */
  readonly landingByWindow: readonly { readonly windowSeconds: number; readonly usd: number | null }[];
  /** Quotas the load exceeds (or comes close to needing raised), in words; empty when none. */
  readonly warnings: readonly string[];
}

/** Line kinds of the landing (Lambda, S3), as `landingByWindow` sums them. */
export const LANDING_KINDS: readonly LineKind[] = ['lambda', 's3-requests', 's3-storage'];

/** The answer for one input. */
export interface CostReport {
  readonly input: CostInput;
  readonly assumptions: CostAssumptions;
  readonly region: string;
  readonly currency: string;
  readonly eventsPerMonth: number;
  /** Consumers reading every event (the landing is the first). */
  readonly consumers: number;
  /** The Region whose quotas the warnings use (prices stay those of `region`). */
  readonly quotaRegion: string;
  readonly options: readonly OptionCost[];
  /** Every option's warnings, each prefixed with the option id. */
  readonly warnings: readonly string[];
}

/** An input the model cannot answer; the message names the field. */
export class CostInputError extends EltError {}

/** A price a line needs: its id and the unit the line counts in. */
interface PriceRef {
  readonly id: string;
  readonly per: string;
}

const P = {
  eventbridgeEvents: { id: 'eventbridge-custom-events', per: 'million events' },
  eventbridgeArchive: { id: 'eventbridge-archive-processing', per: 'GB processed' },
  eventbridgeArchiveStorage: { id: 'eventbridge-archive-storage', per: 'GB-month' },
  sqsRequests: { id: 'sqs-standard-requests', per: 'million requests' },
  snsPublish: { id: 'sns-standard-publish', per: 'million publishes' },
  snsToSqs: { id: 'sns-delivery-sqs', per: 'million deliveries' },
  kinesisStreamHour: { id: 'kinesis-ondemand-stream-hour', per: 'stream-hour' },
  kinesisDataIn: { id: 'kinesis-ondemand-data-in', per: 'GB ingested' },
  kinesisDataOut: { id: 'kinesis-ondemand-data-out', per: 'GB retrieved' },
  // Not in the data files yet (expected ids): Kinesis retention beyond 24 h and beyond 7 days.
  kinesisOnDemandExtended: { id: 'kinesis-ondemand-extended-retention', per: 'GB-month' },
  kinesisProvisionedExtended: { id: 'kinesis-provisioned-extended-retention', per: 'shard-hour' },
  kinesisLongTerm: { id: 'kinesis-long-term-retention', per: 'GB-month' },
  kinesisShardHour: { id: 'kinesis-provisioned-shard-hour', per: 'shard-hour' },
  kinesisPutUnits: { id: 'kinesis-provisioned-put-payload-units', per: 'million PUT payload units' },
  pubsubThroughput: { id: 'pubsub-throughput', per: 'TiB' },
  pubsubMinRequest: { id: 'pubsub-min-billable-request', per: 'bytes per request' },
  pubsubStorage: { id: 'pubsub-retention-storage', per: 'GiB-month' },
  // Not in the data files yet (expected id): internet egress from Google Cloud to AWS.
  gcpEgress: { id: 'gcp-internet-egress', per: 'GiB' },
  mskClusterHour: { id: 'msk-serverless-cluster-hour', per: 'cluster-hour' },
  mskPartitionHour: { id: 'msk-serverless-partition-hour', per: 'partition-hour' },
  mskDataIn: { id: 'msk-serverless-data-in', per: 'GB' },
  mskDataOut: { id: 'msk-serverless-data-out', per: 'GB' },
  mskStorage: { id: 'msk-serverless-storage', per: 'GB-month' },
  mskBroker: { id: 'msk-broker-kafka-m7g-large', per: 'broker-hour' },
  mskBrokerStorage: { id: 'msk-broker-storage', per: 'GB-month' },
  ec2Broker: { id: 'ec2-m7g-large', per: 'instance-hour' },
  ebs: { id: 'ebs-gp3-storage', per: 'GB-month' },
  // Not in the data files yet (expected id): data transfer between availability zones, counted per GB
  // leaving one AZ and again entering the other.
  interAz: { id: 'ec2-data-transfer-inter-az', per: 'GB' },
  lambdaRequests: { id: 'lambda-requests', per: 'million requests' },
  lambdaDuration: { id: 'lambda-arm64-duration', per: 'GB-second' },
  s3Put: { id: 's3-standard-put-copy-post-list', per: '1,000 requests' },
  s3Get: { id: 's3-standard-get', per: '1,000 requests' },
  s3Storage: { id: 's3-standard-storage', per: 'GB-month' },
  rpuHour: { id: 'redshift-serverless-rpu-hour', per: 'RPU-hour' },
  firehoseIngest: { id: 'firehose-ingestion', per: 'GB ingested' },
  firehoseDpData: { id: 'firehose-dynamic-partitioning-data', per: 'GB delivered' },
  firehoseDpObjects: { id: 'firehose-dynamic-partitioning-objects', per: '1,000 objects' },
  firehoseJq: { id: 'firehose-dynamic-partitioning-jq', per: 'JQ processing hour' },
  sqsFifoRequests: { id: 'sqs-fifo-requests', per: 'million requests' },
  mskExpressBroker: { id: 'msk-express-broker-m7g-large', per: 'broker-hour' },
  mskExpressStorage: { id: 'msk-express-storage', per: 'GB-month' },
  mskExpressDataIn: { id: 'msk-express-data-in', per: 'GB' },
  s3IaStorage: { id: 's3-standard-ia-storage', per: 'GB-month' },
  redshiftStorage: { id: 'redshift-managed-storage', per: 'GB-month' },
  logsIngestion: { id: 'cloudwatch-logs-ingestion', per: 'GB ingested' },
  logsStorage: { id: 'cloudwatch-logs-storage', per: 'GB-month' },
  httpApiRequests: { id: 'apigw-http-api-requests', per: 'million requests' },
  dynamoWrites: { id: 'dynamodb-ondemand-write-request-units', per: 'million write request units' },
  endpointHour: { id: 'vpc-interface-endpoint-hour', per: 'endpoint-AZ-hour' },
  kafkaPollerUnit: { id: 'lambda-kafka-event-poller-unit', per: 'EPU-hour' },
  endpointData: { id: 'vpc-interface-endpoint-data', per: 'GB processed' },
  msfKpuHour: { id: 'msf-kpu-hour', per: 'KPU-hour' },
  msfStorage: { id: 'msf-running-application-storage', per: 'GB-month' },
  // Not in the data files yet (expected id): EventBridge Pipes requests, per 64 KB chunk.
  pipesRequests: { id: 'eventbridge-pipes-requests', per: 'million requests' },
} as const satisfies Record<string, PriceRef>;

/** Every price id the model may use, including the ones the data files do not have yet. */
export const COST_PRICE_IDS: readonly string[] = Object.values(P).map((p) => p.id);

/**
 * Kinesis: on-demand data counts each record rounded up to 1 KB; a PUT payload unit is 25 KB, counted per
 * record, so a 10 MiB record is 410 units (https://aws.amazon.com/kinesis/data-streams/pricing/).
 */
const KINESIS_DATA_ROUNDING_BYTES = 1024;
const KINESIS_PUT_UNIT_BYTES = 25 * 1024;
/** A provisioned shard takes 1 MB/s or 1,000 records/s in and serves 2 MB/s out. */
const SHARD_IN_BYTES = 1024 * 1024;
const SHARD_IN_RECORDS = 1000;
const SHARD_OUT_BYTES = 2 * 1024 * 1024;
/** SQS retention ends at 14 days (docs/aws-limits.md). */
const SQS_MAX_RETENTION_DAYS = 14;
const MIB = 1024 * 1024;
const SQS_MAX_MESSAGE_BYTES = MIB;
const SQS_LIMIT_SOURCE =
  'https://aws.amazon.com/blogs/compute/more-room-to-build-serverless-services-now-support-payloads-up-to-1-mb';

/** How the landing function is fed. */
type Feed = 'sqs' | 'sqs-fifo' | 'stream' | 'kafka';

/**
 * Lambda's SQS event source takes at most 10 messages a batch from a FIFO queue and no batching window
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html, read 2026-12-03).
 */
export const FIFO_LANDING_BATCH_SIZE = 10;
/** FIFO throughput per API action without high-throughput mode: 300 calls/s (3,000 messages/s in batches of 10). */
export const FIFO_CALLS_PER_SECOND = 300;
/**
 * FIFO high-throughput mode, calls a second per API action, by Region (a call carries up to 10 messages)
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html).
 */
export const FIFO_HIGH_THROUGHPUT_CALLS_PER_SECOND: Readonly<Record<string, number>> = {
  'us-east-1': 70_000,
  'us-west-2': 70_000,
  'eu-west-1': 70_000,
};

/** The quantities every option shares. */
interface Volume {
  readonly a: CostAssumptions;
  readonly input: CostInput;
  readonly events: number;
  readonly bytes: number;
  readonly bytesPerDay: number;
  /** The month's bytes as Kafka carries them: compressed by the producer (`compressionRatio`). */
  readonly wireBytes: number;
  readonly gb: (bytes: number) => number;
  readonly chunks: number;
  /** Pub/Sub's minimum billable bytes per request; null when the data file does not confirm it. */
  readonly minPubsubRequestBytes: number | null;
  /** Consumers reading every event, the landing included (at least 1). */
  readonly consumers: number;
  /** The Region of the quotas. */
  readonly region: string;
}

/** One way of running a bus in front of the pipeline. */
interface OptionDefinition {
  readonly id: string;
  readonly name: string;
  readonly dataOptionId: string;
  readonly kind: 'managed' | 'self-hosted';
  readonly feed: Feed;
  readonly opsClass: OpsClass;
  readonly maxEventBytes: number | null;
  readonly maxEventSource: string;
  readonly busLines: (v: Volume, line: LineMaker) => CostLine[];
  /** What `extra` consumers beyond the first add (kind `fan-out`); none when the bus lines already count them. */
  readonly fanOut?: (v: Volume, line: LineMaker, extra: number) => CostLine[];
  /** Quotas the load exceeds. */
  readonly warnings?: (v: Volume) => string[];
  /** The landing when it is not a Lambda behind the bus (Firehose): replaces the Lambda landing lines. */
  readonly landing?: (v: Volume, line: LineMaker) => CostLine[];
  readonly notes?: (v: Volume) => string[];
}

type LineMaker = (
  kind: LineKind,
  label: string,
  basis: string,
  quantity: number,
  price: PriceRef,
) => CostLine;

const fmt = (x: number): string =>
  x.toLocaleString('en-US', { maximumFractionDigits: x >= 100 ? 0 : x >= 1 ? 2 : 6 });
const pct = (x: number): string => `${(x * 100).toLocaleString('en-US', { maximumFractionDigits: 1 })}%`;

/** SQS requests for `events` messages sent or received `perCall` at a time, each call billed per 64 KB. */
function sqsBatchedRequests(v: Volume): { calls: number; requests: number; perCall: number } {
  const perCall = Math.max(
    1,
    Math.min(v.a.sqsMessagesPerCall, Math.floor(v.a.sqsMaxCallBytes / v.input.eventBytes)),
  );
  const calls = v.events / perCall;
  return { calls, perCall, requests: calls * Math.ceil((perCall * v.input.eventBytes) / v.a.chunkBytes) };
}

/** The consumer side of an SQS queue read by Lambda's poller: ReceiveMessage and DeleteMessageBatch. */
function sqsConsumerLines(
  v: Volume,
  line: LineMaker,
  kind: LineKind,
  price: PriceRef = P.sqsRequests,
): CostLine[] {
  const r = sqsBatchedRequests(v);
  return [
    line(
      kind,
      'SQS ReceiveMessage (Lambda poller)',
      `${fmt(r.calls)} calls of ${r.perCall}, each billed per 64 KB`,
      r.requests / 1e6,
      price,
    ),
    line(
      kind,
      'SQS DeleteMessageBatch',
      `${fmt(v.events / v.a.sqsMessagesPerCall)} calls of ${v.a.sqsMessagesPerCall}`,
      v.events / v.a.sqsMessagesPerCall / 1e6,
      price,
    ),
  ];
}

/** A queue producers send to in batches, read by Lambda's poller: every request at `price`. */
function producerQueueLines(v: Volume, line: LineMaker, label: string, price: PriceRef): CostLine[] {
  const send = sqsBatchedRequests(v);
  return [
    line(
      'bus',
      label,
      `${fmt(send.calls)} calls of ${send.perCall}, each billed per 64 KB`,
      send.requests / 1e6,
      price,
    ),
    ...sqsConsumerLines(v, line, 'bus', price),
  ];
}

/** Requests billed per 64 KB chunk of each event, one event per request (EventBridge, SQS, SNS). */
function perChunkLine(
  v: Volume,
  line: LineMaker,
  kind: LineKind,
  label: string,
  noun: string,
  price: PriceRef,
): CostLine {
  return line(
    kind,
    label,
    `${fmt(v.events)} ${noun} × ${v.chunks} chunk(s) of 64 KB`,
    (v.events * v.chunks) / 1e6,
    price,
  );
}

/**
 * SNS PublishBatch calls: up to `snsPublishBatch.messages` events a call within the batch's byte limit (the
 * topic's MaximumMessageSize, raised to the event's size over 256 KiB), each call billed per 64 KB chunk of
 * its payload, like one Publish.
 */
export function snsPublishRequests(
  events: number,
  eventBytes: number,
  a: CostAssumptions,
): { calls: number; perCall: number; requests: number } {
  const maxBytes = Math.max(a.snsPublishBatch.maxBytes, eventBytes);
  const perCall = Math.max(1, Math.min(a.snsPublishBatch.messages, Math.floor(maxBytes / eventBytes)));
  const calls = events / perCall;
  return { calls, perCall, requests: calls * Math.ceil((perCall * eventBytes) / a.chunkBytes) };
}

function snsPublishBatchLine(v: Volume, line: LineMaker): CostLine {
  const r = snsPublishRequests(v.events, v.input.eventBytes, v.a);
  return line(
    'bus',
    'SNS PublishBatch',
    `${fmt(r.calls)} calls of ${r.perCall}, each billed per 64 KB`,
    r.requests / 1e6,
    P.snsPublish,
  );
}

/** SQS behind a bus that sends one message per event (EventBridge rule target, SNS subscription). */
function sqsBufferLines(v: Volume, line: LineMaker, sender: string): CostLine[] {
  return [
    perChunkLine(v, line, 'buffer', `SQS SendMessage (${sender})`, 'messages', P.sqsRequests),
    ...sqsConsumerLines(v, line, 'buffer'),
  ];
}

/** Kinesis retention beyond the included 24 hours. */
function kinesisRetentionLines(v: Volume, line: LineMaker, extended: CostLine | undefined): CostLine[] {
  const days = v.input.retentionDays;
  const lines: CostLine[] = extended && days > 1 ? [extended] : [];
  if (days > 7) {
    lines.push(
      line(
        'bus',
        'Kinesis long-term retention (beyond 7 days)',
        `${fmt(days - 7)} days of data`,
        v.gb(v.bytesPerDay * (days - 7)),
        P.kinesisLongTerm,
      ),
    );
  }
  return lines;
}

/** A bus line billed per GB of the month's event bytes, each byte counted once (`basis` says when). */
function onceLine(v: Volume, line: LineMaker, label: string, basis: string, price: PriceRef): CostLine {
  return line('bus', label, basis, v.gb(v.bytes), price);
}

/** What the bus keeps for replay: `retentionDays` of the events' bytes, billed per GB-month. */
function retentionLine(
  v: Volume,
  line: LineMaker,
  label: string,
  price: PriceRef,
  kept: 'events' | 'messages' = 'events',
): CostLine {
  return line(
    'bus',
    label,
    `${fmt(v.input.retentionDays)} days of ${kept} kept`,
    v.gb(v.bytesPerDay * v.input.retentionDays),
    price,
  );
}

/**
 * Brokers for a replicated Kafka cluster: at least `minBrokers`, in threes, enough for every replica:
 * the client bytes (compressed by the producer, `compressionRatio`) × the replication factor over what
 * one broker writes
 * ({@link CostAssumptions} `kafka.brokerReplicaBytesPerSecond`).
 */
export function kafkaBrokers(ratePerSecond: number, eventBytes: number, a: CostAssumptions): number {
  const needed = Math.ceil(
    (ratePerSecond * eventBytes * a.compressionRatio * a.kafka.replicationFactor) /
      a.kafka.brokerReplicaBytesPerSecond,
  );
  return inSteps(needed, a.kafka.minBrokers);
}

/** `needed` brokers rounded up to whole steps of `step` (one per availability zone), at least one step. */
function inSteps(needed: number, step: number): number {
  return Math.max(step, Math.ceil(needed / step) * step);
}

/**
 * Express brokers for a steady rate: at least three, in threes, each taking at most AWS's recommended
 * client ingress for an express.m7g.large ({@link EXPRESS_M7G_LARGE_INGRESS_BYTES}) of compressed bytes.
 */
export function mskExpressBrokers(ratePerSecond: number, eventBytes: number, a: CostAssumptions): number {
  const needed = Math.ceil(
    (ratePerSecond * eventBytes * a.compressionRatio) / EXPRESS_M7G_LARGE_INGRESS_BYTES,
  );
  return inSteps(needed, 3);
}

/**
 * Shards a provisioned Kinesis stream needs for a steady rate with one consumer, each shard's quotas used
 * at most `utilizationTarget` ({@link CostAssumptions} `throughputUtilizationTarget`).
 */
export function kinesisShards(
  ratePerSecond: number,
  eventBytes: number,
  utilizationTarget: number,
  consumers = 1,
): number {
  const peak = ratePerSecond / utilizationTarget;
  return Math.max(
    1,
    Math.ceil((peak * eventBytes) / SHARD_IN_BYTES),
    Math.ceil(peak / SHARD_IN_RECORDS),
    // Shared-throughput consumers split a shard's 2 MB/s of reads.
    Math.ceil((peak * eventBytes * consumers) / SHARD_OUT_BYTES),
  );
}

/**
 * MSK Serverless partitions and clusters for a steady rate of compressed bytes with one consumer group:
 * at least `kafka.partitions`, each partition's ingress and egress quotas used at most
 * `throughputUtilizationTarget`, every partition within its storage quota; clusters within their
 * ingress, egress and partition quotas ({@link CostAssumptions} `mskServerless`).
 */
export function mskServerlessSizing(
  ratePerSecond: number,
  eventBytes: number,
  retentionDays: number,
  a: CostAssumptions,
  consumers = 1,
): { partitions: number; clusters: number } {
  const q = a.mskServerless;
  const wireBytesPerSecond = ratePerSecond * eventBytes * a.compressionRatio;
  const peak = wireBytesPerSecond / a.throughputUtilizationTarget;
  const partitions = Math.max(
    a.kafka.partitions,
    Math.ceil(peak / q.partitionInBytesPerSecond),
    Math.ceil((peak * consumers) / q.partitionOutBytesPerSecond),
    Math.ceil((wireBytesPerSecond * 86_400 * retentionDays) / q.partitionStorageBytes),
  );
  const clusters = Math.max(
    1,
    Math.ceil(peak / q.clusterInBytesPerSecond),
    Math.ceil((peak * consumers) / q.clusterOutBytesPerSecond),
    Math.ceil(partitions / q.clusterMaxPartitions),
  );
  return { partitions, clusters };
}

/**
 * Seconds a function invocation runs: its fixed time plus the bytes at the landing's per-core rate
 * ({@link CostAssumptions} `landingBytesPerCoreSecond`), on the share of a vCPU its memory buys.
 */
function lambdaSeconds(a: CostAssumptions, fixedMs: number, bytes: number, memoryMb: number): number {
  return fixedMs / 1000 + bytes / (a.landingBytesPerCoreSecond * Math.min(1, memoryMb / a.lambdaMbPerVcpu));
}

/** Firehose bills ingestion (Direct PUT and EventBridge sources) per record rounded up to 5 KB. */
export const FIREHOSE_RECORD_ROUNDING_BYTES = 5 * 1024;
/** Largest record Firehose takes, before base64 encoding: 1,000 KiB. */
export const FIREHOSE_MAX_RECORD_BYTES = 1000 * 1024;
const FIREHOSE_LIMIT_SOURCE = 'https://docs.aws.amazon.com/firehose/latest/dev/limits.html';

/**
 * S3 objects Firehose writes with dynamic partitioning: in each buffer interval, one object per partition
 * written (`firehose.partitionsPerInterval`, fewer when fewer events arrive), more when a partition's bytes
 * exceed the buffer size (it delivers each time the buffer fills).
 */
export function firehoseObjects(
  ratePerSecond: number,
  eventBytes: number,
  a: CostAssumptions,
): { perInterval: number; perMonth: number; partitions: number } {
  const f = a.firehose;
  const eventsPerInterval = ratePerSecond * f.bufferSeconds;
  const partitions = Math.max(1, Math.min(f.partitionsPerInterval, Math.ceil(eventsPerInterval)));
  const bytesPerPartition = (eventsPerInterval * eventBytes) / partitions;
  const perInterval = partitions * Math.max(1, Math.ceil(bytesPerPartition / f.bufferBytes));
  return { perInterval, partitions, perMonth: (perInterval * a.hoursPerMonth * 3600) / f.bufferSeconds };
}

/** Records per transform Lambda invocation: the processing buffer's bytes or seconds, at least one. */
export function firehoseRecordsPerTransform(
  ratePerSecond: number,
  eventBytes: number,
  a: CostAssumptions,
): number {
  const f = a.firehose;
  return Math.max(
    1,
    Math.min(Math.floor(f.transformBufferBytes / eventBytes), ratePerSecond * f.transformBufferSeconds),
  );
}

/** Firehose ingestion: every record rounded up to 5 KB. */
function firehoseIngestLine(v: Volume, line: LineMaker, source: string): CostLine {
  const rounded =
    Math.ceil(v.input.eventBytes / FIREHOSE_RECORD_ROUNDING_BYTES) * FIREHOSE_RECORD_ROUNDING_BYTES;
  return line(
    'bus',
    `Firehose ingestion (${source})`,
    `${fmt(v.events)} records rounded up to ${fmt(rounded)} bytes`,
    v.gb(v.events * rounded),
    P.firehoseIngest,
  );
}

/**
 * The Firehose landing: dynamic partitioning (per GB delivered, per object, per JQ hour when JQ is used),
 * the transform Lambda at Firehose's processing buffer, the S3 objects the buffering produces, then the
 * same storage and warehouse lines as every option.
 */
function firehoseLandingLines(v: Volume, line: LineMaker): CostLine[] {
  const a = v.a;
  const objects = firehoseObjects(v.input.ratePerSecond, v.input.eventBytes, a);
  const perTransform = firehoseRecordsPerTransform(v.input.ratePerSecond, v.input.eventBytes, a);
  const invocations = v.events / perTransform;
  const seconds = lambdaSeconds(
    a,
    a.landingFixedMsPerInvocation,
    perTransform * v.input.eventBytes,
    a.landing.memoryMb,
  );
  const buffer = `${fmt(a.firehose.bufferBytes / MIB)} MiB / ${a.firehose.bufferSeconds} s buffer`;
  return [
    line(
      'lambda',
      'Firehose dynamic partitioning (data)',
      'every event delivered once, as transformed (before compression)',
      v.gb(v.bytes),
      P.firehoseDpData,
    ),
    line(
      'lambda',
      'Firehose dynamic partitioning (objects)',
      `${fmt(objects.perMonth)} objects: ${fmt(objects.perInterval)} per ${buffer}, ${objects.partitions} partition(s)`,
      objects.perMonth / 1000,
      P.firehoseDpObjects,
    ),
    ...(a.firehose.jq
      ? [
          line(
            'lambda',
            'Firehose JQ processing',
            `JQ parsing all month (${a.hoursPerMonth} h, an upper bound)`,
            a.hoursPerMonth,
            P.firehoseJq,
          ),
        ]
      : []),
    line(
      'lambda',
      'Lambda requests (Firehose transform)',
      `${fmt(invocations)} invocations of ${fmt(perTransform)} records (${fmt(a.firehose.transformBufferBytes / MIB)} MiB / ${a.firehose.transformBufferSeconds} s processing buffer)`,
      invocations / 1e6,
      P.lambdaRequests,
    ),
    line(
      'lambda',
      'Lambda duration (Firehose transform, arm64)',
      `${fmt(invocations)} × ${fmt(seconds * 1000)} ms × ${fmt(a.landing.memoryMb / 1024)} GB`,
      invocations * seconds * (a.landing.memoryMb / 1024),
      P.lambdaDuration,
    ),
    line(
      's3-requests',
      'S3 PUT (objects Firehose delivers)',
      `${fmt(objects.perMonth)} objects`,
      objects.perMonth / 1000,
      P.s3Put,
    ),
    line(
      's3-requests',
      'S3 GET (COPY into Redshift)',
      `each object read once`,
      objects.perMonth / 1000,
      P.s3Get,
    ),
    ...storageAndWarehouseLines(v, line, objects.perMonth),
    ...logsLines(v, line, invocations, 'transform function'),
  ];
}

const FIREHOSE_NOTES = [
  'Latency: an object lands when a partition buffer fills or its interval ends, so up to the buffer interval (with dynamic partitioning up to 1.5× it) after the event.',
  'At-least-once: Firehose retries delivery and the transform Lambda, so S3 may get duplicates; the load must deduplicate.',
  "No per-event quarantine as this project's landing does: records the transform marks failed go to an error prefix in bulk, with no per-event reason or redrive.",
  'No replay from the bus: the raw bucket is the only copy.',
];

/** A Kinesis stream takes records of 1 MiB by default, up to 10 MiB when its maximum record size is raised. */
export const KINESIS_DEFAULT_MAX_RECORD_BYTES = MIB;
export const KINESIS_MAX_RECORD_BYTES = 10 * MIB;

/** What the on-demand and the provisioned Kinesis options share: the data file's option, the record limit. */
const KINESIS_STREAMS = {
  dataOptionId: 'kinesis-data-streams',
  kind: 'managed',
  feed: 'stream',
  maxEventBytes: KINESIS_MAX_RECORD_BYTES,
  maxEventSource: 'https://docs.aws.amazon.com/streams/latest/dev/large-records.html',
} as const;

/** Notes both Kinesis options carry: the per-stream record size setting above 1 MiB. */
function kinesisRecordNotes(v: Volume): string[] {
  return v.input.eventBytes > KINESIS_DEFAULT_MAX_RECORD_BYTES
    ? [
        `Records over 1 MiB need the stream's maximum record size raised (set per stream: MaxRecordSizeInKiB on CreateStream or UpdateMaxRecordSize, 1,024 to 10,240 KiB; default 1 MiB). AWS designs large records for intermittent use (under 2% of traffic); a shard still takes 1 MB/s in.`,
      ]
    : [];
}

/** PutEvents, and the archive of every event when events are kept: the bus part of both EventBridge options. */
function eventBridgeBusLines(v: Volume, line: LineMaker): CostLine[] {
  return [
    perChunkLine(v, line, 'bus', 'EventBridge PutEvents', 'events', P.eventbridgeEvents),
    ...(v.input.retentionDays > 0
      ? [
          onceLine(v, line, 'EventBridge archive (processing)', 'every event archived', P.eventbridgeArchive),
          retentionLine(v, line, 'EventBridge archive (storage)', P.eventbridgeArchiveStorage),
        ]
      : []),
  ];
}

/** An option as its bus lines define it; {@link OPTION_EXTRAS} adds operations, fan-out and quotas. */
type BaseOption = Omit<OptionDefinition, 'opsClass' | 'fanOut' | 'warnings'>;

const BASE_OPTIONS: readonly BaseOption[] = [
  {
    id: 'eventbridge',
    name: 'EventBridge custom bus → SQS (this project)',
    dataOptionId: 'eventbridge-custom-bus',
    kind: 'managed',
    feed: 'sqs',
    maxEventBytes: EVENT_LIMITS.maxEntryBytes,
    maxEventSource:
      'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevents.html#eb-putevent-size',
    busLines: (v, line) => [...eventBridgeBusLines(v, line), ...sqsBufferLines(v, line, 'rule target')],
  },
  {
    id: 'eventbridge-firehose',
    name: 'EventBridge custom bus → Data Firehose → S3',
    dataOptionId: 'eventbridge-custom-bus',
    kind: 'managed',
    feed: 'sqs',
    maxEventBytes: Math.min(EVENT_LIMITS.maxEntryBytes, FIREHOSE_MAX_RECORD_BYTES),
    maxEventSource: `${FIREHOSE_LIMIT_SOURCE} (1,000 KiB a record) and the PutEvents entry limit`,
    busLines: (v, line) => [
      ...eventBridgeBusLines(v, line),
      firehoseIngestLine(v, line, 'EventBridge rule target'),
    ],
    landing: firehoseLandingLines,
    notes: () => FIREHOSE_NOTES.filter((n) => !n.startsWith('No replay')),
  },
  {
    id: 'firehose',
    name: 'Amazon Data Firehose → S3 (producers put records)',
    dataOptionId: 'firehose',
    kind: 'managed',
    feed: 'sqs',
    maxEventBytes: FIREHOSE_MAX_RECORD_BYTES,
    maxEventSource: FIREHOSE_LIMIT_SOURCE,
    busLines: (v, line) => [firehoseIngestLine(v, line, 'Direct PUT')],
    landing: firehoseLandingLines,
    notes: () => FIREHOSE_NOTES,
  },
  {
    id: 'sqs',
    name: 'SQS standard queue (producers send to the queue)',
    dataOptionId: 'sqs-standard',
    kind: 'managed',
    feed: 'sqs',
    maxEventBytes: SQS_MAX_MESSAGE_BYTES,
    maxEventSource: SQS_LIMIT_SOURCE,
    busLines: (v, line) => producerQueueLines(v, line, 'SQS SendMessageBatch (producers)', P.sqsRequests),
    notes: (v) => [
      `No replay: a consumed message is gone, and SQS keeps unconsumed messages ${SQS_MAX_RETENTION_DAYS} days at most${v.input.retentionDays > SQS_MAX_RETENTION_DAYS ? ` (not the ${v.input.retentionDays} asked)` : ''}; no retention cost.`,
      'No fan-out: one consumer per message.',
    ],
  },
  {
    id: 'sqs-fifo',
    name: 'SQS FIFO queue (producers send to the queue)',
    dataOptionId: 'sqs-fifo',
    kind: 'managed',
    feed: 'sqs-fifo',
    maxEventBytes: SQS_MAX_MESSAGE_BYTES,
    maxEventSource: SQS_LIMIT_SOURCE,
    busLines: (v, line) =>
      producerQueueLines(v, line, 'SQS FIFO SendMessageBatch (producers)', P.sqsFifoRequests),
    notes: () => [
      `Ordered per message group and deduplicated for 5 minutes; Lambda takes at most ${FIFO_LANDING_BATCH_SIZE} messages a batch from a FIFO queue with no batching window, so the landing writes many more, smaller objects than from a standard queue, and one batch per message group is in flight at a time.`,
      'No replay and no fan-out, as with a standard queue.',
    ],
  },
  {
    id: 'sns-sqs',
    name: 'SNS standard topic → SQS',
    dataOptionId: 'sns-standard',
    kind: 'managed',
    feed: 'sqs',
    maxEventBytes: MIB,
    maxEventSource: 'https://docs.aws.amazon.com/sns/latest/dg/large-message-payloads.html',
    busLines: (v, line) => [
      snsPublishBatchLine(v, line),
      line('bus', 'SNS deliveries to SQS', `${fmt(v.events)} deliveries`, v.events / 1e6, P.snsToSqs),
      ...sqsBufferLines(v, line, 'SNS subscription'),
    ],
    notes: (v) => [
      ...(v.input.eventBytes > 256 * 1024
        ? [
            'Over 256 KiB the topic needs MaximumMessageSize raised (then only SQS, Lambda and Firehose subscriptions).',
          ]
        : []),
      'No replay: a standard topic keeps nothing after delivery; no retention cost.',
    ],
  },
  {
    id: 'kinesis-on-demand',
    name: 'Kinesis Data Streams, on-demand',
    ...KINESIS_STREAMS,
    busLines: (v, line) => {
      const rounded =
        Math.ceil(v.input.eventBytes / KINESIS_DATA_ROUNDING_BYTES) * KINESIS_DATA_ROUNDING_BYTES;
      return [
        line(
          'bus',
          'Kinesis stream-hours',
          `1 stream × ${v.a.hoursPerMonth} h`,
          v.a.hoursPerMonth,
          P.kinesisStreamHour,
        ),
        line(
          'bus',
          'Kinesis data in',
          `${fmt(v.events)} records rounded up to ${fmt(rounded)} bytes`,
          v.gb(v.events * rounded),
          P.kinesisDataIn,
        ),
        onceLine(v, line, 'Kinesis data out', 'each record read once (landing)', P.kinesisDataOut),
        ...kinesisRetentionLines(
          v,
          line,
          line(
            'bus',
            'Kinesis extended retention (24 h to 7 days)',
            `${fmt(Math.min(v.input.retentionDays, 7) - 1)} days of data beyond the first`,
            v.gb(v.bytesPerDay * Math.max(0, Math.min(v.input.retentionDays, 7) - 1)),
            P.kinesisOnDemandExtended,
          ),
        ),
      ];
    },
    notes: kinesisRecordNotes,
  },
  {
    id: 'kinesis-provisioned',
    name: 'Kinesis Data Streams, provisioned shards',
    ...KINESIS_STREAMS,
    busLines: (v, line) => {
      const shards = kinesisShards(
        v.input.ratePerSecond,
        v.input.eventBytes,
        v.a.throughputUtilizationTarget,
        v.consumers,
      );
      const shardHours = shards * v.a.hoursPerMonth;
      const units = Math.ceil(v.input.eventBytes / KINESIS_PUT_UNIT_BYTES);
      return [
        line(
          'bus',
          'Kinesis shard-hours',
          `${shards} shard(s) (1 MB/s or 1,000 records/s in, 2 MB/s out each, used at most ${Math.round(v.a.throughputUtilizationTarget * 100)}%) × ${v.a.hoursPerMonth} h`,
          shardHours,
          P.kinesisShardHour,
        ),
        line(
          'bus',
          'Kinesis PUT payload units',
          `${fmt(v.events)} records × ${units} unit(s) of 25 KB`,
          (v.events * units) / 1e6,
          P.kinesisPutUnits,
        ),
        ...kinesisRetentionLines(
          v,
          line,
          line(
            'bus',
            'Kinesis extended retention (24 h to 7 days)',
            `${shards} shard(s) × ${v.a.hoursPerMonth} h`,
            shardHours,
            P.kinesisProvisionedExtended,
          ),
        ),
      ];
    },
    notes: (v) => [
      `Sized for the steady rate at ${Math.round(v.a.throughputUtilizationTarget * 100)}% of each shard's quotas${v.consumers > 1 ? ` and ${v.consumers} shared-throughput consumers reading every record (2 MB/s per shard shared; reads are in the shard-hours)` : ''}: ${kinesisShards(v.input.ratePerSecond, v.input.eventBytes, v.a.throughputUtilizationTarget, v.consumers)} shard(s); bursts beyond ${fmt(1 / v.a.throughputUtilizationTarget)}× the rate need more.`,
      ...kinesisRecordNotes(v),
    ],
  },
  {
    id: 'pubsub',
    name: 'Google Cloud Pub/Sub (landing on AWS)',
    dataOptionId: 'google-pubsub',
    kind: 'managed',
    feed: 'stream',
    maxEventBytes: null,
    maxEventSource: 'https://cloud.google.com/pubsub/quotas',
    busLines: (v, line) => {
      const k = v.a.pubsubMessagesPerRequest;
      const min = v.minPubsubRequestBytes;
      const throughput = line(
        'bus',
        'Pub/Sub throughput (publish + 1 delivery)',
        `2 × ${fmt(v.events)} messages, requests of ${k} billed at least ${min === null ? '(not confirmed)' : fmt(min)} bytes`,
        (2 * (v.events / k) * Math.max(k * v.input.eventBytes, min ?? 0)) / v.a.bytesPerTib,
        P.pubsubThroughput,
      );
      return [
        // The minimum billable request size is a billing rule: without it the quantity is not known.
        min === null
          ? {
              ...throughput,
              priceId: P.pubsubMinRequest.id,
              usd: null,
              unpriced: `${P.pubsubMinRequest.id} is not confirmed`,
            }
          : throughput,
        ...(v.input.retentionDays > 0
          ? [retentionLine(v, line, 'Pub/Sub topic retention storage', P.pubsubStorage, 'messages')]
          : []),
        line('transfer', 'Egress Google Cloud → AWS', 'every message once', v.gb(v.bytes), P.gcpEgress),
      ];
    },
    notes: () => ['The process that pulls from Pub/Sub and invokes the landing function is not counted.'],
  },
  {
    id: 'msk-serverless',
    name: 'Amazon MSK Serverless',
    dataOptionId: 'msk-serverless',
    kind: 'managed',
    feed: 'kafka',
    maxEventBytes: null,
    maxEventSource: 'https://docs.aws.amazon.com/msk/latest/developerguide/limits.html',
    busLines: (v, line) => {
      const { partitions, clusters } = mskServerlessSizing(
        v.input.ratePerSecond,
        v.input.eventBytes,
        v.input.retentionDays,
        v.a,
        v.consumers,
      );
      const compressed = `compressed to ${pct(v.a.compressionRatio)}`;
      return [
        line(
          'bus',
          'MSK Serverless cluster-hours',
          `${clusters} cluster(s) (200 MBps in, 400 MBps out, 120 partitions each) × ${v.a.hoursPerMonth} h`,
          clusters * v.a.hoursPerMonth,
          P.mskClusterHour,
        ),
        line(
          'bus',
          'MSK Serverless partition-hours',
          `${partitions} partitions (5 MBps in, 10 MBps out used at most ${pct(v.a.throughputUtilizationTarget)}, 250 GB each) × ${v.a.hoursPerMonth} h`,
          partitions * v.a.hoursPerMonth,
          P.mskPartitionHour,
        ),
        line(
          'bus',
          'MSK Serverless data in',
          `every event produced once, ${compressed}`,
          v.gb(v.wireBytes),
          P.mskDataIn,
        ),
        line(
          'bus',
          'MSK Serverless data out',
          `every event consumed once (landing), ${compressed}`,
          v.gb(v.wireBytes),
          P.mskDataOut,
        ),
        line(
          'bus',
          'MSK Serverless storage',
          `${fmt(v.input.retentionDays)} days of events kept, ${compressed}`,
          v.gb(v.bytesPerDay * v.input.retentionDays * v.a.compressionRatio),
          P.mskStorage,
        ),
        ...kafkaEndpointLines(v, line),
      ];
    },
  },
  {
    id: 'msk-provisioned',
    name: 'Amazon MSK provisioned (m7g.large brokers)',
    dataOptionId: 'msk-provisioned',
    kind: 'managed',
    feed: 'kafka',
    maxEventBytes: null,
    maxEventSource: 'https://docs.aws.amazon.com/msk/latest/developerguide/limits.html',
    busLines: (v, line) => [
      ...kafkaBrokerLines(v, line, {
        brokers: { label: 'MSK broker-hours (kafka.m7g.large)', unit: 'brokers', price: P.mskBroker },
        storage: { label: 'MSK broker storage', price: P.mskBrokerStorage },
      }),
      // MSK does not bill replication between its brokers; clients in other zones are billed.
      kafkaClientCrossAzLine(v, line),
      ...kafkaEndpointLines(v, line),
    ],
  },
  {
    id: 'msk-express',
    name: 'Amazon MSK provisioned, Express brokers (express.m7g.large)',
    dataOptionId: 'msk-express',
    kind: 'managed',
    feed: 'kafka',
    maxEventBytes: null,
    maxEventSource: 'https://docs.aws.amazon.com/msk/latest/developerguide/msk-broker-types-express.html',
    busLines: (v, line) => {
      const brokers = mskExpressBrokers(v.input.ratePerSecond, v.input.eventBytes, v.a);
      return [
        line(
          'bus',
          'MSK Express broker-hours (express.m7g.large)',
          `${brokers} brokers (${fmt(EXPRESS_M7G_LARGE_INGRESS_BYTES / 1e6)} MBps of client ingress each, in threes) × ${v.a.hoursPerMonth} h`,
          brokers * v.a.hoursPerMonth,
          P.mskExpressBroker,
        ),
        line(
          'bus',
          'MSK Express data written',
          `every event produced once, compressed to ${pct(v.a.compressionRatio)}`,
          v.gb(v.wireBytes),
          P.mskExpressDataIn,
        ),
        line(
          'bus',
          'MSK Express storage',
          `${fmt(v.input.retentionDays)} days of events kept, compressed to ${pct(v.a.compressionRatio)}, billed as used (no provisioned volume)`,
          v.gb(v.bytesPerDay * v.input.retentionDays * v.a.compressionRatio),
          P.mskExpressStorage,
        ),
        kafkaClientCrossAzLine(v, line),
        ...kafkaEndpointLines(v, line),
      ];
    },
    notes: () => [
      'Express brokers replicate three times across zones (not billed as transfer), scale and recover faster than Standard brokers, and take no storage sizing; some broker settings are fixed.',
    ],
  },
  {
    id: 'kafka-ec2',
    name: 'Self-hosted Kafka on EC2 (m7g.large, gp3)',
    dataOptionId: 'kafka-self-hosted',
    kind: 'self-hosted',
    feed: 'kafka',
    maxEventBytes: null,
    maxEventSource: 'https://kafka.apache.org/documentation/',
    busLines: (v, line) => {
      const rf = v.a.kafka.replicationFactor;
      return [
        ...kafkaBrokerLines(v, line, {
          brokers: { label: 'EC2 m7g.large brokers', unit: 'instances', price: P.ec2Broker },
          storage: { label: 'EBS gp3 log storage', price: P.ebs },
        }),
        line(
          'bus',
          'EC2 m7g.large KRaft controllers (dedicated)',
          `${v.a.kafka.controllers} instances × ${v.a.hoursPerMonth} h (combined mode is not for production)`,
          v.a.kafka.controllers * v.a.hoursPerMonth,
          P.ec2Broker,
        ),
        line(
          'bus',
          'EBS gp3 for KRaft controllers',
          `${v.a.kafka.controllers} volumes × ${v.a.kafka.controllerDiskGb} GB`,
          v.a.kafka.controllers * v.a.kafka.controllerDiskGb,
          P.ebs,
        ),
        kafkaClientCrossAzLine(v, line),
        line(
          'transfer',
          'Replication across availability zones',
          `${rf - 1} copies of every compressed byte (${pct(v.a.compressionRatio)}), billed out of one AZ and into the other`,
          v.gb(v.wireBytes * (rf - 1) * 2),
          P.interAz,
        ),
        ...kafkaEndpointLines(v, line),
      ];
    },
    notes: (v) =>
      v.a.operations.hoursPerMonth['self-hosted'] === 0
        ? ['People to run it (upgrades, broker replacement, rebalancing, security patches) are not priced.']
        : [],
  },
];

/** Copies of `lines` for `factor` times their quantity, as what `extra` more consumers add. */
function moreConsumers(lines: readonly CostLine[], factor: number, extra: number): CostLine[] {
  return lines.map((l) => ({
    ...l,
    kind: 'fan-out',
    label: `${l.label}, ${extra} more consumer(s)`,
    basis: `${fmt(factor)} × (${l.basis})`,
    quantity: l.quantity * factor,
    usd: l.usd === null ? null : l.usd * factor,
  }));
}

const perSecond = (x: number): string => `${fmt(x)}/s`;

/** EventBridge PutEvents and target-invocation quotas of the Region. */
function eventBridgeWarnings(v: Volume): string[] {
  const out: string[] = [];
  const tps = EVENTBRIDGE_PUTEVENTS_TPS[v.region] ?? EVENTBRIDGE_PUTEVENTS_TPS_OTHER;
  const where =
    EVENTBRIDGE_PUTEVENTS_TPS[v.region] !== undefined
      ? v.region
      : `${v.region} (600 to 1,200/s outside the listed Regions; 600 assumed)`;
  const perRequest = Math.max(
    1,
    Math.min(EVENTBRIDGE_ENTRIES_PER_REQUEST, Math.floor(EVENT_LIMITS.maxEntryBytes / v.input.eventBytes)),
  );
  const requests = v.input.ratePerSecond / perRequest;
  if (requests > tps)
    out.push(
      `PutEvents: ${perSecond(requests)} requests (${perRequest} entries each) exceed the ${perSecond(tps)} quota of ${where}; ask AWS to raise it (adjustable) or spread producers over Regions.`,
    );
  else if (v.input.ratePerSecond > tps)
    out.push(
      `PutEvents: ${perSecond(v.input.ratePerSecond)} events fit the ${perSecond(tps)} request quota of ${where} only when producers batch ${perRequest} entries a request (one entry a request would be throttled).`,
    );
  const targets = EVENTBRIDGE_TARGET_INVOCATIONS_TPS[v.region];
  const invocations = v.input.ratePerSecond * v.consumers;
  if (targets !== undefined && invocations > targets)
    out.push(
      `Target invocations: ${perSecond(invocations)} (${v.consumers} rule target(s) per event) exceed the ${perSecond(targets)} quota of ${v.region}; deliveries above it are delayed, not dropped.`,
    );
  return out;
}

/** Operations, fan-out and quota warnings of each option, by id. */
const OPTION_EXTRAS: Readonly<Record<string, Pick<OptionDefinition, 'opsClass' | 'fanOut' | 'warnings'>>> = {
  eventbridge: {
    opsClass: 'managed',
    // Another rule with an SQS target per consumer; rule delivery itself is not billed apart.
    fanOut: (v, line, extra) => moreConsumers(sqsBufferLines(v, line, 'rule target'), extra, extra),
    warnings: eventBridgeWarnings,
  },
  'eventbridge-firehose': {
    opsClass: 'managed',
    fanOut: (v, line, extra) => moreConsumers(sqsBufferLines(v, line, 'rule target'), extra, extra),
    warnings: eventBridgeWarnings,
  },
  firehose: {
    opsClass: 'managed',
    fanOut: (v, _line, extra) => [
      {
        kind: 'fan-out',
        label: `Fan-out to ${extra} more consumer(s)`,
        basis: 'Firehose delivers to one destination: other consumers need a bus in front of it',
        quantity: extra,
        unit: 'consumers',
        priceId: 'firehose-fan-out',
        unitUsd: null,
        source: null,
        checked: null,
        usd: null,
        unpriced: 'Firehose has no fan-out; a bus for the other consumers is not priced',
      },
    ],
  },
  sqs: {
    opsClass: 'managed',
    // Producers send every event to each consumer's queue.
    fanOut: (v, line, extra) =>
      moreConsumers(
        producerQueueLines(v, line, 'SQS SendMessageBatch (producers, another queue)', P.sqsRequests),
        extra,
        extra,
      ),
  },
  'sqs-fifo': {
    opsClass: 'managed',
    // Producers send every event to each consumer's FIFO queue (or an SNS FIFO topic in front).
    fanOut: (v, line, extra) =>
      moreConsumers(
        producerQueueLines(
          v,
          line,
          'SQS FIFO SendMessageBatch (producers, another queue)',
          P.sqsFifoRequests,
        ),
        extra,
        extra,
      ),
    warnings: (v) => {
      const calls = sqsBatchedRequests(v).calls / (v.a.hoursPerMonth * 3600);
      const ht = FIFO_HIGH_THROUGHPUT_CALLS_PER_SECOND[v.region];
      if (calls <= FIFO_CALLS_PER_SECOND) return [];
      if (ht !== undefined && calls <= ht)
        return [
          `FIFO: ${perSecond(calls)} SendMessageBatch calls exceed ${perSecond(FIFO_CALLS_PER_SECOND)} per API action; the queue needs high-throughput mode (up to ${perSecond(ht)} in ${v.region}), with many message groups.`,
        ];
      return [
        `FIFO: ${perSecond(calls)} SendMessageBatch calls exceed ${ht === undefined ? `${perSecond(FIFO_CALLS_PER_SECOND)} per API action (high-throughput quotas of ${v.region} not in this model)` : `the ${perSecond(ht)} high-throughput quota of ${v.region}`}; split the stream over queues.`,
      ];
    },
  },
  'sns-sqs': {
    opsClass: 'managed',
    fanOut: (v, line, extra) =>
      moreConsumers(
        [
          line('bus', 'SNS deliveries to SQS', `${fmt(v.events)} deliveries`, v.events / 1e6, P.snsToSqs),
          ...sqsBufferLines(v, line, 'SNS subscription'),
        ],
        extra,
        extra,
      ),
  },
  'kinesis-on-demand': {
    opsClass: 'managed',
    fanOut: (v, line, extra) =>
      moreConsumers(
        [
          onceLine(
            v,
            line,
            'Kinesis data out',
            'each record read once (shared throughput)',
            P.kinesisDataOut,
          ),
        ],
        extra,
        extra,
      ),
    warnings: (v) =>
      v.input.ratePerSecond * v.input.eventBytes > KINESIS_ON_DEMAND_INITIAL_WRITE_BYTES
        ? [
            `On-demand: ${fmt((v.input.ratePerSecond * v.input.eventBytes) / MIB)} MiB/s of writes exceed the 4 MB/s a new on-demand stream starts at; it scales to double its previous peak, so ramp up or start in provisioned mode (service-sizes-and-limits.html).`,
          ]
        : [],
  },
  'kinesis-provisioned': {
    opsClass: 'managed',
    // The shards are sized for every consumer's reads (kinesisShards); reads are in the shard-hours.
    warnings: (v) => {
      const shards = kinesisShards(
        v.input.ratePerSecond,
        v.input.eventBytes,
        v.a.throughputUtilizationTarget,
        v.consumers,
      );
      return v.region === 'us-east-1' && shards > KINESIS_ACCOUNT_SHARDS_US_EAST_1
        ? [
            `Shards: ${fmt(shards)} exceed the ${fmt(KINESIS_ACCOUNT_SHARDS_US_EAST_1)} shards per account of us-east-1 (adjustable).`,
          ]
        : [];
    },
  },
  pubsub: {
    opsClass: 'managed',
    fanOut: (v, line, extra) => {
      const [throughput, ...rest] = BASE_OPTIONS.find((o) => o.id === 'pubsub')?.busLines(v, line) ?? [];
      const egress = rest.find((l) => l.kind === 'transfer');
      return [
        // The throughput line is a publish and one delivery: another subscription is half of it.
        ...(throughput
          ? moreConsumers(
              [{ ...throughput, label: 'Pub/Sub throughput (another subscription)' }],
              extra / 2,
              extra,
            )
          : []),
        ...(egress ? moreConsumers([egress], extra, extra) : []),
      ];
    },
  },
  'msk-serverless': {
    opsClass: 'managed',
    fanOut: (v, line, extra) =>
      moreConsumers(
        [
          line(
            'bus',
            'MSK Serverless data out',
            `every event consumed once more, compressed to ${pct(v.a.compressionRatio)}`,
            v.gb(v.wireBytes),
            P.mskDataOut,
          ),
        ],
        extra,
        extra,
      ),
    warnings: (v) => {
      const q = v.a.mskServerless;
      const { clusters, partitions } = mskServerlessSizing(
        v.input.ratePerSecond,
        v.input.eventBytes,
        v.input.retentionDays,
        v.a,
        v.consumers,
      );
      const out: string[] = [];
      if (clusters > 1)
        out.push(
          `Cluster quotas: ${partitions} partitions and ${fmt((v.input.ratePerSecond * v.input.eventBytes * v.a.compressionRatio) / 1e6)} MBps in (× ${v.consumers} out) need ${clusters} clusters (${q.clusterInBytesPerSecond / 1e6} MBps in, ${q.clusterOutBytesPerSecond / 1e6} MBps out, ${q.clusterMaxPartitions} partitions each); one topic cannot span clusters, so the stream must be split.`,
        );
      if (clusters > MSK_SERVERLESS_ACCOUNT_CLUSTERS)
        out.push(
          `Account quota: ${clusters} clusters exceed the ${MSK_SERVERLESS_ACCOUNT_CLUSTERS} MSK Serverless clusters per account.`,
        );
      if (v.consumers > MSK_SERVERLESS_CONSUMER_GROUPS)
        out.push(
          `Consumer groups: ${fmt(v.consumers)} exceed the ${MSK_SERVERLESS_CONSUMER_GROUPS} per cluster.`,
        );
      return out;
    },
  },
  'msk-provisioned': {
    opsClass: 'provisioned-cluster',
    // The consumer half of the client cross-AZ line; broker read load is not sized.
    fanOut: (v, line, extra) => moreConsumers([kafkaClientCrossAzLine(v, line)], extra / 2, extra),
  },
  'msk-express': {
    opsClass: 'provisioned-cluster',
    fanOut: (v, line, extra) => moreConsumers([kafkaClientCrossAzLine(v, line)], extra / 2, extra),
  },
  'kafka-ec2': {
    opsClass: 'self-hosted',
    fanOut: (v, line, extra) => moreConsumers([kafkaClientCrossAzLine(v, line)], extra / 2, extra),
  },
};

const OPTIONS: readonly OptionDefinition[] = BASE_OPTIONS.map((o) => {
  const extras = OPTION_EXTRAS[o.id];
  if (!extras) throw new Error(`cost option ${o.id} has no operations class`);
  return { ...o, ...extras };
});

/**
 * Producer and consumer traffic that crosses zones: with leaders spread over three zones, two thirds of the
 * compressed bytes produced and two thirds of those consumed (one consumer group, no fetch-from-follower)
 * go to or come from another zone, billed out of one AZ and into the other.
 */
export const KAFKA_CLIENT_CROSS_AZ_SHARE = 2 / 3;

function kafkaClientCrossAzLine(v: Volume, line: LineMaker): CostLine {
  return line(
    'transfer',
    'Client traffic across availability zones',
    `${pct(KAFKA_CLIENT_CROSS_AZ_SHARE)} of the compressed bytes produced and consumed, billed out and in`,
    v.gb(v.wireBytes * KAFKA_CLIENT_CROSS_AZ_SHARE * 2 * 2),
    P.interAz,
  );
}

/**
 * A Kafka cluster of brokers sized by {@link kafkaBrokers}: its broker-hours and its log storage, every
 * compressed byte kept once per replica, on volumes provisioned with `diskHeadroom` (billed on size). MSK provisioned and Kafka on EC2 differ only in names and prices.
 */
function kafkaBrokerLines(
  v: Volume,
  line: LineMaker,
  names: {
    readonly brokers: { readonly label: string; readonly unit: string; readonly price: PriceRef };
    readonly storage: { readonly label: string; readonly price: PriceRef };
  },
): CostLine[] {
  const brokers = kafkaBrokers(v.input.ratePerSecond, v.input.eventBytes, v.a);
  const rf = v.a.kafka.replicationFactor;
  return [
    line(
      'bus',
      names.brokers.label,
      `${brokers} ${names.brokers.unit} × ${v.a.hoursPerMonth} h`,
      brokers * v.a.hoursPerMonth,
      names.brokers.price,
    ),
    line(
      'bus',
      names.storage.label,
      `provisioned: ${fmt(v.input.retentionDays)} days × ${rf} replicas, compressed to ${pct(v.a.compressionRatio)}, + ${pct(v.a.diskHeadroom)} headroom`,
      v.gb(v.bytesPerDay * v.input.retentionDays * rf * v.a.compressionRatio * (1 + v.a.diskHeadroom)),
      names.storage.price,
    ),
  ];
}

/** The cost options `elt cost` knows, by id, in display order. */
export const COST_OPTIONS: readonly {
  readonly id: string;
  readonly name: string;
  readonly dataOptionId: string;
  readonly kind: 'managed' | 'self-hosted';
  readonly opsClass: OpsClass;
}[] = OPTIONS.map(({ id, name, dataOptionId, kind, opsClass }) => ({
  id,
  name,
  dataOptionId,
  kind,
  opsClass,
}));

/** Bytes a record takes of the invocation payload for the way the function is fed. */
function recordPayloadBytes(feed: Feed, eventBytes: number, a: CostAssumptions): number {
  return feed === 'kafka'
    ? Math.ceil((eventBytes * 4) / 3) + a.recordOverhead.kafkaBytes
    : Math.ceil(eventBytes * a.recordOverhead.sqsEscapeFactor) + a.recordOverhead.sqsBytes;
}

/**
 * Events per landing invocation: the batch size, the window's worth at this rate (the one window of every
 * landing path, `batchWindowSeconds`, unless another is given), the payload cap.
 */
export function eventsPerInvocation(
  feed: Feed,
  input: CostInput,
  a: CostAssumptions,
  windowSeconds: number = a.batchWindowSeconds,
): number {
  const settings =
    feed === 'kafka'
      ? a.kafkaLanding
      : feed === 'sqs-fifo'
        ? { batchSize: FIFO_LANDING_BATCH_SIZE }
        : a.landing;
  const byPayload = Math.floor(a.invocationPayloadBytes / recordPayloadBytes(feed, input.eventBytes, a));
  // No batching window on a FIFO queue: a poll is taken to find at most a second's worth of messages.
  const window = feed === 'sqs-fifo' ? 1 : windowSeconds;
  const byWindow = Math.max(1, Math.floor(input.ratePerSecond * window));
  return Math.min(settings.batchSize, byWindow, byPayload);
}

/** The lines every option shares after the bus: landing Lambda, S3, Redshift Serverless. */
function pipelineLines(
  def: OptionDefinition,
  v: Volume,
  line: LineMaker,
  windowSeconds: number = v.a.batchWindowSeconds,
): CostLine[] {
  const a = v.a;
  const perInvocation = eventsPerInvocation(def.feed, v.input, a, windowSeconds);
  const invocations = v.events / perInvocation;
  const seconds = lambdaSeconds(
    a,
    a.landingFixedMsPerInvocation,
    perInvocation * v.input.eventBytes,
    a.landing.memoryMb,
  );
  const gbSeconds = invocations * seconds * (a.landing.memoryMb / 1024);
  const objects = invocations * Math.min(perInvocation, a.partitionsPerBatch);
  const compaction = compactionLines(v, line, objects);
  return [
    line(
      'lambda',
      'Lambda requests (landing)',
      `${fmt(invocations)} invocations of ${fmt(perInvocation)} events (${windowSeconds} s window)`,
      invocations / 1e6,
      P.lambdaRequests,
    ),
    line(
      'lambda',
      'Lambda duration (landing, arm64)',
      `${fmt(invocations)} × ${fmt(seconds * 1000)} ms × ${fmt(a.landing.memoryMb / 1024)} GB`,
      gbSeconds,
      P.lambdaDuration,
    ),
    line(
      's3-requests',
      'S3 PUT (landed objects)',
      `${fmt(objects)} objects (${fmt(Math.min(perInvocation, a.partitionsPerBatch))} per batch)`,
      objects / 1000,
      P.s3Put,
    ),
    line('s3-requests', 'S3 GET (COPY into Redshift)', `each object read once`, objects / 1000, P.s3Get),
    ...compaction.lines,
    ...(def.feed === 'kafka' && a.kafkaLanding.provisionedPollers > 0
      ? [
          line(
            'lambda',
            'Lambda provisioned event pollers (Kafka)',
            `${a.kafkaLanding.provisionedPollers} event poller units kept ready × ${a.hoursPerMonth} h`,
            a.kafkaLanding.provisionedPollers * a.hoursPerMonth,
            P.kafkaPollerUnit,
          ),
        ]
      : []),
    ...storageAndWarehouseLines(v, line, compaction.storedObjects),
    ...logsLines(v, line, invocations, 'landing function'),
  ];
}

/**
 * The compact step after every ELT run: every landed object of a closed hour partition read once, written
 * again as objects of up to the target size, one partition (source, detail type, hour) at a time. Returns
 * its lines and the objects that then stay in S3 (the landed ones, without compaction).
 */
function compactionLines(
  v: Volume,
  line: LineMaker,
  landedObjects: number,
): { lines: CostLine[]; storedObjects: number } {
  const a = v.a;
  const c = a.compaction;
  const partitionHours = a.hoursPerMonth * a.partitionsPerBatch;
  // Only partitions with more than one object are merged: fewer objects than partition-hours, nothing to do.
  if (!c.enabled || landedObjects <= partitionHours) return { lines: [], storedObjects: landedObjects };
  const storedBytes = v.bytes * a.compressionRatio;
  const compacted = partitionHours * Math.max(1, Math.ceil(storedBytes / partitionHours / c.targetBytes));
  const { runs, seconds } = compactionRun(v);
  return {
    storedObjects: compacted,
    lines: [
      line(
        's3-requests',
        'S3 GET (compaction reads the landed objects)',
        `${fmt(landedObjects)} objects, each read once`,
        landedObjects / 1000,
        P.s3Get,
      ),
      line(
        's3-requests',
        'S3 PUT (compacted objects)',
        `${fmt(compacted)} objects: one per partition-hour (${fmt(a.partitionsPerBatch)} partitions), up to ${fmt(c.targetBytes / 2 ** 20)} MiB each`,
        compacted / 1000,
        P.s3Put,
      ),
      line('lambda', 'Lambda requests (compaction)', `${fmt(runs)} runs`, runs / 1e6, P.lambdaRequests),
      line(
        'lambda',
        'Lambda duration (compaction, arm64)',
        `${fmt(runs)} × ${fmt(seconds)} s × ${fmt(c.memoryMb / 1024)} GB`,
        runs * seconds * (c.memoryMb / 1024),
        P.lambdaDuration,
      ),
      ...logsLines(v, line, runs, 'compact function'),
    ],
  };
}

/**
 * Raw objects in S3 in the month priced (`historyDays` of history): the first `s3StandardDays` in Standard,
 * the rest in Standard-IA when the landing's objects are over the lifecycle's 128 KiB size filter (else all
 * in Standard); then the ELT runs on Redshift Serverless, their time growing with the bytes a run loads, and
 * the warehouse's tables. `objectsPerMonth` is what the landing writes, for the mean object size.
 */
function storageAndWarehouseLines(v: Volume, line: LineMaker, objectsPerMonth: number): CostLine[] {
  const a = v.a;
  const storedPerDay = v.bytesPerDay * a.compressionRatio;
  const meanObjectBytes = (v.bytes * a.compressionRatio) / Math.max(1, objectsPerMonth);
  const standardDays = Math.min(a.s3StandardDays, a.historyDays);
  const olderDays = a.historyDays - standardDays;
  const transitions = meanObjectBytes > a.infrequentAccessMinObjectBytes;
  const object = `objects of ${fmt(meanObjectBytes / 1024)} KiB on average`;
  const raw: CostLine[] =
    olderDays <= 0
      ? []
      : transitions
        ? [
            line(
              's3-storage',
              'S3 Standard-IA storage (older raw)',
              `${fmt(olderDays)} more days of history, ${object} (over the 128 KiB lifecycle filter)`,
              v.gb(storedPerDay * olderDays),
              P.s3IaStorage,
            ),
          ]
        : [
            line(
              's3-storage',
              'S3 Standard storage (older raw, too small for Standard-IA)',
              `${fmt(olderDays)} more days of history, ${object}: under the 128 KiB lifecycle filter, so they stay in Standard`,
              v.gb(storedPerDay * olderDays),
              P.s3Storage,
            ),
          ];
  const runs = a.elt.runsPerDay * (a.hoursPerMonth / 24);
  const { bytesPerRun, runSeconds } = eltRun(v);
  return [
    line(
      's3-storage',
      'S3 Standard storage (raw)',
      `${standardDays} days of gzip NDJSON at ${pct(a.compressionRatio)} of the event bytes`,
      v.gb(storedPerDay * standardDays),
      P.s3Storage,
    ),
    ...raw,
    line(
      'warehouse',
      'Redshift Serverless compute (ELT runs)',
      `${fmt(runs)} runs × ${a.elt.baseCapacityRpu} RPU × ${fmt(runSeconds / 60)} min (${a.elt.activeMinutesPerRun} min + ${fmt(bytesPerRun / 1e6)} MB at ${fmt(a.elt.bytesPerRpuSecond / 1e6)} MB/s per RPU)`,
      (runs * a.elt.baseCapacityRpu * runSeconds) / 3600,
      P.rpuHour,
    ),
    line(
      'warehouse',
      'Redshift managed storage',
      `${fmt(a.historyDays)} days of events at ${pct(a.elt.storedBytesRatio)} of their bytes`,
      v.gb(v.bytesPerDay * a.historyDays * a.elt.storedBytesRatio),
      P.redshiftStorage,
    ),
  ];
}

/** One scheduled ELT run: the raw bytes it loads and the seconds it keeps the workgroup busy. */
function eltRun(v: Volume): { bytesPerRun: number; runSeconds: number } {
  const e = v.a.elt;
  const bytesPerRun = v.bytesPerDay / e.runsPerDay;
  const loadSeconds = bytesPerRun / (e.bytesPerRpuSecond * e.baseCapacityRpu);
  return {
    bytesPerRun,
    runSeconds: Math.max(e.minimumBilledSeconds, e.activeMinutesPerRun * 60 + loadSeconds),
  };
}

/** The compact step's invocations a month (one per ELT run) and the seconds each takes. */
function compactionRun(v: Volume): { runs: number; seconds: number } {
  const a = v.a;
  const runs = a.elt.runsPerDay * (a.hoursPerMonth / 24);
  return {
    runs,
    seconds: lambdaSeconds(a, a.compaction.fixedMsPerRun, v.bytes / runs, a.compaction.memoryMb),
  };
}

/** The compact function's timeout (lib/infra/constructs/elt-orchestration.ts). */
const COMPACTION_TIMEOUT_SECONDS = 15 * 60;

/**
 * Warnings every option shares: an ELT run longer than the schedule's interval never catches up; a
 * compaction of a run's worth of partitions longer than its function's timeout neither.
 */
function sharedWarnings(v: Volume): string[] {
  const warnings: string[] = [];
  const r = v.a.oltpRelay;
  if (r.enabled) {
    // One relay at a time (reserved concurrency 1), each run stopping 20 s before its timeout (the interval, ≤ 15 min).
    const runSeconds = Math.min(r.scheduleMinutes * 60, 900) - 20;
    const rowsPerRun = v.input.ratePerSecond * r.eventShare * r.scheduleMinutes * 60;
    const needSeconds = (r.fixedMsPerRun + rowsPerRun * r.msPerEvent) / 1000;
    if (needSeconds > runSeconds)
      warnings.push(
        `outbox relay: ${fmt(rowsPerRun)} rows every ${r.scheduleMinutes} min take about ${fmt(needSeconds)} s at ${fmt(r.msPerEvent)} ms a row, over the ${fmt(runSeconds)} s a run may claim: the outbox grows and the lag alarm fires; at this rate run the relay as a long-lived service (elt oltp relay) or capture changes with Debezium instead.`,
      );
  }
  const { runSeconds } = eltRun(v);
  const interval = 86_400 / v.a.elt.runsPerDay;
  if (runSeconds > interval) {
    const rpu = Math.ceil((v.a.elt.baseCapacityRpu * runSeconds) / interval / 8) * 8;
    warnings.push(
      `ELT: a run takes ${fmt(runSeconds / 60)} min at ${v.a.elt.baseCapacityRpu} RPUs, longer than the ${fmt(interval / 60)} min between runs, so the load falls behind; raise warehouse.baseCapacityRpu (about ${rpu} at the assumed load rate) or run more often.`,
    );
  }
  const compaction = compactionRun(v);
  if (v.a.compaction.enabled && compaction.seconds > COMPACTION_TIMEOUT_SECONDS)
    warnings.push(
      `compaction (Lambda landings): a run's worth of partitions takes about ${fmt(compaction.seconds / 60)} min at ${v.a.compaction.memoryMb} MB, over the compact function's ${COMPACTION_TIMEOUT_SECONDS / 60} min: it stops at its deadline and falls behind; at this rate raise its memory, compact fewer hours per run or leave compaction to a bigger worker (e.g. Glue or EMR).`,
    );
  return warnings;
}

/** CloudWatch Logs of `invocations` function runs: ingestion, and storage for the log retention. */
function logsLines(v: Volume, line: LineMaker, invocations: number, what: string): CostLine[] {
  const bytes = invocations * v.a.logs.bytesPerInvocation;
  return [
    line(
      'logs',
      `CloudWatch Logs ingestion (${what})`,
      `${fmt(invocations)} invocations × ${fmt(v.a.logs.bytesPerInvocation)} bytes`,
      v.gb(bytes),
      P.logsIngestion,
    ),
    line(
      'logs',
      `CloudWatch Logs storage (${what})`,
      `${v.a.logs.retentionDays} days kept`,
      v.gb((bytes / (v.a.hoursPerMonth / 24)) * v.a.logs.retentionDays),
      P.logsStorage,
    ),
  ];
}

/**
 * The ingest API producers post to (the same for every option: it publishes to whichever bus is in
 * front): HTTP API requests (metered per 512 KB), the ingest function, two idempotency writes a request.
 */
function ingestLines(v: Volume, line: LineMaker): CostLine[] {
  const g = v.a.ingestApi;
  if (!g.enabled) return [];
  // The outbox's share of the events comes through the relay instead.
  const posted = v.events * (v.a.oltpRelay.enabled ? 1 - v.a.oltpRelay.eventShare : 1);
  const perRequest = Math.max(
    1,
    Math.min(g.eventsPerRequest, Math.floor(DEFAULT_MAX_BODY_BYTES / v.input.eventBytes)),
  );
  const requests = posted / perRequest;
  const metered = Math.ceil((perRequest * v.input.eventBytes) / HTTP_API_METER_BYTES);
  const seconds = lambdaSeconds(v.a, g.fixedMsPerRequest, perRequest * v.input.eventBytes, g.memoryMb);
  const completeUnits = Math.ceil((g.recordBytes + g.recordBytesPerEvent * perRequest) / 1024);
  return [
    line(
      'ingest',
      'API Gateway HTTP API requests',
      `${fmt(requests)} requests of ${fmt(perRequest)} events, metered per 512 KB`,
      (requests * metered) / 1e6,
      P.httpApiRequests,
    ),
    line('ingest', 'Lambda requests (ingest)', `one invocation a request`, requests / 1e6, P.lambdaRequests),
    line(
      'ingest',
      'Lambda duration (ingest, arm64)',
      `${fmt(requests)} × ${fmt(seconds * 1000)} ms × ${fmt(g.memoryMb / 1024)} GB`,
      requests * seconds * (g.memoryMb / 1024),
      P.lambdaDuration,
    ),
    line(
      'ingest',
      'DynamoDB writes (idempotency records)',
      `${fmt(requests)} requests × (1 unit to claim the key + ${completeUnits} to store the response)`,
      (requests * (1 + completeUnits)) / 1e6,
      P.dynamoWrites,
    ),
    ...logsLines(v, line, requests, 'ingest function'),
  ];
}

/**
 * The outbox relay of the marketplace database, when deployed (the same for every option: it publishes to
 * the app's bus): the scheduled function, its two interface endpoints per zone, and the events it sends
 * through the EventBridge endpoint. Its events are among the bus lines' events already.
 */
function oltpRelayLines(v: Volume, line: LineMaker): CostLine[] {
  const r = v.a.oltpRelay;
  if (!r.enabled) return [];
  const runs = (v.a.hoursPerMonth * 60) / r.scheduleMinutes;
  const rows = v.events * r.eventShare;
  const seconds = (runs * r.fixedMsPerRun + rows * r.msPerEvent) / 1000;
  return [
    line(
      'ingest',
      'VPC interface endpoints (Secrets Manager, EventBridge) for the outbox relay',
      `${r.endpointServices} endpoints × ${r.zones} AZs × ${v.a.hoursPerMonth} h (isolated subnets, no NAT)`,
      r.endpointServices * r.zones * v.a.hoursPerMonth,
      P.endpointHour,
    ),
    line(
      'ingest',
      'VPC endpoint data processed (outbox relay)',
      `${pct(r.eventShare)} of the events, each once through the EventBridge endpoint`,
      v.gb(rows * v.input.eventBytes),
      P.endpointData,
    ),
    line(
      'ingest',
      'Lambda requests (outbox relay)',
      `a run every ${r.scheduleMinutes} min`,
      runs / 1e6,
      P.lambdaRequests,
    ),
    line(
      'ingest',
      'Lambda duration (outbox relay, arm64)',
      `${fmt(runs)} runs × ${fmt(r.fixedMsPerRun)} ms + ${fmt(rows)} rows × ${fmt(r.msPerEvent)} ms, × ${fmt(r.memoryMb / 1024)} GB`,
      seconds * (r.memoryMb / 1024),
      P.lambdaDuration,
    ),
    ...logsLines(v, line, runs, 'outbox relay'),
  ];
}

/**
 * The live-windows Flink job on Managed Service for Apache Flink, when deployed (`--stream`): its KPUs, the
 * orchestration KPU and running storage every option pays, its logs, and where the option lets the deployed app
 * feed it, the feed. On EventBridge (the app's default bus) a rule puts every event on a provisioned Kinesis stream
 * the job reads and the job's results return through a second stream and a pipe to the bus, as
 * lib/infra/constructs/managed-flink-kinesis-feed.ts builds them; rule deliveries to a target carry no EventBridge
 * charge (only published events are billed), so the extra target costs its stream's PUTs.
 */
function streamJobLines(def: OptionDefinition, v: Volume, line: LineMaker): CostLine[] {
  const j = v.a.streamJob;
  if (!j.enabled) return [];
  const kpus = Math.ceil(j.parallelism / j.parallelismPerKpu);
  const hours = v.a.hoursPerMonth;
  const results = j.resultsPerMinute * 60 * hours;
  const logBytes = j.logBytesPerHour * hours;
  const lines = [
    line(
      'stream',
      'Managed Service for Apache Flink KPU-hours (stream job)',
      `${kpus} KPU(s) (parallelism ${j.parallelism} / ${j.parallelismPerKpu} per KPU, autoscaling off) × ${hours} h`,
      kpus * hours,
      P.msfKpuHour,
    ),
    line(
      'stream',
      'Managed Service for Apache Flink orchestration KPU (stream job)',
      `${j.orchestrationKpus} KPU per streaming application × ${hours} h`,
      j.orchestrationKpus * hours,
      P.msfKpuHour,
    ),
    line(
      'stream',
      'Managed Service for Apache Flink running application storage (stream job)',
      `${j.storageGbPerKpu} GB per KPU × ${kpus} KPU(s), all month`,
      j.storageGbPerKpu * kpus,
      P.msfStorage,
    ),
    line(
      'stream',
      'CloudWatch Logs ingestion (stream job)',
      `${fmt(j.logBytesPerHour / 1024)} KiB an hour at INFO × ${hours} h`,
      v.gb(logBytes),
      P.logsIngestion,
    ),
    line(
      'stream',
      'CloudWatch Logs storage (stream job)',
      `${v.a.logs.retentionDays} days kept`,
      v.gb((logBytes / (hours / 24)) * v.a.logs.retentionDays),
      P.logsStorage,
    ),
  ];
  if (def.id !== 'eventbridge' && def.id !== 'eventbridge-firehose') return lines;
  const units = Math.ceil(v.input.eventBytes / KINESIS_PUT_UNIT_BYTES);
  const resultUnits = Math.ceil(j.resultBytes / KINESIS_PUT_UNIT_BYTES);
  return [
    ...lines,
    line(
      'stream',
      'Kinesis shard-hours (stream job: events in, results out)',
      `2 provisioned streams × ${j.kinesisShards} shard(s) × ${hours} h`,
      2 * j.kinesisShards * hours,
      P.kinesisShardHour,
    ),
    line(
      'stream',
      'Kinesis PUT payload units (stream job: the rule to the events stream, results)',
      `${fmt(v.events)} events × ${units} + ${fmt(results)} results × ${resultUnits} unit(s) of 25 KB`,
      (v.events * units + results * resultUnits) / 1e6,
      P.kinesisPutUnits,
    ),
    line(
      'stream',
      'EventBridge Pipes requests (stream job results back to the bus)',
      `${fmt(results)} results (${j.resultsPerMinute} a minute), each under 64 KB`,
      results / 1e6,
      P.pipesRequests,
    ),
    line(
      'stream',
      'EventBridge custom events (stream job results on the bus)',
      `${fmt(results)} results put on the bus by the pipe`,
      results / 1e6,
      P.eventbridgeEvents,
    ),
  ];
}

/** What the stream job means on an option, beyond its lines. */
function streamJobNotes(def: OptionDefinition, v: Volume): string[] {
  const j = v.a.streamJob;
  if (!j.enabled) return [];
  if (def.id === 'eventbridge' || def.id === 'eventbridge-firehose') return [];
  if (def.feed === 'kafka')
    return [
      'Stream job: reads the topic as one more consumer group and writes a few results a minute to a topic of its own; count its reads with --consumers (one more) where the bus bills them.',
    ];
  if (def.id.startsWith('kinesis'))
    return [
      'Stream job: the deployed app builds it on Kafka (MSK) or EventBridge only; on Kinesis it would read the stream directly as one more consumer (--consumers).',
    ];
  return [
    `Stream job: the deployed app builds its feed on Kafka (MSK) or EventBridge only; on ${def.id} only its KPUs, storage and logs are counted.`,
  ];
}

/** HTTP APIs meter requests in 512 KB increments (API Gateway pricing page). */
const HTTP_API_METER_BYTES = 512 * 1024;

/**
 * The interface endpoints a Kafka event source mapping in isolated subnets needs (Lambda, STS; one per
 * zone), and the invocation payloads that go through the Lambda endpoint (base64 values).
 */
function kafkaEndpointLines(v: Volume, line: LineMaker): CostLine[] {
  const e = v.a.kafkaEndpoints;
  return [
    line(
      'transfer',
      'VPC interface endpoints (Lambda, STS) for the event source mapping',
      `${e.services} endpoints × ${e.zones} AZs × ${v.a.hoursPerMonth} h (isolated subnets, no NAT)`,
      e.services * e.zones * v.a.hoursPerMonth,
      P.endpointHour,
    ),
    line(
      'transfer',
      'VPC endpoint data processed',
      'every event once in an invocation payload (base64), taken to pass the Lambda endpoint (an upper bound)',
      v.gb((v.bytes * 4) / 3),
      P.endpointData,
    ),
  ];
}

function lineMaker(prices: ReadonlyMap<string, PriceEntry>): LineMaker {
  return (kind, label, basis, quantity, ref) => {
    const price = prices.get(ref.id);
    const base = { kind, label, basis, quantity, unit: ref.per, priceId: ref.id };
    if (!price) {
      return {
        ...base,
        unitUsd: null,
        source: null,
        checked: null,
        usd: null,
        unpriced: `${ref.id} is not in the data files`,
      };
    }
    const known = {
      ...base,
      source: price.source,
      checked: price.checked,
      ...(price.figureFrom ? { figureFrom: price.figureFrom } : {}),
    };
    if (price.per !== ref.per) {
      return {
        ...known,
        unitUsd: null,
        usd: null,
        unpriced: `${ref.id} is priced per "${price.per}"; the model counts per "${ref.per}"`,
      };
    }
    if (price.usd === null)
      return { ...known, unitUsd: null, usd: null, unpriced: `${ref.id} is not confirmed` };
    return { ...known, unitUsd: price.usd, usd: quantity * price.usd };
  };
}

/** Checks an input; throws {@link CostInputError} naming the field. */
export function checkCostInput(input: CostInput): void {
  const { ratePerSecond, eventBytes, retentionDays } = input;
  if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0)
    throw new CostInputError(`rate must be a number of events per second above 0, got ${ratePerSecond}`);
  if (!Number.isInteger(eventBytes) || eventBytes < 1)
    throw new CostInputError(`size must be a whole number of bytes, at least 1, got ${eventBytes}`);
  if (!Number.isFinite(retentionDays) || retentionDays < 0 || retentionDays > 3650)
    throw new CostInputError(`retention must be from 0 to 3,650 days, got ${retentionDays}`);
}

/**
 * The monthly cost of carrying `input` through each option, line by line, from the data files' prices.
 * A price that is null (or missing) never becomes a number: its line and the option's total are null and
 * the id is listed in `missingPriceIds`. `optionIds` picks options (default: all, in display order).
 */
export function computeCosts(
  input: CostInput,
  data: PriceData,
  options: {
    readonly optionIds?: readonly string[];
    readonly assumptions?: CostAssumptions;
    /** Consumers reading every event, the landing included. @default 1 */
    readonly consumers?: number;
    /** The Region whose quotas the warnings use. @default the data files' region */
    readonly region?: string;
  } = {},
): CostReport {
  checkCostInput(input);
  const consumers = options.consumers ?? 1;
  if (!Number.isInteger(consumers) || consumers < 1 || consumers > 10_000)
    throw new CostInputError(`consumers must be a whole number from 1 to 10,000, got ${consumers}`);
  const region = options.region ?? data.comparison.region;
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    throw new CostInputError(`region must be an AWS Region code such as us-east-1, got "${region}"`);
  const a = options.assumptions ?? DEFAULT_ASSUMPTIONS;
  for (const [k, h] of Object.entries(a.operations.hoursPerMonth))
    if (!Number.isFinite(h) || h < 0 || h > 744)
      throw new CostInputError(`operator hours (${k}) must be from 0 to 744 a month, got ${h}`);
  if (!Number.isFinite(a.operations.rateUsdPerHour) || a.operations.rateUsdPerHour < 0)
    throw new CostInputError(
      `operator rate must be USD an hour, 0 or more, got ${a.operations.rateUsdPerHour}`,
    );
  const prices = priceBook(data);
  const line = lineMaker(prices);
  const known = new Set(OPTIONS.map((o) => o.id));
  const unknown = (options.optionIds ?? []).filter((id) => !known.has(id));
  if (unknown.length > 0)
    throw new CostInputError(`unknown option ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  const picked = options.optionIds ? OPTIONS.filter((o) => options.optionIds?.includes(o.id)) : OPTIONS;
  const seconds = a.hoursPerMonth * 3600;
  const volume: Volume = {
    a,
    input,
    events: input.ratePerSecond * seconds,
    bytes: input.ratePerSecond * seconds * input.eventBytes,
    bytesPerDay: input.ratePerSecond * 86_400 * input.eventBytes,
    wireBytes: input.ratePerSecond * seconds * input.eventBytes * a.compressionRatio,
    gb: (bytes) => bytes / a.bytesPerGb,
    chunks: Math.ceil(input.eventBytes / a.chunkBytes),
    minPubsubRequestBytes: prices.get(P.pubsubMinRequest.id)?.usd ?? null,
    consumers,
    region,
  };
  const costed = picked.map((def) => costOption(def, volume, line));
  return {
    input,
    assumptions: a,
    region: data.comparison.region,
    currency: data.comparison.currency,
    eventsPerMonth: volume.events,
    consumers,
    quotaRegion: region,
    options: costed,
    warnings: [
      ...sharedWarnings(volume).map((w) => `all options: ${w}`),
      ...costed.flatMap((o) => o.warnings.map((w) => `${o.id}: ${w}`)),
    ],
  };
}

function costOption(def: OptionDefinition, v: Volume, line: LineMaker): OptionCost {
  const head = {
    id: def.id,
    name: def.name,
    dataOptionId: def.dataOptionId,
    kind: def.kind,
    opsClass: def.opsClass,
    maxEventBytes: def.maxEventBytes,
    maxEventSource: def.maxEventSource,
  } as const;
  const fits = def.landing !== undefined || eventsPerInvocation(def.feed, v.input, v.a) >= 1;
  const overLimit = def.maxEventBytes !== null && v.input.eventBytes > def.maxEventBytes;
  if (overLimit || !fits) {
    // The bus's own limit first: it is the one that says which option the event could go through.
    const limit = overLimit
      ? `its largest event is ${fmt(def.maxEventBytes ?? 0)} bytes (${def.maxEventSource})`
      : `a landing batch is capped at Lambda's ${fmt(v.a.invocationPayloadBytes)}-byte invocation payload`;
    return {
      ...head,
      status: 'cannot-carry',
      lines: [],
      totalUsd: null,
      pricedUsd: 0,
      missingPriceIds: [],
      thirdPartyPriceIds: [],
      cannotCarry: `cannot carry a ${fmt(v.input.eventBytes)}-byte event: ${limit}`,
      notes: [],
      landingByWindow: [],
      warnings: [],
    };
  }
  const landingLines = (windowSeconds: number): CostLine[] =>
    def.landing ? def.landing(v, line) : pipelineLines(def, v, line, windowSeconds);
  const extra = v.consumers - 1;
  const ops = operationsLine(def, v.a);
  const lines = [
    ...def.busLines(v, line),
    ...(extra > 0 && def.fanOut ? def.fanOut(v, line, extra) : []),
    ...ingestLines(v, line),
    ...oltpRelayLines(v, line),
    ...streamJobLines(def, v, line),
    ...landingLines(v.a.batchWindowSeconds),
    ...(ops ? [ops] : []),
  ];
  const missing = [...new Set(lines.filter((l) => l.usd === null).map((l) => l.priceId))];
  const thirdParty = [...new Set(lines.filter((l) => l.figureFrom === 'third-party').map((l) => l.priceId))];
  const pricedUsd = lines.reduce((sum, l) => sum + (l.usd ?? 0), 0);
  const notes = [
    ...(def.maxEventBytes === null
      ? [
          `Largest event not confirmed in data/bus-comparison.json (${def.dataOptionId} maxPayload); the landing batch cap of ${fmt(v.a.invocationPayloadBytes)} bytes still applies.`,
        ]
      : []),
    ...(def.notes?.(v) ?? []),
    ...streamJobNotes(def, v),
    ...(thirdParty.length > 0
      ? [
          `Rests on third-party figures for ${thirdParty.join(', ')} (the primary page's table was not readable; data files say where each was read).`,
        ]
      : []),
  ];
  const landingAt = (windowSeconds: number): { windowSeconds: number; usd: number | null } => {
    const landing = landingLines(windowSeconds).filter((l) => LANDING_KINDS.includes(l.kind));
    return {
      windowSeconds,
      usd: landing.some((l) => l.usd === null) ? null : landing.reduce((sum, l) => sum + (l.usd ?? 0), 0),
    };
  };
  return {
    ...head,
    landingByWindow: [landingAt(v.a.batchWindowSeconds), landingAt(v.a.longestBatchWindowSeconds)],
    status: missing.length > 0 ? 'unpriced' : 'priced',
    lines,
    totalUsd: missing.length > 0 ? null : pricedUsd,
    pricedUsd,
    missingPriceIds: missing,
    thirdPartyPriceIds: thirdParty,
    notes,
    warnings: def.warnings?.(v) ?? [],
  };
}

/** Operator time of the option's class at the assumed rate; none when its hours are 0. */
function operationsLine(def: OptionDefinition, a: CostAssumptions): CostLine | null {
  const hours = a.operations.hoursPerMonth[def.opsClass];
  if (hours === 0) return null;
  const rate = a.operations.rateUsdPerHour;
  return {
    kind: 'operations',
    label: 'Operations (operator time)',
    basis: `${fmt(hours)} h a month (${def.opsClass}) × ${fmt(rate)} USD an hour`,
    quantity: hours,
    unit: 'operator-hour',
    priceId: 'operator-hour',
    unitUsd: rate,
    source: OPERATOR_RATE_SOURCE,
    checked: '2026-12-03',
    usd: hours * rate,
  };
}
