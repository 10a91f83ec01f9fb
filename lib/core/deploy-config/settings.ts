/**
 * Every deploy setting of an environment (`elt:environments` in cdk.json), declared once: type, default,
 * allowed values and what it controls. lib/infra/config.ts parses against these tables, the README's
 * settings table is generated from them (`npm run gen`), and the cost model's assumptions read their
 * defaults. Rules that tie settings together (a window for big SQS batches, capacity steps, what LocalStack
 * cannot run) are in the parser, and the `doc` text here says them too.
 */
import type { WarehouseReaders } from '../elt/readers.js';
import { EVENT_SOURCE_LIMITS } from '../landing/event-source-limits.js';
import { DEPLOY_TARGETS } from './targets.js';
import {
  bool,
  custom,
  group,
  int,
  oneOf,
  optional,
  str,
  type Section,
  type SectionValue,
} from './setting.js';

const { batchSize: BATCH_SIZE, batchWindowSeconds: BATCH_WINDOW } = EVENT_SOURCE_LIMITS;

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Redshift Serverless capacities in RPUs, in words (checked by isValidBaseCapacity in the infra). */
export const CAPACITY_STEPS = '4, 8–512 in steps of 8, or 544–1,024 in steps of 32 (Redshift Serverless)';

/** The top level of an environment block: where it is deployed. */
export const TOP_SETTINGS = {
  target: oneOf({
    values: DEPLOY_TARGETS,
    default: 'aws',
    doc: 'where the stacks go: `localstack` leaves out what LocalStack cannot run (Redshift Serverless and the ELT workflow, event source mappings, Lambda-backed custom resources, the ingest API, Kafka); `emulator` (MiniStack) deploys everything but the archive, Redshift Serverless and Kafka, the ELT steps using `warehouse.dataApiEndpoint` (lib/core/deploy-config/targets.ts says why for each)',
  }),
  account: str({
    pattern: /^\d{12}$/,
    what: 'a 12-digit AWS account id (pass -c account=… or configure AWS credentials)',
    defaultText: 'from your credentials',
    doc: 'the AWS account (`-c account=…` overrides it)',
  }),
  region: str({
    pattern: /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/,
    what: 'an AWS region such as eu-west-1 (pass -c region=…)',
    defaultText: 'from your credentials',
    doc: 'the AWS Region (`-c region=…` overrides it)',
  }),
} as const satisfies Section;

/** `bus`: the EventBridge bus and its archive. */
export const BUS_SETTINGS = {
  archiveRetentionDays: int({
    min: 0,
    max: 36_500,
    default: 30,
    doc: 'days the archive keeps events for replay; 0 keeps them forever',
  }),
} as const satisfies Section;

/** `ruleTarget`: delivery from the bus to the landing queue. */
export const RULE_TARGET_SETTINGS = {
  retryAttempts: int({
    min: 0,
    max: 185,
    default: 185,
    doc: 'bus → queue delivery retries before the event goes to the target DLQ',
  }),
  maxEventAgeSeconds: int({
    min: 60,
    max: 86_400,
    default: 86_400,
    doc: 'bus → queue: give up delivering (to the target DLQ) after this long',
  }),
} as const satisfies Section;

/** The landing function's memory unless configured (`landing.memoryMb`). */
export const DEFAULT_LANDING_MEMORY_MB = 1024;

/** `landing`: the landing function and its SQS event source. */
export const LANDING_SETTINGS = {
  batchSize: int({
    ...BATCH_SIZE,
    default: 10_000,
    doc: 'records per landing invocation (SQS event source); a batch also ends at the window and at 6 MiB',
  }),
  batchWindowSeconds: int({
    ...BATCH_WINDOW,
    default: 30,
    allowed: `${BATCH_WINDOW.min}–${BATCH_WINDOW.max}; at least 1 when batchSize is over ${EVENT_SOURCE_LIMITS.sqsBatchSizeWithoutWindow}`,
    doc: 'how long to wait to fill a batch',
  }),
  maxConcurrency: int({
    min: 2,
    max: 1000,
    default: 10,
    doc: 'landing concurrency cap (backpressure: the queue absorbs bursts)',
  }),
  memoryMb: int({
    min: 128,
    max: 10_240,
    default: DEFAULT_LANDING_MEMORY_MB,
    doc: 'memory of the landing function; its V8 heap is sized from it (NODE_OPTIONS: semi-spaces of a sixteenth, up to 128 MiB)',
  }),
  timeoutSeconds: int({ min: 1, max: 900, default: 60, doc: 'timeout of the landing function' }),
  maxReceiveCount: int({
    min: 1,
    max: 1000,
    default: 5,
    doc: 'deliveries before a message goes to the landing DLQ',
  }),
} as const satisfies Section;

