import { describe, expect, it } from 'vitest';
import { ingestSettings, type IngestSettings } from '../../lambdas/ingest/settings.js';
import { SettingError } from '../../lib/core/util/settings.js';
import { INGEST_SECRET_ARN, INGEST_SETTINGS } from '../core/ingest/ingest-fixtures.js';

const SECRET_ARN = INGEST_SECRET_ARN;
const settings: IngestSettings = INGEST_SETTINGS;
const env = {
  BUS_NAME: 'elt-dev-bus',
  INGEST_TOKEN_SECRET_ARN: SECRET_ARN,
  IDEMPOTENCY_TABLE: 'elt-dev-idempotency',
};

describe('fromEnvironment', () => {
  it('reads the settings with their defaults', () => {
    expect(ingestSettings.fromEnvironment(env)).toEqual(settings);
    expect(
      ingestSettings.fromEnvironment({
        ...env,
        IDEMPOTENCY_TTL_SECONDS: '3600',
        INGEST_TOKEN_CACHE_SECONDS: '60',
      }),
    ).toMatchObject({ idempotencyTtlSeconds: 3600, tokenCacheSeconds: 60 });
  });

  it.each([
    [{ BUS_NAME: undefined }, 'BUS_NAME is not set'],
    [{ INGEST_TOKEN_SECRET_ARN: '' }, 'INGEST_TOKEN_SECRET_ARN is not set'],
    [
      { INGEST_TOKEN_SECRET_ARN: 'my-secret' },
      'INGEST_TOKEN_SECRET_ARN must be a Secrets Manager secret ARN',
    ],
    [{ IDEMPOTENCY_TABLE: undefined }, 'IDEMPOTENCY_TABLE is not set'],
    [
      { IDEMPOTENCY_TTL_SECONDS: '0' },
      'IDEMPOTENCY_TTL_SECONDS must be an integer from 1 to 2592000, got "0"',
    ],
    [{ IDEMPOTENCY_TTL_SECONDS: '1.5' }, 'IDEMPOTENCY_TTL_SECONDS must be an integer'],
    [{ INGEST_TOKEN_CACHE_SECONDS: '0' }, 'INGEST_TOKEN_CACHE_SECONDS must be an integer from 1 to 3600'],
  ])('refuses %j naming the setting', (override, message) => {
    expect(() => ingestSettings.fromEnvironment({ ...env, ...override })).toThrow(SettingError);
    expect(() => ingestSettings.fromEnvironment({ ...env, ...override })).toThrow(message);
  });
});

describe('toEnvironment', () => {
  it('writes what fromEnvironment reads back', () => {
    expect(ingestSettings.fromEnvironment(ingestSettings.toEnvironment(settings))).toEqual(settings);
    expect(
      ingestSettings.fromEnvironment(
        ingestSettings.toEnvironment({ ...settings, idempotencyTtlSeconds: 600, tokenCacheSeconds: 30 }),
      ),
    ).toEqual({
      ...settings,
      idempotencyTtlSeconds: 600,
      tokenCacheSeconds: 30,
    });
  });

  it('leaves optional settings out when not given, so the function takes their defaults', () => {
    expect(
      ingestSettings.toEnvironment({
        busName: 'b',
        tokenSecretArn: SECRET_ARN,
        idempotencyTable: 't',
        idempotencyTtlSeconds: 60,
      }),
    ).toEqual({
      BUS_NAME: 'b',
      INGEST_TOKEN_SECRET_ARN: SECRET_ARN,
      IDEMPOTENCY_TABLE: 't',
      IDEMPOTENCY_TTL_SECONDS: '60',
    });
  });
});
