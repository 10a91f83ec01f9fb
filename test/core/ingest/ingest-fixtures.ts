// Requests and entries shared by the ingest tests (the use case, the Lambda adapter, the local server).
import { eventType } from '../../support/envelopes.js';

/** A bearer token long enough for both front ends. */
export const INGEST_TOKEN = 'tok-0123456789abcdefghijklmnopqrstuvwxyzAB';

/** A valid entry of the catalogue (UserLoggedIn), without the eventId the API sets. */
export function login(detail: Record<string, unknown> = {}): Record<string, unknown> {
  const { eventId: _drop, ...example } = eventType('UserLoggedIn').example as Record<string, unknown>;
  return { source: 'marketplace.users', 'detail-type': 'UserLoggedIn', detail: { ...example, ...detail } };
}

/** What a bad request looks like, whatever carries it. */
export interface BadRequest {
  readonly body: unknown;
  /** Headers replacing (or, with null, removing) the defaults: a good token, key and content type. */
  readonly headers?: Readonly<Record<string, string | null>>;
}

/** The headers of a request: a good token, key and JSON content type, with `overrides` applied. */
export function ingestHeaders(
  key: string,
  overrides: Readonly<Record<string, string | null>> = {},
): Record<string, string> {
  const headers: Record<string, string | null> = {
    authorization: `Bearer ${INGEST_TOKEN}`,
    'idempotency-key': key,
    'content-type': 'application/json',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== null));
}

/** The body as text: a string as it is, anything else as JSON. */
export const bodyText = (body: unknown): string => (typeof body === 'string' ? body : JSON.stringify(body));

/** The secret the AWS function reads the token from, in the tests. */
export const INGEST_SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:elt-dev-ingest-token-AbCdEf';

/** The AWS function's settings in the tests (the defaults for the TTL and the token cache). */
export const INGEST_SETTINGS = {
  busName: 'elt-dev-bus',
  tokenSecretArn: INGEST_SECRET_ARN,
  idempotencyTable: 'elt-dev-idempotency',
  idempotencyTtlSeconds: 86_400,
  tokenCacheSeconds: 300,
} as const;
