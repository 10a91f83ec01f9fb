/**
 * The ingest API's problem catalogue: every error answer of `POST /v1/events` (and of the local server's
 * own routes and protocol errors), as RFC 9457 problem details. The local server (`elt serve`) and the AWS
 * function answer from here, so the same bad request gets the same status, title and detail from both.
 * Whatever a problem repeats of the request is cut to `MAX_ECHOED_CHARS` (200) characters, and its detail
 * to {@link MAX_PROBLEM_DETAIL_CHARS}: a problem body is a few hundred bytes, whatever was sent.
 */
import { echoed } from '../events/rejection.js';

/** The longest `detail` a problem carries (the rest is cut with an ellipsis). */
export const MAX_PROBLEM_DETAIL_CHARS = 1000;

/** An error answer, as RFC 9457 problem details (`application/problem+json`). */
export interface Problem {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  /** The field at fault, e.g. `entries[2].detail.amountMinor`. */
  readonly field?: string;
  /** Seconds the client should wait (429, 503). */
  readonly retryAfterSeconds?: number;
  /** The methods the path takes (405: the `Allow` header). */
  readonly allow?: readonly string[];
}

// RFC 9457: type "about:blank" means the status code says it all; `docs` names where each is explained.
const PROBLEM_TYPE = 'about:blank';
const PROBLEM_DOCS = 'docs/failure-modes.md#ingest-api-errors';

/** The challenge sent with a 401 (RFC 6750). */
export const BEARER_CHALLENGE = 'Bearer realm="elt-ingest"';

/** The JSON body of a problem answer. */
export function problemBody(p: Problem): Record<string, unknown> {
  return {
    type: PROBLEM_TYPE,
    docs: PROBLEM_DOCS,
    title: p.title,
    status: p.status,
    detail: p.detail,
    ...(p.field ? { field: p.field } : {}),
  };
}

/** Whether a result is a problem. */
export function isProblem(value: unknown): value is Problem {
  return value !== null && typeof value === 'object' && 'status' in value && 'title' in value;
}

function problem(
  status: number,
  title: string,
  detail: string,
  extra: Partial<Pick<Problem, 'field' | 'retryAfterSeconds' | 'allow'>> = {},
): Problem {
  const { field, ...rest } = extra;
  return {
    status,
    title,
    detail: echoed(detail, MAX_PROBLEM_DETAIL_CHARS),
    ...(field !== undefined ? { field: echoed(field) } : {}),
    ...rest,
  };
}

/** `entries[2]: reason`, or the bare reason for a single-entry request. */
const at = (where: string, reason: string): string => (where ? `${where}: ${reason}` : reason);

