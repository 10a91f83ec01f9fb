import { EltError } from '../util/errors.js';

/**
 * Thrown when an event pattern is rejected, mirroring EventBridge's `InvalidEventPatternException`
 * ("Event pattern is not valid. Reason: …"). The reason reuses EventBridge's wording where that wording
 * is clear, and the JSON path says where in the pattern the problem is.
 */
export class InvalidEventPatternError extends EltError {
  /** What is wrong, e.g. `prefix match pattern must be a string`. */
  readonly reason: string;

  /** Where it is wrong, as a JSON path into the pattern, e.g. `$.detail.state[0].prefix`; `$` is the root. */
  readonly path: string;

  constructor(reason: string, path: string, options?: { cause?: unknown }) {
    super(`Event pattern is not valid. Reason: ${reason} (at ${path})`, options);
    this.reason = reason;
    this.path = path;
  }
}

/**
 * Thrown when an event is not one that `TestEventPattern` would accept, mirroring EventBridge's
 * `ValidationException` "Parameter Event is not valid." with the reason spelled out.
 */
export class InvalidEventError extends EltError {
  /** What is wrong, e.g. `missing required field(s): "id", "time"`. */
  readonly reason: string;

  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Parameter Event is not valid. Reason: ${reason}`, options);
    this.reason = reason;
  }
}
