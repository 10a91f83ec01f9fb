import type { Construct } from 'constructs';
import { parseReaders, WarehouseReadersError, type WarehouseReaders } from '../core/elt/readers.js';
import {
  AvailabilityZoneIdsError,
  AZ_ID_PATTERN,
  azIdPrefixMatches,
  DEFAULT_WAREHOUSE_AZ_IDS,
  defaultWarehouseAzIds,
  describeZonesCommand,
} from './availability-zone-ids.js';
import { isValidBaseCapacity } from './constructs/warehouse.js';
import { ScheduleExpressionError, validateScheduleExpression } from './schedule-expression.js';

/** Settings of one deployment environment, read from CDK context and checked before anything is built. */
export interface EltConfig {
  /** Environment name, part of every resource name (`elt-<envName>-…`). */
  readonly envName: string;
  /**
   * Where the stacks go. `localstack` leaves out what LocalStack cannot run (Redshift Serverless, the ELT
   * workflow that drives it, the landing function's event source mapping, Lambda-backed custom
   * resources); the repository's runner plays the event source there (`elt land`). @default 'aws'
   */
  readonly target: DeployTarget;
  readonly account: string;
  readonly region: string;
  readonly bus: {
    /** Days the archive keeps events for replay; 0 keeps them indefinitely. @default 30 */
    readonly archiveRetentionDays: number;
  };
  readonly ruleTarget: {
    /** Delivery retries from the bus to the queue (EventBridge allows 0–185). @default 185 */
    readonly retryAttempts: number;
    /** Give up delivering after this long (EventBridge allows 60–86,400 s). @default 86400 */
    readonly maxEventAgeSeconds: number;
  };
  readonly landing: {
    /** Records per invocation (SQS event source: 1–10,000). @default 1000 */
    readonly batchSize: number;
    /** Wait up to this long to fill a batch (0–300 s; at least 1 when batchSize > 10). @default 30 */
    readonly batchWindowSeconds: number;
    /** Concurrent invocations for the queue (2–1,000). @default 10 */
    readonly maxConcurrency: number;
    /** @default 1024 */
    readonly memoryMb: number;
    /** @default 60 */
    readonly timeoutSeconds: number;
    /** Deliveries before a message moves to the landing DLQ. @default 5 */
    readonly maxReceiveCount: number;
  };
  readonly rawBucket: {
    /** Days before raw objects move to Standard-IA (S3 needs at least 30). @default 30 */
    readonly infrequentAccessAfterDays: number;
    /** Days quarantined inputs are kept. @default 90 */
    readonly quarantineExpireDays: number;
    /** Delete the bucket and its objects with the stack. Only for throwaway environments. @default false */
    readonly destroyOnRemoval: boolean;
  };
  readonly warehouse: {
    /** Redshift Serverless base capacity in RPUs (4, 8–512 by 8, 544–1,024 by 32). @default 8 */
    readonly baseCapacityRpu: number;
    /**
     * The most RPUs the workgroup scales up to (its `MaxCapacity`): from the base capacity to 1,024, in the
     * steps the base capacity takes (AWS documents no range for it; see constructs/warehouse.ts).
     * @default 4 × baseCapacityRpu, at most 1,024
     */
    readonly maxCapacityRpu: number;
    /**
     * Alarm when the workgroup uses more than this many RPU-hours in a day (1 up to 24 × maxCapacityRpu).
     * An alarm, not a limit: see the `create-usage-limit` command in the README for a hard stop.
     * @default 6 × baseCapacityRpu (six hours of base capacity)
     */
    readonly costAlarmRpuHoursPerDay: number;
    /**
     * Database users, groups and roles every publish grants `SELECT` on the models
     * (`{ "users": [], "groups": [], "roles": [] }`). @default none
     */
    readonly readers: WarehouseReaders;
    /** @default 'analytics' */
    readonly databaseName: string;
    /** @default 'elt_admin' */
    readonly adminUsername: string;
    /**
     * Three different zones for the private subnets: AZ IDs (`use1-az1`, the same zone in every account)
     * or AZ names of the Region (`us-east-1a`, a different zone per account), not both.
     * @default three AZ IDs of the Region from DEFAULT_WAREHOUSE_AZ_IDS (lib/infra/availability-zone-ids.ts)
     */
    readonly availabilityZones: readonly string[];
    /** @default '10.42.0.0/16' */
    readonly vpcCidr: string;
  };
  readonly elt: {
    /** EventBridge Scheduler expression. @default 'rate(1 hour)' */
    readonly schedule: string;
    /** IANA time zone for cron schedules. @default 'UTC' */
    readonly timezone: string;
    /**
     * How late, by event time, an event may land and still be filed under its own event-time partition
     * (1–720 hours); the ELT and landing functions read it. @default 72
     */
    readonly latenessHours: number;
    /** Most raw objects one ELT run plans (100–1,000,000); the rest wait for the next run. @default 20000 */
    readonly maxObjectsPerRun: number;
  };
  readonly logs: {
    /** @default 30 */
    readonly retentionDays: number;
  };
  readonly alarms: {
    /** Alarm when the oldest landing message is older than this. @default 900 */
    readonly oldestMessageAgeSeconds: number;
    /** An address to subscribe to the alarm topic. @default none */
    readonly email?: string;
  };
  /**
   * An optional second landing path: a Kafka topic read by a Lambda event source mapping into the same raw
   * bucket. Absent (the default), nothing Kafka-related is built. Not available with target `localstack`.
   * @default none
   */
  readonly kafka?: KafkaConfig;
  /**
   * The HTTP ingest API (`POST /v1/events`) on API Gateway: the AWS side of `elt serve`. On by default for
   * target `aws`; not available with target `localstack` (LocalStack's free edition has no HTTP APIs; run
   * `elt serve` there instead).
   */
  readonly ingestApi: IngestApiConfig;
}

