import { isJsonObject, type JsonObject } from './json-value.js';
import { InvalidEventError } from './pattern-errors.js';

/**
 * Envelope fields `TestEventPattern` insists on. Its API reference also lists `resources`, but the
 * service accepts events without it (observed in AWS-validated tests), so it is not required here.
 */
export const REQUIRED_EVENT_FIELDS = ['id', 'account', 'source', 'time', 'region', 'detail-type'] as const;

/** A required envelope field name. */
export type RequiredEventField = (typeof REQUIRED_EVENT_FIELDS)[number];

/** An event `TestEventPattern` accepts: a JSON object carrying every required envelope field. */
export type TestEvent = JsonObject & Readonly<Record<RequiredEventField, unknown>>;

/**
 * Checks an event the way `aws events test-event-pattern` does: it must be a JSON object with the
 * fields `id`, `account`, `source`, `time`, `region` and `detail-type`.
 *
 * @returns the same event, typed.
 * @throws InvalidEventError naming what is wrong.
 */
export function validateTestEvent(event: unknown): TestEvent {
  if (!isJsonObject(event)) {
    const kind = Array.isArray(event) ? 'an array' : event === null ? 'null' : `a ${typeof event}`;
    throw new InvalidEventError(`the event must be a JSON object, got ${kind}`);
  }
  const missing = REQUIRED_EVENT_FIELDS.filter(
    (field) => !Object.hasOwn(event, field) || event[field] === undefined,
  );
  if (missing.length > 0) {
    throw new InvalidEventError(
      `missing required field(s): ${missing.map((field) => `"${field}"`).join(', ')}`,
    );
  }
  return event as TestEvent;
}

/**
 * Parses an event from JSON text, as `TestEventPattern` receives it, and validates it.
 *
 * @throws InvalidEventError when the text is not JSON or the event is not valid.
 */
export function parseTestEvent(text: string): TestEvent {
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new InvalidEventError(`the event is not valid JSON: ${detail}`, { cause: error });
  }
  return validateTestEvent(event);
}
