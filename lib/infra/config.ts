import type { Construct } from 'constructs';
import {
  ALARMS_SETTINGS,
  BUS_SETTINGS,
  DEPLOY_SECTIONS,
  ELT_SETTINGS,
  INGEST_API_SETTINGS,
  LANDING_SETTINGS,
  LOGS_SETTINGS,
  OLTP_SETTINGS,
  RAW_BUCKET_SETTINGS,
  RULE_TARGET_SETTINGS,
  STREAM_SETTINGS,
  TOP_SETTINGS,
  WAREHOUSE_SETTINGS,
  type AlarmsConfig,
  type BusConfig,
  type EltScheduleConfig,
  type IngestApiConfig,
  type LandingConfig,
  type LogsConfig,
  type OltpConfig,
  type RawBucketConfig,
  type RuleTargetConfig,
  type StreamConfig,
  type WarehouseConfig,
} from '../core/deploy-config/settings.js';
import { EVENT_SOURCE_LIMITS } from '../core/landing/event-source-limits.js';
import { EltError } from '../core/util/errors.js';
import { leftOut, type AppPart, type DeployTarget } from '../core/deploy-config/targets.js';
import { bootstrapServersReader, parseKafka, type KafkaConfig } from './config/kafka-settings.js';
import { SettingsReader, type Fail, type Raw } from './config/settings-reader.js';
import { checkWarehouse, warehouseReaders } from './config/warehouse-settings.js';
import { ScheduleExpressionError, validateScheduleExpression } from './schedule-expression.js';

export type {
  KafkaCommonConfig,
  KafkaConfig,
  MskServerlessKafkaConfig,
  SelfManagedKafkaConfig,
} from './config/kafka-settings.js';
export type { IngestApiConfig, OltpConfig, StreamConfig } from '../core/deploy-config/settings.js';

/**
 * Settings of one deployment environment, read from CDK context and checked before anything is built.
 * Each section's settings (type, default, range, meaning) are declared once in
 * lib/core/deploy-config/settings.ts; the README's settings table is generated from there.
 */
export interface EltConfig {
  /** Environment name, part of every resource name (`elt-<envName>-…`). */
  readonly envName: string;
  /** Where the stacks go (TOP_SETTINGS.target). */
  readonly target: DeployTarget;
  readonly account: string;
  readonly region: string;
  readonly bus: BusConfig;
  readonly ruleTarget: RuleTargetConfig;
  readonly landing: LandingConfig;
  readonly rawBucket: RawBucketConfig;
  readonly warehouse: WarehouseConfig;
  readonly elt: EltScheduleConfig;
  readonly logs: LogsConfig;
  readonly alarms: AlarmsConfig;
  /** An optional second landing path from a Kafka topic; absent (the default), nothing Kafka-related is built. */
  readonly kafka?: KafkaConfig;
  /**
   * The outbox relay of the user's PostgreSQL database as a scheduled function in the warehouse VPC; absent
   * (the default), nothing of it is built.
   */
  readonly oltp?: OltpConfig;
  /** The HTTP ingest API (`POST /v1/events`) on API Gateway: the AWS side of `elt serve`. */
  readonly ingestApi: IngestApiConfig;
  /** The live-windows Flink SQL job on Managed Service for Apache Flink; built only when `enabled`. */
  readonly stream: StreamConfig;
}

/** Where an environment is deployed. */
export type { DeployTarget };

