// Settings more than one function reads, each environment variable named here once. Imported by the
// handler bundles and by the CDK constructs that set the variables, so: no AWS SDK, no CDK.
import { assertSafeKey } from '../../lib/core/landing/object-keys.js';
import type { Environment } from '../../lib/core/util/settings.js';
import {
  optionalIntegerSetting,
  optionalSetting,
  requiredSetting,
  SettingError,
} from '../../lib/core/util/settings.js';

/** The variables every function gets (see {@link functionEnvironment}); Powertools reads the first two. */
export const FUNCTION_ENV = {
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  nodeOptions: 'NODE_OPTIONS',
} as const;

/** What every function's environment holds whatever the function: its Powertools identity. */
export interface FunctionIdentity {
  /** Powertools service name (logs and the metrics dimension `service`). */
  readonly serviceName: string;
  /** Powertools metrics namespace. */
  readonly metricsNamespace: string;
}

/** The environment every function starts with: Powertools service and namespace, and source maps on. */
export function functionEnvironment(identity: FunctionIdentity): Record<string, string> {
  return {
    [FUNCTION_ENV.serviceName]: identity.serviceName,
    [FUNCTION_ENV.metricsNamespace]: identity.metricsNamespace,
    [FUNCTION_ENV.nodeOptions]: '--enable-source-maps',
  };
}

const RAW_BUCKET = 'RAW_BUCKET';
const RAW_KEY_PREFIX = 'RAW_KEY_PREFIX';
const LATENESS_HOURS = 'ELT_LATENESS_HOURS';

/** Hours an event may land late: from one hour to 30 days. */
export const LATENESS_HOURS_RANGE = { min: 1, max: 720 } as const;

/** Where a function finds the landed objects: the raw bucket and a key prefix inside it. */
export interface RawBucketSettings {
  /** The raw bucket. Env RAW_BUCKET. */
  readonly bucket: string;
  /** A key prefix inside the bucket, ending in "/". Env RAW_KEY_PREFIX. @default '' - the bucket's root */
  readonly keyPrefix: string;
}

/** The raw bucket settings of every function that reads or writes landed objects. */
export const rawBucketSettings = {
  /** The variables of `settings`; an empty key prefix is left out. */
  toEnvironment(
    settings: Pick<RawBucketSettings, 'bucket'> & Partial<RawBucketSettings>,
  ): Record<string, string> {
    return {
      [RAW_BUCKET]: settings.bucket,
      ...(settings.keyPrefix ? { [RAW_KEY_PREFIX]: settings.keyPrefix } : {}),
    };
  },

  /** Reads the raw bucket settings; `what` says in the error why RAW_BUCKET is needed. */
  fromEnvironment(env: Environment, what: string): RawBucketSettings {
    const bucket = requiredSetting(env, RAW_BUCKET, what);
    const keyPrefix = optionalSetting(env, RAW_KEY_PREFIX) ?? '';
    if (keyPrefix && !isSafeKeyPrefix(keyPrefix)) {
      throw new SettingError(
        RAW_KEY_PREFIX,
        `must be a safe key prefix ending in "/", got ${JSON.stringify(keyPrefix)}`,
      );
    }
    return { bucket, keyPrefix };
  },
} as const;

// The prefix's segments must be safe key segments too: no "..", no empty segment, no leading "/".
function isSafeKeyPrefix(prefix: string): boolean {
  if (!prefix.endsWith('/')) return false;
  try {
    assertSafeKey(prefix.slice(0, -1));
    return true;
  } catch {
    return false;
  }
}

/**
 * How late (hours, by event time) an event may land and still be filed under its own partition: the
 * landing functions file later ones under (now − this), the window the ELT plan lists. One setting for
 * both, so the two cannot disagree. Env ELT_LATENESS_HOURS; unset means no bound.
 */
export const latenessSetting = {
  /** The variable of `latenessHours`; none when it is undefined. */
  toEnvironment(latenessHours: number | undefined): Record<string, string> {
    return latenessHours === undefined ? {} : { [LATENESS_HOURS]: String(latenessHours) };
  },

  /** The lateness bound, or undefined when unset. */
  fromEnvironment(env: Environment): number | undefined {
    return optionalIntegerSetting(env, LATENESS_HOURS, LATENESS_HOURS_RANGE);
  },
} as const;
