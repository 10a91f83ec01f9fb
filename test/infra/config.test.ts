import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { EltConfigError, loadConfig, parseConfig } from '../../lib/infra/config.js';
import { cdkJsonContext, withEnvironment } from '../support/cdk-app.js';

const base = { account: '123456789012', region: 'eu-west-1' };

function error(raw: Record<string, unknown>): string {
  try {
    parseConfig('dev', { ...base, ...raw });
  } catch (e) {
    expect(e).toBeInstanceOf(EltConfigError);
    return (e as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('parseConfig', () => {
  it('fills every setting with its documented default', () => {
    const c = parseConfig('dev', base);
    expect(c).toMatchObject({
      envName: 'dev',
      landing: {
        batchSize: 10_000,
        batchWindowSeconds: 30,
        maxConcurrency: 10,
        memoryMb: 1024,
        timeoutSeconds: 60,
        maxReceiveCount: 5,
      },
      ruleTarget: { retryAttempts: 185, maxEventAgeSeconds: 86_400 },
      rawBucket: { infrequentAccessAfterDays: 30, quarantineExpireDays: 90, destroyOnRemoval: false },
      warehouse: {
        baseCapacityRpu: 8,
        maxCapacityRpu: 32,
        costAlarmRpuHoursPerDay: 48,
        readers: {},
        availabilityZones: ['euw1-az1', 'euw1-az2', 'euw1-az3'],
      },
      elt: { schedule: 'rate(1 hour)', timezone: 'UTC', latenessHours: 72, maxObjectsPerRun: 20_000 },
    });
  });

  it('takes account and region from the fallback (the CDK CLI credentials) when not configured', () => {
    expect(parseConfig('dev', {}, { account: '210987654321', region: 'us-east-1' })).toMatchObject({
      account: '210987654321',
      region: 'us-east-1',
    });
  });

  it.each([
    [{ account: undefined }, 'account is not set: a 12-digit AWS account id'],
    [{ account: '1234' }, 'account must be a 12-digit AWS account id'],
    [{ region: undefined }, 'region is not set'],
    [{ region: 'moon-1' }, 'region must be an AWS region'],
    [{ landing: { batchWindowSeconds: 301 } }, 'landing.batchWindowSeconds must be from 0 to 300, got 301'],
    [{ landing: { batchSize: 10_001 } }, 'landing.batchSize must be from 1 to 10000, got 10001'],
    [
      { landing: { batchSize: 100, batchWindowSeconds: 0 } },
      'landing.batchWindowSeconds must be at least 1 when landing.batchSize is over 10',
    ],
    [{ landing: { maxConcurrency: 1 } }, 'landing.maxConcurrency must be from 2 to 1000'],
    [{ landing: { timeoutSeconds: 901 } }, 'landing.timeoutSeconds must be from 1 to 900'],
    [{ elt: { schedule: 'every hour' } }, 'elt.schedule must be rate(…) or cron(…)'],
    [{ elt: { schedule: 'rate(1 hours)' } }, 'elt.schedule is not valid'],
    [{ elt: { schedule: 'cron(0 * * * *)' } }, 'cron needs 6 fields'],
    [{ elt: { schedule: 'cron(0 25 * * ? *)' } }, 'hours value 25 is outside 0–23'],
    [{ elt: { schedule: 'cron(0 * * * * *)' } }, 'exactly one of day-of-month and day-of-week must be "?"'],
    [{ warehouse: { baseCapacityRpu: 7 } }, 'warehouse.baseCapacityRpu must be 4, 8–512 in steps of 8'],
    [{ warehouse: { baseCapacityRpu: 520 } }, 'warehouse.baseCapacityRpu must be 4, 8–512 in steps of 8'],
    [{ warehouse: { baseCapacityRpu: 2048 } }, 'warehouse.baseCapacityRpu must be from 4 to 1024'],
    [
      { warehouse: { availabilityZones: ['eu-west-1a', 'eu-west-1b'] } },
      'warehouse.availabilityZones must be three availability zones of eu-west-1 (AZ IDs such as euw1-az1 or names such as eu-west-1a)',
    ],
    [{ rawBucket: { infrequentAccessAfterDays: 7 } }, 'rawBucket.infrequentAccessAfterDays must be from 30'],
    [{ target: 'gcp' }, 'target must be "aws", "localstack" or "emulator", got "gcp"'],
    [
      { target: 'localstack', rawBucket: { destroyOnRemoval: true } },
      'rawBucket.destroyOnRemoval cannot be true with target "localstack"',
    ],
    [{ rawBucket: { destroyOnRemoval: 'yes' } }, 'rawBucket.destroyOnRemoval must be true or false'],
    [{ ruleTarget: { retryAttempts: 186 } }, 'ruleTarget.retryAttempts must be from 0 to 185'],
    [{ ruleTarget: { maxEventAgeSeconds: 30 } }, 'ruleTarget.maxEventAgeSeconds must be from 60 to 86400'],
    [{ logs: { retentionDays: 10 } }, 'logs.retentionDays must be one of 1, 3, 5, 7, 14'],
    [{ alarms: { email: 'not-an-address' } }, 'alarms.email must be an email address'],
    [{ landing: 'fast' }, 'landing must be an object'],
  ])('rejects %j naming the setting', (raw, message) => {
    const text = error(raw as Record<string, unknown>);
    expect(text).toContain('elt config (environment "dev"): ');
    expect(text).toContain(message);
  });

  it('accepts the largest-region capacities in steps of 32 and the 4 RPU minimum', () => {
    expect(
      parseConfig('dev', { ...base, warehouse: { baseCapacityRpu: 1024 } }).warehouse.baseCapacityRpu,
    ).toBe(1024);
    expect(parseConfig('dev', { ...base, warehouse: { baseCapacityRpu: 4 } }).warehouse.baseCapacityRpu).toBe(
      4,
    );
  });
});

describe('parseConfig: warehouse capacity, cost alarm and readers', () => {
  it('caps the workgroup at 4 × the base capacity, at most 1,024 RPUs, and alarms at 6 hours of base capacity a day', () => {
    const warehouse = (raw: Record<string, unknown>) =>
      parseConfig('dev', { ...base, warehouse: raw }).warehouse;
    expect(warehouse({ baseCapacityRpu: 4 })).toMatchObject({
      maxCapacityRpu: 16,
      costAlarmRpuHoursPerDay: 24,
    });
    expect(warehouse({ baseCapacityRpu: 32 })).toMatchObject({
      maxCapacityRpu: 128,
      costAlarmRpuHoursPerDay: 192,
    });
    expect(warehouse({ baseCapacityRpu: 512 })).toMatchObject({ maxCapacityRpu: 1024 });
    expect(warehouse({ baseCapacityRpu: 8, maxCapacityRpu: 8, costAlarmRpuHoursPerDay: 192 })).toMatchObject({
      maxCapacityRpu: 8,
      costAlarmRpuHoursPerDay: 192,
    });
  });

  it('takes readers checked by parseReaders', () => {
    const readers = { users: ['analyst', 'IAMR:bi-role'], groups: ['bi'], roles: [] };
    expect(parseConfig('dev', { ...base, warehouse: { readers } }).warehouse.readers).toEqual(readers);
  });

  it.each([
    [
      { warehouse: { maxCapacityRpu: 4 } },
      'warehouse.maxCapacityRpu must be at least warehouse.baseCapacityRpu (8): the workgroup never runs below its base capacity, got 4',
    ],
    [{ warehouse: { maxCapacityRpu: 12 } }, 'warehouse.maxCapacityRpu must be 4, 8–512 in steps of 8'],
    [{ warehouse: { maxCapacityRpu: 2048 } }, 'warehouse.maxCapacityRpu must be from 4 to 1024, got 2048'],
    [
      { warehouse: { costAlarmRpuHoursPerDay: 0 } },
      'warehouse.costAlarmRpuHoursPerDay must be from 1 to 24576',
    ],
    [
      { warehouse: { maxCapacityRpu: 8, costAlarmRpuHoursPerDay: 193 } },
      'warehouse.costAlarmRpuHoursPerDay can never be reached: the workgroup uses at most warehouse.maxCapacityRpu × 24 = 192 RPU-hours a day, got 193',
    ],
    [{ warehouse: { readers: ['analyst'] } }, 'warehouse.readers must be an object'],
    [{ warehouse: { readers: { admins: [] } } }, 'warehouse.readers.admins is not a kind of reader'],
    [
      { warehouse: { readers: { users: ['drop table;'] } } },
      'warehouse.readers.users[0] "drop table;" is not a database user name',
    ],
  ])('rejects %j naming the setting', (raw, message) => {
    const text = error(raw as Record<string, unknown>);
    expect(text).toContain('elt config (environment "dev"): ');
    expect(text).toContain(message);
  });
});

describe('parseConfig: warehouse availability zones', () => {
  const azs = (availabilityZones: unknown, region = 'eu-west-1') =>
    parseConfig('dev', { ...base, region, warehouse: { availabilityZones } }).warehouse.availabilityZones;
  const zonesCommand = (region: string) =>
    `aws ec2 describe-availability-zones --region ${region} --query 'AvailabilityZones[].[ZoneName,ZoneId]'`;

  it('defaults to three AZ IDs of the region from the table, skipping zones newer services lack (use1-az3)', () => {
    expect(parseConfig('dev', { ...base, region: 'us-east-1' }).warehouse.availabilityZones).toEqual([
      'use1-az1',
      'use1-az2',
      'use1-az4',
    ]);
    expect(parseConfig('dev', { ...base, region: 'ap-northeast-1' }).warehouse.availabilityZones).toEqual([
      'apne1-az1',
      'apne1-az2',
      'apne1-az4',
    ]);
  });

  it('takes three AZ IDs of the region, or three AZ names of the region', () => {
    expect(azs(['euw1-az3', 'euw1-az1', 'euw1-az2'])).toEqual(['euw1-az3', 'euw1-az1', 'euw1-az2']);
    expect(azs(['eu-west-1a', 'eu-west-1b', 'eu-west-1c'])).toEqual([
      'eu-west-1a',
      'eu-west-1b',
      'eu-west-1c',
    ]);
    expect(azs(['mec1-az1', 'mec1-az2', 'mec1-az3'], 'me-central-1')).toEqual([
      'mec1-az1',
      'mec1-az2',
      'mec1-az3',
    ]);
  });

  it('fails for a region without defaults, telling to set three AZ IDs and how to list them', () => {
    expect(() => parseConfig('dev', { ...base, region: 'me-central-1' })).toThrow(
      `warehouse.availabilityZones has no default for region me-central-1: set it to three AZ IDs of me-central-1 where Redshift Serverless runs (list the Region's IDs with: ${zonesCommand('me-central-1')})`,
    );
    // us-west-1 is left out on purpose: Redshift Serverless wants two of the three subnets in one AZ there.
    expect(() => parseConfig('dev', { ...base, region: 'us-west-1' })).toThrow(
      'has no default for region us-west-1',
    );
  });

  it('builds no warehouse for localstack, so a region without defaults is no error there', () => {
    expect(
      parseConfig('dev', { ...base, region: 'me-central-1', target: 'localstack' }).warehouse
        .availabilityZones,
    ).toEqual([]);
  });

  it.each([
    [['euw1-az1', 'euw1-az2'], 'warehouse.availabilityZones must be three availability zones of eu-west-1'],
    ['euw1-az1', 'warehouse.availabilityZones must be three availability zones of eu-west-1'],
    [
      ['euw1-az1', 'euw1-az1', 'euw1-az2'],
      'warehouse.availabilityZones must be three different availability zones, got ["euw1-az1","euw1-az1","euw1-az2"]',
    ],
    [
      ['euw1-az1', 'eu-west-1b', 'euw1-az3'],
      `warehouse.availabilityZones must be all AZ IDs or all AZ names, not both, got ["euw1-az1","eu-west-1b","euw1-az3"] (${zonesCommand('eu-west-1')} maps one to the other)`,
    ],
    [
      ['euw1-az1', 'euw2-az2', 'euw1-az3'],
      `warehouse.availabilityZones[1] "euw2-az2" is not an AZ ID of eu-west-1 (list them with: ${zonesCommand('eu-west-1')})`,
    ],
    [
      ['use1-az1', 'use1-az2', 'use1-az4'],
      'warehouse.availabilityZones[0] "use1-az1" is not an AZ ID of eu-west-1',
    ],
    [
      ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      `warehouse.availabilityZones[0] "us-east-1a" is not an availability zone of eu-west-1: give AZ IDs such as euw1-az1 or names such as eu-west-1a (list them with: ${zonesCommand('eu-west-1')})`,
    ],
    [
      ['eu-west-1a', 'eu-west-1b', 'zone-3'],
      'warehouse.availabilityZones[2] "zone-3" is not an availability zone of eu-west-1',
    ],
  ])('rejects %j naming the setting', (availabilityZones, message) => {
    const text = error({ warehouse: { availabilityZones } });
    expect(text).toContain('elt config (environment "dev"): ');
    expect(text).toContain(message);
  });

  it('checks the prefix of AZ IDs of a region outside the table by its first part and number', () => {
    expect(() => azs(['use1-az1', 'use1-az2', 'use1-az3'], 'me-central-1')).toThrow(
      'warehouse.availabilityZones[0] "use1-az1" is not an AZ ID of me-central-1',
    );
    expect(() => azs(['mec2-az1', 'mec2-az2', 'mec2-az3'], 'me-central-1')).toThrow(
      'is not an AZ ID of me-central-1',
    );
  });
});

describe('parseConfig: ELT lateness and run size', () => {
  it('takes every setting', () => {
    expect(
      parseConfig('dev', { ...base, elt: { latenessHours: 720, maxObjectsPerRun: '1000000' } }).elt,
    ).toMatchObject({ latenessHours: 720, maxObjectsPerRun: 1_000_000 });
  });

  it.each([
    [{ elt: { latenessHours: 0 } }, 'elt.latenessHours must be from 1 to 720, got 0'],
    [{ elt: { latenessHours: 721 } }, 'elt.latenessHours must be from 1 to 720, got 721'],
    [{ elt: { latenessHours: 1.5 } }, 'elt.latenessHours must be an integer, got 1.5'],
    [{ elt: { maxObjectsPerRun: 99 } }, 'elt.maxObjectsPerRun must be from 100 to 1000000, got 99'],
    [
      { elt: { maxObjectsPerRun: 1_000_001 } },
      'elt.maxObjectsPerRun must be from 100 to 1000000, got 1000001',
    ],
  ])('rejects %j naming the setting', (raw, message) => {
    const text = error(raw as Record<string, unknown>);
    expect(text).toContain('elt config (environment "dev"): ');
    expect(text).toContain(message);
  });
});

describe('parseConfig: the optional kafka section', () => {
  const msk = { mode: 'msk-serverless', topic: 'elt-events' };
  const selfManaged = {
    mode: 'self-managed',
    topic: 'elt.events',
    bootstrapServers: ['b-1.kafka.example.com:9096', 'b-2.kafka.example.com:9096'],
    secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_elt-AbCdEf',
  };

  it('is absent unless configured: no kafka key at all', () => {
    expect('kafka' in parseConfig('dev', base)).toBe(false);
  });

  it('fills an MSK Serverless section with its documented defaults (on-demand mode, no retry limit)', () => {
    expect(parseConfig('dev', { ...base, kafka: msk }).kafka).toEqual({
      mode: 'msk-serverless',
      topic: 'elt-events',
      consumerGroupId: 'elt-dev-landing',
      batchSize: 10_000,
      batchWindowSeconds: 30,
      startingPosition: 'TRIM_HORIZON',
      lagAlarmRecords: 100_000,
    });
  });

  it('fills a self-managed section with SASL/SCRAM-512 by default', () => {
    expect(parseConfig('prod', { ...base, kafka: selfManaged }).kafka).toEqual({
      ...selfManaged,
      consumerGroupId: 'elt-prod-landing',
      batchSize: 10_000,
      batchWindowSeconds: 30,
      startingPosition: 'TRIM_HORIZON',
      lagAlarmRecords: 100_000,
      authenticationMethod: 'SASL_SCRAM_512_AUTH',
    });
  });

  it('takes provisioned mode with a retry limit (10 by default) and every other setting', () => {
    expect(
      parseConfig('dev', {
        ...base,
        kafka: { ...msk, provisionedPollers: { minimum: 2, maximum: 20 } },
      }).kafka,
    ).toMatchObject({ provisionedPollers: { minimum: 2, maximum: 20 }, retryAttempts: 10 });
    expect(
      parseConfig('dev', {
        ...base,
        kafka: {
          ...selfManaged,
          consumerGroupId: 'legacy.consumer-group_1',
          batchSize: 10_000,
          batchWindowSeconds: 0,
          startingPosition: 'LATEST',
          provisionedPollers: { minimum: 200, maximum: 2000 },
          retryAttempts: 0,
          lagAlarmRecords: 1,
          authenticationMethod: 'BASIC_AUTH',
        },
      }).kafka,
    ).toMatchObject({
      consumerGroupId: 'legacy.consumer-group_1',
      batchSize: 10_000,
      batchWindowSeconds: 0,
      startingPosition: 'LATEST',
      provisionedPollers: { minimum: 200, maximum: 2000 },
      retryAttempts: 0,
      lagAlarmRecords: 1,
      authenticationMethod: 'BASIC_AUTH',
    });
  });

  it.each([
    [{ kafka: 'yes' }, 'kafka must be an object'],
    [{ kafka: {} }, 'kafka.mode is not set: "msk-serverless" or "self-managed"'],
    [{ kafka: { ...msk, mode: 'msk' } }, 'kafka.mode must be "msk-serverless" or "self-managed", got "msk"'],
    [{ kafka: { ...msk, batchsize: 10 } }, 'kafka.batchsize is not a setting; did you mean kafka.batchSize?'],
    [{ kafka: { mode: 'msk-serverless' } }, 'kafka.topic is not set: a Kafka topic name'],
    [{ kafka: { ...msk, topic: 'elt events' } }, 'kafka.topic must be a Kafka topic name: 1–249 of'],
    [{ kafka: { ...msk, topic: '..' } }, 'kafka.topic must be a Kafka topic name'],
    [{ kafka: { ...msk, topic: 'x'.repeat(250) } }, 'kafka.topic must be a Kafka topic name'],
    [{ kafka: { ...msk, consumerGroupId: 'landing*' } }, 'kafka.consumerGroupId must be a consumer group id'],
    [{ kafka: { ...msk, consumerGroupId: 'a/b' } }, 'kafka.consumerGroupId must be a consumer group id'],
    [{ kafka: { ...msk, batchSize: 0 } }, 'kafka.batchSize must be from 1 to 10000, got 0'],
    [{ kafka: { ...msk, batchSize: 10_001 } }, 'kafka.batchSize must be from 1 to 10000, got 10001'],
    [
      { kafka: { ...msk, batchWindowSeconds: 301 } },
      'kafka.batchWindowSeconds must be from 0 to 300, got 301',
    ],
    [
      { kafka: { ...msk, startingPosition: 'AT_TIMESTAMP' } },
      'kafka.startingPosition must be "TRIM_HORIZON" or "LATEST", got "AT_TIMESTAMP"',
    ],
    [{ kafka: { ...msk, lagAlarmRecords: 0 } }, 'kafka.lagAlarmRecords must be from 1 to 1000000000, got 0'],
    [
      { kafka: { ...msk, retryAttempts: 3 } },
      'kafka.retryAttempts applies only in provisioned mode: set kafka.provisionedPollers too',
    ],
    [
      { kafka: { ...msk, provisionedPollers: { minimum: 1, maximum: 2 }, retryAttempts: 10_001 } },
      'kafka.retryAttempts must be from 0 to 10000, got 10001',
    ],
    [
      { kafka: { ...msk, provisionedPollers: 5 } },
      'kafka.provisionedPollers must be an object { minimum, maximum }',
    ],
    [
      { kafka: { ...msk, provisionedPollers: { maximum: 5 } } },
      'kafka.provisionedPollers.minimum is not set',
    ],
    [
      { kafka: { ...msk, provisionedPollers: { minimum: 5 } } },
      'kafka.provisionedPollers.maximum is not set',
    ],
    [
      { kafka: { ...msk, provisionedPollers: { minimum: 0, maximum: 5 } } },
      'kafka.provisionedPollers.minimum must be from 1 to 200, got 0',
    ],
    [
      { kafka: { ...msk, provisionedPollers: { minimum: 201, maximum: 300 } } },
      'kafka.provisionedPollers.minimum must be from 1 to 200, got 201',
    ],
    [
      { kafka: { ...msk, provisionedPollers: { minimum: 5, maximum: 2 } } },
      'kafka.provisionedPollers.maximum must be from 5 to 2000, got 2',
    ],
    [
      { kafka: { ...msk, provisionedPollers: { minimum: 5, maximum: 2001 } } },
      'kafka.provisionedPollers.maximum must be from 5 to 2000, got 2001',
    ],
    [
      { kafka: { ...msk, bootstrapServers: ['b-1:9092'] } },
      'kafka.bootstrapServers applies only to mode "self-managed"',
    ],
    [
      { kafka: { ...msk, secretArn: selfManaged.secretArn } },
      'kafka.secretArn applies only to mode "self-managed"',
    ],
    [
      { kafka: { ...msk, authenticationMethod: 'BASIC_AUTH' } },
      'kafka.authenticationMethod applies only to mode "self-managed"',
    ],
    [
      { kafka: { ...selfManaged, bootstrapServers: undefined } },
      'kafka.bootstrapServers is not set: the brokers of the self-managed cluster',
    ],
    [
      { kafka: { ...selfManaged, bootstrapServers: [] } },
      'kafka.bootstrapServers must be a list of 1–10 brokers',
    ],
    [
      { kafka: { ...selfManaged, bootstrapServers: 'b-1:9092' } },
      'kafka.bootstrapServers must be a list of 1–10 brokers as "host:port", got "b-1:9092"',
    ],
    [
      { kafka: { ...selfManaged, bootstrapServers: Array.from({ length: 11 }, (_, i) => `b-${i}:9092`) } },
      'kafka.bootstrapServers must be a list of 1–10 brokers',
    ],
    [
      { kafka: { ...selfManaged, bootstrapServers: ['b-1.example.com'] } },
      'kafka.bootstrapServers[0] must be a broker as "host:port", got "b-1.example.com"',
    ],
    [
      { kafka: { ...selfManaged, bootstrapServers: ['b-1:9092', 'b-2:70000'] } },
      'kafka.bootstrapServers[1] must have a port from 1 to 65535, got 70000',
    ],
    [{ kafka: { ...selfManaged, secretArn: undefined } }, 'kafka.secretArn is not set: the complete ARN'],
    [
      {
        kafka: {
          ...selfManaged,
          secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_elt',
        },
      },
      'kafka.secretArn must be the complete ARN (with its 6-character suffix)',
    ],
    [
      { kafka: { ...selfManaged, authenticationMethod: 'PLAIN' } },
      'kafka.authenticationMethod must be "SASL_SCRAM_512_AUTH", "SASL_SCRAM_256_AUTH" or "BASIC_AUTH", got "PLAIN"',
    ],
    [
      { target: 'localstack', kafka: msk },
      'kafka cannot be set with target "localstack": LocalStack cannot run MSK or Lambda event source mappings',
    ],
  ])('rejects %j naming the setting', (raw, message) => {
    const text = error(raw as Record<string, unknown>);
    expect(text).toContain('elt config (environment "dev"): ');
    expect(text).toContain(message);
  });
});

describe('parseConfig: the ingestApi section', () => {
  it('is on for target aws and off for localstack by default, at 100 rps with a burst of 200', () => {
    expect(parseConfig('dev', base).ingestApi).toEqual({
      enabled: true,
      throttleRatePerSecond: 100,
      throttleBurst: 200,
    });
    expect(parseConfig('dev', { ...base, target: 'localstack' }).ingestApi).toEqual({
      enabled: false,
      throttleRatePerSecond: 100,
      throttleBurst: 200,
    });
  });

  it('takes every setting, and may be turned off for aws', () => {
    expect(
      parseConfig('dev', {
        ...base,
        ingestApi: { enabled: 'false', throttleRatePerSecond: 10_000, throttleBurst: '5000' },
      }).ingestApi,
    ).toEqual({ enabled: false, throttleRatePerSecond: 10_000, throttleBurst: 5000 });
    expect(
      parseConfig('dev', { ...base, target: 'localstack', ingestApi: { enabled: false } }).ingestApi.enabled,
    ).toBe(false);
  });

  it.each([
    [{ ingestApi: true }, 'ingestApi must be an object'],
    [{ ingestApi: { enabled: 'yes' } }, 'ingestApi.enabled must be true or false, got "yes"'],
    [
      { ingestApi: { throttleRatePerSecond: 0 } },
      'ingestApi.throttleRatePerSecond must be from 1 to 10000, got 0',
    ],
    [
      { ingestApi: { throttleRatePerSecond: 10_001 } },
      'ingestApi.throttleRatePerSecond must be from 1 to 10000, got 10001',
    ],
    [
      { ingestApi: { throttleRatePerSecond: 2.5 } },
      'ingestApi.throttleRatePerSecond must be an integer, got 2.5',
    ],
    [{ ingestApi: { throttleBurst: 0 } }, 'ingestApi.throttleBurst must be from 1 to 5000, got 0'],
    [{ ingestApi: { throttleBurst: 5001 } }, 'ingestApi.throttleBurst must be from 1 to 5000, got 5001'],
    [{ ingestApi: { throttleBurst: 'lots' } }, 'ingestApi.throttleBurst must be an integer, got "lots"'],
    [
      { ingestApi: { rateLimit: 10 } },
      'ingestApi.rateLimit is not a setting (ingestApi has: enabled, throttleRatePerSecond, throttleBurst)',
    ],
    [
      { target: 'localstack', ingestApi: { enabled: true } },
      'ingestApi.enabled cannot be true with target "localstack": LocalStack\'s free edition has no API Gateway HTTP APIs',
    ],
  ])('rejects %j naming the setting', (raw, message) => {
    const text = error(raw as Record<string, unknown>);
    expect(text).toContain('elt config (environment "dev"): ');
    expect(text).toContain(message);
  });
});

describe('parseConfig: unknown settings', () => {
  it.each([
    [{ landing: { batchsize: 10 } }, 'landing.batchsize is not a setting; did you mean landing.batchSize?'],
    [
      { bus: { archiveRetentionDay: 7 } },
      'bus.archiveRetentionDay is not a setting; did you mean bus.archiveRetentionDays?',
    ],
    [
      { ruleTarget: { retryAttempt: 3 } },
      'ruleTarget.retryAttempt is not a setting; did you mean ruleTarget.retryAttempts?',
    ],
    [
      { rawBucket: { destroyOnRemove: true } },
      'rawBucket.destroyOnRemove is not a setting; did you mean rawBucket.destroyOnRemoval?',
    ],
    [
      { warehouse: { baseCapacityRPU: 8 } },
      'warehouse.baseCapacityRPU is not a setting; did you mean warehouse.baseCapacityRpu?',
    ],
    [{ elt: { schedul: 'rate(1 hour)' } }, 'elt.schedul is not a setting; did you mean elt.schedule?'],
    [{ logs: { retention: 30 } }, 'logs.retention is not a setting (logs has: retentionDays)'],
    [{ alarms: { emial: 'a@b.cd' } }, 'alarms.emial is not a setting; did you mean alarms.email?'],
    [
      { kafka: { mode: 'msk-serverless', topic: 't', startingposition: 'LATEST' } },
      'kafka.startingposition is not a setting; did you mean kafka.startingPosition?',
    ],
    [
      { kafka: { mode: 'msk-serverless', topic: 't', provisionedPollers: { minimum: 1, maximun: 2 } } },
      'kafka.provisionedPollers.maximun is not a setting; did you mean kafka.provisionedPollers.maximum?',
    ],
    [{ ingestApi: { enable: false } }, 'ingestApi.enable is not a setting; did you mean ingestApi.enabled?'],
    [{ lnding: { batchSize: 10 } }, 'lnding is not a setting; did you mean landing?'],
    [{ Region: 'eu-west-1' }, 'Region is not a setting; did you mean region?'],
    [{ batchSize: 10 }, 'batchSize is not a setting (an environment has: target, account, region, bus,'],
  ])('rejects %j naming the closest known setting', (raw, message) => {
    const text = error(raw as Record<string, unknown>);
    expect(text).toContain('elt config (environment "dev"): ');
    expect(text).toContain(message);
  });

  it('accepts every setting the declarations list, in every section of cdk.json', () => {
    for (const env of ['dev', 'prod', 'local']) {
      const block = (cdkJsonContext()['elt:environments'] as Record<string, Record<string, unknown>>)[env];
      expect(() => parseConfig(env, { ...base, ...block }), env).not.toThrow();
    }
  });
});

describe('loadConfig', () => {
  const app = (context: Record<string, unknown>) => new App({ context: { ...cdkJsonContext(), ...context } });

  it('reads the selected environment of cdk.json with -c overrides', () => {
    const c = loadConfig(
      app({ env: 'prod', account: '123456789012', region: 'us-east-1', destroyOnRemoval: 'true' }),
      {},
    );
    expect(c).toMatchObject({
      envName: 'prod',
      region: 'us-east-1',
      landing: { batchSize: 10_000, batchWindowSeconds: 60, maxConcurrency: 50 },
      warehouse: { baseCapacityRpu: 32 },
      rawBucket: { destroyOnRemoval: true },
    });
  });

  it('names the known environments when asked for an unknown one', () => {
    expect(() =>
      loadConfig(app({ env: 'staging', account: '123456789012', region: 'eu-west-1' }), {}),
    ).toThrow('env names no block of "elt:environments" in cdk.json (known: dev, prod, local, emulator)');
  });

  it('builds the ingest API for the aws environments of cdk.json and not for local', () => {
    const enabled = (env: string) =>
      loadConfig(app({ env, account: '123456789012', region: 'us-east-1' }), {}).ingestApi.enabled;
    expect([enabled('dev'), enabled('prod'), enabled('local')]).toEqual([true, true, false]);
  });

  it('builds no Kafka path for the environments of cdk.json, and reads one from an environment block', () => {
    for (const env of ['dev', 'prod', 'local']) {
      const ctx = { env, account: '123456789012', region: 'us-east-1' };
      expect(loadConfig(app(ctx), {}).kafka).toBeUndefined();
    }
    const kafka = { mode: 'msk-serverless', topic: 'elt-events' };
    expect(
      loadConfig(
        app({ ...withEnvironment('dev', { kafka }), account: '123456789012', region: 'eu-west-1' }),
        {},
      ).kafka,
    ).toMatchObject(kafka);
  });

  it('fails without an account, telling how to pass one', () => {
    expect(() => loadConfig(app({ region: 'eu-west-1' }), {})).toThrow(
      'pass -c account=… or configure AWS credentials',
    );
  });
});
