import { literalDefault } from '../deploy-config/setting.js';
import { DEFAULT_COMPACTION_TARGET_BYTES } from '../elt/compaction.js';
import {
  ELT_SETTINGS,
  KAFKA_SETTINGS,
  LANDING_SETTINGS,
  LOGS_SETTINGS,
  OLTP_SETTINGS,
  RAW_BUCKET_SETTINGS,
  STREAM_SETTINGS,
  WAREHOUSE_SETTINGS,
} from '../deploy-config/settings.js';
import { EVENT_SOURCE_LIMITS } from '../landing/event-source-limits.js';
import { EltError } from '../util/errors.js';

/**
 * What the cost model assumes beyond the data files: the deployed pipeline's settings (the defaults
 * declared in lib/core/deploy-config/settings.ts, read from there), the billing units, and figures derived from the project's own
 * benchmarks. Every field is printed by `elt cost` and in docs/comparison.md, so a reader can redo the sum.
 */
export interface CostAssumptions {
  /** Hours in a billing month: 730 h = 365 × 24 / 12 (a 30.4-day month). */
  readonly hoursPerMonth: number;
  /** "64 KB" chunks (EventBridge events, SQS and SNS requests) taken as 64 KiB. */
  readonly chunkBytes: number;
  /** Bytes in a GB for every per-GB price (AWS bills GB as 2^30 bytes). */
  readonly bytesPerGb: number;
  /** Bytes in a TiB (Pub/Sub throughput). */
  readonly bytesPerTib: number;
  /** The landing function behind SQS (and, in this model, Kinesis and Pub/Sub). */
  readonly landing: {
    /** The default of the deploy setting `landing.memoryMb`. */
    readonly memoryMb: number;
    /** The default of the deploy setting `landing.batchSize`. */
    readonly batchSize: number;
  };
  /** The Kafka landing function's event source mapping (MSK and self-hosted Kafka). */
  readonly kafkaLanding: {
    /** The default of the deploy setting `kafka.batchSize`. */
    readonly batchSize: number;
    /**
     * Event pollers kept ready in provisioned mode (`kafka.provisionedPollers.minimum`); 0: on-demand mode,
     * the deploy default, which bills no pollers.
     */
    readonly provisionedPollers: number;
  };
  /**
   * One batching window for every path that lands through Lambda (SQS, Kinesis, Pub/Sub, Kafka):
   * {@link LANDING_BATCH_WINDOW_SECONDS}. Every landing invocation and object count uses it.
   */
  readonly batchWindowSeconds: number;
  /** The longest window an event source mapping allows ({@link LONGEST_BATCH_WINDOW_SECONDS}); landing is also priced at it. */
  readonly longestBatchWindowSeconds: number;
  /**
   * Compressed size over raw event bytes wherever the path compresses ({@link COMPRESSION_RATIO}): the
   * landed gzip NDJSON objects, and Kafka's bytes on the wire and on disk (producer compression). EventBridge,
   * SQS, SNS, Kinesis and Pub/Sub bill the bytes as sent (no compression there). 1 = compression nowhere.
   */
  readonly compressionRatio: number;
  /** SNS PublishBatch: messages per call and bytes per call ({@link SNS_PUBLISH_BATCH_MESSAGES}). */
  readonly snsPublishBatch: { readonly messages: number; readonly maxBytes: number };
  /** Provisioned disk over the bytes retained, minus one ({@link GP3_DISK_HEADROOM}). */
  readonly diskHeadroom: number;
  /**
   * Share of a throttled unit's quota (Kinesis shard, MSK Serverless partition) the steady rate may use
   * ({@link THROUGHPUT_UTILIZATION_TARGET}).
   */
  readonly throughputUtilizationTarget: number;
  /** Amazon Data Firehose delivery to S3 ({@link FIREHOSE_DELIVERY}). */
  readonly firehose: {
    /** S3 buffering hint: an object is written when a partition's buffer holds this many bytes... */
    readonly bufferBytes: number;
    /** ...or when this many seconds have passed (dynamic partitioning may deliver up to 1.5× later). */
    readonly bufferSeconds: number;
    /** Distinct S3 prefixes (partitions) written per buffer interval. */
    readonly partitionsPerInterval: number;
    /** Transform Lambda processing buffer: bytes per invocation... */
    readonly transformBufferBytes: number;
    /** ...or seconds, whichever comes first. */
    readonly transformBufferSeconds: number;
    /** Whether partition keys are also parsed inline with JQ (billed per JQ processing hour). */
    readonly jq: boolean;
  };
  /** MSK Serverless quotas ({@link MSK_SERVERLESS_QUOTAS}). */
  readonly mskServerless: typeof MSK_SERVERLESS_QUOTAS;
  /** Lambda's synchronous invocation payload, which caps an event source batch (6 MB). */
  readonly invocationPayloadBytes: number;
  /**
   * A record's share of the invocation payload: SQS bodies grow ~10% by JSON escaping plus ~600 bytes of
   * record fields (lib/local/sqs-event-source.ts); Kafka values are base64 (4/3) plus ~200 bytes.
   */
  readonly recordOverhead: {
    readonly sqsEscapeFactor: number;
    readonly sqsBytes: number;
    readonly kafkaBytes: number;
  };
  /** Handler time per invocation besides the per-byte work: S3 PUTs, INIT amortised. Assumed, not measured. */
  readonly landingFixedMsPerInvocation: number;
  /**
   * Landing work per byte on one full core: the embedded benchmark's single-thread ceiling (parse, validate,
   * stringify, gzip) of 116,858 events/s at the 366-byte mean envelope of the Kafka benchmark's workload
   * (docs/benchmarks, 2026-11-25).
   */
  readonly landingBytesPerCoreSecond: number;
  /** Lambda memory that buys one full vCPU (1,769 MB, AWS Lambda docs). */
  readonly lambdaMbPerVcpu: number;
  /**
   * Objects per landing batch: one per partition (source, detail type, hour) in the batch; assumed one per
   * detail type of the demo catalogue (10).
   */
  readonly partitionsPerBatch: number;
  /** Days raw objects stay in S3 Standard: the deploy setting `rawBucket.infrequentAccessAfterDays` default. */
  readonly s3StandardDays: number;
  /**
   * Days of history the month priced holds ({@link HISTORY_DAYS}): raw objects (the bucket keeps them; no
   * expiry) and warehouse tables. The month priced is the one after a year of events.
   */
  readonly historyDays: number;
  /**
   * Raw objects move to Standard-IA after `s3StandardDays` only when larger than this (128 KiB: the raw
   * bucket's lifecycle size filter, lib/infra/constructs/raw-bucket.ts); smaller ones stay in Standard.
   */
  readonly infrequentAccessMinObjectBytes: number;
  /**
   * Compaction of closed hour partitions, the ELT's compact step after every run ({@link COMPACTION});
   * `enabled: false` leaves it out (the landing's objects are then what stays in S3).
   */
  readonly compaction: {
    readonly enabled: boolean;
    /** Most compressed bytes of one compacted object (lib/core/elt/compaction.ts). */
    readonly targetBytes: number;
    /** The compact function's memory (lib/infra/constructs/elt-orchestration.ts). */
    readonly memoryMb: number;
    /** Its time per invocation besides the bytes (listing, ledger statements). Assumed. */
    readonly fixedMsPerRun: number;
  };
  /** The HTTP ingest API in front of the bus ({@link INGEST_API}); `enabled: false` leaves it out. */
  readonly ingestApi: {
    readonly enabled: boolean;
    /** Events a producer sends per POST /v1/events (at most 500). */
    readonly eventsPerRequest: number;
    /** The ingest function's memory (lib/infra/constructs/ingest-api.ts). */
    readonly memoryMb: number;
    /** Handler time per request besides the per-byte work: the bus call and two table writes. Assumed. */
    readonly fixedMsPerRequest: number;
    /** Bytes of a stored idempotency record besides its event ids, and per event id kept in it. */
    readonly recordBytes: number;
    readonly recordBytesPerEvent: number;
  };
  /**
   * The outbox relay of the marketplace database ({@link OLTP_RELAY}; the optional `oltp` deploy section,
   * lib/infra/constructs/oltp-relay.ts); `enabled: false` (the default) leaves it out.
   */
  readonly oltpRelay: {
    readonly enabled: boolean;
    /** Share of the events that come from the outbox, 0 to 1 (the rest from the ingest API or SDKs). */
    readonly eventShare: number;
    /** The deploy setting `oltp.scheduleMinutes` default: a scheduled run every so many minutes. */
    readonly scheduleMinutes: number;
    /** The relay function's memory (lib/infra/constructs/oltp-relay.ts). */
    readonly memoryMb: number;
    /** Time per run besides the rows: connect, an empty claim. Assumed. */
    readonly fixedMsPerRun: number;
    /** Time per relayed row: claim, PutEvents in tens, mark sent. Assumed. */
    readonly msPerEvent: number;
    /** Interface endpoints it needs in the isolated subnets (Secrets Manager, EventBridge), one per zone. */
    readonly endpointServices: number;
    readonly zones: number;
  };
  /**
   * The live-windows Flink job on Managed Service for Apache Flink ({@link STREAM_JOB}; the `stream` deploy
   * section, lib/infra/constructs/managed-flink.ts); `enabled: false` (the default) leaves it out.
   */
  readonly streamJob: {
    readonly enabled: boolean;
    /** `stream.parallelism` and `stream.parallelismPerKpu`: KPUs = ceil(parallelism / per KPU). */
    readonly parallelism: number;
    readonly parallelismPerKpu: number;
    /** KPUs MSF adds to every streaming application for orchestration. */
    readonly orchestrationKpus: number;
    /** Running application storage MSF allocates per KPU, billed per GB-month. */
    readonly storageGbPerKpu: number;
    /** Bytes of INFO logs the application writes an hour (checkpoints, Kafka/Kinesis clients). Assumed. */
    readonly logBytesPerHour: number;
    /** Results a minute: one per window kind (minute, hour, day), each closed every minute. */
    readonly resultsPerMinute: number;
    /** Bytes of one result envelope. Assumed from the catalogue's examples. */
    readonly resultBytes: number;
    /** `stream.kinesisShards`: shards of each of the EventBridge variant's two streams. */
    readonly kinesisShards: number;
  };
  /** CloudWatch Logs of the functions ({@link FUNCTION_LOGS}). */
  readonly logs: {
    /** Log and EMF metric bytes each function invocation writes (Lambda's own lines included). Assumed. */
    readonly bytesPerInvocation: number;
    /** The deploy setting `logs.retentionDays` default. */
    readonly retentionDays: number;
  };
  /**
   * Interface VPC endpoints the Kafka event source mapping needs in isolated subnets (Lambda and STS; the
   * project's KafkaCluster construct creates them, no NAT gateway), one per availability zone.
   */
  readonly kafkaEndpoints: { readonly services: number; readonly zones: number };
  /** The scheduled ELT on Redshift Serverless. */
  readonly elt: {
    /** Runs a day of the default `elt.schedule`. */
    readonly runsPerDay: number;
    /** Minutes each run keeps the workgroup busy whatever its volume (start, models, tests). Assumed. */
    readonly activeMinutesPerRun: number;
    /**
     * Raw JSON bytes a second one RPU loads and transforms ({@link ELT_BYTES_PER_RPU_SECOND}): run time grows
     * by the run's bytes over this × the RPUs. Assumed, not measured on Redshift.
     */
    readonly bytesPerRpuSecond: number;
    /** Warehouse bytes kept per raw event byte (Redshift managed storage, columnar and compressed). Assumed. */
    readonly storedBytesRatio: number;
    /**
     * Redshift Serverless bills RPU-hours per second with a 60-second minimum (confirmed 2026-12-03 on
     * https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-express-capacity-billing.html, which
     * says its pricing "is the same as Amazon Redshift Serverless").
     */
    readonly minimumBilledSeconds: number;
    /** The default of the deploy setting `warehouse.baseCapacityRpu`. */
    readonly baseCapacityRpu: number;
  };
  /** Kafka clusters (MSK and self-hosted). */
  readonly kafka: {
    /** Partitions of the topic: the project's default when it creates one (`--create-topic`, demo). */
    readonly partitions: number;
    /** Replication factor of a production topic. */
    readonly replicationFactor: number;
    /** Brokers at least (one per availability zone). */
    readonly minBrokers: number;
    /**
     * Replica bytes one m7g.large broker (Standard MSK or EC2) is sized to write per second, in decimal
     * MB (10^6 bytes): every byte a producer sends is written `replicationFactor` times, so a broker
     * counts its share of client bytes × replicationFactor against this figure. Assumed, from AWS's
     * published Express figure: an express.m7g.large broker is recommended for at most 15.6 MBps of
     * client ingress at its fixed replication factor 3 (46.8 MB/s of replica writes), and Express
     * brokers give "up to 3x more throughput per broker" than Standard ones; a third of that is
     * 15.6 MB/s of replica writes, 5.2 MB/s of client ingress at RF 3 (bestpractices-express.html and
     * msk-broker-types-express.html, read 2026-12-03). It replaces 35.3 MiB/s, Kafka's
     * ProducerPerformance on the project's benchmark machine (one broker, replication factor 1, two
     * shared cores; docs/benchmarks/kafka.json), which measured a laptop-sized test, not RF-3 production.
     */
    readonly brokerReplicaBytesPerSecond: number;
    /**
     * Dedicated KRaft controllers of the self-hosted cluster: Apache Kafka's KRaft docs say combined
     * broker+controller mode "is not recommended in critical deployment environments" and that an admin
     * "will typically select 3 or 5 servers" as controllers. Each is an m7g.large (Confluent: at least
     * 4 GB RAM) with a gp3 volume of `controllerDiskGb` (Confluent: "an SSD disk at least 64 GB").
     */
    readonly controllers: number;
    readonly controllerDiskGb: number;
  };
  /** SQS messages per SendMessageBatch / ReceiveMessage / DeleteMessageBatch call (the API maximum). */
  readonly sqsMessagesPerCall: number;
  /** Bytes per SQS batch call (1 MiB since 2026-01-29; docs/aws-limits.md). */
  readonly sqsMaxCallBytes: number;
  /** Pub/Sub messages per publish or pull request (client-side batching). */
  readonly pubsubMessagesPerRequest: number;
  /**
   * Operator time a month per option class and what an hour costs ({@link OPERATOR_HOURS_PER_MONTH},
   * {@link OPERATOR_RATE_USD_PER_HOUR}); every option gets an "operations" line unless its hours are 0.
   */
  readonly operations: {
    readonly hoursPerMonth: Readonly<Record<OpsClass, number>>;
    readonly rateUsdPerHour: number;
  };
}