/** `rawBucket`: the bucket landed events are kept in. */
export const RAW_BUCKET_SETTINGS = {
  infrequentAccessAfterDays: int({
    min: 30,
    max: 36_500,
    default: 30,
    doc: 'days before raw objects over 128 KiB move to Standard-IA (S3 needs at least 30)',
  }),
  quarantineExpireDays: int({
    min: 1,
    max: 36_500,
    default: 90,
    doc: 'days quarantined inputs are kept',
  }),
  destroyOnRemoval: bool({
    default: false,
    doc: 'delete the bucket and its objects with the stack (throwaway environments; not with `localstack`); also `-c destroyOnRemoval=true`',
  }),
} as const satisfies Section;

/** `warehouse`: Redshift Serverless and its VPC. */
export const WAREHOUSE_SETTINGS = {
  baseCapacityRpu: int({
    min: 4,
    max: 1024,
    default: 8,
    allowed: CAPACITY_STEPS,
    doc: 'Redshift Serverless base capacity in RPUs',
  }),
  maxCapacityRpu: int({
    min: 4,
    max: 1024,
    default: ({ section }) => Math.min(4 * Number(section.baseCapacityRpu), 1024),
    defaultText: '4 × base, at most 1,024',
    allowed: `${CAPACITY_STEPS}, at least the base`,
    doc: 'the most RPUs the workgroup scales to (`MaxCapacity`)',
  }),
  costAlarmRpuHoursPerDay: int({
    min: 1,
    max: 24 * 1024,
    default: ({ section }) => 6 * Number(section.baseCapacityRpu),
    defaultText: '6 × base',
    allowed: '1 to 24 × maxCapacityRpu',
    doc: 'daily RPU-hours over which `WarehouseComputeHigh` alarms (an RPU-hour is $0.375 in us-east-1: 48 ≈ $18/day); an alarm, not a limit',
  }),
  readers: custom<WarehouseReaders>({
    default: {},
    defaultText: 'none',
    allowed: '`{"users":[…],"groups":[…],"roles":[…]}` of database names',
    doc: 'database users, groups and roles granted SELECT on the models at every publish',
  }),
  databaseName: str({
    pattern: /^[a-z_][a-z0-9_]{0,62}$/,
    what: 'a lowercase database name',
    default: 'analytics',
    doc: 'the database',
  }),
  adminUsername: str({
    pattern: /^[a-z][a-z0-9_]{0,62}$/,
    what: 'a lowercase user name',
    default: 'elt_admin',
    doc: 'the admin user (its password is generated and kept in Secrets Manager)',
  }),
  availabilityZones: custom<readonly string[]>({
    defaultText: 'three AZ IDs of the region (e.g. `euw1-az1`)',
    allowed: 'three different AZ IDs or three AZ names of the region, not both',
    doc: 'zones of the private subnets: AZ IDs are the same zones in every account, AZ names are not',
  }),
  vpcCidr: str({
    pattern: /^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-4])$/,
    what: 'an IPv4 CIDR from /16 to /24',
    default: '10.42.0.0/16',
    doc: 'the warehouse VPC',
  }),
  dataApiEndpoint: str({
    pattern: /^https?:\/\/[^\s/]+(:\d+)?\/?$/,
    what: 'an http(s) URL such as http://127.0.0.1:4599',
    optional: true,
    defaultText: "the Region's Data API",
    doc: 'the Redshift Data API endpoint the ELT steps call (required with `emulator`: `elt dataapi` on the host)',
  }),
  sqlDialect: oneOf({
    values: ['redshift', 'postgres'],
    default: 'redshift',
    doc: 'the SQL the ELT steps write: `postgres` for a Data API endpoint backed by PostgreSQL (`elt dataapi`)',
  }),
} as const satisfies Section;

