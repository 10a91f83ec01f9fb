import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { EVENT_CATALOGUE, type EventType } from './catalogue.js';
import type { EventEnvelope } from './envelope.js';
import { parseEventTime } from './event-time.js';
import { hasMalformedString, isUuidText, jsonDepthExceeds, malformedStringPath } from './json-checks.js';
import { echoed, EVENT_LIMITS, type Rejection } from './rejection.js';

/** An envelope that passed every check, with its parsed time and catalogue entry. */
export interface ValidEvent {
  readonly ok: true;
  readonly envelope: EventEnvelope;
  readonly eventType: EventType;
  readonly time: Date;
}

/** An input that failed a check; `envelope` is there when the input got as far as being an envelope. */
export interface InvalidEvent {
  readonly ok: false;
  readonly rejection: Rejection;
  readonly envelope?: Partial<EventEnvelope>;
}

export type EventValidation = ValidEvent | InvalidEvent;

/** Validates EventBridge envelopes against the event catalogue. */
export interface EventValidator {
  /** Validates a parsed envelope. */
  validate(value: unknown): EventValidation;
  /** Parses a message body (an SQS body, an NDJSON line) and validates it. */
  validateText(text: string): EventValidation;
}

/** Options of {@link createEventValidator}. */
export interface EventValidatorOptions {
  /** @default EVENT_CATALOGUE */
  readonly catalogue?: readonly EventType[];
  /** @default EVENT_LIMITS.maxDetailNestingDepth */
  readonly maxDetailDepth?: number;
}

/**
 * Compiles the catalogue's schemas once and returns a validator. Checks run cheapest first and the first
 * failure wins, so the reason names one specific problem.
 */
export function createEventValidator(options: EventValidatorOptions = {}): EventValidator {
  const catalogue = options.catalogue ?? EVENT_CATALOGUE;
  const maxDepth = options.maxDetailDepth ?? EVENT_LIMITS.maxDetailNestingDepth;
  const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
  ajv.addFormat('uuid', { type: 'string', validate: isUuidText });

  // source → detail-type → version → (type, compiled schema)
  const index = new Map<string, Map<string, Map<number, { type: EventType; check: ValidateFunction }>>>();
  for (const type of catalogue) {
    let byType = index.get(type.source);
    if (!byType) index.set(type.source, (byType = new Map()));
    let byVersion = byType.get(type.detailType);
    if (!byVersion) byType.set(type.detailType, (byVersion = new Map()));
    byVersion.set(type.version, { type, check: ajv.compile(type.schema) });
  }

  const reject = (
    code: Rejection['code'],
    reason: string,
    envelope?: Partial<EventEnvelope>,
  ): InvalidEvent =>
    envelope
      ? { ok: false, rejection: { code, reason }, envelope }
      : { ok: false, rejection: { code, reason } };

  function validate(value: unknown): EventValidation {
    return check(value, true);
  }

  /** {@link validate}; `stringsMayBeMalformed` false skips the walk for NULs and unpaired surrogates. */
  function check(value: unknown, stringsMayBeMalformed: boolean): EventValidation {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return reject('NOT_AN_OBJECT', `the event is ${describeJsonType(value)}, not a JSON object`);
    }
    const env = value as Partial<Record<keyof EventEnvelope, unknown>>;
    for (const field of ['id', 'source', 'detail-type', 'time'] as const) {
      if (typeof env[field] !== 'string' || env[field] === '') {
        return reject('MALFORMED_ENVELOPE', `envelope field "${field}" is missing or not a non-empty string`);
      }
    }
    const envelope = value as EventEnvelope;
    const detail: unknown = env.detail;
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) {
      return reject(
        'MALFORMED_DETAIL',
        detail === undefined
          ? 'detail is missing'
          : `detail is ${describeJsonType(detail)}, not a JSON object`,
        envelope,
      );
    }
    const time = parseEventTime(envelope.time);
    if (!time)
      return reject(
        'INVALID_TIME',
        `time ${JSON.stringify(echoed(envelope.time))} is not an RFC 3339 timestamp`,
        envelope,
      );
    if (jsonDepthExceeds(detail, maxDepth)) {
      return reject('NESTING_TOO_DEEP', `detail nests deeper than ${maxDepth} levels`, envelope);
    }
    if (stringsMayBeMalformed && hasMalformedString(value)) {
      return reject(
        'MALFORMED_STRING',
        malformedStringPath(value, 'event') ?? 'a string is malformed',
        envelope,
      );
    }
    const versions = index.get(envelope.source)?.get(envelope['detail-type']);
    if (!versions) {
      return reject(
        'UNKNOWN_EVENT_TYPE',
        `no schema in the event catalogue for source ${JSON.stringify(echoed(envelope.source))} and detail-type ${JSON.stringify(echoed(envelope['detail-type']))}`,
        envelope,
      );
    }
    const d = detail as Record<string, unknown>;
    if (d.eventId === undefined || d.eventId === null || d.eventId === '') {
      return reject('MISSING_EVENT_ID', 'detail.eventId (the idempotency key) is missing', envelope);
    }
    const declared = d.schemaVersion ?? 1;
    const entry = typeof declared === 'number' ? versions.get(declared) : undefined;
    if (!entry) {
      return reject(
        'UNKNOWN_SCHEMA_VERSION',
        `detail.schemaVersion ${echoed(JSON.stringify(declared))} is not in the catalogue for ${echoed(envelope['detail-type'])} (known: ${[...versions.keys()].join(', ')})`,
        envelope,
      );
    }
    if (!entry.check(detail)) {
      return reject('SCHEMA_VIOLATION', describeSchemaError(entry.check.errors?.[0]), envelope);
    }
    return { ok: true, envelope, eventType: entry.type, time };
  }

  function validateText(text: string): EventValidation {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return reject('NOT_JSON', `not valid JSON: ${(error as Error).message}`);
    }
    // JSON text can put a NUL or an unpaired surrogate into a string only as a \u escape (a raw control
    // character is not valid JSON) or, for a surrogate, as itself: text that is well-formed and has no
    // `\u` has neither, and nearly every event is such text.
    return check(value, text.includes('\\u') || !text.isWellFormed());
  }

  return { validate, validateText };
}

/** "an array", "a string", "null", … for messages. */
export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  const t = typeof value;
  return t === 'object' ? 'an object' : `a ${t}`;
}

/** Turns Ajv's first error into a reason that names the field, e.g. `detail.amountMinor must be integer`. */
function describeSchemaError(error: ErrorObject | undefined): string {
  if (!error) return 'detail does not match its schema';
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : `${acc}.${part}`), 'detail');
  if (error.keyword === 'required') {
    return `${path}.${String((error.params as { missingProperty: string }).missingProperty)} is required`;
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    return `${path} must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${path} ${error.message ?? 'is invalid'}`;
}
