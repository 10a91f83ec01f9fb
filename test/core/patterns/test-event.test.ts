import { describe, expect, it } from 'vitest';
import {
  InvalidEventError,
  parseTestEvent,
  REQUIRED_EVENT_FIELDS,
  validateTestEvent,
} from '../../../lib/core/patterns/index.js';
import { envelope } from './event-envelope.js';

/** Validates `event` and returns the error it must raise. */
function rejection(validate: () => unknown): InvalidEventError {
  try {
    validate();
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw error;
  }
  throw new Error('expected the event to be rejected');
}

// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_TestEventPattern.html
describe('TestEventPattern event validation', () => {
  it('accepts a complete envelope and returns it', () => {
    const event = envelope();

    expect(validateTestEvent(event)).toBe(event);
  });

  it('requires id, account, source, time, region and detail-type', () => {
    expect([...REQUIRED_EVENT_FIELDS]).toEqual(['id', 'account', 'source', 'time', 'region', 'detail-type']);
  });

  // The API reference lists `resources` as mandatory, but TestEventPattern accepts events without it:
  // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/minimal.json5 (AWS-validated)
  it('accepts an event without resources or detail', () => {
    const { resources: _resources, detail: _detail, ...event } = envelope();

    expect(() => validateTestEvent(event)).not.toThrow();
  });

  it('names every missing required field', () => {
    const { id: _id, time: _time, ...event } = envelope();
    const error = rejection(() => validateTestEvent(event));

    expect(error.message).toBe(
      'Parameter Event is not valid. Reason: missing required field(s): "id", "time"',
    );
  });

  // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/test_events_patterns.snapshot.json
  // (test_invalid_event_payload, test_array_event_payload, test_plain_string_payload: "Parameter Event is not valid.")
  it('rejects an event without any envelope field', () => {
    expect(rejection(() => validateTestEvent({ testEvent: 'value' })).reason).toMatch(
      /^missing required field/,
    );
  });

  it('rejects an event that is not a JSON object', () => {
    expect(rejection(() => validateTestEvent(['plain string'])).reason).toBe(
      'the event must be a JSON object, got an array',
    );
    expect(rejection(() => validateTestEvent('plain string')).reason).toBe(
      'the event must be a JSON object, got a string',
    );
    expect(rejection(() => validateTestEvent(null)).reason).toBe('the event must be a JSON object, got null');
  });

  it('treats a field set to undefined as missing', () => {
    expect(rejection(() => validateTestEvent(envelope({ source: undefined }))).reason).toBe(
      'missing required field(s): "source"',
    );
  });

  it('parses and validates JSON text', () => {
    expect(parseTestEvent(JSON.stringify(envelope())).source).toBe('aws.ec2');
  });

  it('rejects text that is not JSON and keeps the parser error as cause', () => {
    const error = rejection(() => parseTestEvent('plain string'));

    expect(error.reason).toMatch(/^the event is not valid JSON/);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });
});
