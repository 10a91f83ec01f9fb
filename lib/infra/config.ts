import type { Construct } from 'constructs';
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
    /** @default 'analytics' */
    readonly databaseName: string;
    /** @default 'elt_admin' */
    readonly adminUsername: string;
    /** Three AZs for the private subnets. @default `<region>a`, `<region>b`, `<region>c` */
    readonly availabilityZones: readonly string[];
    /** @default '10.42.0.0/16' */
    readonly vpcCidr: string;
  };
  readonly elt: {
    /** EventBridge Scheduler expression. @default 'rate(1 hour)' */
    readonly schedule: string;
    /** IANA time zone for cron schedules. @default 'UTC' */
    readonly timezone: string;
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
}

/** Where an environment is deployed. */
export type DeployTarget = 'aws' | 'localstack';

/** A setting that is missing or out of range. The message names the setting and the allowed values. */
export class EltConfigError extends Error {
  constructor(envName: string, setting: string, problem: string) {
    super(`elt config (environment "${envName}"): ${setting} ${problem}`);
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

  const azs = wh.availabilityZones ?? ['a', 'b', 'c'].map((s) => `${region}${s}`);
  if (
    !Array.isArray(azs) ||
    azs.length !== 3 ||
    !azs.every((z) => typeof z === 'string' && z.startsWith(region))
  ) {
    fail(
      'warehouse.availabilityZones',
      `must be three availability zones of ${region}, got ${JSON.stringify(azs)}`,
    );
  }
  const baseCapacity = int('warehouse.baseCapacityRpu', wh.baseCapacityRpu, 8, 4, 1024);
  if (!isValidBaseCapacity(baseCapacity)) {
    fail(
      'warehouse.baseCapacityRpu',
      `must be 4, 8–512 in steps of 8, or 544–1,024 in steps of 32 (Redshift Serverless), got ${baseCapacity}`,
    );
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
      availabilityZones: azs as string[],
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
  };
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