/** `elt`: the scheduled ELT runs. */
export const ELT_SETTINGS = {
  schedule: str({
    pattern: /^(rate|cron)\(.*\)$/,
    what: 'rate(…) or cron(…)',
    default: 'rate(1 hour)',
    doc: 'when the ELT runs (EventBridge Scheduler expression)',
  }),
  timezone: str({
    pattern: /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/,
    what: 'an IANA time zone such as Europe/Berlin',
    default: 'UTC',
    doc: 'time zone of cron schedules',
  }),
  latenessHours: int({
    min: 1,
    max: 720,
    default: 72,
    doc: 'how late (by event time) an event may land under its own partition; bounds a plan’s listing',
  }),
  maxObjectsPerRun: int({
    min: 100,
    max: 1_000_000,
    default: 20_000,
    doc: 'most objects one run loads; the rest waits for the next run',
  }),
} as const satisfies Section;

/** `logs`. */
export const LOGS_SETTINGS = {
  retentionDays: int({
    min: 1,
    max: 3653,
    default: 30,
    values: LOG_RETENTION_DAYS,
    allowed: `one of ${LOG_RETENTION_DAYS.join(', ')} (what CloudWatch Logs accepts)`,
    doc: 'log retention of every function and the state machine',
  }),
} as const satisfies Section;

/** `alarms`. */
export const ALARMS_SETTINGS = {
  oldestMessageAgeSeconds: int({
    min: 60,
    max: 1_209_600,
    default: 900,
    doc: 'landing lag alarm: the age of the oldest landing message',
  }),
  email: optional(
    str({
      pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
      what: 'an email address',
      defaultText: 'none',
      doc: 'an address subscribed to the alarm topic',
    }),
  ),
} as const satisfies Section;

/** `kafka` settings of both modes. */
export const KAFKA_SETTINGS = {
  mode: oneOf({
    values: ['msk-serverless', 'self-managed'],
    doc: 'a `kafka` block adds a second landing path from a Kafka topic (absent: none; not with `localstack`): an MSK Serverless cluster the stack creates, or a cluster of yours',
  }),
  topic: str({
    pattern: /^(?!\.{1,2}$)[a-zA-Z0-9._-]{1,249}$/,
    what: 'a Kafka topic name: 1–249 of a-z A-Z 0-9 . _ - (not "." or "..")',
    doc: 'the topic the event source mapping reads',
  }),
  consumerGroupId: str({
    pattern: /^[a-zA-Z0-9._:+=@-]{1,200}$/,
    what: 'a consumer group id: 1–200 of a-z A-Z 0-9 . _ - : + = @ (no "*" or "/": it is part of an IAM resource ARN)',
    default: ({ envName }) => `elt-${envName}-landing`,
    defaultText: '`elt-<env>-landing`',
    doc: 'the consumer group the event source mapping joins',
  }),
  batchSize: int({
    ...BATCH_SIZE,
    default: 10_000,
    doc: 'records per invocation (Kafka event source); a batch also ends at the window and at 6 MiB',
  }),
  batchWindowSeconds: int({
    ...BATCH_WINDOW,
    default: 30,
    doc: 'how long to wait to fill a batch (30 s like landing.batchWindowSeconds, so both paths write objects alike and `elt cost` prices them on equal terms)',
  }),
  startingPosition: oneOf({
    values: ['TRIM_HORIZON', 'LATEST'],
    default: 'TRIM_HORIZON',
    doc: 'where a new consumer group starts reading',
  }),
  provisionedPollers: optional(
    group({
      shape: 'an object { minimum, maximum }',
      defaultText: 'none (on-demand mode)',
      doc: 'provisioned mode: event pollers kept ready, a retry limit and batch bisection; without it Lambda retries a failing batch until it succeeds or its records expire',
      settings: {
        minimum: int({
          min: 1,
          max: 200,
          missing: '1–200 pollers always kept ready',
          doc: 'pollers always kept ready',
        }),
        maximum: int({
          min: 1,
          atLeast: 'minimum',
          max: 2000,
          allowed: 'minimum–2,000',
          missing: 'up to 2000 pollers',
          doc: 'the most pollers',
        }),
      },
    }),
  ),
  retryAttempts: optional(
    int({
      min: 0,
      max: 10_000,
      default: 10,
      defaultText: '10 in provisioned mode',
      doc: 'retries of a failing batch (provisioned mode only)',
    }),
  ),
  lagAlarmRecords: int({
    min: 1,
    max: 1_000_000_000,
    default: 100_000,
    doc: 'alarm when the consumer group is this many records behind the topic',
  }),
} as const satisfies Section;

