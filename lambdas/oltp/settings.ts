// The outbox relay function's settings: the one place its environment variables are named. The construct
// writes them with toEnvironment, the handler reads them with fromEnvironment. No SDK, no CDK: both the
// handler bundle and the stacks import this module.
import {
  integerSetting,
  requiredSetting,
  SettingError,
  type Environment,
} from '../../lib/core/util/settings.js';
import { rawBucketSettings, type RawBucketSettings } from '../commons/settings.js';

/** TLS to the database: checked certificate and host name, encrypted only, or none. */
export const SSL_MODES = ['verify-full', 'no-verify', 'disable'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** The relay function's settings. */
export interface RelaySettings extends RawBucketSettings {
  /** The Secrets Manager secret with the database credentials (RDS JSON shape). Env OLTP_SECRET_ARN. */
  readonly secretArn: string;
  /** TLS to the database. Env OLTP_SSL_MODE. @default 'verify-full' */
  readonly sslMode: SslMode;
  /** Outbox rows claimed per transaction. Env OLTP_BATCH_SIZE, 1–10,000. @default 500 */
  readonly batchSize: number;
  /** The event bus the rows are published to. Env BUS_NAME. */
  readonly busName: string;
}

/** What the construct sets: the optional settings keep their defaults when left out. */
export type RelaySettingsInput = Omit<RelaySettings, 'keyPrefix' | 'sslMode' | 'batchSize'> &
  Partial<Pick<RelaySettings, 'keyPrefix' | 'sslMode' | 'batchSize'>>;

const NAMES = {
  secretArn: 'OLTP_SECRET_ARN',
  sslMode: 'OLTP_SSL_MODE',
  batchSize: 'OLTP_BATCH_SIZE',
  busName: 'BUS_NAME',
} as const;

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@!-]+$/;

/** The relay function's settings: written by its construct, read by its handler. */
export const relaySettings = {
  /** The function's environment for `settings` (values may be CDK tokens, resolved at deploy). */
  toEnvironment(settings: RelaySettingsInput): Record<string, string> {
    return {
      ...rawBucketSettings.toEnvironment(settings),
      [NAMES.secretArn]: settings.secretArn,
      [NAMES.busName]: settings.busName,
      ...(settings.sslMode !== undefined ? { [NAMES.sslMode]: settings.sslMode } : {}),
      ...(settings.batchSize !== undefined ? { [NAMES.batchSize]: String(settings.batchSize) } : {}),
    };
  },

  /** Reads and checks the settings; a {@link SettingError} names the variable at fault. */
  fromEnvironment(env: Environment): RelaySettings {
    const secretArn = requiredSetting(
      env,
      NAMES.secretArn,
      'the ARN of the secret holding the database credentials',
    );
    if (!SECRET_ARN.test(secretArn))
      throw new SettingError(
        NAMES.secretArn,
        `must be a Secrets Manager secret ARN, got ${JSON.stringify(secretArn)}`,
      );
    const sslMode = env[NAMES.sslMode] || 'verify-full';
    if (!(SSL_MODES as readonly string[]).includes(sslMode))
      throw new SettingError(
        NAMES.sslMode,
        `must be ${SSL_MODES.map((m) => `"${m}"`).join(', ')}, got ${JSON.stringify(sslMode)}`,
      );
    return {
      ...rawBucketSettings.fromEnvironment(env, 'the relay writes quarantine records to the raw bucket'),
      secretArn,
      sslMode: sslMode as SslMode,
      batchSize: integerSetting(env, NAMES.batchSize, { min: 1, max: 10_000 }, 500),
      busName: requiredSetting(env, NAMES.busName, 'the event bus the relay publishes to'),
    };
  },
} as const;

/** The relay's Powertools metrics (dimension `service`), named once for the handler and the alarms. */
export const RELAY_METRICS = {
  published: 'OutboxEventsPublished',
  quarantined: 'OutboxRowsQuarantined',
  unsent: 'OutboxUnsent',
  oldestUnsentAgeSeconds: 'OutboxOldestUnsentAgeSeconds',
  failedRounds: 'RelayFailedRounds',
} as const;
