/** How to retry: attempts, backoff and an overall deadline. */
export interface RetryPolicy {
  /** Attempts in all, the first included. @default 6 */
  readonly maxAttempts?: number;
  /** First delay; doubles each attempt, with full jitter. @default 200 */
  readonly baseDelayMs?: number;
  /** Longest single delay. @default 20_000 */
  readonly maxDelayMs?: number;
  /** Give up when the next attempt would start after this many ms from the first. @default none */
  readonly deadlineMs?: number;
  /** Injected for tests. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected for tests. @default Math.random */
  readonly random?: () => number;
}

/**
 * Exponential backoff with full jitter: a uniformly random delay up to base × 2^(attempt-1), capped.
 * Full jitter spreads retrying clients apart instead of letting them collide again in waves.
 * @see https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/
 */
export function backoffDelay(attempt: number, policy: RetryPolicy = {}): number {
  const base = policy.baseDelayMs ?? 200;
  const cap = policy.maxDelayMs ?? 20_000;
  return (policy.random ?? Math.random)() * Math.min(cap, base * 2 ** (attempt - 1));
}

/** Sleeps for `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `fn` until it succeeds, retrying only errors `isRetryable` accepts, with {@link backoffDelay}
 * between attempts, within the attempt limit and the deadline. The last error is thrown as is.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  policy: RetryPolicy = {},
): Promise<T> {
  const maxAttempts = policy.maxAttempts ?? 6;
  const wait = policy.sleep ?? sleep;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= maxAttempts || !isRetryable(error)) throw error;
      const delay = backoffDelay(attempt, policy);
      if (policy.deadlineMs !== undefined && Date.now() - started + delay > policy.deadlineMs) throw error;
      await wait(delay);
    }
  }
}

/** AWS error names that mean "try again later" rather than "this request is wrong". */
const TRANSIENT_AWS_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalServerException',
  'InternalFailure',
  'SlowDown',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/**
 * Whether an AWS SDK (or network) error is worth retrying: throttling, 5xx, timeouts and dropped
 * connections are; validation errors, missing resources and access denied are not.
 */
export function isTransientAwsError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
  };
  if (e.$retryable) return true;
  if (e.name && TRANSIENT_AWS_ERRORS.has(e.name)) return true;
  if (e.code && TRANSIENT_AWS_ERRORS.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  return status === 429 || (status !== undefined && status >= 500);
}
