import { describe, expect, it } from 'vitest';
import { EltConfigError, parseConfig } from '../../lib/infra/config.js';

const base = { account: '123456789012', region: 'eu-west-1' };
const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-marketplace-AbCdEf';
const oltp = { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:marketplace-db-AbCdEf' };

function error(raw: Record<string, unknown>): string {
  try {
    parseConfig('dev', { ...base, ...raw });
  } catch (e) {
    expect(e).toBeInstanceOf(EltConfigError);
    return (e as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('parseConfig: the optional oltp section', () => {
  it('is absent unless configured: no oltp key at all', () => {
    expect('oltp' in parseConfig('dev', base)).toBe(false);
  });

  it('fills the section with its documented defaults: TLS verified, every minute, 500 rows a batch', () => {
    expect(parseConfig('dev', { ...base, oltp }).oltp).toEqual({
      secretArn: oltp.secretArn,
      port: 5432,
      sslMode: 'verify-full',
      scheduleMinutes: 1,
      batchSize: 500,
      lagAlarmSeconds: 600,
    });
  });

  it('takes every setting, numbers also as strings (as -c gives them)', () => {
    const kmsKeyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(
      parseConfig('prod', {
        ...base,
        oltp: {
          secretArn,
          kmsKeyArn,
          port: '6432',
          sslMode: 'no-verify',
          scheduleMinutes: 5,
          batchSize: 2000,
          lagAlarmSeconds: 1800,
        },
      }).oltp,
    ).toEqual({
      secretArn,
      kmsKeyArn,
      port: 6432,
      sslMode: 'no-verify',
      scheduleMinutes: 5,
      batchSize: 2000,
      lagAlarmSeconds: 1800,
    });
  });

  it.each([
    [{ oltp: 'yes' }, 'oltp must be an object'],
    [{ oltp: {} }, 'oltp.secretArn is not set: the complete ARN (with its 6-character suffix)'],
    [
      { oltp: { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:marketplace-db' } },
      'oltp.secretArn must be the complete ARN (with its 6-character suffix) of the Secrets Manager secret holding the database credentials, got "arn:aws:secretsmanager:eu-west-1:123456789012:secret:marketplace-db"',
    ],
    [{ oltp: { ...oltp, secretarn: 'x' } }, 'oltp.secretarn is not a setting; did you mean oltp.secretArn?'],
    [
      { oltp: { ...oltp, kmsKeyArn: 'alias/aws/secretsmanager' } },
      'oltp.kmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got "alias/aws/secretsmanager"',
    ],
    [{ oltp: { ...oltp, port: 0 } }, 'oltp.port must be from 1 to 65535, got 0'],
    [{ oltp: { ...oltp, port: 'pg' } }, 'oltp.port must be an integer, got "pg"'],
    [
      { oltp: { ...oltp, sslMode: 'require' } },
      'oltp.sslMode must be "verify-full", "no-verify" or "disable", got "require"',
    ],
    [{ oltp: { ...oltp, scheduleMinutes: 0 } }, 'oltp.scheduleMinutes must be from 1 to 60, got 0'],
    [{ oltp: { ...oltp, scheduleMinutes: 1.5 } }, 'oltp.scheduleMinutes must be an integer, got 1.5'],
    [{ oltp: { ...oltp, batchSize: 10_001 } }, 'oltp.batchSize must be from 1 to 10000, got 10001'],
    [{ oltp: { ...oltp, lagAlarmSeconds: 59 } }, 'oltp.lagAlarmSeconds must be from 60 to 86400, got 59'],
  ])('rejects %j: %s', (raw, message) => {
    expect(error(raw)).toContain(`elt config (environment "dev"): ${message}`);
  });

  it.each(['localstack', 'emulator'])('is refused with target %s, which has no warehouse VPC', (target) => {
    expect(
      error({
        target,
        oltp,
        ingestApi: { enabled: false },
        ...(target === 'emulator' ? { warehouse: { dataApiEndpoint: 'http://127.0.0.1:4599' } } : {}),
      }),
    ).toMatch(
      new RegExp(
        `^elt config \\(environment "dev"\\): oltp cannot be set with target "${target}": .*\\(the relay runs in the warehouse VPC; run \`elt oltp relay --bus eventbridge:<bus>\` on a host instead\\)$`,
      ),
    );
  });
});