/** The HTTP ingest API's settings. */
export interface IngestApiConfig {
  /** Build the API, its function, idempotency table and token secret. @default true for target aws, false for localstack */
  readonly enabled: boolean;
  /** Steady-state requests per second the stage lets through, then 429 (1–10,000). @default 100 */
  readonly throttleRatePerSecond: number;
  /** Requests the stage lets through at once above the rate (1–5,000). @default 200 */
  readonly throttleBurst: number;
}

/** The Kafka landing path: where the topic is and how the event source mapping reads it. */
export type KafkaConfig = MskServerlessKafkaConfig | SelfManagedKafkaConfig;

/** What both Kafka modes share. */
export interface KafkaCommonConfig {
  /** Kafka topic name rules: 1–249 of a-z A-Z 0-9 . _ - (not "." or ".."). */
  readonly topic: string;
  /** The consumer group the event source mapping joins. @default `elt-<env>-landing` */
  readonly consumerGroupId: string;
  /** Records per invocation (Kafka event source: 1–10,000). @default 1000 */
  readonly batchSize: number;
  /** Wait up to this long to fill a batch (0–300 s). @default 1 */
  readonly batchWindowSeconds: number;
  /** Where a new consumer group starts reading. @default 'TRIM_HORIZON' */
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /**
   * Provisioned mode: this many event pollers are kept ready (minimum 1–200, maximum up to 2,000), and
   * the mapping gets a retry limit and batch bisection. Absent, the mapping runs in on-demand mode, where
   * Lambda retries a failing batch until it succeeds or its records expire from the topic.
   * @default none (on-demand mode)
   */
  readonly provisionedPollers?: { readonly minimum: number; readonly maximum: number };
  /** Retries of a failing batch (0–10,000); set only with `provisionedPollers`. @default 10 */
  readonly retryAttempts?: number;
  /** Alarm when the consumer group is more than this many records behind the topic. @default 100000 */
  readonly lagAlarmRecords: number;
}

/** An MSK Serverless cluster the stateful stack creates in the warehouse VPC, with IAM access control. */
export interface MskServerlessKafkaConfig extends KafkaCommonConfig {
  readonly mode: 'msk-serverless';
}

/** A Kafka cluster run elsewhere, reached over the internet with SASL/SCRAM (or basic) credentials. */
export interface SelfManagedKafkaConfig extends KafkaCommonConfig {
  readonly mode: 'self-managed';
  /** Brokers as `host:port` (1–10). */
  readonly bootstrapServers: readonly string[];
  /** Complete ARN (with its 6-character suffix) of the Secrets Manager secret with the credentials. */
  readonly secretArn: string;
  /** @default 'SASL_SCRAM_512_AUTH' */
  readonly authenticationMethod: 'SASL_SCRAM_512_AUTH' | 'SASL_SCRAM_256_AUTH' | 'BASIC_AUTH';
}

