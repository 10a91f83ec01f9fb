import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyInconsistentStateError,
  IdempotencyPersistenceLayerError,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EventBridgeBus } from '../lib/adapters/bus/eventbridge-bus.js';
import { createEventValidator, type EventValidator } from '../lib/core/events/validator.js';
import { requestFingerprint, type StoredResponse } from '../lib/core/ingest/idempotency.js';
import {
  bearerTokenMatches,
  isProblem,
  parseIdempotencyKey,
  parseIngestBody,
  problem,
  problemBody,
  tokenDigest,
  type Problem,
} from '../lib/core/ingest/ingest-request.js';
import { publishEvents, PublishFailedError } from '../lib/core/publish/publisher.js';
import { systemClock, type Clock, type ObjectInfo, type ObjectStore } from '../lib/core/ports.js';

/** A required setting is missing or invalid; the message names it. */
export class IngestConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IngestConfigError';
  }
}

/** The ingest function's settings, from its environment. */
export interface IngestConfig {
  /** The event bus to publish to. Env: BUS_NAME. */
  readonly busName: string;
  /** The Secrets Manager secret whose SecretString is the bearer token. Env: INGEST_TOKEN_SECRET_ARN. */
  readonly tokenSecretArn: string;
  /** The Powertools idempotency table (partition key `id`, TTL attribute `expiration`). Env: IDEMPOTENCY_TABLE. */
  readonly idempotencyTable: string;
  /** How long a key is remembered (1 s – 30 days). Env: IDEMPOTENCY_TTL_SECONDS. @default 86400 */
  readonly idempotencyTtlSeconds: number;
  /**
   * How long the token is kept after a fetch (1 – 3,600 s): a rotated token is accepted within this
   * long without a redeploy. Env: INGEST_TOKEN_CACHE_SECONDS. @default 300
   */
  readonly tokenCacheSeconds: number;
}

