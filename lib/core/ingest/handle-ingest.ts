import type { EventValidator } from '../events/validator.js';
import { systemClock, type Clock } from '../ports.js';
import { EltError } from '../util/errors.js';
import { bearerTokenMatches, type BearerToken } from './bearer-token.js';
import {
  IdempotencyStoreUnavailableError,
  requestFingerprint,
  type IdempotencyStore,
} from './idempotency.js';
import { checkContentType, parseIdempotencyKey, parseIngestBody } from './ingest-request.js';
import { BusUnavailableError, SpoolFullError, type Acceptance, type IngestSink } from './ingest-sink.js';
import { BEARER_CHALLENGE, ingestProblems, isProblem, problemBody, type Problem } from './problems.js';

/** The ingest API's one route. */
export const INGEST_PATH = '/v1/events';
const INGEST_ROUTE = `POST ${INGEST_PATH}`;

/** Largest body accepted by default (API Gateway itself would take up to 10 MB). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** The body arrived larger than `limit`; `bytes` when its size is known. */
export class PayloadTooLargeError extends EltError {
  constructor(
    readonly limit: number,
    readonly bytes?: number,
  ) {
    super(`the body is over the limit of ${limit} bytes`);
  }
}

/** The client went away before the whole body arrived. */
export class RequestAbortedError extends EltError {}

/**
 * Reads a streamed body of at most `maxBytes`; rejects with {@link PayloadTooLargeError} as soon as it is
 * over, or {@link RequestAbortedError}.
 */
export type BodyReader = (maxBytes: number) => Promise<Uint8Array>;

/** A request to the ingest API, whatever carried it (API Gateway, node:http, a test). */
export interface IngestRequest {
  readonly method: string;
  /** The path, without the query string. */
  readonly path: string;
  /** Header values by name (any case); a repeated header as a list or joined with commas. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body (a string is UTF-8), or a reader for one still arriving: it is read only after the checks. */
  readonly body: Uint8Array | string | BodyReader;
  /** When the runtime cuts the request off (epoch ms; a Lambda invocation's end). */
  readonly deadline?: number;
}

/** The answer, to be written by the transport: `body` as JSON. */
export interface IngestResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** A request's answer and what it did. */
export interface IngestResult {
  readonly response: IngestResponse;
  /** Events this request accepted (published or spooled): 0 for a replay or a problem. */
  readonly accepted: number;
  readonly replayed: boolean;
  /** The body was refused (415, 422, …): the request must be corrected; nothing is kept for the key. */
  readonly refused: boolean;
}

/** Requests admitted at once; beyond the limit the API answers 429. */
export class ConcurrencyLimit {
  private inFlight = 0;
  /** Requests turned away since the start. */
  overloaded = 0;

  constructor(readonly max: number) {}

  /** Takes a place, or false when none is free. */
  tryEnter(): boolean {
    if (this.inFlight >= this.max) {
      this.overloaded++;
      return false;
    }
    this.inFlight++;
    return true;
  }

  leave(): void {
    this.inFlight--;
  }
}

/** What {@link handleIngest} works with. */
export interface IngestDeps {
  readonly token: BearerToken;
  readonly idempotency: IdempotencyStore;
  readonly sink: IngestSink;
  readonly validator: EventValidator;
  readonly clock?: Clock;
  /** @default DEFAULT_MAX_BODY_BYTES */
  readonly maxBodyBytes?: number;
  /** @default - no limit (API Gateway throttles in front of the function) */
  readonly concurrency?: ConcurrencyLimit;
  /** Routes the transport serves besides `POST /v1/events`, named in the 404 (e.g. `GET /health`). */
  readonly otherRoutes?: readonly string[];
  /** Called with one `request` line per request, and one per failure: never bodies, tokens or keys. */
  readonly log?: (entry: Record<string, unknown>) => void;
}