/**
 * How much running an option takes of an operator: `self-hosted` (Kafka on EC2: brokers, controllers,
 * disks, OS), `provisioned-cluster` (MSK provisioned: broker sizing, storage, version upgrades the
 * service performs on request), `managed` (serverless or fully managed buses: quotas, alarms, IAM).
 */
export type OpsClass = 'self-hosted' | 'provisioned-cluster' | 'managed';

/**
 * Operator hours a month by option class. An assumption, not a measurement: self-hosted Kafka 20 h
 * (about an hour every working day: OS and Kafka patching and rolling restarts, broker replacement,
 * partition reassignment, disk growth, controller quorum, monitoring, on-call follow-up), MSK provisioned
 * 8 h (about two hours a week: broker sizing and storage scaling, version upgrades AWS runs on request,
 * configuration, monitoring), managed or serverless buses 2 h (quotas, alarms, IAM, dead-letter review).
 * `elt cost --ops-hours <h>` replaces all three with one figure; `--ops-hours 0` leaves operations out.
 */
export const OPERATOR_HOURS_PER_MONTH: Readonly<Record<OpsClass, number>> = {
  'self-hosted': 20,
  'provisioned-cluster': 8,
  managed: 2,
};

/**
 * What an operator hour costs the employer, USD: an explicit assumption, derived from the newest BLS
 * figures readable in the stored pages on 2026-12-03 (the current OEWS release was not readable): software
 * developers' annual mean wage of $132,930 in May 2022 (https://www.bls.gov/oes/, OEWS) over 2,080 paid
 * hours is $63.91 an hour; wages and salaries were 68.3% of employer compensation costs in September 2018
 * (https://www.bls.gov/news.release/archives/ecec_12142018.htm, ECEC), so $63.91 / 0.683 = $93.57, rounded
 * to 94. Benefits only: no office, tooling or management overhead, so it is a low end. `--ops-rate` sets it.
 */