/** Reads and checks the settings once, at cold start. */
export function readIngestConfig(env: Readonly<Record<string, string | undefined>>): IngestConfig {
  const required = (name: string, what: string): string => {
    const value = env[name];
    if (!value) throw new IngestConfigError(`${name} is not set: the ingest function needs ${what}`);
    return value;
  };
  const int = (name: string, dflt: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new IngestConfigError(
        `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
      );
    }
    return n;
  };
  const tokenSecretArn = required('INGEST_TOKEN_SECRET_ARN', 'the ARN of the bearer token secret');
  if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/.test(tokenSecretArn)) {
    throw new IngestConfigError(
      `INGEST_TOKEN_SECRET_ARN must be a Secrets Manager secret ARN, got ${JSON.stringify(tokenSecretArn)}`,
    );
  }
  return {
    busName: required('BUS_NAME', 'the event bus name'),
    tokenSecretArn,
    idempotencyTable: required('IDEMPOTENCY_TABLE', 'the idempotency table name'),
    idempotencyTtlSeconds: int('IDEMPOTENCY_TTL_SECONDS', 86_400, 1, 30 * 86_400),
    tokenCacheSeconds: int('INGEST_TOKEN_CACHE_SECONDS', 300, 1, 3600),
  };
}

/** An API Gateway HTTP API request, payload format 2.0 (the fields this function reads). */
export interface HttpApiEvent {
  readonly version?: string;
  readonly routeKey?: string;
  readonly rawPath: string;
  /** Names are lowercase; repeated headers arrive as one value joined with commas. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext: { readonly http: { readonly method: string }; readonly requestId?: string };
}

/** An API Gateway HTTP API response, payload format 2.0. */
export interface HttpApiResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly isBase64Encoded: false;
}

/** The parts of the Lambda context this function uses. */
export interface InvocationContext {
  readonly awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

/** What one request came to, for metrics. */
export interface IngestOutcome {
  readonly status: number;
  /** Events published by this request (0 for a replay or an error). */
  readonly published: number;
  readonly replayed: boolean;
}

/** What the handler may be given instead of the defaults (tests, other runtimes). */
export interface IngestHandlerDeps {
  readonly eventBridge?: EventBridgeClient;
  readonly dynamodb?: DynamoDBClient;
  readonly secretsManager?: SecretsManagerClient;
  readonly validator?: EventValidator;
  readonly clock?: Clock;
  /** PutEvents attempts per entry and the first retry delay. @default { maxAttempts: 3, baseDelayMs: 100 } */
  readonly publishRetry?: { readonly maxAttempts: number; readonly baseDelayMs: number };
  /** Called with one line per request: never bodies, tokens or event contents. */
  readonly log?: (entry: Record<string, unknown>) => void;
  readonly onResult?: (outcome: IngestOutcome) => void;
}

/** Largest body accepted: the local server's default (API Gateway itself would take up to 10 MB). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Prefix of the idempotency records' ids: stable across function renames, unlike the default (the function name). */
export const IDEMPOTENCY_KEY_PREFIX = 'elt-ingest:POST/v1/events';

const PATH = '/v1/events';

/** The bus did not take every entry of a request (after retries): the request fails and is not remembered. */
class BusUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BusUnavailableError';
  }
}

/** What the idempotent part of a request is keyed and validated on. */
interface Claim {
  readonly key: string;
  /** SHA-256 of method, path and body: a different body under the same key is refused. */
  readonly fingerprint: string;
}

interface IngestRequest {
  readonly body: Buffer;
  readonly contentType: string | undefined;
  readonly now: Date;
}

/** A request's answer and what it did. */
interface Outcome {
  readonly result: HttpApiResult;
  readonly published: number;
  readonly replayed: boolean;
}

const UNAUTHORIZED = problem(
  401,
  'Unauthorized',
  'Send Authorization: Bearer <token> with the ingest token.',
);
const TOKEN_UNAVAILABLE = problem(
  503,
  'Service unavailable',
  'The ingest API cannot check tokens right now; retry after the delay.',
  { retryAfterSeconds: 5 },
);

/** A response kept in the idempotency table; `replayed` is set when it comes from there. */
interface KeptResponse extends StoredResponse {
  readonly replayed?: boolean;
}

/**
 * The AWS side of the ingest API, behind an API Gateway HTTP API: `POST /v1/events` with a bearer token
 * (the SecretString of a Secrets Manager secret, compared in constant time), an `Idempotency-Key`, and one
 * entry or a batch, published to EventBridge. It answers as the local server (`elt serve`) does: 202
 * `{status: "published", eventIds}`; a repeat of a key with the same body gets the first answer again with
 * `Idempotent-Replayed: true`, with another body 422, while the first is still running 409; errors are
 * `application/problem+json`. Idempotency is Powertools' with its DynamoDB persistence layer: a request
 * that throws (the bus is unavailable: 503) has its record deleted, so a retry is handled afresh.
 */
export function createIngestHandler(
  config: IngestConfig,
  deps: IngestHandlerDeps = {},
): (event: HttpApiEvent, context: InvocationContext) => Promise<HttpApiResult> {
  const validator = deps.validator ?? createEventValidator();
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? ((entry) => console.log(JSON.stringify(entry)));
  const bus = new EventBridgeBus({
    busName: config.busName,
    ...(deps.eventBridge ? { client: deps.eventBridge } : {}),
  });
  const secrets = new SecretsProvider(deps.secretsManager ? { awsSdkV3Client: deps.secretsManager } : {});
  const idempotencyConfig = new IdempotencyConfig({
    eventKeyJmesPath: 'key',
    payloadValidationJmesPath: 'fingerprint',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: config.idempotencyTtlSeconds,
    hashFunction: 'sha256',
    // Only a completed record's response passes through here: mark it as a replay.
    responseHook: (response) => ({ ...(response as object), replayed: true }),
  });
  const retry = deps.publishRetry ?? { maxAttempts: 3, baseDelayMs: 100 };

  const publish = async (values: readonly Record<string, unknown>[]): Promise<void> => {
    let accepted: number;
    try {
      const summary = await publishEvents(
        values.map((value, i) => ({ ref: `ingest:${i}`, value })),
        { bus, store: NO_QUARANTINE, clock, maxAttempts: retry.maxAttempts, baseDelayMs: retry.baseDelayMs },
      );
      accepted = summary.accepted;
    } catch (error) {
      if (error instanceof PublishFailedError) throw new BusUnavailableError(error.message, { cause: error });
      throw error;
    }
    // Entries were checked before; one the bus still refuses (e.g. throttled past the retries) fails the
    // request, so the producer retries it, instead of being quarantined where the producer never hears of it.
    if (accepted !== values.length) {
      throw new BusUnavailableError(`the bus accepted ${accepted} of ${values.length} entries`);
    }
  };

  // The part that runs once per key. A request that can never succeed (415, 422, …) returns its problem,
  // which is kept like a success: a retry gets the same answer. A bus failure throws: Powertools then
  // deletes the in-progress record.
  const handleOnce = makeIdempotent(
    async (claim: Claim, request: IngestRequest): Promise<KeptResponse> => {
      const batch = parseIngestBody(request.body, request.contentType, claim.key, validator, request.now);
      if (isProblem(batch)) return { status: batch.status, body: problemBody(batch) };
      await publish(batch.values);
      return { status: 202, body: { status: 'published', eventIds: [...batch.eventIds] } };
    },
    {
      persistenceStore: new DynamoDBPersistenceLayer({
        tableName: config.idempotencyTable,
        awsSdkV3Client: deps.dynamodb ?? new DynamoDBClient({}),
      }),
      config: idempotencyConfig,
      keyPrefix: IDEMPOTENCY_KEY_PREFIX,
    },
  );

  const tokenMatches = async (header: string | undefined): Promise<boolean> => {
    const token = await secrets.get(config.tokenSecretArn, { maxAge: config.tokenCacheSeconds });
    if (typeof token !== 'string' || token.length < 16)
      throw new Error('the ingest token secret must hold a SecretString of at least 16 characters');
    return bearerTokenMatches(header, tokenDigest(token));
  };

  const ingest = async (event: HttpApiEvent, context: InvocationContext): Promise<Outcome> => {
    const done = (result: HttpApiResult, published = 0, replayed = false): Outcome => ({
      result,
      published,
      replayed,
    });
    if (event.rawPath !== PATH)
      return done(fail(problem(404, 'Not found', `No route ${event.rawPath}; POST ${PATH}.`)));
    if (event.requestContext.http.method !== 'POST')
      return done(fail(problem(405, 'Method not allowed', `Use POST ${PATH}.`)));
    let authorized: boolean;
    try {
      authorized = await tokenMatches(header(event, 'authorization'));
    } catch (error) {
      log({ level: 'ERROR', message: 'token unavailable', error: describeError(error) });
      return done(fail(TOKEN_UNAVAILABLE));
    }
    if (!authorized) return done(fail(UNAUTHORIZED, { 'WWW-Authenticate': 'Bearer realm="elt-ingest"' }));
    const key = parseIdempotencyKey(header(event, 'idempotency-key'));
    if (isProblem(key)) return done(fail(key));
    const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    if (body.length > MAX_BODY_BYTES) {
      const detail = `The body is ${body.length} bytes; the limit is ${MAX_BODY_BYTES} bytes.`;
      return done(fail(problem(413, 'Payload too large', detail)));
    }
    const claim: Claim = { key, fingerprint: requestFingerprint('POST', PATH, body) };
    // The in-progress record expires with this invocation: a request cut off by the timeout frees its key.
    idempotencyConfig.registerLambdaContext(context);
    let kept: KeptResponse;
    try {
      kept = await handleOnce(claim, { body, contentType: header(event, 'content-type'), now: clock.now() });
    } catch (error) {
      const p = problemFor(error);
      if (!p) throw error;
      if (p.status >= 500) log({ level: 'WARN', message: 'request failed', error: describeError(error) });
      return done(fail(p));
    }
    if (kept.replayed) return done(send(kept.status, kept.body, { 'Idempotent-Replayed': 'true' }), 0, true);
    const published = kept.status === 202 ? (kept.body as { eventIds: string[] }).eventIds.length : 0;
    return done(send(kept.status, kept.body), published);
  };

  return async (event, context) => {
    const started = Date.now();
    let outcome: Outcome;
    try {
      outcome = await ingest(event, context);
    } catch (error) {
      log({ level: 'ERROR', message: 'request failed', error: describeError(error) });
      outcome = {
        result: fail(problem(500, 'Internal error', 'The request failed unexpectedly; retry after a while.')),
        published: 0,
        replayed: false,
      };
    }
    const { result, published, replayed } = outcome;
    deps.onResult?.({ status: result.statusCode, published, replayed });
    log({
      level: result.statusCode >= 500 ? 'WARN' : 'INFO',
      message: 'request',
      method: event.requestContext.http.method,
      path: event.rawPath,
      status: result.statusCode,
      ms: Date.now() - started,
      ...(published > 0 ? { published } : {}),
      ...(replayed ? { replayed } : {}),
    });
    return result;
  };
}

/** The answer to an error the handler expects; undefined for anything else (a 500). */
function problemFor(error: unknown): Problem | undefined {
  if (error instanceof IdempotencyValidationError) {
    return problem(
      422,
      'Idempotency-Key reused',
      'This Idempotency-Key was used with a different body; use a new key for a new request.',
    );
  }
  if (error instanceof IdempotencyAlreadyInProgressError) {
    return problem(
      409,
      'Request in progress',
      'A request with this Idempotency-Key is being handled; retry after it completes.',
      { retryAfterSeconds: 1 },
    );
  }
  if (error instanceof BusUnavailableError) {
    return problem(
      503,
      'Service unavailable',
      'The event bus did not take the events; retry with the same Idempotency-Key and body after the delay.',
      { retryAfterSeconds: 5 },
    );
  }
  // The idempotency table failed (or a record changed under us): nothing is known to be done; retry.
  if (
    error instanceof IdempotencyPersistenceLayerError ||
    error instanceof IdempotencyInconsistentStateError
  ) {
    return problem(
      503,
      'Service unavailable',
      'The idempotency store is unavailable; retry with the same Idempotency-Key and body after the delay.',
      { retryAfterSeconds: 1 },
    );
  }
  return undefined;
}

function fail(p: Problem, headers: Record<string, string> = {}): HttpApiResult {
  return send(p.status, problemBody(p), {
    ...headers,
    ...(p.retryAfterSeconds !== undefined ? { 'Retry-After': String(p.retryAfterSeconds) } : {}),
  });
}

function send(status: number, body: unknown, headers: Record<string, string> = {}): HttpApiResult {
  return {
    statusCode: status,
    headers: {
      'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json',
      ...headers,
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** A request header; payload format 2.0 lowercases names, but a test or another front may not. */
function header(event: HttpApiEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  if (headers[name] !== undefined) return headers[name];
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** An error's name and message, for logs: SDK and bus messages name resources, never event contents. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.name}: ${error.cause.message})` : '';
  return `${error.name}: ${error.message}${cause}`;
}

const NO_OBJECTS: AsyncIterable<ObjectInfo> = {
  [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }),
};

/**
 * Where `publishEvents` would quarantine entries the bus refuses. The ingest function keeps none: it counts
 * them and fails the request instead (see `publish`), so nothing is written here.
 */
const NO_QUARANTINE: ObjectStore = {
  put: () => Promise.resolve(),
  get: (key) => Promise.reject(new Error(`no object ${key}: the ingest function keeps no quarantine`)),
  list: () => NO_OBJECTS,
  delete: () => Promise.resolve(),
  describe: () => 'none (refused entries fail the request)',
};