/** `kafka` settings of mode `self-managed` only. */
export const SELF_MANAGED_KAFKA_SETTINGS = {
  bootstrapServers: custom<readonly string[]>({
    missing: 'the brokers of the self-managed cluster as ["host:port", …]',
    allowed: '1–10 brokers as `"host:port"`',
    doc: 'the brokers (self-managed)',
  }),
  secretArn: str({
    pattern: /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/,
    what: 'the complete ARN (with its 6-character suffix) of the Secrets Manager secret holding the SASL/SCRAM credentials',
    doc: 'the Secrets Manager secret with the credentials (self-managed)',
  }),
  authenticationMethod: oneOf({
    values: ['SASL_SCRAM_512_AUTH', 'SASL_SCRAM_256_AUTH', 'BASIC_AUTH'],
    default: 'SASL_SCRAM_512_AUTH',
    doc: 'how the mapping signs in (self-managed)',
  }),
} as const satisfies Section;

/** `ingestApi`: the HTTP ingest API on API Gateway, the AWS side of `elt serve`. */
export const INGEST_API_SETTINGS = {
  enabled: bool({
    default: ({ target }) => target !== 'localstack',
    defaultText: 'false for `localstack`, else true',
    doc: 'build the ingest API, its function, idempotency table and token secret (not with `localstack`: run `elt serve` there)',
  }),
  throttleRatePerSecond: int({
    min: 1,
    max: 10_000,
    default: 100,
    doc: 'steady-state requests per second the stage lets through, then 429',
  }),
  throttleBurst: int({
    min: 1,
    max: 5000,
    default: 200,
    doc: 'requests the stage lets through at once above the rate',
  }),
} as const satisfies Section;

/** `oltp`: the outbox relay of your PostgreSQL database, run on a schedule in the warehouse VPC. */
export const OLTP_SETTINGS = {
  secretArn: str({
    // "!" for the secrets RDS manages itself (`rds!db-…`).
    pattern: /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@!-]+-[A-Za-z0-9]{6}$/,
    what: 'the complete ARN (with its 6-character suffix) of the Secrets Manager secret holding the database credentials',
    doc: 'an `oltp` block runs the outbox relay of your PostgreSQL database as a scheduled function in the warehouse VPC (absent: none; only with target `aws`): the secret with its credentials in the RDS shape (JSON with host, port, username, password, dbname)',
  }),
  kmsKeyArn: optional(
    str({
      pattern: /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]{1,128}$/,
      what: 'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)',
      defaultText: 'none (the AWS managed key)',
      doc: 'the customer managed key the secret is encrypted with: the relay gets kms:Decrypt on it through Secrets Manager',
    }),
  ),
  port: int({
    min: 1,
    max: 65_535,
    default: 5432,
    defaultText: '5432',
    doc: "the database port the relay's security group may reach (the secret's `port` must be this one)",
  }),
  sslMode: oneOf({
    values: ['verify-full', 'no-verify', 'disable'],
    default: 'verify-full',
    doc: "TLS to the database: `verify-full` checks the server's certificate and host name (public CAs and the Amazon RDS CAs), `no-verify` encrypts without checking, `disable` sends everything in the clear",
  }),
  scheduleMinutes: int({
    min: 1,
    max: 60,
    default: 1,
    doc: 'minutes between relay runs; a run drains the outbox and stops 20 s before its timeout (the interval, at most 15 minutes)',
  }),
  batchSize: int({ min: 1, max: 10_000, default: 500, doc: 'outbox rows claimed per transaction' }),
  lagAlarmSeconds: int({
    min: 60,
    max: 86_400,
    default: 600,
    doc: 'alarm when the oldest unsent outbox row is older than this',
  }),
} as const satisfies Section;

/**
 * `stream`: the live-windows Flink SQL job (sql/stream/) as a Managed Service for Apache Flink application,
 * reading the MSK topic (`kafka.mode` "msk-serverless") or, without Kafka, the bus's events through a Kinesis
 * data stream (lib/infra/constructs/managed-flink.ts).
 */
