// The ELT step functions' settings: written by their construct with `eltSettings.toEnvironment`, read at
// cold start with `eltSettings.fromEnvironment`. No AWS SDK, no CDK: both the handler bundles and the
// stacks import this module.
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RedshiftTarget } from '../../lib/adapters/warehouse/redshift-data-warehouse.js';
import { dialectNamed } from '../../lib/core/elt/dialect.js';
import { parseReaders, readerList, type WarehouseReaders } from '../../lib/core/elt/readers.js';
import {
  optionalIntegerSetting,
  optionalSetting,
  requiredSetting,
  SettingError,
  type Environment,
} from '../../lib/core/util/settings.js';
import { latenessSetting, rawBucketSettings, type RawBucketSettings } from '../commons/settings.js';

const ENV = {
  workgroup: 'REDSHIFT_WORKGROUP',
  cluster: 'REDSHIFT_CLUSTER',
  dbUser: 'REDSHIFT_DB_USER',
  database: 'REDSHIFT_DATABASE',
  secretArn: 'REDSHIFT_SECRET_ARN',
  copyRoleArn: 'REDSHIFT_COPY_ROLE_ARN',
  dialect: 'REDSHIFT_SQL_DIALECT',
  dataApiEndpoint: 'REDSHIFT_DATA_API_ENDPOINT',
  namespaceId: 'REDSHIFT_NAMESPACE_ID',
  localStore: 'RAW_STORE',
  readers: 'ELT_READERS',
  maxObjectsPerRun: 'ELT_MAX_OBJECTS_PER_RUN',
} as const;

/** The SQL dialect unless REDSHIFT_SQL_DIALECT says otherwise. */
const DEFAULT_DIALECT = 'redshift';

/** The ELT functions' settings. */
export interface EltSettings extends RawBucketSettings {
  /** Env REDSHIFT_WORKGROUP (Serverless), or REDSHIFT_CLUSTER with an optional REDSHIFT_DB_USER. */
  readonly target: RedshiftTarget;
  /** Env REDSHIFT_DATABASE. */
  readonly database: string;
  /** Env REDSHIFT_SECRET_ARN. @default - IAM authentication */
  readonly secretArn?: string;
  /** The IAM role Redshift COPY assumes. Env REDSHIFT_COPY_ROLE_ARN. */
  readonly copyRoleArn: string;
  /**
   * `redshift`, or `postgres` against a local Data API endpoint backed by PostgreSQL. Env
   * REDSHIFT_SQL_DIALECT. @default 'redshift'
   */
  readonly dialect: string;
  /**
   * The Data API endpoint, when not the Region's: a VPC endpoint, or `elt dataapi` for a deployment to a
   * local emulator. Env REDSHIFT_DATA_API_ENDPOINT. @default - the Region's Data API
   */
  readonly dataApiEndpoint?: string;
  /**
   * Read and write the bucket's objects in a local directory instead of S3: for running these functions
   * on a workstation against `elt dataapi --bucket-dir <bucket>=<dir>`. Env RAW_STORE (a file:// URL).
   * @default - S3
   */
  readonly localStoreDir?: string;
  /** Who gets SELECT on every model at each publish. Env ELT_READERS (JSON). @default - no one */
  readonly readers: WarehouseReaders;
  /**
   * How late an event may land under its own partition; bounds the plan's listing. The lateness setting
   * of commons/settings.ts, the same the landing functions get.
   */
  readonly latenessHours?: number;
  /** Most objects one run loads. Env ELT_MAX_OBJECTS_PER_RUN. */
  readonly maxObjectsPerRun?: number;
  /**
   * The Redshift namespace's id, so a recreated namespace does not inherit a watermark. Env
   * REDSHIFT_NAMESPACE_ID.
   */
  readonly namespaceId?: string;
}

/** What a deployment sets: the settings, with those it leaves at their default left out. */
export type EltSettingsInput = Omit<EltSettings, 'keyPrefix' | 'dialect' | 'readers'> &
  Partial<Pick<EltSettings, 'keyPrefix' | 'dialect' | 'readers'>>;

/** Most objects one run may plan. */
const MAX_OBJECTS_PER_RUN_RANGE = { min: 1, max: 1_000_000 } as const;

