import { describe, expect, it } from 'vitest';
import { eltSettings, type EltSettings } from '../../lambdas/elt/settings.js';
import { SettingError } from '../../lib/core/util/settings.js';

const REQUIRED = {
  RAW_BUCKET: 'raw-bucket',
  REDSHIFT_WORKGROUP: 'elt-dev',
  REDSHIFT_DATABASE: 'analytics',
  REDSHIFT_COPY_ROLE_ARN: 'arn:aws:iam::123456789012:role/copy',
};

describe('eltSettings.fromEnvironment', () => {
  it('reads the required settings and applies the defaults', () => {
    expect(eltSettings.fromEnvironment(REQUIRED)).toEqual({
      bucket: 'raw-bucket',
      keyPrefix: '',
      target: { workgroupName: 'elt-dev' },
      database: 'analytics',
      copyRoleArn: 'arn:aws:iam::123456789012:role/copy',
      dialect: 'redshift',
      readers: {},
    });
  });

  it.each([
    ['neither', {}],
    ['both', { REDSHIFT_WORKGROUP: 'elt-dev', REDSHIFT_CLUSTER: 'elt-cluster' }],
  ])('fails when %s of REDSHIFT_WORKGROUP and REDSHIFT_CLUSTER is set', (_what, target) => {
    const { REDSHIFT_WORKGROUP: _w, ...rest } = REQUIRED;
    expect(() => eltSettings.fromEnvironment({ ...rest, ...target })).toThrow(
      /^REDSHIFT_WORKGROUP or REDSHIFT_CLUSTER must be set, not both/,
    );
  });

  it.each([
    ['RAW_BUCKET', 'is not set: the raw bucket name'],
    ['REDSHIFT_DATABASE', 'is not set: the database name'],
    ['REDSHIFT_COPY_ROLE_ARN', 'is not set: the IAM role Redshift COPY assumes'],
  ])('fails naming %s when it is missing', (name, problem) => {
    expect(() => eltSettings.fromEnvironment({ ...REQUIRED, [name]: '' })).toThrow(
      new SettingError(name, problem),
    );
  });

  it.each([
    ['ELT_LATENESS_HOURS', '0'],
    ['ELT_MAX_OBJECTS_PER_RUN', 'many'],
    ['RAW_STORE', '/tmp/raw'],
    ['ELT_READERS', '{"users":'],
    ['ELT_READERS', '{"admins":["a"]}'],
    ['REDSHIFT_SQL_DIALECT', 'oracle'],
    ['REDSHIFT_DATA_API_ENDPOINT', '127.0.0.1:4599'],
    ['REDSHIFT_DATA_API_ENDPOINT', 'http://127.0.0.1:4599/some/path'],
    ['RAW_KEY_PREFIX', 'no-slash'],
  ])('fails with a SettingError naming %s when it is %j', (name, value) => {
    expect(() => eltSettings.fromEnvironment({ ...REQUIRED, [name]: value })).toThrow(
      expect.objectContaining({ name: 'SettingError', setting: name }) as unknown as Error,
    );
  });
});

describe('eltSettings.toEnvironment', () => {
  it('writes every setting under the name fromEnvironment reads it by', () => {
    const settings: EltSettings = {
      bucket: 'raw-bucket',
      keyPrefix: 'pipeline/',
      target: { clusterIdentifier: 'elt-cluster', dbUser: 'elt_runner' },
      database: 'analytics',
      secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:admin',
      copyRoleArn: 'arn:aws:iam::123456789012:role/copy',
      dialect: 'postgres',
      dataApiEndpoint: 'http://127.0.0.1:4599',
      localStoreDir: '/tmp/elt-raw',
      readers: { users: ['analyst'], groups: ['bi'] },
      latenessHours: 6,
      maxObjectsPerRun: 500,
      namespaceId: 'ns-1',
    };
    expect(eltSettings.fromEnvironment(eltSettings.toEnvironment(settings))).toEqual(settings);
  });

  it('leaves out what is at its default: key prefix, dialect, readers', () => {
    expect(
      eltSettings.toEnvironment({
        bucket: 'raw-bucket',
        target: { workgroupName: 'elt-dev' },
        database: 'analytics',
        copyRoleArn: 'arn:aws:iam::123456789012:role/copy',
        dialect: 'redshift',
        readers: {},
      }),
    ).toEqual(REQUIRED);
  });
});