export const OPERATOR_RATE_USD_PER_HOUR = 94;
export const OPERATOR_RATE_SOURCE =
  'assumption: BLS OEWS May 2022 software developers mean wage (https://www.bls.gov/oes/) / 2,080 h / 0.683 wage share of compensation (BLS ECEC, https://www.bls.gov/news.release/archives/ecec_12142018.htm)';

/**
 * EventBridge PutEvents requests per second, per account and Region (classic bus; adjustable; a request
 * carries up to 10 entries): data/bus-comparison.json eventbridge-custom-bus throughputQuotas, from
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html (read 2026-12-03). Regions not
 * listed have 600 to 1,200 requests/s; the warning uses 600 there.
 */
export const EVENTBRIDGE_PUTEVENTS_TPS: Readonly<Record<string, number>> = {
  'us-east-1': 10_000,
  'us-west-2': 10_000,
  'eu-west-1': 10_000,
  'us-east-2': 2_400,
  'eu-central-1': 2_400,
};
export const EVENTBRIDGE_PUTEVENTS_TPS_OTHER = 600;
/** EventBridge target invocations per second (same page): delayed, not dropped, above it. */
export const EVENTBRIDGE_TARGET_INVOCATIONS_TPS: Readonly<Record<string, number>> = {
  'us-east-1': 18_750,
  'us-east-2': 4_500,
};
/** Entries a PutEvents request carries at most. */
export const EVENTBRIDGE_ENTRIES_PER_REQUEST = 10;
/** MSK Serverless: 3 clusters per account, 500 consumer groups per cluster (2023 defaults; limits.html). */
export const MSK_SERVERLESS_ACCOUNT_CLUSTERS = 3;
export const MSK_SERVERLESS_CONSUMER_GROUPS = 500;
/** Kinesis provisioned shards per account in us-east-1 (service-sizes-and-limits.html, 2026-11-25). */
export const KINESIS_ACCOUNT_SHARDS_US_EAST_1 = 20_000;
/** A new on-demand stream starts at 4 MB/s of writes (same page). */
export const KINESIS_ON_DEMAND_INITIAL_WRITE_BYTES = 4 * 1024 * 1024;

