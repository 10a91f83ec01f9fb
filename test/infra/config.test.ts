import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { EltConfigError, loadConfig, parseConfig } from '../../lib/infra/config.js';
import { cdkJsonContext } from '../support/cdk-app.js';

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
        batchSize: 1000,
        batchWindowSeconds: 30,
        maxConcurrency: 10,
        memoryMb: 1024,
        timeoutSeconds: 60,
        maxReceiveCount: 5,
      },
      ruleTarget: { retryAttempts: 185, maxEventAgeSeconds: 86_400 },
      rawBucket: { infrequentAccessAfterDays: 30, quarantineExpireDays: 90, destroyOnRemoval: false },
      warehouse: { baseCapacityRpu: 8, availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] },
      elt: { schedule: 'rate(1 hour)', timezone: 'UTC' },
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
      'warehouse.availabilityZones must be three availability zones of eu-west-1',
    ],
    [{ rawBucket: { infrequentAccessAfterDays: 7 } }, 'rawBucket.infrequentAccessAfterDays must be from 30'],
    [{ target: 'gcp' }, 'target must be "aws" or "localstack", got "gcp"'],
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
      landing: { batchSize: 5000, maxConcurrency: 50 },
      warehouse: { baseCapacityRpu: 32 },
      rawBucket: { destroyOnRemoval: true },
    });
  });

  it('names the known environments when asked for an unknown one', () => {
    expect(() =>
      loadConfig(app({ env: 'staging', account: '123456789012', region: 'eu-west-1' }), {}),
    ).toThrow('env names no block of "elt:environments" in cdk.json (known: dev, prod, local)');
  });

  it('fails without an account, telling how to pass one', () => {
    expect(() => loadConfig(app({ region: 'eu-west-1' }), {})).toThrow(
      'pass -c account=… or configure AWS credentials',
    );
  });
});