/** Where an environment is deployed. */
export type DeployTarget = 'aws' | 'localstack';

/** A setting that is missing or out of range. The message names the setting and the allowed values. */
export class EltConfigError extends Error {
  constructor(envName: string, setting: string, problem: string, options?: ErrorOptions) {
    super(`elt config (environment "${envName}"): ${setting} ${problem}`, options);
    this.name = 'EltConfigError';
  }
}

// CloudWatch Logs accepts only these retention periods.
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

type Raw = Record<string, unknown>;

/**
 * Turns raw settings into a checked config. `raw` is the environment's block from `elt:environments`
 * (cdk.json) with context overrides applied; `fallback` supplies account and region when the block and
 * the context do not (the CDK CLI sets CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION from credentials).
 */
export function parseConfig(
  envName: string,
  raw: Raw,
  fallback: { account?: string; region?: string } = {},
): EltConfig {
  const fail = (setting: string, problem: string): never => {
    throw new EltConfigError(envName, setting, problem);
  };
  const section = (name: string): Raw => {
    const v = raw[name];
    if (v === undefined) return {};
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(name, 'must be an object');
    return v as Raw;
  };
  const int = (path: string, v: unknown, dflt: number, min: number, max: number, step = 1): number => {
    if (v === undefined) return dflt;
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n))
      return fail(path, `must be an integer, got ${JSON.stringify(v)}`);
    if (n < min || n > max) return fail(path, `must be from ${min} to ${max}, got ${n}`);
    if ((n - min) % step !== 0) return fail(path, `must be a multiple of ${step}, got ${n}`);
    return n;
  };
  const str = (path: string, v: unknown, dflt: string | undefined, pattern: RegExp, what: string): string => {
    if (v === undefined || v === '') {
      if (dflt === undefined) return fail(path, `is not set: ${what}`);
      return dflt;
    }
    if (typeof v !== 'string' || !pattern.test(v))
      return fail(path, `must be ${what}, got ${JSON.stringify(v)}`);
    return v;
  };
  const bool = (path: string, v: unknown, dflt: boolean): boolean => {
    if (v === undefined) return dflt;
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    return fail(path, `must be true or false, got ${JSON.stringify(v)}`);
  };
  const oneOf = <T extends string>(path: string, v: unknown, dflt: T, allowed: readonly T[]): T => {
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
      return fail(path, `must be ${allowed.map((a) => `"${a}"`).join(' or ')}, got ${JSON.stringify(v)}`);
    return v as T;
  };

  const parseKafka = (k: Raw): KafkaConfig => {
    const known = [
      'mode',
      'topic',
      'consumerGroupId',
      'batchSize',
      'batchWindowSeconds',
      'startingPosition',
      'retryAttempts',
      'provisionedPollers',
      'lagAlarmRecords',
      'bootstrapServers',
      'secretArn',
      'authenticationMethod',
    ];
    const unknown = Object.keys(k).filter((key) => !known.includes(key));
    if (unknown.length > 0)
      fail(`kafka.${unknown[0]}`, `is not a setting of kafka (known: ${known.join(', ')})`);
    if (k.mode === undefined) fail('kafka.mode', 'is not set: "msk-serverless" or "self-managed"');
    const mode = oneOf('kafka.mode', k.mode, 'msk-serverless', ['msk-serverless', 'self-managed']);
    const topic = str(
      'kafka.topic',
      k.topic,
      undefined,
      /^(?!\.{1,2}$)[a-zA-Z0-9._-]{1,249}$/,
      'a Kafka topic name: 1–249 of a-z A-Z 0-9 . _ - (not "." or "..")',
    );
    const consumerGroupId = str(
      'kafka.consumerGroupId',
      k.consumerGroupId,
      `elt-${envName}-landing`,
      /^[a-zA-Z0-9._:+=@-]{1,200}$/,
      'a consumer group id: 1–200 of a-z A-Z 0-9 . _ - : + = @ (no "*" or "/": it is part of an IAM resource ARN)',
    );
    let provisionedPollers: { minimum: number; maximum: number } | undefined;
    if (k.provisionedPollers !== undefined) {
      const p = k.provisionedPollers;
      if (p === null || typeof p !== 'object' || Array.isArray(p))
        fail('kafka.provisionedPollers', 'must be an object { minimum, maximum }');
      const pollers = p as Raw;
      if (pollers.minimum === undefined)
        fail('kafka.provisionedPollers.minimum', 'is not set: 1–200 pollers always kept ready');
      if (pollers.maximum === undefined)
        fail('kafka.provisionedPollers.maximum', 'is not set: up to 2000 pollers');
      const minimum = int('kafka.provisionedPollers.minimum', pollers.minimum, 1, 1, 200);
      provisionedPollers = {
        minimum,
        maximum: int('kafka.provisionedPollers.maximum', pollers.maximum, minimum, minimum, 2000),
      };
    }
    if (k.retryAttempts !== undefined && !provisionedPollers) {
      fail(
        'kafka.retryAttempts',
        'applies only in provisioned mode: set kafka.provisionedPollers too (in on-demand mode Lambda retries a failing batch until it succeeds or its records expire)',
      );
    }
    const common: KafkaCommonConfig = {
      topic,
      consumerGroupId,
      batchSize: int('kafka.batchSize', k.batchSize, 1000, 1, 10_000),
      batchWindowSeconds: int('kafka.batchWindowSeconds', k.batchWindowSeconds, 1, 0, 300),
      startingPosition: oneOf('kafka.startingPosition', k.startingPosition, 'TRIM_HORIZON', [
        'TRIM_HORIZON',
        'LATEST',
      ]),
      ...(provisionedPollers
        ? {
            provisionedPollers,
            retryAttempts: int('kafka.retryAttempts', k.retryAttempts, 10, 0, 10_000),
          }
        : {}),
      lagAlarmRecords: int('kafka.lagAlarmRecords', k.lagAlarmRecords, 100_000, 1, 1_000_000_000),
    };
    if (mode === 'msk-serverless') {
      for (const setting of ['bootstrapServers', 'secretArn', 'authenticationMethod']) {
        if (k[setting] !== undefined) {
          fail(
            `kafka.${setting}`,
            'applies only to mode "self-managed": the MSK Serverless cluster is created by the stack and uses IAM access control',
          );
        }
      }
      return { mode, ...common };
    }

    const servers = k.bootstrapServers;
    if (servers === undefined)
      fail(
        'kafka.bootstrapServers',
        'is not set: the brokers of the self-managed cluster as ["host:port", …]',
      );
    if (!Array.isArray(servers) || servers.length < 1 || servers.length > 10) {
      fail(
        'kafka.bootstrapServers',
        `must be a list of 1–10 brokers as "host:port", got ${JSON.stringify(servers)}`,
      );
    }
    const bootstrapServers = (servers as unknown[]).map((server, i) => {
      const hostPort = str(
        `kafka.bootstrapServers[${i}]`,
        server,
        undefined,
        /^(?=.{1,300}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*:\d{1,5}$/,
        'a broker as "host:port"',
      );
      const port = Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
      if (port < 1 || port > 65_535)
        fail(`kafka.bootstrapServers[${i}]`, `must have a port from 1 to 65535, got ${port}`);
      return hostPort;
    });
    return {
      mode,
      ...common,
      bootstrapServers,
      secretArn: str(
        'kafka.secretArn',
        k.secretArn,
        undefined,
        /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/,
        'the complete ARN (with its 6-character suffix) of the Secrets Manager secret holding the SASL/SCRAM credentials',
      ),
      authenticationMethod: oneOf(
        'kafka.authenticationMethod',
        k.authenticationMethod,
        'SASL_SCRAM_512_AUTH',
        ['SASL_SCRAM_512_AUTH', 'SASL_SCRAM_256_AUTH', 'BASIC_AUTH'],
      ),
    };
  };

  const parseIngestApi = (api: Raw): IngestApiConfig => {
    const known = ['enabled', 'throttleRatePerSecond', 'throttleBurst'];
    const unknown = Object.keys(api).filter((key) => !known.includes(key));
    if (unknown.length > 0)
      fail(`ingestApi.${unknown[0]}`, `is not a setting of ingestApi (known: ${known.join(', ')})`);
    const enabled = bool('ingestApi.enabled', api.enabled, deployTarget === 'aws');
    if (enabled && deployTarget === 'localstack') {
      fail(
        'ingestApi.enabled',
        'cannot be true with target "localstack": LocalStack\'s free edition has no API Gateway HTTP APIs (run the same API locally with `elt serve --bus eventbridge:<bus>`)',
      );
    }
    return {
      enabled,
      throttleRatePerSecond: int(
        'ingestApi.throttleRatePerSecond',
        api.throttleRatePerSecond,
        100,
        1,
        10_000,
      ),
      throttleBurst: int('ingestApi.throttleBurst', api.throttleBurst, 200, 1, 5000),
    };
  };

  if (!/^[a-z][a-z0-9-]{0,15}$/.test(envName))
    fail('env', 'must be 1–16 lowercase letters, digits or "-", starting with a letter');
  const account = str(
    'account',
    raw.account ?? fallback.account,
    undefined,
    /^\d{12}$/,
    'a 12-digit AWS account id (pass -c account=… or configure AWS credentials)',
  );
  const region = str(
    'region',
    raw.region ?? fallback.region,
    undefined,
    /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/,
    'an AWS region such as eu-west-1 (pass -c region=…)',
  );

  const deployTarget = raw.target ?? 'aws';
  if (deployTarget !== 'aws' && deployTarget !== 'localstack')
    fail('target', `must be "aws" or "localstack", got ${JSON.stringify(raw.target)}`);
  const bus = section('bus');
  const target = section('ruleTarget');
  const landing = section('landing');
  const bucket = section('rawBucket');
  const wh = section('warehouse');
  const elt = section('elt');
  const logs = section('logs');
  const alarms = section('alarms');

  const batchSize = int('landing.batchSize', landing.batchSize, 1000, 1, 10_000);
  const batchWindowSeconds = int('landing.batchWindowSeconds', landing.batchWindowSeconds, 30, 0, 300);
  if (batchSize > 10 && batchWindowSeconds < 1) {
    fail(
      'landing.batchWindowSeconds',
      'must be at least 1 when landing.batchSize is over 10 (an SQS event source rule)',
    );
  }
  const timeoutSeconds = int('landing.timeoutSeconds', landing.timeoutSeconds, 60, 1, 900);

  const schedule = str(
    'elt.schedule',
    elt.schedule,
    'rate(1 hour)',
    /^(rate|cron)\(.*\)$/,
    'rate(…) or cron(…)',
  );
  try {
    validateScheduleExpression(schedule);
  } catch (error) {
    if (error instanceof ScheduleExpressionError) fail('elt.schedule', `is not valid: ${error.message}`);
    throw error;
  }

  const azs = parseAvailabilityZones(wh.availabilityZones, region, deployTarget === 'aws', fail);
  const baseCapacity = int('warehouse.baseCapacityRpu', wh.baseCapacityRpu, 8, 4, 1024);
  if (!isValidBaseCapacity(baseCapacity)) {
    fail(
      'warehouse.baseCapacityRpu',
      `must be 4, 8–512 in steps of 8, or 544–1,024 in steps of 32 (Redshift Serverless), got ${baseCapacity}`,
    );
  }
  const maxCapacity = int(
    'warehouse.maxCapacityRpu',
    wh.maxCapacityRpu,
    Math.min(4 * baseCapacity, 1024),
    4,
    1024,
  );
  if (maxCapacity < baseCapacity) {
    fail(
      'warehouse.maxCapacityRpu',
      `must be at least warehouse.baseCapacityRpu (${baseCapacity}): the workgroup never runs below its base capacity, got ${maxCapacity}`,
    );
  }
  if (!isValidBaseCapacity(maxCapacity)) {
    fail(
      'warehouse.maxCapacityRpu',
      `must be 4, 8–512 in steps of 8, or 544–1,024 in steps of 32 (the capacity steps of Redshift Serverless), got ${maxCapacity}`,
    );
  }
  const costAlarmRpuHoursPerDay = int(
    'warehouse.costAlarmRpuHoursPerDay',
    wh.costAlarmRpuHoursPerDay,
    6 * baseCapacity,
    1,
    24 * 1024,
  );
  if (costAlarmRpuHoursPerDay > 24 * maxCapacity) {
    fail(
      'warehouse.costAlarmRpuHoursPerDay',
      `can never be reached: the workgroup uses at most warehouse.maxCapacityRpu × 24 = ${24 * maxCapacity} RPU-hours a day, got ${costAlarmRpuHoursPerDay}`,
    );
  }
  let readers: WarehouseReaders = {};
  try {
    readers = parseReaders(wh.readers);
  } catch (error) {
    if (!(error instanceof WarehouseReadersError)) throw error;
    // parseReaders names the setting first ("warehouse.readers.users[0] …"); keep that as the setting.
    const space = error.message.indexOf(' ');
    throw new EltConfigError(envName, error.message.slice(0, space), error.message.slice(space + 1), {
      cause: error,
    });
  }
  const retentionDays = int('logs.retentionDays', logs.retentionDays, 30, 1, 3653);
  if (!LOG_RETENTION_DAYS.includes(retentionDays)) {
    fail(
      'logs.retentionDays',
      `must be one of ${LOG_RETENTION_DAYS.join(', ')} (what CloudWatch Logs accepts), got ${retentionDays}`,
    );
  }
  const destroyOnRemoval = bool('rawBucket.destroyOnRemoval', bucket.destroyOnRemoval, false);
  if (deployTarget === 'localstack' && destroyOnRemoval) {
    fail(
      'rawBucket.destroyOnRemoval',
      'cannot be true with target "localstack": emptying the bucket needs a Lambda-backed custom resource, which LocalStack cannot run without Docker (stopping LocalStack discards its state instead)',
    );
  }
  const kafka = raw.kafka === undefined ? undefined : parseKafka(section('kafka'));
  if (kafka && deployTarget === 'localstack') {
    fail(
      'kafka',
      'cannot be set with target "localstack": LocalStack cannot run MSK or Lambda event source mappings without a paid plan and Docker (test the Kafka path against a local broker with `elt land --transport kafka`)',
    );
  }
  const ingestApi = parseIngestApi(section('ingestApi'));
  const email =
    alarms.email === undefined
      ? undefined
      : str('alarms.email', alarms.email, undefined, /^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'an email address');

  return {
    envName,
    target: deployTarget as DeployTarget,
    account,
    region,
    bus: { archiveRetentionDays: int('bus.archiveRetentionDays', bus.archiveRetentionDays, 30, 0, 36_500) },
    ruleTarget: {
      retryAttempts: int('ruleTarget.retryAttempts', target.retryAttempts, 185, 0, 185),
      maxEventAgeSeconds: int('ruleTarget.maxEventAgeSeconds', target.maxEventAgeSeconds, 86_400, 60, 86_400),
    },
    landing: {
      batchSize,
      batchWindowSeconds,
      maxConcurrency: int('landing.maxConcurrency', landing.maxConcurrency, 10, 2, 1000),
      memoryMb: int('landing.memoryMb', landing.memoryMb, 1024, 128, 10_240),
      timeoutSeconds,
      maxReceiveCount: int('landing.maxReceiveCount', landing.maxReceiveCount, 5, 1, 1000),
    },
    rawBucket: {
      infrequentAccessAfterDays: int(
        'rawBucket.infrequentAccessAfterDays',
        bucket.infrequentAccessAfterDays,
        30,
        30,
        36_500,
      ),
      quarantineExpireDays: int('rawBucket.quarantineExpireDays', bucket.quarantineExpireDays, 90, 1, 36_500),
      destroyOnRemoval,
    },
    warehouse: {
      baseCapacityRpu: baseCapacity,
      maxCapacityRpu: maxCapacity,
      costAlarmRpuHoursPerDay,
      readers,
      databaseName: str(
        'warehouse.databaseName',
        wh.databaseName,
        'analytics',
        /^[a-z_][a-z0-9_]{0,62}$/,
        'a lowercase database name',
      ),
      adminUsername: str(
        'warehouse.adminUsername',
        wh.adminUsername,
        'elt_admin',
        /^[a-z][a-z0-9_]{0,62}$/,
        'a lowercase user name',
      ),
      availabilityZones: azs,
      vpcCidr: str(
        'warehouse.vpcCidr',
        wh.vpcCidr,
        '10.42.0.0/16',
        /^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-4])$/,
        'an IPv4 CIDR from /16 to /24',
      ),
    },
    elt: {
      schedule,
      timezone: str(
        'elt.timezone',
        elt.timezone,
        'UTC',
        /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/,
        'an IANA time zone such as Europe/Berlin',
      ),
      latenessHours: int('elt.latenessHours', elt.latenessHours, 72, 1, 720),
      maxObjectsPerRun: int('elt.maxObjectsPerRun', elt.maxObjectsPerRun, 20_000, 100, 1_000_000),
    },
    logs: { retentionDays },
    alarms: {
      oldestMessageAgeSeconds: int(
        'alarms.oldestMessageAgeSeconds',
        alarms.oldestMessageAgeSeconds,
        900,
        60,
        1_209_600,
      ),
      ...(email ? { email } : {}),
    },
    ...(kafka ? { kafka } : {}),
    ingestApi,
  };
}