/** An EventBridge Scheduler expression the cost model cannot count runs of (only `rate(…)` is counted). */
export class ScheduleRateError extends EltError {}

/** Runs a day of a `rate(N minute|hour|day[s])` schedule expression. */
export function runsPerDay(schedule: string): number {
  const m = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(schedule);
  if (!m) throw new ScheduleRateError(`cannot count the runs a day of "${schedule}": give rate(N unit)`);
  const perDay = { minute: 24 * 60, hour: 24, day: 1 }[m[2] as 'minute' | 'hour' | 'day'];
  return perDay / Number(m[1]);
}

const DEFAULT_SCHEDULE = literalDefault(ELT_SETTINGS.schedule);

/** AWS's recommended client ingress per express.m7g.large broker: 15.6 MBps (bestpractices-express.html). */
export const EXPRESS_M7G_LARGE_INGRESS_BYTES = 15.6e6;
/** Express brokers always replicate three times (bestpractices-express.html). */
const EXPRESS_REPLICATION_FACTOR = 3;
/** Express: "up to 3x more throughput per broker" than Standard brokers (msk-broker-types-express.html). */
const EXPRESS_OVER_STANDARD_THROUGHPUT = 3;

/**
 * The batching window every Lambda landing path is priced at (SQS, Kinesis, Pub/Sub and Kafka alike): the
 * default of the deploy settings `landing.batchWindowSeconds` and `kafka.batchWindowSeconds` (30 s both).
 * Lambda's event source mappings allow 0–300 s for SQS, Kinesis and Kafka alike
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html and
 * https://docs.aws.amazon.com/lambda/latest/dg/with-msk-configure.html, read 2026-12-03; EVENT_SOURCE_LIMITS).
 */
export const LANDING_BATCH_WINDOW_SECONDS: number = literalDefault(LANDING_SETTINGS.batchWindowSeconds);

/**
 * The longest batching window (300 s) Lambda's event source mappings allow, SQS and Kafka alike
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-msk-configure.html, read 2026-12-03): landing is
 * also priced at it, to show what a longer window saves.
 */
export const LONGEST_BATCH_WINDOW_SECONDS: number = EVENT_SOURCE_LIMITS.batchWindowSeconds.max;

/**
 * Compressed bytes over raw event bytes, one ratio wherever the path compresses: the landed objects (gzip
 * NDJSON, level 6) and Kafka (producer `compression.type`, e.g. gzip or zstd, so broker disk, replication,
 * MSK data in/out and storage count compressed batches). Measured on the project's generator output
 * 2026-12-03: bench/workloads.ts `benchWorkload(10000)` (seed "bench", demo catalogue) is 2,520,912 bytes
 * of NDJSON; gzip -6 gives 15.7% for the whole file and 17.7% in objects of 100 events; landed envelopes
 * add less compressible ids and timestamps, so 20%. Earlier check: 1,000 demo PutEvents entries, 247,484
 * bytes to 40,572 (16%). Kafka batches are smaller than landed objects (batch.size 16 KiB by default,
 * https://kafka.apache.org/documentation/#producerconfigs_batch.size, read 2026-12-03) and lz4 compresses
 * less than gzip, so 20% is the optimistic end for Kafka; 1 prices compression nowhere.
 */
export const COMPRESSION_RATIO = 0.2;

/**
 * SNS PublishBatch: up to 10 messages a call, their total at most the topic's MaximumMessageSize (256 KiB
 * by default, up to 1 MiB); batching cuts publish cost "by a factor of up to 10", i.e. a call is billed
 * like one Publish, each 64 KB chunk of its payload as one request
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-batch-api-actions.html and
 * https://docs.aws.amazon.com/sns/latest/api/API_PublishBatch.html, read 2026-12-03).
 */
export const SNS_PUBLISH_BATCH_MESSAGES = 10;
export const SNS_PUBLISH_BATCH_BYTES = 256 * 1024;

/**
 * gp3 volumes (EC2 Kafka, MSK provisioned broker storage) are billed on their provisioned size, so they are
 * provisioned for the retained bytes × (1 + headroom). AWS's MSK guidance is to act when a broker's
 * `KafkaDataLogsDiskUsed` reaches 85% (https://docs.aws.amazon.com/msk/latest/developerguide/bestpractices.html,
 * "Monitor disk space", read 2026-12-03 through the archived guide's bestpractices.md): provisioning at most
 * 85% full is 1 / 0.85 − 1 ≈ 17.6% headroom. AWS's cost-modeling whitepaper says 80% (25% headroom;
 * https://docs.aws.amazon.com/whitepapers/latest/cost-modeling-data-lakes/cost-optimization-in-analytics-services.html),
 * so this is the lower of the two.
 */
export const GP3_DISK_HEADROOM = 1 / 0.85 - 1;