export const STREAM_SETTINGS = {
  enabled: bool({
    default: false,
    doc: 'run the live-windows Flink SQL job on Managed Service for Apache Flink (only with target `aws`): it reads the MSK topic with `kafka.mode` "msk-serverless", else the bus\'s `marketplace.*` events through a Kinesis data stream; its results come back to the landing as `elt.stream` events',
  }),
  parallelism: int({
    min: 1,
    max: 64,
    default: 1,
    doc: 'parallel subtasks of the job (MSF `Parallelism`; autoscaling off, so the bill is fixed)',
  }),
  parallelismPerKpu: int({
    min: 1,
    max: 8,
    default: 1,
    doc: 'subtasks per KPU: KPUs = ceil(parallelism / parallelismPerKpu), plus one KPU MSF bills for orchestration',
  }),
  allowedLatenessSeconds: int({
    min: 0,
    max: 86_400,
    default: 60,
    doc: "how late (event time) an event may arrive and still count in its window; later ones go to the job's late-event output",
  }),
  checkpointIntervalSeconds: int({
    min: 1,
    max: 3600,
    default: 60,
    doc: 'seconds between checkpoints (exactly once); the Kafka results are committed at each, so this is also their delay',
  }),
  kinesisShards: int({
    min: 1,
    max: 500,
    default: 1,
    doc: 'shards of the provisioned Kinesis data streams of the EventBridge variant (events in, results out); 1 MB/s or 1,000 records/s of writes each',
  }),
  backpressureAlarmMsPerSecond: int({
    min: 1,
    max: 1000,
    default: 500,
    doc: 'alarm when a task of the job is back-pressured more than this many ms per second (largest over 5 minutes)',
  }),
  lagAlarmRecords: int({
    min: 1,
    max: 1_000_000_000,
    default: 100_000,
    doc: "alarm when the job's Kafka consumer is this many records behind the topic (`records_lag_max`; Kafka variant)",
  }),
  lagAlarmSeconds: int({
    min: 1,
    max: 86_400,
    default: 300,
    doc: 'alarm when the job reads the Kinesis stream this many seconds behind its newest record (`millisBehindLatest`; EventBridge variant)',
  }),
} as const satisfies Section;

/** Every section of an environment block, by key, in the README's order. */
export const DEPLOY_SECTIONS = {
  bus: BUS_SETTINGS,
  ruleTarget: RULE_TARGET_SETTINGS,
  landing: LANDING_SETTINGS,
  rawBucket: RAW_BUCKET_SETTINGS,
  warehouse: WAREHOUSE_SETTINGS,
  elt: ELT_SETTINGS,
  logs: LOGS_SETTINGS,
  alarms: ALARMS_SETTINGS,
  kafka: { ...KAFKA_SETTINGS, ...SELF_MANAGED_KAFKA_SETTINGS },
  ingestApi: INGEST_API_SETTINGS,
  oltp: OLTP_SETTINGS,
  stream: STREAM_SETTINGS,
} as const;

/** A section key of {@link DEPLOY_SECTIONS}. */
export type DeploySectionName = keyof typeof DEPLOY_SECTIONS;

/** Parsed `bus` settings. */
export type BusConfig = SectionValue<typeof BUS_SETTINGS>;
/** Parsed `ruleTarget` settings. */
export type RuleTargetConfig = SectionValue<typeof RULE_TARGET_SETTINGS>;
/** Parsed `landing` settings. */
export type LandingConfig = SectionValue<typeof LANDING_SETTINGS>;
/** Parsed `rawBucket` settings. */
export type RawBucketConfig = SectionValue<typeof RAW_BUCKET_SETTINGS>;
/** Parsed `warehouse` settings. */
export type WarehouseConfig = SectionValue<typeof WAREHOUSE_SETTINGS>;
/** Parsed `elt` settings. */
export type EltScheduleConfig = SectionValue<typeof ELT_SETTINGS>;
/** Parsed `logs` settings. */
export type LogsConfig = SectionValue<typeof LOGS_SETTINGS>;
/** Parsed `alarms` settings. */
export type AlarmsConfig = SectionValue<typeof ALARMS_SETTINGS>;
/** Parsed `ingestApi` settings. */
export type IngestApiConfig = SectionValue<typeof INGEST_API_SETTINGS>;
/** Parsed `oltp` settings. */
export type OltpConfig = SectionValue<typeof OLTP_SETTINGS>;
/** Parsed `stream` settings. */
export type StreamConfig = SectionValue<typeof STREAM_SETTINGS>;
