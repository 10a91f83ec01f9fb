import { createHash } from 'node:crypto';
import { EltError } from '../util/errors.js';

/** A response kept for replay. */
export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

/** What the store says about a key when a request arrives. */
export type IdempotencyBegin =
  /** First time (or expired): go ahead; the key is now held as in flight. */
  | { readonly kind: 'new' }
  /** Done before with the same body: answer with the first response. */
  | { readonly kind: 'replay'; readonly response: StoredResponse }
  /** Another request with this key is being handled right now. */
  | { readonly kind: 'in-flight' }
  /** Used before with a different body. */
  | { readonly kind: 'mismatch' };

/**
 * The store cannot say or record what a key holds right now (its table is unreachable, or a record changed
 * under the request): nothing is known to be done, so the request fails and may be retried.
 */
export class IdempotencyStoreUnavailableError extends EltError {}

/**
 * Keeps idempotency keys, their request fingerprints and first responses, for a time to live. Times are
 * epoch milliseconds. A store that cannot answer throws {@link IdempotencyStoreUnavailableError}.
 */
export interface IdempotencyStore {
  /**
   * Claims `key` for a request, or says why not. `heldUntil`: when the request's runtime cuts it off (a
   * Lambda invocation's end), after which a key still in flight is free again; a store picks its own bound
   * when it is not given.
   */
  begin(key: string, fingerprint: string, now: number, heldUntil?: number): Promise<IdempotencyBegin>;
  /** Records the response of a request that started with `begin` → new. */
  complete(key: string, fingerprint: string, response: StoredResponse, now: number): Promise<void>;
  /** Releases a key whose request failed, so a retry is handled afresh. */
  abandon(key: string): Promise<void>;
}

/** The fingerprint of a request: what must be equal for a repeat to count as the same request. */
export function requestFingerprint(method: string, path: string, body: Uint8Array): string {
  return createHash('sha256').update(`${method} ${path}\n`).update(body).digest('hex');
}

/** The most a stored problem body takes, serialized: a key keeps its answer, not the client's input. */
export const MAX_STORED_PROBLEM_BYTES = 2048;

/** Longest string field kept in a problem body that is over {@link MAX_STORED_PROBLEM_BYTES}. */
const MAX_STORED_FIELD_CHARS = 256;

/**
 * A response as a store keeps it: a problem (4xx/5xx) body over {@link MAX_STORED_PROBLEM_BYTES} keeps its
 * string, number and boolean fields, strings cut to 256 characters, and `truncated: true`; if that is still
 * too large (or the body cannot be serialized), only `type`, `title` and `status`. A success body is kept
 * whole (its size is bounded by the batch size).
 */
export function boundedResponse(response: StoredResponse): StoredResponse {
  if (response.status < 400 || serializedSize(response.body) <= MAX_STORED_PROBLEM_BYTES) return response;
  const body: Record<string, unknown> = {};
  const fields = typeof response.body === 'object' && response.body !== null ? response.body : {};
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string')
      body[name] =
        value.length > MAX_STORED_FIELD_CHARS ? `${value.slice(0, MAX_STORED_FIELD_CHARS)}…` : value;
    else if (typeof value === 'number' || typeof value === 'boolean') body[name] = value;
  }
  body.truncated = true;
  if (serializedSize(body) <= MAX_STORED_PROBLEM_BYTES) return { status: response.status, body };
  const { type, title } = body;
  return {
    status: response.status,
    body: {
      type,
      title: typeof title === 'string' ? title : undefined,
      status: response.status,
      truncated: true,
    },
  };
}

/** Characters of `value` as JSON, or Infinity when it cannot be serialized (too deep, a cycle). */
function serializedSize(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

interface Entry {
  fingerprint: string;
  expiresAt: number;
  response?: StoredResponse;
}

/** A persisted record: one JSON line per completed key. */
export interface IdempotencyRecord {
  readonly key: string;
  readonly fingerprint: string;
  readonly expiresAt: number;
  readonly response: StoredResponse;
}

/** Options of {@link MemoryIdempotencyStore}. */
export interface MemoryIdempotencyStoreOptions {
  /** How long a completed key is remembered. */
  readonly ttlMs: number;
  /** How long an in-flight key is held if its request never completes (a crash). @default 60 s */
  readonly inFlightTtlMs?: number;
  /** Called with every completed key, to persist it (e.g. append to a file). */
  readonly persist?: (record: IdempotencyRecord) => Promise<void>;
  /** Records persisted earlier, loaded at start. */
  readonly restore?: Iterable<IdempotencyRecord>;
}

/**
 * Idempotency keys in memory, checked and claimed in one synchronous step (so of 1,000 concurrent
 * requests with one key exactly one proceeds), optionally persisted so a restart still replays.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  private sweeps = 0;

  constructor(private readonly options: MemoryIdempotencyStoreOptions) {
    const now = Date.now();
    for (const r of options.restore ?? []) {
      if (r.expiresAt > now)
        this.entries.set(r.key, {
          fingerprint: r.fingerprint,
          expiresAt: r.expiresAt,
          response: boundedResponse(r.response),
        });
    }
  }

  get size(): number {
    return this.entries.size;
  }

  begin(key: string, fingerprint: string, now: number, heldUntil?: number): Promise<IdempotencyBegin> {
    if (++this.sweeps % 1000 === 0) this.sweep(now);
    const e = this.entries.get(key);
    if (e && e.expiresAt > now) {
      if (e.fingerprint !== fingerprint) return Promise.resolve({ kind: 'mismatch' });
      if (!e.response) return Promise.resolve({ kind: 'in-flight' });
      return Promise.resolve({ kind: 'replay', response: e.response });
    }
    const expiresAt = heldUntil ?? now + (this.options.inFlightTtlMs ?? 60_000);
    this.entries.set(key, { fingerprint, expiresAt });
    return Promise.resolve({ kind: 'new' });
  }

  async complete(key: string, fingerprint: string, response: StoredResponse, now: number): Promise<void> {
    const expiresAt = now + this.options.ttlMs;
    const kept = boundedResponse(response);
    this.entries.set(key, { fingerprint, expiresAt, response: kept });
    await this.options.persist?.({ key, fingerprint, expiresAt, response: kept });
  }

  /** The completed keys not expired at `now`, as records to persist (to compact a file of them). */
  *records(now: number): Iterable<IdempotencyRecord> {
    for (const [key, e] of this.entries) {
      if (e.response && e.expiresAt > now)
        yield { key, fingerprint: e.fingerprint, expiresAt: e.expiresAt, response: e.response };
    }
  }

  abandon(key: string): Promise<void> {
    const e = this.entries.get(key);
    if (e && !e.response) this.entries.delete(key);
    return Promise.resolve();
  }

  private sweep(now: number): void {
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
  }
}