/**
 * The steady rate may use at most half of a throttled unit's quota: Kinesis provisioned shards (1 MB/s or
 * 1,000 records/s in) and MSK Serverless partitions (5 MBps in) are sized for rate / 0.5. Chosen so the
 * provisioned stream absorbs the same burst the on-demand one does: a stream in on-demand mode "observes
 * peak write throughput for the last 30 days and automatically provisions capacity for double that rate"
 * (AWS whitepaper, https://docs.aws.amazon.com/whitepapers/latest/cost-modeling-data-lakes/cost-optimization-in-analytics-services.html,
 * read 2026-12-03; the Kinesis developer guide's sizing page,
 * https://docs.aws.amazon.com/streams/latest/dev/how-do-i-size-a-stream.html, was not re-read).
 */
export const THROUGHPUT_UTILIZATION_TARGET = 0.5;

/**
 * MSK Serverless quotas, bytes as decimal MB (the docs write MBps): per partition 5 MBps in, 10 MBps out
 * and 250 GB stored; per cluster 200 MBps in, 400 MBps out and 120 partitions
 * (https://docs.aws.amazon.com/msk/latest/developerguide/limits.html, read through the archived guide
 * https://github.com/awsdocs/amazon-msk-developer-guide/blob/11a4ac0d2a6ef0c24420dfd7233a76ffda2dd94d/doc_source/limits.md
 * on 2026-11-26 and in data/bus-comparison.json msk-serverless throughputQuotas, re-read 2026-12-03;
 * AWS may have raised some since).
 */
export const MSK_SERVERLESS_QUOTAS = {
  partitionInBytesPerSecond: 5e6,
  partitionOutBytesPerSecond: 10e6,
  partitionStorageBytes: 250e9,
  clusterInBytesPerSecond: 200e6,
  clusterOutBytesPerSecond: 400e6,
  clusterMaxPartitions: 120,
} as const;

/**
 * Firehose delivering to S3 with dynamic partitioning and a transform Lambda: the largest buffering hints
 * (128 MiB, 900 s: https://docs.aws.amazon.com/firehose/latest/dev/create-configure.html and
 * https://docs.aws.amazon.com/firehose/latest/dev/buffering.html, read 2026-12-03), the same partitions per
 * delivery as the Lambda landing writes per batch, the transform's default processing buffer of 1 MB / 60 s
 * (https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html), partition keys returned by the
 * transform Lambda rather than parsed with JQ.
 */
export const FIREHOSE_DELIVERY = {
  bufferBytes: 128 * 1024 * 1024,
  bufferSeconds: 900,
  transformBufferBytes: 1024 * 1024,
  transformBufferSeconds: 60,
  jq: false,
} as const;

/**
 * The month priced holds a year of history: raw objects (the raw bucket never expires them; Standard for
 * `rawBucket.infrequentAccessAfterDays`, then Standard-IA when over 128 KiB) and the warehouse's tables.
 */
export const HISTORY_DAYS = 365;

/**
 * The ingest API (HTTP API → ingest function → bus, Powertools-style idempotency records in DynamoDB
 * on-demand): producers send 100 events a request (the API takes up to 500); each request writes the
 * key's record twice (claimed, then completed with the response, which lists every event id: about 40
 * bytes each), 50 ms of fixed handler time (assumed), 512 MB (lib/infra/constructs/ingest-api.ts).
 */
/** The compact step as deployed: 128 MiB objects, 1 GB of memory, 2 s of listing and ledger work a run (assumed). */
export const COMPACTION = {
  enabled: true,
  targetBytes: DEFAULT_COMPACTION_TARGET_BYTES,
  memoryMb: 1024,
  fixedMsPerRun: 2000,
} as const;

export const INGEST_API = {
  enabled: true,
  eventsPerRequest: 100,
  memoryMb: 512,
  fixedMsPerRequest: 50,
  recordBytes: 300,
  recordBytesPerEvent: 40,
} as const;

/**
 * The outbox relay, when deployed: a run every `oltp.scheduleMinutes` drains the outbox and stops. 100 ms a
 * run to connect (a warm connection is reused) and find nothing, and 1 ms a row on top (PutEvents of 10
 * entries take tens of ms; the relay measured here drains 9–24k rows/s against a local bus, so the bus call
 * dominates): assumed, not measured on AWS.
 */
export const OLTP_RELAY = {
  enabled: false,
  eventShare: 1,
  scheduleMinutes: literalDefault(OLTP_SETTINGS.scheduleMinutes),
  memoryMb: 512,
  fixedMsPerRun: 100,
  msPerEvent: 1,
  endpointServices: 2,
  zones: 3,
} as const;

/**
 * The stream job, when deployed: fixed parallelism (autoscaling off), MSF's orchestration KPU, 50 GB of running
 * application storage per KPU (Managed Service for Apache Flink developer guide, how-resources.html: "50 GB of disk
 * space" per KPU; priced per GB-month on https://aws.amazon.com/managed-service-apache-flink/pricing/). Logs:
 * 100 KB an hour at INFO (a checkpoint's few lines a minute, the clients' periodic lines), assumed. Results: 3 a
 * minute (logins per minute, logins in the last hour, active users of the day) of about 600 bytes, late and
 * malformed-record events aside.
 */
export const STREAM_JOB = {
  enabled: false,
  parallelism: literalDefault(STREAM_SETTINGS.parallelism),
  parallelismPerKpu: literalDefault(STREAM_SETTINGS.parallelismPerKpu),
  orchestrationKpus: 1,
  storageGbPerKpu: 50,
  logBytesPerHour: 100 * 1024,
  resultsPerMinute: 3,
  resultBytes: 600,
  kinesisShards: literalDefault(STREAM_SETTINGS.kinesisShards),
} as const;

/**
 * CloudWatch Logs bytes per function invocation: Lambda's START, END and REPORT lines (about 350 bytes),
 * one structured summary line of the handler and one EMF metrics line (about 600 bytes each): 1.5 KiB.
 * An estimate from the line shapes `elt land` writes to <data-dir>/logs/land.ndjson, not a bill.
 */