/** A setting that is missing or out of range. The message names the setting and the allowed values. */
export class EltConfigError extends EltError {
  constructor(envName: string, setting: string, problem: string, options?: { cause?: unknown }) {
    super(`elt config (environment "${envName}"): ${setting} ${problem}`, options);
  }
}

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
  const fail: Fail = (setting, problem, options) => {
    throw new EltConfigError(envName, setting, problem, options);
  };
  if (!/^[a-z][a-z0-9-]{0,15}$/.test(envName))
    fail('env', 'must be 1–16 lowercase letters, digits or "-", starting with a letter');
  const topReader = new SettingsReader({ envName, target: 'aws', region: '', fail, custom: {} });
  topReader.rejectUnknown('', raw, [...Object.keys(TOP_SETTINGS), ...Object.keys(DEPLOY_SECTIONS)]);
  const top = topReader.read('', TOP_SETTINGS, {
    account: raw.account ?? fallback.account,
    region: raw.region ?? fallback.region,
    target: raw.target ?? undefined,
  });
  const reader = new SettingsReader({
    envName,
    target: top.target,
    region: top.region,
    fail,
    custom: {
      ...warehouseReaders(top.region, !leftOut(top.target, 'redshiftServerless'), fail),
      ...bootstrapServersReader(fail),
    },
  });
  const section = (name: keyof typeof DEPLOY_SECTIONS): Raw => reader.object(name, raw[name]);
  const config: EltConfig = {
    envName,
    ...top,
    bus: reader.section('bus', BUS_SETTINGS, section('bus')),
    ruleTarget: reader.section('ruleTarget', RULE_TARGET_SETTINGS, section('ruleTarget')),
    landing: reader.section('landing', LANDING_SETTINGS, section('landing')),
    rawBucket: reader.section('rawBucket', RAW_BUCKET_SETTINGS, section('rawBucket')),
    warehouse: reader.section('warehouse', WAREHOUSE_SETTINGS, section('warehouse')),
    elt: reader.section('elt', ELT_SETTINGS, section('elt')),
    logs: reader.section('logs', LOGS_SETTINGS, section('logs')),
    alarms: reader.section('alarms', ALARMS_SETTINGS, section('alarms')),
    ...(raw.kafka === undefined ? {} : { kafka: parseKafka(reader, section('kafka'), fail) }),
    ingestApi: reader.section('ingestApi', INGEST_API_SETTINGS, section('ingestApi')),
    ...(raw.oltp === undefined ? {} : { oltp: reader.section('oltp', OLTP_SETTINGS, section('oltp')) }),
    stream: reader.section('stream', STREAM_SETTINGS, section('stream')),
  };
  checkAcrossSections(config, fail);
  return config;
}

/** The rules that tie settings together, beyond each setting's own range. */
function checkAcrossSections(config: EltConfig, fail: Fail): void {
  const { landing } = config;
  if (landing.batchSize > EVENT_SOURCE_LIMITS.sqsBatchSizeWithoutWindow && landing.batchWindowSeconds < 1) {
    fail(
      'landing.batchWindowSeconds',
      `must be at least 1 when landing.batchSize is over ${EVENT_SOURCE_LIMITS.sqsBatchSizeWithoutWindow} (an SQS event source rule)`,
    );
  }
  try {
    validateScheduleExpression(config.elt.schedule);
  } catch (error) {
    if (error instanceof ScheduleExpressionError)
      fail('elt.schedule', `is not valid: ${error.message}`, { cause: error });
    throw error;
  }
  checkWarehouse(config.warehouse, fail);
  checkTarget(config, fail);
}

/** Settings that need a part of the app the target leaves out (lib/core/deploy-config/targets.ts). */
function checkTarget(config: EltConfig, fail: Fail): void {
  const { target } = config;
  const refuse = (setting: string, verb: string, part: AppPart, instead = ''): void => {
    const why = leftOut(target, part);
    if (why) fail(setting, `cannot be ${verb} with target "${target}": ${why}${instead}`);
  };
  if (config.rawBucket.destroyOnRemoval)
    refuse(
      'rawBucket.destroyOnRemoval',
      'true',
      'lambdaCustomResources',
      ' (emptying the bucket needs a Lambda-backed custom resource; stopping the emulator discards its state instead)',
    );
  if (config.kafka)
    refuse(
      'kafka',
      'set',
      'kafka',
      ' (test the Kafka path against a local broker with `elt land --transport kafka`)',
    );
  if (config.ingestApi.enabled) refuse('ingestApi.enabled', 'true', 'ingestApi');
  if (config.oltp)
    refuse(
      'oltp',
      'set',
      'redshiftServerless',
      ' (the relay runs in the warehouse VPC; run `elt oltp relay --bus eventbridge:<bus>` on a host instead)',
    );
  if (config.stream.enabled && target !== 'aws')
    fail(
      'stream.enabled',
      `cannot be true with target "${target}": it has no Managed Service for Apache Flink (run the job on the local Flink with \`elt stream start\`)`,
    );
  if (config.stream.enabled && config.kafka?.mode === 'self-managed')
    fail(
      'stream.enabled',
      'cannot be true with kafka.mode "self-managed": the Flink application reads Kafka with IAM auth from the warehouse VPC (MSK Serverless); leave kafka out to read the bus through Kinesis instead',
    );
  const workflow = !leftOut(target, 'eltWorkflow');
  if (workflow && leftOut(target, 'redshiftServerless') && config.warehouse.dataApiEndpoint === undefined)
    fail(
      'warehouse.dataApiEndpoint',
      `is not set: target "${target}" has no Redshift Serverless, so the ELT steps need a Data API endpoint (\`elt dataapi\` on the host, e.g. http://127.0.0.1:4599)`,
    );
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
