// Lambda entry point: the outbox relay of the user's PostgreSQL database, invoked on a schedule. Each run
// drains the outbox to the event bus (one transaction per batch, FOR UPDATE SKIP LOCKED) and stops claiming
// new batches shortly before the function's timeout.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EventBridgeBus } from '../../lib/adapters/bus/eventbridge-bus.js';
import { PostgresOltpDatabase } from '../../lib/adapters/oltp/oltp-database.js';
import { S3ObjectStore } from '../../lib/adapters/store/s3-object-store.js';
import { createEventValidator, type EventValidator } from '../../lib/core/events/validator.js';
import type { OltpDatabase } from '../../lib/core/oltp/ports.js';
import { relayOutbox, type RelaySummary } from '../../lib/core/oltp/relay.js';
import { systemClock, type Clock } from '../../lib/core/ports.js';
import { EltError } from '../../lib/core/util/errors.js';
import { maskSecrets } from '../../lib/core/util/mask-secrets.js';
import { RELAY_METRICS, relaySettings, type RelaySettings, type SslMode } from './settings.js';

/** No new batch is claimed when less than this is left before the function's timeout. */
export const STOP_BEFORE_TIMEOUT_MS = 20_000;

/** Consecutive failed rounds (database, bus or store) after which a run fails instead of retrying. */
export const MAX_FAILED_ROUNDS = 3;

/** The database credentials of the secret, in the shape RDS stores them. */
export interface DatabaseCredentials {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** @default 'postgres' (RDS leaves it out of the secret when the instance was made without a database name) */
  readonly dbname: string;
}

/** The secret is not JSON with the fields the relay needs. Never carries the secret's values. */
export class DatabaseSecretError extends EltError {
  constructor(problem: string) {
    super(
      `the database secret ${problem}: it must be JSON as RDS stores credentials, {"host", "port", "username", "password", "dbname"}`,
    );
  }
}

/** The parts of the Lambda context the relay uses. */
export interface RelayContext {
  getRemainingTimeInMillis(): number;
}

/** What one run did, as the function returns it. */
export interface RelayResult {
  readonly database: string;
  readonly bus: string;
  readonly published: number;
  readonly quarantined: number;
  readonly rounds: number;
  readonly failedRounds: number;
  readonly unsent: number;
  readonly oldestUnsentAgeSeconds: number;
  /** `drained`: the outbox was empty; `deadline`: it stopped before the timeout with rows left. */
  readonly stoppedBy: 'drained' | 'deadline';
}

/** What the handler may be given instead of the defaults (tests, other runtimes). */
export interface RelayHandlerDeps {
  readonly secretsManager?: SecretsManagerClient;
  readonly eventBridge?: EventBridgeClient;
  readonly s3?: S3Client;
  /** Opens the database from the secret's credentials. @default PostgreSQL over TLS as `sslMode` says */
  readonly openDatabase?: (credentials: DatabaseCredentials, sslMode: SslMode) => Promise<OltpDatabase>;
  readonly validator?: EventValidator;
  readonly clock?: Clock;
  /** @default {@link STOP_BEFORE_TIMEOUT_MS} */
  readonly stopBeforeTimeoutMs?: number;
  /** First retry delay of a failed round (ms). @default 500 */
  readonly retryBaseMs?: number;
  /** Called with one line per event worth logging: never credentials or event contents. */
  readonly log?: (
    entry: { level: 'INFO' | 'WARN' | 'ERROR'; message: string } & Record<string, unknown>,
  ) => void;
  readonly onResult?: (result: RelayResult) => void;
}

const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$/;

/** The credentials of a parsed secret, checked; errors name the field, never a value. */
export function databaseCredentials(secret: unknown): DatabaseCredentials {
  if (secret === null || typeof secret !== 'object' || Array.isArray(secret))
    throw new DatabaseSecretError('is not a JSON object');
  const s = secret as Record<string, unknown>;
  const text = (field: string): string => {
    const value = s[field];
    if (typeof value !== 'string' || value === '')
      throw new DatabaseSecretError(`has no "${field}" (a non-empty string)`);
    return value;
  };
  const host = text('host');
  if (!HOST.test(host)) throw new DatabaseSecretError('has a "host" that is not a host name or IPv4 address');
  const port = typeof s.port === 'string' && s.port.trim() !== '' ? Number(s.port) : (s.port ?? 5432);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535)
    throw new DatabaseSecretError('has a "port" that is not a port number (1–65535)');
  const dbname = s.dbname === undefined ? 'postgres' : text('dbname');
  return { host, port, username: text('username'), password: text('password'), dbname };
}

/** The connection URL of `credentials`: user, password and database percent-encoded, TLS as `sslMode`. */
export function postgresUrl(credentials: DatabaseCredentials, sslMode: SslMode): string {
  const { host, port, username, password, dbname } = credentials;
  const user = `${encodeURIComponent(username)}:${encodeURIComponent(password)}`;
  return `postgres://${user}@${host}:${port}/${encodeURIComponent(dbname)}?sslmode=${sslMode}`;
}

/** PostgreSQL with two pooled connections (one round holds one; the lag query may take the other). */
const openPostgres = (credentials: DatabaseCredentials, sslMode: SslMode): Promise<OltpDatabase> =>
  PostgresOltpDatabase.open(postgresUrl(credentials, sslMode), 2);

/**
 * The relay behind a scheduled invocation: reads the database secret and opens the database on the first
 * run of a container and keeps both for the next runs (a run that fails closes the database, so the next
 * one reads the secret again: a rotated password is picked up), relays the outbox with `once` until it is
 * drained or {@link STOP_BEFORE_TIMEOUT_MS} before the timeout, and reports what it did.
 */