/**
 * The ingest API, `POST /v1/events`, the same behind API Gateway and in `elt serve`: route → method →
 * bearer token → admission → `Idempotency-Key` → content type → body size, none of which touches the key
 * store; then claim the key → parse and check the entries → hand them to the sink. 202 `{status,
 * eventIds}`; a repeat of a key with the same body gets the first answer again with `Idempotent-Replayed:
 * true`, with another body 422, while the first is still running 409. Only a 2xx is kept under a key: any
 * other outcome (a refused body, a failure to publish, an unexpected error) releases it, so the corrected
 * request or a retry is handled afresh. Errors are problems from the catalogue; an unexpected error is
 * logged and answered 500 without its message.
 */
export async function handleIngest(request: IngestRequest, deps: IngestDeps): Promise<IngestResult> {
  const started = Date.now();
  let result: IngestResult;
  try {
    result = await ingest(request, deps);
  } catch (error) {
    deps.log?.({ level: 'ERROR', message: 'request failed', error: describeError(error) });
    result = failed(ingestProblems.internalError());
  }
  deps.log?.(requestLogEntry(request.method, request.path, result, Date.now() - started));
  return result;
}

/** The `request` log line: what was asked and how it went. */
export function requestLogEntry(
  method: string,
  path: string,
  result: Pick<IngestResult, 'response'> & Partial<IngestResult>,
  ms: number,
): Record<string, unknown> {
  const status = result.response.status;
  return {
    level: status >= 500 ? 'WARN' : 'INFO',
    message: 'request',
    method,
    path,
    status,
    ms,
    ...(result.accepted ? { accepted: result.accepted } : {}),
    ...(result.replayed ? { replayed: true } : {}),
  };
}

/** The answer to a problem: `application/problem+json`, with Retry-After, Allow and the 401 challenge. */
export function problemResponse(p: Problem): IngestResponse {
  return respond(p.status, problemBody(p), {
    ...(p.retryAfterSeconds !== undefined ? { 'Retry-After': String(p.retryAfterSeconds) } : {}),
    ...(p.allow ? { Allow: p.allow.join(', ') } : {}),
    ...(p.status === 401 ? { 'WWW-Authenticate': BEARER_CHALLENGE } : {}),
  });
}

/** An answer with its JSON body: `application/problem+json` for a 4xx/5xx (a replayed problem too). */
export function respond(status: number, body: unknown, headers: Record<string, string> = {}): IngestResponse {
  return {
    status,
    headers: {
      'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json',
      ...headers,
    },
    body,
  };
}