/** The ELT functions' settings, written and read under the same names. */
export const eltSettings = {
  /** The environment variables of `settings`; a setting left out (or at its default) is not set. */
  toEnvironment(settings: EltSettingsInput): Record<string, string> {
    const { target } = settings;
    const optional = (name: string, value: string | number | undefined): Record<string, string> =>
      value === undefined ? {} : { [name]: String(value) };
    return {
      ...rawBucketSettings.toEnvironment(settings),
      ...('workgroupName' in target
        ? { [ENV.workgroup]: target.workgroupName }
        : { [ENV.cluster]: target.clusterIdentifier, ...optional(ENV.dbUser, target.dbUser) }),
      [ENV.database]: settings.database,
      ...optional(ENV.secretArn, settings.secretArn),
      [ENV.copyRoleArn]: settings.copyRoleArn,
      ...(settings.dialect !== undefined && settings.dialect !== DEFAULT_DIALECT
        ? { [ENV.dialect]: settings.dialect }
        : {}),
      ...optional(ENV.dataApiEndpoint, settings.dataApiEndpoint),
      ...optional(
        ENV.localStore,
        settings.localStoreDir === undefined ? undefined : pathToFileURL(settings.localStoreDir).href,
      ),
      // The watermark belongs to this namespace: one recreated under the same name starts from nothing.
      ...optional(ENV.namespaceId, settings.namespaceId),
      ...latenessSetting.toEnvironment(settings.latenessHours),
      ...optional(ENV.maxObjectsPerRun, settings.maxObjectsPerRun),
      ...(readerList(settings.readers).length > 0 ? { [ENV.readers]: JSON.stringify(settings.readers) } : {}),
    };
  },

  /** Reads and checks the settings once, at cold start; a SettingError names the one at fault. */
  fromEnvironment(env: Environment): EltSettings {
    const { bucket, keyPrefix } = rawBucketSettings.fromEnvironment(env, 'the raw bucket name');
    const workgroup = optionalSetting(env, ENV.workgroup);
    const cluster = optionalSetting(env, ENV.cluster);
    if (!workgroup === !cluster) {
      throw new SettingError(
        ENV.workgroup,
        `or ${ENV.cluster} must be set, not both: the workgroup for Serverless, the cluster for provisioned`,
      );
    }
    const dbUser = optionalSetting(env, ENV.dbUser);
    const dialect = optionalSetting(env, ENV.dialect) ?? DEFAULT_DIALECT;
    try {
      dialectNamed(dialect);
    } catch (error) {
      throw new SettingError(ENV.dialect, `is invalid: ${(error as Error).message}`, { cause: error });
    }
    const secretArn = optionalSetting(env, ENV.secretArn);
    const dataApiEndpoint = optionalSetting(env, ENV.dataApiEndpoint);
    if (dataApiEndpoint !== undefined && !/^https?:\/\/[^\s/]+\/?$/.test(dataApiEndpoint))
      throw new SettingError(
        ENV.dataApiEndpoint,
        `must be an http(s) URL, got ${JSON.stringify(dataApiEndpoint)}`,
      );
    const localStore = optionalSetting(env, ENV.localStore);
    const latenessHours = latenessSetting.fromEnvironment(env);
    const maxObjectsPerRun = optionalIntegerSetting(env, ENV.maxObjectsPerRun, MAX_OBJECTS_PER_RUN_RANGE);
    const namespaceId = optionalSetting(env, ENV.namespaceId);
    return {
      bucket,
      keyPrefix,
      target: workgroup
        ? { workgroupName: workgroup }
        : { clusterIdentifier: cluster!, ...(dbUser ? { dbUser } : {}) },
      database: requiredSetting(env, ENV.database, 'the database name'),
      ...(secretArn ? { secretArn } : {}),
      copyRoleArn: requiredSetting(env, ENV.copyRoleArn, 'the IAM role Redshift COPY assumes'),
      dialect,
      ...(dataApiEndpoint ? { dataApiEndpoint } : {}),
      ...(localStore ? { localStoreDir: localDir(localStore) } : {}),
      readers: readReaders(env),
      ...(latenessHours !== undefined ? { latenessHours } : {}),
      ...(maxObjectsPerRun !== undefined ? { maxObjectsPerRun } : {}),
      ...(namespaceId ? { namespaceId } : {}),
    };
  },
} as const;

function readReaders(env: Environment): WarehouseReaders {
  const json = optionalSetting(env, ENV.readers);
  if (json === undefined) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(json) as unknown;
  } catch (error) {
    throw new SettingError(ENV.readers, 'is not JSON', { cause: error });
  }
  try {
    return parseReaders(raw, ENV.readers);
  } catch (error) {
    throw new SettingError(ENV.readers, `is invalid: ${(error as Error).message}`, { cause: error });
  }
}

function localDir(url: string): string {
  if (!url.startsWith('file://'))
    throw new SettingError(ENV.localStore, `must be a file:// URL, got ${JSON.stringify(url)}`);
  return fileURLToPath(url);
}