export function createRelayHandler(
  settings: RelaySettings,
  deps: RelayHandlerDeps = {},
): (event: unknown, context: RelayContext) => Promise<RelayResult> {
  const secrets = new SecretsProvider(deps.secretsManager ? { awsSdkV3Client: deps.secretsManager } : {});
  const bus = new EventBridgeBus({
    busName: settings.busName,
    ...(deps.eventBridge ? { client: deps.eventBridge } : {}),
  });
  const store = new S3ObjectStore({
    bucket: settings.bucket,
    ...(settings.keyPrefix ? { prefix: settings.keyPrefix } : {}),
    ...(deps.s3 ? { client: deps.s3 } : {}),
  });
  const open = deps.openDatabase ?? openPostgres;
  const validator = deps.validator ?? createEventValidator();
  const log = deps.log ?? ((entry) => console.log(JSON.stringify(entry)));
  const stopBefore = deps.stopBeforeTimeoutMs ?? STOP_BEFORE_TIMEOUT_MS;
  let database: Promise<OltpDatabase> | undefined;
  let password: string | undefined;
  let opened = 0;

  const connect = (): Promise<OltpDatabase> => {
    database ??= (async () => {
      // A reopen follows a failure, maybe a rotated password: ask Secrets Manager, not the cache.
      const secret: unknown = await secrets.get(settings.secretArn, {
        transform: 'json',
        ...(opened > 0 ? { forceFetch: true } : {}),
      });
      opened++;
      const credentials = databaseCredentials(secret);
      password = credentials.password;
      const db = await open(credentials, settings.sslMode);
      log({
        level: 'INFO',
        message: 'opened the database',
        database: db.description,
        sslMode: settings.sslMode,
      });
      return db;
    })();
    database.catch(() => {
      database = undefined;
    });
    return database;
  };
  const masked = (error: unknown): string =>
    maskSecrets(error instanceof Error ? error.message : String(error), [
      password,
      password === undefined ? undefined : encodeURIComponent(password),
    ]);

  return async (_event, context) => {
    const stop = new AbortController();
    const budgetMs = context.getRemainingTimeInMillis() - stopBefore;
    // Too little time left: no batch is claimed at all (a timer, even of 0 ms, would let one start).
    if (budgetMs <= 0) stop.abort();
    const timer = budgetMs > 0 ? setTimeout(() => stop.abort(), budgetMs) : undefined;
    let db: OltpDatabase | undefined;
    try {
      db = await connect();
      const summary: RelaySummary = await relayOutbox(db, {
        bus,
        store,
        clock: deps.clock ?? systemClock,
        batchSize: settings.batchSize,
        validator,
        once: true,
        signal: stop.signal,
        maxFailedRounds: MAX_FAILED_ROUNDS,
        ...(deps.retryBaseMs !== undefined ? { retryBaseMs: deps.retryBaseMs } : {}),
        onRetry: (error, failures, delayMs) =>
          log({ level: 'WARN', message: 'relay round rolled back', error: masked(error), failures, delayMs }),
      });
      const result: RelayResult = {
        database: db.description,
        bus: bus.describe(),
        published: summary.published,
        quarantined: summary.quarantined,
        rounds: summary.rounds,
        failedRounds: summary.failedRounds,
        unsent: summary.lag.unsent,
        oldestUnsentAgeSeconds: summary.lag.oldestUnsentAgeSeconds,
        stoppedBy: summary.stoppedBy === 'signal' ? 'deadline' : 'drained',
      };
      deps.onResult?.(result);
      log({ level: 'INFO', message: 'relay run finished', ...result });
      return result;
    } catch (error) {
      log({ level: 'ERROR', message: 'relay run failed', error: masked(error) });
      // Reconnect next time, with the secret read again.
      const broken = database;
      database = undefined;
      if (broken) await broken.then((d) => d.close()).catch(() => undefined);
      throw new EltError(`the outbox relay failed: ${masked(error)}`);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The Powertools log lines and metrics of the relay: the handler's `log` and `onResult` hooks. */
export function relayTelemetry(
  logger: Logger,
  metrics: Metrics,
): Required<Pick<RelayHandlerDeps, 'log' | 'onResult'>> {
  return {
    log: ({ level, message, ...fields }) => {
      if (level === 'ERROR') logger.error(message, fields);
      else if (level === 'WARN') logger.warn(message, fields);
      else logger.info(message, fields);
    },
    onResult: (r) => {
      metrics.addMetric(RELAY_METRICS.published, MetricUnit.Count, r.published);
      metrics.addMetric(RELAY_METRICS.quarantined, MetricUnit.Count, r.quarantined);
      metrics.addMetric(RELAY_METRICS.unsent, MetricUnit.Count, r.unsent);
      metrics.addMetric(RELAY_METRICS.oldestUnsentAgeSeconds, MetricUnit.Seconds, r.oldestUnsentAgeSeconds);
      metrics.addMetric(RELAY_METRICS.failedRounds, MetricUnit.Count, r.failedRounds);
    },
  };
}

// Service name and metrics namespace come from the environment every function gets (lambdas/commons/settings.ts).
const logger = new Logger();
const metrics = new Metrics();
let relay: ReturnType<typeof createRelayHandler> | undefined;

export const handler = async (event: unknown, context: RelayContext): Promise<RelayResult> => {
  // Settings are read on the first invocation: a missing one fails it with a message that names it.
  relay ??= createRelayHandler(relaySettings.fromEnvironment(process.env), relayTelemetry(logger, metrics));
  try {
    return await relay(event, context);
  } finally {
    metrics.publishStoredMetrics();
  }
};