/**
 * `warehouse.availabilityZones`: three different AZ IDs (`euw1-az1`) or AZ names (`eu-west-1a`) of `region`,
 * not mixed. Absent, the Region's default AZ IDs; for a target without a warehouse (LocalStack), none when
 * the Region has no default.
 */
function parseAvailabilityZones(
  raw: unknown,
  region: string,
  warehouseBuilt: boolean,
  fail: (setting: string, problem: string) => never,
): readonly string[] {
  const setting = 'warehouse.availabilityZones';
  if (raw === undefined) {
    if (!warehouseBuilt) return DEFAULT_WAREHOUSE_AZ_IDS[region] ?? [];
    try {
      return defaultWarehouseAzIds(region);
    } catch (error) {
      if (error instanceof AvailabilityZoneIdsError) return fail(setting, error.message);
      throw error;
    }
  }
  const example = `AZ IDs such as ${DEFAULT_WAREHOUSE_AZ_IDS[region]?.[0] ?? 'use1-az1'} or names such as ${region}a`;
  if (!Array.isArray(raw) || raw.length !== 3 || !raw.every((z) => typeof z === 'string')) {
    return fail(
      setting,
      `must be three availability zones of ${region} (${example}), got ${JSON.stringify(raw)}`,
    );
  }
  const zones = raw as string[];
  if (new Set(zones).size !== 3)
    return fail(setting, `must be three different availability zones, got ${JSON.stringify(zones)}`);
  const ids = zones.filter((z) => AZ_ID_PATTERN.test(z));
  if (ids.length > 0 && ids.length < 3) {
    return fail(
      setting,
      `must be all AZ IDs or all AZ names, not both, got ${JSON.stringify(zones)} (${describeZonesCommand(region)} maps one to the other)`,
    );
  }
  zones.forEach((zone, i) => {
    if (ids.length === 3 && !azIdPrefixMatches(region, zone)) {
      fail(
        `${setting}[${i}]`,
        `"${zone}" is not an AZ ID of ${region} (list them with: ${describeZonesCommand(region)})`,
      );
    }
    if (ids.length === 0 && !new RegExp(`^${region}[a-z]$`).test(zone)) {
      fail(
        `${setting}[${i}]`,
        `"${zone}" is not an availability zone of ${region}: give ${example} (list them with: ${describeZonesCommand(region)})`,
      );
    }
  });
  return zones;
}

