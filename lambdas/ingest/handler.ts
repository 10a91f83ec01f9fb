import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EventBridgeBus } from '../../lib/adapters/bus/eventbridge-bus.js';
import { DynamoDBIdempotencyStore } from '../../lib/adapters/idempotency/dynamodb-idempotency-store.js';
import { secretsManagerToken } from '../../lib/adapters/secrets/secrets-manager-token.js';
import { createEventValidator, type EventValidator } from '../../lib/core/events/validator.js';
import { handleIngest, type IngestDeps } from '../../lib/core/ingest/handle-ingest.js';
import { busIngestSink } from '../../lib/core/ingest/ingest-sink.js';
import { systemClock, type Clock } from '../../lib/core/ports.js';
import type { IngestSettings } from './settings.js';

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

/** Prefix of the idempotency records' ids: stable across function renames, unlike the default (the function name). */
export const IDEMPOTENCY_KEY_PREFIX = 'elt-ingest:POST/v1/events';

/**
 * The ingest API behind an API Gateway HTTP API (payload format 2.0): the event becomes an ingest request,
 * {@link handleIngest} answers it (the same use case as `elt serve`), the answer becomes the result. The
 * token is the SecretString of a Secrets Manager secret; keys are Powertools idempotency records in
 * DynamoDB, held in progress until the invocation's end; entries go straight to EventBridge, and a request
 * the bus does not fully take answers 503 and is not remembered.
 */
export function createIngestHandler(
  settings: IngestSettings,
  deps: IngestHandlerDeps = {},
): (event: HttpApiEvent, context: InvocationContext) => Promise<HttpApiResult> {
  const clock = deps.clock ?? systemClock;
  const retry = deps.publishRetry ?? { maxAttempts: 3, baseDelayMs: 100 };
  const ingest: IngestDeps = {
    token: secretsManagerToken({
      secretArn: settings.tokenSecretArn,
      cacheSeconds: settings.tokenCacheSeconds,
      ...(deps.secretsManager ? { client: deps.secretsManager } : {}),
    }),
    idempotency: new DynamoDBIdempotencyStore({
      tableName: settings.idempotencyTable,
      ttlSeconds: settings.idempotencyTtlSeconds,
      keyPrefix: IDEMPOTENCY_KEY_PREFIX,
      client: deps.dynamodb ?? new DynamoDBClient({}),
    }),
    sink: busIngestSink({
      bus: new EventBridgeBus({
        busName: settings.busName,
        ...(deps.eventBridge ? { client: deps.eventBridge } : {}),
      }),
      clock,
      maxAttempts: retry.maxAttempts,
      baseDelayMs: retry.baseDelayMs,
    }),
    validator: deps.validator ?? createEventValidator(),
    clock,
    log: deps.log ?? ((entry) => console.log(JSON.stringify(entry))),
  };

  return async (event, context) => {
    const result = await handleIngest(
      {
        method: event.requestContext.http.method,
        path: event.rawPath,
        headers: event.headers ?? {},
        body: Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8'),
        // The in-progress record expires with this invocation: a request cut off by the timeout frees its key.
        deadline: Date.now() + context.getRemainingTimeInMillis(),
      },
      ingest,
    );
    const { response } = result;
    deps.onResult?.({ status: response.status, published: result.accepted, replayed: result.replayed });
    return {
      statusCode: response.status,
      headers: response.headers,
      body: JSON.stringify(response.body),
      isBase64Encoded: false,
    };
  };
}
