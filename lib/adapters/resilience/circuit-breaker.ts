import CircuitBreaker from 'opossum';
import { EltError } from '../../core/util/errors.js';

/** A breaker's state. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Settings of a breaker; every one has a default and a CLI flag or config key. */
export interface BreakerSettings {
  /** Open when at least this share of calls in the window failed. @default 50 */
  readonly failureRatePercent?: number;
  /** Calls needed in the window before the rate counts. @default 5 */
  readonly minimumCalls?: number;
  /** The rolling window. @default 10,000 ms */
  readonly windowMs?: number;
  /** Stay open this long, then let one probe call through (half-open). @default 5,000 ms */
  readonly openMs?: number;
  /** A call slower than this counts as failed. @default 10,000 ms */
  readonly callTimeoutMs?: number;
}

/** The breaker refused the call without trying: it is open. */
export class BreakerOpenError extends EltError {
  constructor(readonly breaker: string) {
    super(`the ${breaker} circuit breaker is open: not calling it until a probe succeeds`);
  }
}

/** A state change, for logs and metrics. */
export interface BreakerTransition {
  readonly breaker: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly at: string;
}

/**
 * A circuit breaker (opossum underneath) around one dependency: after enough failures in the window it
 * opens and fails calls at once; after `openMs` one probe call goes through (half-open); its success closes
 * the breaker, its failure opens it again. Every transition is logged and kept, for `/health` and tests.
 */
export class Breaker {
  readonly transitions: BreakerTransition[] = [];
  /** Calls refused while open, calls that failed, calls that succeeded. */
  readonly counts = { refused: 0, failed: 0, succeeded: 0 };
  private readonly breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  private current: BreakerState = 'closed';

  constructor(
    readonly name: string,
    settings: BreakerSettings = {},
    private readonly log: (t: BreakerTransition) => void = () => undefined,
  ) {
    const windowMs = settings.windowMs ?? 10_000;
    this.breaker = new CircuitBreaker((call: () => Promise<unknown>) => call(), {
      name,
      timeout: settings.callTimeoutMs ?? 10_000,
      errorThresholdPercentage: settings.failureRatePercent ?? 50,
      volumeThreshold: settings.minimumCalls ?? 5,
      rollingCountTimeout: windowMs,
      rollingCountBuckets: 10,
      resetTimeout: settings.openMs ?? 5_000,
    });
    this.breaker.on('open', () => this.move('open'));
    this.breaker.on('halfOpen', () => this.move('half-open'));
    this.breaker.on('close', () => this.move('closed'));
  }

  get state(): BreakerState {
    return this.current;
  }

  /** Runs `call` through the breaker; throws {@link BreakerOpenError} without calling when open. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    try {
      const result = (await this.breaker.fire(call)) as T;
      this.counts.succeeded++;
      return result;
    } catch (error) {
      if ((error as { code?: string }).code === 'EOPENBREAKER') {
        this.counts.refused++;
        throw new BreakerOpenError(this.name);
      }
      this.counts.failed++;
      throw error;
    }
  }

  /** Stops the breaker's timers. */
  shutdown(): void {
    this.breaker.shutdown();
  }

  private move(to: BreakerState): void {
    if (to === this.current) return;
    const t = { breaker: this.name, from: this.current, to, at: new Date().toISOString() };
    this.current = to;
    this.transitions.push(t);
    if (this.transitions.length > 1000) this.transitions.shift();
    this.log(t);
  }
}