export const FUNCTION_LOGS_BYTES_PER_INVOCATION = 1536;

/**
 * Raw JSON one RPU loads (COPY of gzip NDJSON) and transforms per second: 1 MB/s, so the default 8 RPUs
 * take 8 MB/s. An assumption: Redshift publishes no such figure and this project has not run there yet;
 * it makes run time, and the compute line, grow with volume instead of staying flat.
 */
export const ELT_BYTES_PER_RPU_SECOND = 1e6;

/** The defaults: the deployed pipeline as lib/infra/config.ts builds it without overrides. */

export const DEFAULT_ASSUMPTIONS: CostAssumptions = {
  hoursPerMonth: 730,
  chunkBytes: 64 * 1024,
  bytesPerGb: 2 ** 30,
  bytesPerTib: 2 ** 40,
  landing: {
    memoryMb: literalDefault(LANDING_SETTINGS.memoryMb),
    batchSize: literalDefault(LANDING_SETTINGS.batchSize),
  },
  kafkaLanding: {
    batchSize: literalDefault(KAFKA_SETTINGS.batchSize),
    provisionedPollers: 0,
  },
  batchWindowSeconds: LANDING_BATCH_WINDOW_SECONDS,
  longestBatchWindowSeconds: LONGEST_BATCH_WINDOW_SECONDS,
  compressionRatio: COMPRESSION_RATIO,
  snsPublishBatch: { messages: SNS_PUBLISH_BATCH_MESSAGES, maxBytes: SNS_PUBLISH_BATCH_BYTES },
  diskHeadroom: GP3_DISK_HEADROOM,
  // The same 10 partitions the Lambda landing writes per batch (`partitionsPerBatch`).
  firehose: { ...FIREHOSE_DELIVERY, partitionsPerInterval: 10 },
  throughputUtilizationTarget: THROUGHPUT_UTILIZATION_TARGET,
  mskServerless: MSK_SERVERLESS_QUOTAS,
  invocationPayloadBytes: EVENT_SOURCE_LIMITS.invocationPayloadBytes,
  recordOverhead: { sqsEscapeFactor: 1.1, sqsBytes: 600, kafkaBytes: 200 },
  landingFixedMsPerInvocation: 100,
  landingBytesPerCoreSecond: 116_858 * 366,
  lambdaMbPerVcpu: 1769,
  partitionsPerBatch: 10,
  s3StandardDays: literalDefault(RAW_BUCKET_SETTINGS.infrequentAccessAfterDays),
  historyDays: HISTORY_DAYS,
  infrequentAccessMinObjectBytes: 128 * 1024,
  ingestApi: INGEST_API,
  oltpRelay: OLTP_RELAY,
  streamJob: STREAM_JOB,
  compaction: COMPACTION,
  logs: {
    bytesPerInvocation: FUNCTION_LOGS_BYTES_PER_INVOCATION,
    retentionDays: literalDefault(LOGS_SETTINGS.retentionDays),
  },
  kafkaEndpoints: { services: 2, zones: 3 },
  elt: {
    runsPerDay: runsPerDay(DEFAULT_SCHEDULE),
    activeMinutesPerRun: 5,
    bytesPerRpuSecond: ELT_BYTES_PER_RPU_SECOND,
    storedBytesRatio: COMPRESSION_RATIO,
    minimumBilledSeconds: 60,
    baseCapacityRpu: literalDefault(WAREHOUSE_SETTINGS.baseCapacityRpu),
  },
  kafka: {
    partitions: 3,
    replicationFactor: 3,
    minBrokers: 3,
    brokerReplicaBytesPerSecond:
      (EXPRESS_M7G_LARGE_INGRESS_BYTES * EXPRESS_REPLICATION_FACTOR) / EXPRESS_OVER_STANDARD_THROUGHPUT,
    controllers: 3,
    controllerDiskGb: 64,
  },
  sqsMessagesPerCall: 10,
  sqsMaxCallBytes: 1024 * 1024,
  pubsubMessagesPerRequest: 100,
  operations: { hoursPerMonth: OPERATOR_HOURS_PER_MONTH, rateUsdPerHour: OPERATOR_RATE_USD_PER_HOUR },
};

/** "20 h self-hosted, 8 h provisioned-cluster, 2 h managed" or "none". */
function opsHours(a: CostAssumptions): string {
  const entries = Object.entries(a.operations.hoursPerMonth);
  if (entries.every(([, h]) => h === 0)) return 'no hours';
  return entries.map(([k, h]) => `${h.toLocaleString('en-US')} h ${k}`).join(', ');
}

