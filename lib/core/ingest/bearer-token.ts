import { createHash, timingSafeEqual } from 'node:crypto';
import { EltError } from '../util/errors.js';

/** The shortest ingest token accepted: shorter ones are guessable. */
export const MIN_INGEST_TOKEN_LENGTH = 16;

/** An ingest token that is missing or too short; the message says what it must be. */
export class IngestTokenInvalidError extends EltError {}

/** Where the ingest API gets the token it compares requests with (a fixed value, a secret that rotates). */
export interface BearerToken {
  /** The SHA-256 digest of the current token; rejects when the token cannot be read. */
  digest(): Promise<Uint8Array>;
}

/** The SHA-256 digest a bearer token is compared as. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** Checks a token's length; `what` names where it came from, for the message. */
export function checkIngestToken(token: unknown, what = 'the ingest token'): string {
  if (typeof token !== 'string' || token.length < MIN_INGEST_TOKEN_LENGTH) {
    throw new IngestTokenInvalidError(`${what} must be at least ${MIN_INGEST_TOKEN_LENGTH} characters`);
  }
  return token;
}

/** A token fixed for the life of the process (`elt serve`'s token). */
export function fixedBearerToken(token: string): BearerToken {
  const digest = tokenDigest(checkIngestToken(token));
  return { digest: () => Promise.resolve(digest) };
}

/**
 * Whether an `Authorization` header carries the bearer token whose digest is `expected`. The scheme name is
 * case-insensitive (RFC 9110 §11.1: `bearer`, `BEARER`), followed by one or more spaces (RFC 6750 §2.1).
 * Compared as fixed-length digests, in constant time: neither the token's length nor its content leaks
 * through timing.
 */
export function bearerTokenMatches(header: string | undefined, expected: Uint8Array): boolean {
  const m = /^Bearer +(\S.*)$/i.exec(header ?? '');
  if (!m) return false;
  return timingSafeEqual(tokenDigest(m[1]!), expected);
}
