// The landing functions' settings (SQS and Kafka entries alike): written by their constructs with
// `landingSettings.toEnvironment`, read at cold start with `landingSettings.fromEnvironment`. No AWS SDK,
// no CDK: both the handler bundle and the stacks import this module.
import { DEFAULT_GZIP_LEVEL } from '../../lib/core/landing/ndjson-gzip.js';
import { optionalIntegerSetting, type Environment } from '../../lib/core/util/settings.js';
import { latenessSetting, rawBucketSettings, type RawBucketSettings } from '../commons/settings.js';

const GZIP_LEVEL = 'GZIP_LEVEL';

/** The landing functions' settings. */
export interface LandingSettings extends RawBucketSettings {
  /** Env GZIP_LEVEL, 1–9. @default 6 */
  readonly gzipLevel: number;
  /**
   * Events more than this many hours late are filed under the partition of (now − this), the window the
   * ELT plan lists. The lateness setting of commons/settings.ts, the same the ELT functions get. @default - unset: every
   * event under its own partition
   */
  readonly latenessHours?: number;
}

/** What a deployment sets: the bucket, and any setting whose default it does not want. */
export type LandingSettingsInput = Pick<LandingSettings, 'bucket'> & Partial<LandingSettings>;

/** The landing functions' settings, written and read under the same names. */
export const landingSettings = {
  /** The environment variables of `settings`; a setting left out keeps its default. */
  toEnvironment(settings: LandingSettingsInput): Record<string, string> {
    return {
      ...rawBucketSettings.toEnvironment(settings),
      ...(settings.gzipLevel !== undefined ? { [GZIP_LEVEL]: String(settings.gzipLevel) } : {}),
      ...latenessSetting.toEnvironment(settings.latenessHours),
    };
  },

  /** Reads and checks the settings once, at cold start; a SettingError names the one at fault. */
  fromEnvironment(env: Environment): LandingSettings {
    const { bucket, keyPrefix } = rawBucketSettings.fromEnvironment(
      env,
      'the landing function needs the raw bucket name',
    );
    const gzipLevel = optionalIntegerSetting(env, GZIP_LEVEL, { min: 1, max: 9 }) ?? DEFAULT_GZIP_LEVEL;
    const latenessHours = latenessSetting.fromEnvironment(env);
    return { bucket, keyPrefix, gzipLevel, ...(latenessHours !== undefined ? { latenessHours } : {}) };
  },
} as const;