/** Every problem the ingest API answers with. */
export const ingestProblems = {
  /** The path is not a route; `routes` lists the ones that are (`POST /v1/events`, …). */
  notFound: (path: string, routes: readonly string[]): Problem =>
    problem(404, 'Not found', `No route ${echoed(path)}; ${routes.join(' or ')}.`),
  /** The path is a route, for another method: `route` is how to call it, `allow` its methods. */
  methodNotAllowed: (route: string, allow: readonly string[]): Problem =>
    problem(405, 'Method not allowed', `Use ${route}.`, { allow }),
  unauthorized: (): Problem =>
    problem(401, 'Unauthorized', 'Send Authorization: Bearer <token> with the ingest token.'),
  /** The token could not be read (its secret is unavailable or invalid). */
  tokenUnavailable: (): Problem =>
    problem(
      503,
      'Service unavailable',
      'The ingest API cannot check tokens right now; retry after the delay.',
      { retryAfterSeconds: 5 },
    ),
  tooManyRequests: (): Problem =>
    problem(429, 'Too many requests', 'The ingest API is at its concurrency limit; retry after the delay.', {
      retryAfterSeconds: 1,
    }),
  idempotencyKeyRequired: (): Problem =>
    problem(
      400,
      'Idempotency-Key required',
      'Send an Idempotency-Key header (a unique token per logical request, e.g. a UUID); a retry with the same key and body is answered with the first response and publishes nothing.',
    ),
  idempotencyKeyRepeated: (): Problem =>
    problem(400, 'Malformed Idempotency-Key', 'Send exactly one Idempotency-Key header.'),
  idempotencyKeyMalformed: (): Problem =>
    problem(
      400,
      'Malformed Idempotency-Key',
      'The Idempotency-Key must be 1–255 characters of letters, digits and . _ : ~ + / = -',
    ),
  /** The body is over `limit` bytes; `bytes` when its size is known (declared, or already received). */
  payloadTooLarge: (limit: number, bytes?: number): Problem =>
    problem(
      413,
      'Payload too large',
      bytes === undefined
        ? `The body is over the limit of ${limit} bytes.`
        : `The body is ${bytes} bytes; the limit is ${limit} bytes.`,
    ),
  requestAborted: (): Problem =>
    problem(400, 'Request aborted', 'The request body did not arrive completely.'),
  /** `type`: the media type sent, '' when Content-Type is missing. */
  unsupportedMediaType: (type: string): Problem =>
    problem(
      415,
      'Unsupported media type',
      `Send the body as application/json${type ? `, not ${echoed(type)}` : ' (Content-Type is missing)'}.`,
    ),
  bodyNotUtf8: (): Problem => problem(400, 'Malformed body', 'The body is not UTF-8 text.'),
  /** `reason`: the JSON parser's message (it names a position in the body, never anything else). */
  malformedJson: (reason: string): Problem =>
    problem(400, 'Malformed JSON', `The body is not valid JSON: ${echoed(reason)}`),
  noEntries: (): Problem => problem(422, 'No entries', 'The request has no entries.', { field: 'entries' }),
  tooManyEntries: (count: number, max: number): Problem =>
    problem(413, 'Too many entries', `The request has ${count} entries; send at most ${max} per request.`, {
      field: 'entries',
    }),
  nestingTooDeep: (field: string, maxDepth: number): Problem =>
    problem(422, 'Nesting too deep', `${field} nests deeper than ${maxDepth} levels.`, { field }),
  /** `name`: a member of an entry (or of `{"entries": [...]}`) that is not one of `allowed`. */
  unknownField: (field: string, name: string, allowed: readonly string[]): Problem =>
    problem(
      422,
      'Unknown field',
      `${JSON.stringify(echoed(name))} is not a field here; send only ${allowed.join(', ')}.`,
      { field },
    ),
  /** `source`: one of the pipeline's own sources, which producers may not publish. */
  reservedSource: (field: string, source: string): Problem =>
    problem(
      422,
      'Reserved source',
      `The source ${JSON.stringify(echoed(source))} is reserved for the pipeline's own events.`,
      { field },
    ),
  /** `where`: `entries[i]`, or '' for a single entry. */
  invalidEntry: (where: string, reason: string, field: string): Problem =>
    problem(422, 'Invalid entry', at(where, reason), { field }),
  schemaViolation: (where: string, reason: string, field: string): Problem =>
    problem(422, 'Schema violation', at(where, reason), { field }),
  idempotencyKeyReused: (): Problem =>
    problem(
      422,
      'Idempotency-Key reused',
      'This Idempotency-Key was used with a different body; use a new key for a new request.',
    ),
  requestInProgress: (): Problem =>
    problem(
      409,
      'Request in progress',
      'A request with this Idempotency-Key is being handled; retry after it completes.',
      { retryAfterSeconds: 1 },
    ),
  /** The bus did not take every entry (after retries); nothing is kept for the key. */
  busUnavailable: (): Problem =>
    problem(
      503,
      'Service unavailable',
      'The event bus did not take the events; retry with the same Idempotency-Key and body after the delay.',
      { retryAfterSeconds: 5 },
    ),
  /** The bus is away and the spool that holds requests until it is back is full. */
  spoolFull: (): Problem =>
    problem(
      503,
      'Service unavailable',
      'The bus is unavailable and the spool is full; retry after the delay.',
      {
        retryAfterSeconds: 5,
      },
    ),
  /** The idempotency store failed (or a record changed under us): nothing is known to be done. */
  idempotencyStoreUnavailable: (): Problem =>
    problem(
      503,
      'Service unavailable',
      'The idempotency store is unavailable; retry with the same Idempotency-Key and body after the delay.',
      { retryAfterSeconds: 1 },
    ),
  /** The request is not HTTP the server can read (answered by the HTTP server itself). */
  badRequest: (): Problem => problem(400, 'Bad request', 'The request is not valid HTTP/1.1.'),
  /** The request (headers and body) did not arrive in time. */
  requestTimeout: (): Problem =>
    problem(408, 'Request timeout', 'The request did not arrive in time; send it again.'),
  /** The request's headers are over the server's limit. */
  headersTooLarge: (): Problem =>
    problem(431, 'Request header fields too large', 'The request headers are over the limit.'),
  /** Anything unexpected: the error itself is logged, never echoed. */
  internalError: (): Problem =>
    problem(500, 'Internal error', 'The request failed unexpectedly; retry after a while.'),
} as const;
