// The ingest function's settings: the one place its environment variables are named. The construct writes
// them with toEnvironment, the handler reads them with fromEnvironment. No SDK here: CDK synth loads it.
import {
  integerSetting,
  requiredSetting,
  SettingError,
  type Environment,
} from '../../lib/core/util/settings.js';

/** The ingest function's settings. */
export interface IngestSettings {
  /** The event bus to publish to. */
  readonly busName: string;
  /** The Secrets Manager secret whose SecretString is the bearer token. */
  readonly tokenSecretArn: string;
  /** The Powertools idempotency table (partition key `id`, TTL attribute `expiration`). */
  readonly idempotencyTable: string;
  /** How long a key is remembered (1 s – 30 days). @default 86400 */
  readonly idempotencyTtlSeconds: number;
  /**
   * How long the token is kept after a fetch (1 – 3,600 s): a rotated token is accepted within this long
   * without a redeploy. @default 300
   */
  readonly tokenCacheSeconds: number;
}

/** What the construct sets: the optional settings are left to their defaults when not given. */
export type IngestSettingsInput = Omit<IngestSettings, 'idempotencyTtlSeconds' | 'tokenCacheSeconds'> &
  Partial<Pick<IngestSettings, 'idempotencyTtlSeconds' | 'tokenCacheSeconds'>>;

const NAMES = {
  busName: 'BUS_NAME',
  tokenSecretArn: 'INGEST_TOKEN_SECRET_ARN',
  idempotencyTable: 'IDEMPOTENCY_TABLE',
  idempotencyTtlSeconds: 'IDEMPOTENCY_TTL_SECONDS',
  tokenCacheSeconds: 'INGEST_TOKEN_CACHE_SECONDS',
} as const satisfies Record<keyof IngestSettings, string>;

const TTL_SECONDS = { min: 1, max: 30 * 86_400 };
const TOKEN_CACHE_SECONDS = { min: 1, max: 3600 };
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

/** The ingest function's settings: written by its construct, read by its handler. */
export const ingestSettings = {
  /** The function's environment for `settings` (values may be CDK tokens, resolved at deploy). */
  toEnvironment(settings: IngestSettingsInput): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [field, name] of Object.entries(NAMES) as [keyof IngestSettings, string][]) {
      const value = settings[field];
      if (value !== undefined) env[name] = String(value);
    }
    return env;
  },

  /** Reads and checks the settings once, at cold start; a {@link SettingError} names the variable at fault. */
  fromEnvironment(env: Environment): IngestSettings {
    const tokenSecretArn = requiredSetting(
      env,
      NAMES.tokenSecretArn,
      'the ARN of the secret holding the ingest bearer token',
    );
    if (!SECRET_ARN.test(tokenSecretArn)) {
      throw new SettingError(
        NAMES.tokenSecretArn,
        `must be a Secrets Manager secret ARN, got ${JSON.stringify(tokenSecretArn)}`,
      );
    }
    return {
      busName: requiredSetting(env, NAMES.busName, 'the event bus the ingest function publishes to'),
      tokenSecretArn,
      idempotencyTable: requiredSetting(
        env,
        NAMES.idempotencyTable,
        'the idempotency table of the ingest function',
      ),
      idempotencyTtlSeconds: integerSetting(env, NAMES.idempotencyTtlSeconds, TTL_SECONDS, 86_400),
      tokenCacheSeconds: integerSetting(env, NAMES.tokenCacheSeconds, TOKEN_CACHE_SECONDS, 300),
    };
  },
} as const;