/**
 * Reads the config of the selected environment from CDK context: `-c env=<name>` (default `elt:env` in
 * cdk.json) picks a block of `elt:environments`; `-c account=…`, `-c region=…` and
 * `-c destroyOnRemoval=true` override it.
 */
export function loadConfig(
  scope: Construct,
  processEnv: Readonly<Record<string, string | undefined>> = process.env,
): EltConfig {
  const ctx = (key: string): unknown => scope.node.tryGetContext(key);
  const envName = String(ctx('env') ?? ctx('elt:env') ?? 'dev');
  const environments = (ctx('elt:environments') ?? {}) as Record<string, Raw>;
  const block = environments[envName];
  if (!block) {
    throw new EltConfigError(
      envName,
      'env',
      `names no block of "elt:environments" in cdk.json (known: ${Object.keys(environments).join(', ') || 'none'})`,
    );
  }
  const destroy = ctx('destroyOnRemoval');
  const raw: Raw = {
    ...block,
    ...(ctx('account') !== undefined ? { account: String(ctx('account')) } : {}),
    ...(ctx('region') !== undefined ? { region: String(ctx('region')) } : {}),
    ...(destroy !== undefined
      ? { rawBucket: { ...((block.rawBucket as Raw | undefined) ?? {}), destroyOnRemoval: destroy } }
      : {}),
  };
  return parseConfig(envName, raw, {
    ...(processEnv.CDK_DEFAULT_ACCOUNT ? { account: processEnv.CDK_DEFAULT_ACCOUNT } : {}),
    ...(processEnv.CDK_DEFAULT_REGION ? { region: processEnv.CDK_DEFAULT_REGION } : {}),
  });
}
