import { literalDefault } from '../deploy-config/setting.js';
import {
  ELT_SETTINGS,
  KAFKA_SETTINGS,
  LANDING_SETTINGS,
  RAW_BUCKET_SETTINGS,
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
    /** The default of the deploy setting `landing.batchWindowSeconds`. */
    readonly batchWindowSeconds: number;
  };
  /** The Kafka landing function's event source mapping (MSK and self-hosted Kafka). */
  readonly kafkaLanding: {
    /** The default of the deploy setting `kafka.batchSize`. */
    readonly batchSize: number;
    /** The default of the deploy setting `kafka.batchWindowSeconds`. */
    readonly batchWindowSeconds: number;
  };
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
  /**
   * Stored size of the gzip NDJSON objects over raw event bytes. Measured: 1,000 demo PutEvents entries,
   * 247,484 bytes, gzip -6 to 40,572 (16%); landed envelopes add less compressible ids, so 20%.
   */
  readonly gzipRatio: number;
  /** Days raw objects stay in S3 Standard: the deploy setting `rawBucket.infrequentAccessAfterDays` default. */
  readonly s3StandardDays: number;
  /** The scheduled ELT on Redshift Serverless. */
  readonly elt: {
    /** Runs a day of the default `elt.schedule`. */
    readonly runsPerDay: number;
    /** Minutes each run keeps the workgroup busy (load, models, tests). Assumed; it does not grow with volume here. */
    readonly activeMinutesPerRun: number;
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
}

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
const EXPRESS_M7G_LARGE_INGRESS_BYTES = 15.6e6;
/** Express brokers always replicate three times (bestpractices-express.html). */
const EXPRESS_REPLICATION_FACTOR = 3;
/** Express: "up to 3x more throughput per broker" than Standard brokers (msk-broker-types-express.html). */
const EXPRESS_OVER_STANDARD_THROUGHPUT = 3;

/** The defaults: the deployed pipeline as lib/infra/config.ts builds it without overrides. */

export const DEFAULT_ASSUMPTIONS: CostAssumptions = {
  hoursPerMonth: 730,
  chunkBytes: 64 * 1024,
  bytesPerGb: 2 ** 30,
  bytesPerTib: 2 ** 40,
  landing: {
    memoryMb: literalDefault(LANDING_SETTINGS.memoryMb),
    batchSize: literalDefault(LANDING_SETTINGS.batchSize),
    batchWindowSeconds: literalDefault(LANDING_SETTINGS.batchWindowSeconds),
  },
  kafkaLanding: {
    batchSize: literalDefault(KAFKA_SETTINGS.batchSize),
    batchWindowSeconds: literalDefault(KAFKA_SETTINGS.batchWindowSeconds),
  },
  invocationPayloadBytes: EVENT_SOURCE_LIMITS.invocationPayloadBytes,
  recordOverhead: { sqsEscapeFactor: 1.1, sqsBytes: 600, kafkaBytes: 200 },
  landingFixedMsPerInvocation: 100,
  landingBytesPerCoreSecond: 116_858 * 366,
  lambdaMbPerVcpu: 1769,
  partitionsPerBatch: 10,
  gzipRatio: 0.2,
  s3StandardDays: literalDefault(RAW_BUCKET_SETTINGS.infrequentAccessAfterDays),
  elt: {
    runsPerDay: runsPerDay(DEFAULT_SCHEDULE),
    activeMinutesPerRun: 5,
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
};

/** The assumptions as sentences, for `elt cost` and docs/comparison.md. */
export function describeAssumptions(a: CostAssumptions = DEFAULT_ASSUMPTIONS): string[] {
  const mib = (b: number): string => `${(b / 2 ** 20).toLocaleString('en-US')} MiB`;
  return [
    `A month is ${a.hoursPerMonth} h (${(a.hoursPerMonth / 24).toFixed(1)} days) at a steady rate; list prices of the first volume tier, us-east-1, USD; free tiers are not deducted (they are per account).`,
    `Every hop carries the same event size. "64 KB" billing chunks are ${(a.chunkBytes / 1024).toLocaleString('en-US')} KiB; a GB is 2^30 bytes.`,
    `Landing Lambda (arm64): ${a.landing.memoryMb} MB, batches of up to ${a.landing.batchSize.toLocaleString('en-US')} events or a ${a.landing.batchWindowSeconds} s window (SQS, Kinesis, Pub/Sub); Kafka event source: ${a.kafkaLanding.batchSize.toLocaleString('en-US')} or ${a.kafkaLanding.batchWindowSeconds} s; every batch capped by the ${mib(a.invocationPayloadBytes)} invocation payload.`,
    `Landing time per invocation: ${a.landingFixedMsPerInvocation} ms (assumed) plus the bytes at ${(a.landingBytesPerCoreSecond / 1e6).toFixed(1)} MB/s per core (the embedded benchmark's single-thread ceiling), scaled by memory / ${a.lambdaMbPerVcpu.toLocaleString('en-US')} MB per vCPU.`,
    `One S3 object per batch and partition, assumed ${a.partitionsPerBatch} partitions per batch; each object is read once by the load (COPY). Objects are gzip NDJSON at ${Math.round(a.gzipRatio * 100)}% of the event bytes, kept ${a.s3StandardDays} days in S3 Standard (older data in Standard-IA is not counted).`,
    `ELT: ${a.elt.runsPerDay} runs a day (${DEFAULT_SCHEDULE}), each keeping ${a.elt.baseCapacityRpu} RPUs busy for ${a.elt.activeMinutesPerRun} minutes (at least ${a.elt.minimumBilledSeconds} s billed), whatever the rate: how run time on Redshift grows with the events per run is not measured, so at high rates this line is a floor; the same for every option. Redshift storage, Step Functions, CloudWatch and the ingest API are not counted.`,
    `SQS: ${a.sqsMessagesPerCall} messages per send (producers on SQS), receive and delete call (Lambda's poller); EventBridge and SNS send one message per event. Idle polling is not counted.`,
    `Kafka: a topic of ${a.kafka.partitions} partitions, replication factor ${a.kafka.replicationFactor}; at least ${a.kafka.minBrokers} m7g.large brokers, added in threes once the replica bytes (events × size × ${a.kafka.replicationFactor}) exceed ${(a.kafka.brokerReplicaBytesPerSecond / 1e6).toLocaleString('en-US')} MB/s (10^6 bytes) per broker, i.e. ${(a.kafka.brokerReplicaBytesPerSecond / a.kafka.replicationFactor / 1e6).toLocaleString('en-US')} MB/s of client ingress per broker: an assumption, a third of AWS's recommended 15.6 MBps ingress per express.m7g.large (Express: "up to 3x more throughput per broker" than Standard). Self-hosted Kafka adds ${a.kafka.controllers} dedicated KRaft controllers (m7g.large, ${a.kafka.controllerDiskGb} GB gp3 each): combined mode "is not recommended in critical deployment environments" (Kafka docs); MSK runs its controllers itself. Operating it (people) is not priced.`,
    `Retention is what the bus keeps for replay (EventBridge archive, Kinesis retention, Pub/Sub topic retention, Kafka log); SQS and SNS keep nothing to replay.`,
    `Pub/Sub: ${a.pubsubMessagesPerRequest} messages per publish or pull request, one subscription; the bytes leave Google Cloud for AWS (egress), and the process that pulls and invokes the landing function is not counted.`,
  ];
}