/** The assumptions as sentences, for `elt cost` and docs/comparison.md. */
export function describeAssumptions(a: CostAssumptions = DEFAULT_ASSUMPTIONS): string[] {
  const mib = (b: number): string => `${(b / 2 ** 20).toLocaleString('en-US')} MiB`;
  const pct = (x: number): string => `${(x * 100).toLocaleString('en-US', { maximumFractionDigits: 1 })}%`;
  return [
    `A month is ${a.hoursPerMonth} h (${(a.hoursPerMonth / 24).toFixed(1)} days) at a steady rate; list prices of the first volume tier, us-east-1, USD; free tiers are not deducted (they are per account).`,
    `Every hop carries the same event size. "64 KB" billing chunks are ${(a.chunkBytes / 1024).toLocaleString('en-US')} KiB; a GB is 2^30 bytes.`,
    `Landing Lambda (arm64): ${a.landing.memoryMb} MB, batches of up to ${a.landing.batchSize.toLocaleString('en-US')} events (Kafka event source: ${a.kafkaLanding.batchSize.toLocaleString('en-US')}), every batch capped by the ${mib(a.invocationPayloadBytes)} invocation payload.`,
    `One batching window for every path that lands through Lambda (SQS, Kinesis, Pub/Sub, Kafka): ${a.batchWindowSeconds} s, the deploy default of landing.batchWindowSeconds and of kafka.batchWindowSeconds. Landing is also shown at ${a.longestBatchWindowSeconds} s, the longest window Lambda's event source mappings allow (Lambda docs, 2026-12-03).`,
    `Landing time per invocation: ${a.landingFixedMsPerInvocation} ms (assumed) plus the bytes at ${(a.landingBytesPerCoreSecond / 1e6).toFixed(1)} MB/s per core (the embedded benchmark's single-thread ceiling), scaled by memory / ${a.lambdaMbPerVcpu.toLocaleString('en-US')} MB per vCPU.`,
    `One S3 object per batch and partition, assumed ${a.partitionsPerBatch} partitions per batch; each object is read once by the load (COPY). Objects are gzip NDJSON. The month priced holds ${a.historyDays} days of history: raw objects ${a.s3StandardDays} days in S3 Standard, then in Standard-IA only when over ${(a.infrequentAccessMinObjectBytes / 1024).toLocaleString('en-US')} KiB (the raw bucket's lifecycle filter; smaller objects stay in Standard), and the warehouse's tables at ${pct(a.elt.storedBytesRatio)} of the event bytes in Redshift managed storage (assumed as compact as the gzip raw).`,
    `Firehose (options firehose, eventbridge-firehose): no landing Lambda or SQS; S3 buffering ${(a.firehose.bufferBytes / 1024 / 1024).toLocaleString('en-US')} MiB / ${a.firehose.bufferSeconds} s, ${a.firehose.partitionsPerInterval} partitions written per buffer interval (one object per partition per interval, more when a partition's bytes exceed the buffer); records billed rounded up to 5 KB; a transform Lambda invoked per ${(a.firehose.transformBufferBytes / 1024 / 1024).toLocaleString('en-US')} MiB or ${a.firehose.transformBufferSeconds} s of records; partition keys ${a.firehose.jq ? 'parsed with JQ (billed per JQ hour)' : 'returned by the transform Lambda (no JQ hours)'}.`,
    `ELT: ${a.elt.runsPerDay} runs a day (${DEFAULT_SCHEDULE}), each keeping ${a.elt.baseCapacityRpu} RPUs busy for ${a.elt.activeMinutesPerRun} minutes plus the run's raw bytes at ${(a.elt.bytesPerRpuSecond / 1e6).toLocaleString('en-US')} MB/s per RPU (at least ${a.elt.minimumBilledSeconds} s billed): the load rate is an assumption, not measured on Redshift; a run longer than the interval is a warning. The same for every option. Step Functions, the scheduler and alarms are not counted (cents a month).`,
    `Compaction${a.compaction.enabled ? '' : ' (left out: --no-compaction)'}: after every ELT run the compact step (${a.compaction.memoryMb} MB, ${(a.compaction.fixedMsPerRun / 1000).toLocaleString('en-US')} s a run plus the bytes at the landing's rate) reads every landed object of the closed hour partitions once (a GET each) and writes them as objects of up to ${mib(a.compaction.targetBytes)} (a PUT each; DELETE is free): the objects that stay in S3, and so the storage class after ${a.s3StandardDays} days, are the compacted ones. The loads (COPY) read the landed objects before they are compacted, the hourly ELT running ahead of the lateness. Lambda landing paths only (Firehose writes its own large objects).`,
    `Ingest API${a.ingestApi.enabled ? '' : ' (left out: --no-ingest-api)'}: producers post ${a.ingestApi.eventsPerRequest} events a request to the HTTP API (metered per 512 KB), the ingest function (${a.ingestApi.memoryMb} MB, ${a.ingestApi.fixedMsPerRequest} ms a request plus the bytes) publishes them, and each request writes its idempotency record twice in DynamoDB on-demand (claim: 1 unit; response with every event id: ${a.ingestApi.recordBytes} + ${a.ingestApi.recordBytesPerEvent} bytes an event, per KB). The same for every option. CloudWatch Logs: ${a.logs.bytesPerInvocation.toLocaleString('en-US')} bytes a function invocation (Lambda's lines, a summary, an EMF metrics line; estimated), kept ${a.logs.retentionDays} days.`,
    a.oltpRelay.enabled
      ? `Outbox relay (--oltp-relay): ${pct(a.oltpRelay.eventShare)} of the events come from the marketplace database's outbox; the relay function (${a.oltpRelay.memoryMb} MB) runs every ${a.oltpRelay.scheduleMinutes} min, ${a.oltpRelay.fixedMsPerRun} ms a run plus ${a.oltpRelay.msPerEvent} ms a row (assumed), in the warehouse VPC's isolated subnets with interface endpoints for Secrets Manager and EventBridge in ${a.oltpRelay.zones} zones; its PutEvents are the bus lines' events, the database and its secret are yours and not priced. The same for every option.`
      : 'Outbox relay: left out (the oltp deploy section is optional; --oltp-relay <share> prices it).',
    a.streamJob.enabled
      ? `Stream job (--stream): the live-windows Flink SQL job on Managed Service for Apache Flink with parallelism ${a.streamJob.parallelism} at ${a.streamJob.parallelismPerKpu} per KPU (${Math.ceil(a.streamJob.parallelism / a.streamJob.parallelismPerKpu)} KPU, autoscaling off) plus the ${a.streamJob.orchestrationKpus} orchestration KPU MSF bills per application, ${a.streamJob.storageGbPerKpu} GB of running application storage per KPU, ${(a.streamJob.logBytesPerHour / 1024).toLocaleString('en-US')} KiB of INFO logs an hour (assumed); snapshots (taken on stop and update only) are not counted. On EventBridge its feed: a rule to a provisioned Kinesis stream and the results back through a second one and a pipe (${a.streamJob.kinesisShards} shard each, ${a.streamJob.resultsPerMinute} results a minute); on Kafka it is one more consumer group (--consumers).`
      : 'Stream job: left out (stream.enabled is false by default; --stream prices it).',
    `Kafka and MSK landings: the event source mapping runs in isolated subnets with interface endpoints for Lambda and STS in ${a.kafkaEndpoints.zones} zones (${a.kafkaEndpoints.services} × ${a.kafkaEndpoints.zones} endpoint-hours; the invocation payloads are counted through the Lambda endpoint, an upper bound), as the project's KafkaCluster construct builds it; a NAT gateway would cost more. ${a.kafkaLanding.provisionedPollers > 0 ? `Provisioned mode with ${a.kafkaLanding.provisionedPollers} event pollers kept ready (kafka.provisionedPollers.minimum), billed per event poller unit hour; more pollers at peak are not counted.` : 'On-demand event pollers, the deploy default (kafka.provisionedPollers is optional; --provisioned-pollers prices it).'}`,
    `SQS FIFO: Lambda takes at most 10 messages a batch from a FIFO queue and no batching window, so a batch is what a poll finds, taken as at most a second's worth; MSK Express: express.m7g.large brokers at AWS's recommended 15.6 MBps of client ingress each, in threes, storage billed as used (not provisioned, so no headroom).`,
    `Compression, one ratio wherever the path compresses: ${pct(a.compressionRatio)} of the event bytes for the landed gzip NDJSON objects and for Kafka's bytes on the wire and on disk (producer compression: MSK data in/out and storage, broker sizing, replication, gp3); EventBridge, SQS, SNS, Kinesis and Pub/Sub bill the bytes as sent. Measured on the project's generator output (bench/workloads.ts, 10,000 events, gzip -6: 15.7% whole, 17.7% in objects of 100 events; envelopes add ids, so 20%), 2026-12-03.`,
    `SQS: ${a.sqsMessagesPerCall} messages per send (producers on SQS), receive and delete call (Lambda's poller). SNS: PublishBatch of ${a.snsPublishBatch.messages} messages (at most ${(a.snsPublishBatch.maxBytes / 1024).toLocaleString('en-US')} KiB a call, the topic's default MaximumMessageSize), each call billed per 64 KB of its payload (SNS docs, 2026-12-03). EventBridge sends one entry per event (billed per 64 KB of each); its rule and SNS deliver one message per event to SQS. Idle polling is not counted.`,
    `Headroom: gp3 and MSK broker storage are billed on provisioned size, provisioned for the retained bytes × (1 + ${pct(a.diskHeadroom)}) (AWS's MSK guidance: act at 85% disk used, 2026-12-03). Kinesis shards and MSK Serverless partitions are sized for the rate / ${a.throughputUtilizationTarget} (utilization target ${pct(a.throughputUtilizationTarget)}: the burst on-demand Kinesis absorbs: capacity "for double" the last 30 days' peak, AWS whitepaper). MSK Serverless partitions stay within ${(a.mskServerless.partitionInBytesPerSecond / 1e6).toLocaleString('en-US')} MBps in, ${(a.mskServerless.partitionOutBytesPerSecond / 1e6).toLocaleString('en-US')} MBps out and ${(a.mskServerless.partitionStorageBytes / 1e9).toLocaleString('en-US')} GB each; clusters within ${(a.mskServerless.clusterInBytesPerSecond / 1e6).toLocaleString('en-US')} MBps in, ${(a.mskServerless.clusterOutBytesPerSecond / 1e6).toLocaleString('en-US')} MBps out and ${a.mskServerless.clusterMaxPartitions} partitions each (MSK quotas, 2026-12-03).`,
    `Kafka: a topic of ${a.kafka.partitions} partitions (MSK Serverless: more when its partition quotas need them), replication factor ${a.kafka.replicationFactor}; at least ${a.kafka.minBrokers} m7g.large brokers, added in threes once the replica bytes (events × size × ${pct(a.compressionRatio)} compressed × ${a.kafka.replicationFactor}) exceed ${(a.kafka.brokerReplicaBytesPerSecond / 1e6).toLocaleString('en-US')} MB/s (10^6 bytes) per broker, i.e. ${(a.kafka.brokerReplicaBytesPerSecond / a.kafka.replicationFactor / 1e6).toLocaleString('en-US')} MB/s of client ingress per broker: an assumption, a third of AWS's recommended 15.6 MBps ingress per express.m7g.large (Express: "up to 3x more throughput per broker" than Standard). Self-hosted Kafka adds ${a.kafka.controllers} dedicated KRaft controllers (m7g.large, ${a.kafka.controllerDiskGb} GB gp3 each): combined mode "is not recommended in critical deployment environments" (Kafka docs); MSK runs its controllers itself. Operating it (people) is the operations line.`,
    `Retention is what the bus keeps for replay (EventBridge archive, Kinesis retention, Pub/Sub topic retention, Kafka log); SQS and SNS keep nothing to replay.`,
    `Operations (people): ${opsHours(a)} of operator time a month at ${a.operations.rateUsdPerHour.toLocaleString('en-US')} USD an hour (an assumption: an hour every working day for self-hosted Kafka, two a week for MSK provisioned, two a month for a managed bus; the rate is BLS's software developer mean wage, May 2022, $132,930 / 2,080 h, over the 68.3% wage share of employer compensation, BLS ECEC; read 2026-12-03). --ops-hours sets one figure for every option, --ops-hours 0 leaves it out, --ops-rate sets the rate.`,
    `Consumers: each consumer beyond the first reads every event again: another SQS queue (send, receive, delete) behind EventBridge, SNS or a producer sending to each queue; Kinesis data out again (on-demand) or shards sized for every consumer's reads (provisioned, 2 MB/s per shard shared); Pub/Sub another subscription's delivery and egress; MSK Serverless data out again; Kafka consumers' cross-AZ traffic. EventBridge rule delivery to an AWS target and Kafka broker reads are not billed apart; broker read load is not sized.`,
    `Pub/Sub: ${a.pubsubMessagesPerRequest} messages per publish or pull request, one subscription; the bytes leave Google Cloud for AWS (egress), and the process that pulls and invokes the landing function is not counted.`,
  ];
}