/** An error's name and message, for logs: SDK and bus messages name resources, never event contents. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.name}: ${error.cause.message})` : '';
  return `${error.name}: ${error.message}${cause}`;
}

function failed(p: Problem, refused = false): IngestResult {
  return { response: problemResponse(p), accepted: 0, replayed: false, refused };
}

/** A header's value, whatever the case of its name. */
function header(request: IngestRequest, name: string): string | readonly string[] | undefined {
  const headers = request.headers;
  if (headers[name] !== undefined) return headers[name];
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

function singleHeader(request: IngestRequest, name: string): string | undefined {
  const value = header(request, name);
  return typeof value === 'string' ? value : value?.join(', ');
}

async function ingest(request: IngestRequest, deps: IngestDeps): Promise<IngestResult> {
  if (request.path !== INGEST_PATH) {
    return failed(ingestProblems.notFound(request.path, [INGEST_ROUTE, ...(deps.otherRoutes ?? [])]));
  }
  if (request.method !== 'POST') return failed(ingestProblems.methodNotAllowed(INGEST_ROUTE, ['POST']));
  let digest: Uint8Array;
  try {
    digest = await deps.token.digest();
  } catch (error) {
    deps.log?.({ level: 'ERROR', message: 'token unavailable', error: describeError(error) });
    return failed(ingestProblems.tokenUnavailable());
  }
  if (!bearerTokenMatches(singleHeader(request, 'authorization'), digest)) {
    return failed(ingestProblems.unauthorized());
  }
  const concurrency = deps.concurrency;
  if (concurrency && !concurrency.tryEnter()) return failed(ingestProblems.tooManyRequests());
  try {
    return await admitted(request, deps);
  } finally {
    concurrency?.leave();
  }
}

async function admitted(request: IngestRequest, deps: IngestDeps): Promise<IngestResult> {
  const key = parseIdempotencyKey(header(request, 'idempotency-key'));
  if (isProblem(key)) return failed(key);
  const unsupported = checkContentType(singleHeader(request, 'content-type'));
  if (unsupported) return failed(unsupported, true);
  const body = await readBody(request, deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
  if (isProblem(body)) return failed(body);
  try {
    return await claimed(request, deps, key, body);
  } catch (error) {
    if (!(error instanceof IdempotencyStoreUnavailableError)) throw error;
    deps.log?.({ level: 'WARN', message: 'request failed', error: describeError(error) });
    return failed(ingestProblems.idempotencyStoreUnavailable());
  }
}

/** Claims the key, then processes the body under it: only a 2xx is kept; anything else releases the key. */
async function claimed(
  request: IngestRequest,
  deps: IngestDeps,
  key: string,
  body: Uint8Array,
): Promise<IngestResult> {
  const clock = deps.clock ?? systemClock;
  const store = deps.idempotency;
  const fingerprint = requestFingerprint('POST', INGEST_PATH, body);
  const now = clock.now();
  const claim = await store.begin(key, fingerprint, now.getTime(), request.deadline);
  if (claim.kind === 'replay') {
    const { status, body: kept } = claim.response;
    return {
      response: respond(status, kept, { 'Idempotent-Replayed': 'true' }),
      accepted: 0,
      replayed: true,
      refused: false,
    };
  }
  if (claim.kind === 'in-flight') return failed(ingestProblems.requestInProgress());
  if (claim.kind === 'mismatch') return failed(ingestProblems.idempotencyKeyReused());

  let kept = false;
  try {
    const batch = parseIngestBody(body, key, deps.validator, now);
    if (isProblem(batch)) return failed(batch, true);
    let how: Acceptance;
    try {
      how = await deps.sink.accept(batch.values);
    } catch (error) {
      const p = sinkProblem(error);
      if (!p) throw error;
      deps.log?.({ level: 'WARN', message: 'request failed', error: describeError(error) });
      return failed(p);
    }
    const answer = { status: how, eventIds: [...batch.eventIds] };
    await store.complete(key, fingerprint, { status: 202, body: answer }, clock.now().getTime());
    kept = true;
    return {
      response: respond(202, answer),
      accepted: batch.eventIds.length,
      replayed: false,
      refused: false,
    };
  } finally {
    if (!kept) await release(store, key, deps);
  }
}

/** Frees a key whose request did not succeed; a store that cannot is logged (its hold expires by itself). */
async function release(store: IdempotencyStore, key: string, deps: IngestDeps): Promise<void> {
  try {
    await store.abandon(key);
  } catch (error) {
    deps.log?.({ level: 'WARN', message: 'key not released', error: describeError(error) });
  }
}

/** The answer to a sink's refusal; undefined for anything else (a 500). */
function sinkProblem(error: unknown): Problem | undefined {
  if (error instanceof BusUnavailableError) return ingestProblems.busUnavailable();
  if (error instanceof SpoolFullError) return ingestProblems.spoolFull();
  return undefined;
}

/** The body, bounded: a problem when it is over the limit or did not arrive. */
async function readBody(request: IngestRequest, maxBytes: number): Promise<Uint8Array | Problem> {
  const source = request.body;
  let body: Uint8Array;
  if (typeof source === 'function') {
    try {
      body = await source(maxBytes);
    } catch (error) {
      if (error instanceof PayloadTooLargeError)
        return ingestProblems.payloadTooLarge(error.limit, error.bytes);
      if (error instanceof RequestAbortedError) return ingestProblems.requestAborted();
      throw error;
    }
  } else {
    body = typeof source === 'string' ? Buffer.from(source, 'utf8') : source;
  }
  return body.length > maxBytes ? ingestProblems.payloadTooLarge(maxBytes, body.length) : body;
}
