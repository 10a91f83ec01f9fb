import { describe, expect, it } from 'vitest';
import { matchesPattern, parsePattern } from '../../../lib/core/patterns/index.js';
import { envelope, withDetail } from './event-envelope.js';

describe('exact value matching', () => {
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html (EC2 instance-termination example)
  const ec2Termination = {
    source: ['aws.ec2'],
    'detail-type': ['EC2 Instance State-change Notification'],
    detail: { state: ['terminated'] },
  };

  it('matches the documented EC2 termination event on source, detail-type and detail.state', () => {
    const event = withDetail({ 'instance-id': 'i-1234567890abcdef0', state: 'terminated' });

    expect(matchesPattern(ec2Termination, event)).toBe(true);
  });

  it('does not match when a nested field holds another value', () => {
    const event = withDetail({ 'instance-id': 'i-1234567890abcdef0', state: 'running' });

    expect(matchesPattern(ec2Termination, event)).toBe(false);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html ("Matching event values")
  it('matches when the event value is any one of the listed values', () => {
    const pattern = { source: ['aws.ec2', 'aws.fargate'] };

    expect(matchesPattern(pattern, envelope({ source: 'aws.fargate' }))).toBe(true);
    expect(matchesPattern(pattern, envelope({ source: 'aws.lambda' }))).toBe(false);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html ("the event must contain all the field names listed in the event pattern")
  it('does not match when a field named in the pattern is missing from the event', () => {
    expect(matchesPattern({ detail: { state: ['terminated'] } }, withDetail({}))).toBe(false);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html (fields not in the pattern are ignored)
  it('ignores event fields the pattern does not mention', () => {
    const event = withDetail({ state: 'terminated', extra: { deep: [1, 2, 3] } }, { unexpected: true });

    expect(matchesPattern({ detail: { state: ['terminated'] } }, event)).toBe(true);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html (Equals: "Name": [ "Alice" ])
  it('compares strings exactly, without case folding', () => {
    expect(matchesPattern({ Name: ['Alice'] }, envelope({ Name: 'Alice' }))).toBe(true);
    expect(matchesPattern({ Name: ['Alice'] }, envelope({ Name: 'alice' }))).toBe(false);
  });

  // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/string.json5 (AWS-validated)
  it('compares strings character by character, including emoji and trailing whitespace', () => {
    const value = 'A CamelCase string with an emoji 🚀 and trailing whitespace ';

    expect(matchesPattern({ string: [value] }, envelope({ string: value }))).toBe(true);
    expect(matchesPattern({ string: [value] }, envelope({ string: value.trimEnd() }))).toBe(false);
  });

  // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/key_case_sensitive_NEG.json5 (AWS-validated)
  it('treats field names as case-sensitive', () => {
    expect(matchesPattern({ MY_KEY: ['my-value'] }, envelope({ my_key: 'my-value' }))).toBe(false);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
  describe('null values and empty strings', () => {
    const event = envelope({
      'detail-type': 'EC2 Instance Launch Successful',
      source: 'aws.autoscaling',
      resources: [],
      detail: { eventVersion: '', responseElements: null },
    });

    it('matches an empty string with [""]', () => {
      expect(matchesPattern({ detail: { eventVersion: [''] } }, event)).toBe(true);
    });

    it('matches a null value with [null]', () => {
      expect(matchesPattern({ detail: { responseElements: [null] } }, event)).toBe(true);
    });

    it('does not treat null and the empty string as interchangeable', () => {
      expect(matchesPattern({ detail: { responseElements: [''] } }, event)).toBe(false);
      expect(matchesPattern({ detail: { eventVersion: [null] } }, event)).toBe(false);
    });

    // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/null_value_NEG.json5 (AWS-validated)
    it('does not match the string "null" with [null]', () => {
      expect(
        matchesPattern({ detail: { responseElements: [null] } }, withDetail({ responseElements: 'null' })),
      ).toBe(false);
    });

    it('does not match a missing field with [null]', () => {
      expect(matchesPattern({ detail: { responseElements: [null] } }, withDetail({}))).toBe(false);
    });
  });

  // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/boolean.json5 (AWS-validated)
  it('matches booleans by JSON type and value', () => {
    expect(matchesPattern({ boolean: [false] }, envelope({ boolean: false }))).toBe(true);
    expect(matchesPattern({ boolean: [false] }, envelope({ boolean: true }))).toBe(false);
    expect(matchesPattern({ boolean: [false] }, envelope({ boolean: 'false' }))).toBe(false);
  });

  describe('numbers', () => {
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-filtering-data-types.html (Macie severity score example)
    it('matches a nested number exactly', () => {
      const pattern = { source: ['aws.macie'], detail: { severity: { score: [1] } } };
      const event = envelope({ source: 'aws.macie', detail: { severity: { score: 1, description: 'Low' } } });

      expect(matchesPattern(pattern, event)).toBe(true);
      expect(
        matchesPattern(pattern, envelope({ source: 'aws.macie', detail: { severity: { score: 2 } } })),
      ).toBe(false);
    });

    // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/number_comparison_float.json5 (AWS-validated)
    it('matches 300.0 and 3e2 in the event with 300 in the pattern, as the service does', () => {
      expect(parsePattern('{"number": [300]}').matches(JSON.parse('{"number": 300.0}'))).toBe(true);
      expect(parsePattern('{"number": [300]}').matches(JSON.parse('{"number": 3e2}'))).toBe(true);
    });

    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html ("values being matched follow JSON rules")
    it('does not match a number with its string form', () => {
      expect(matchesPattern({ number: [300] }, envelope({ number: '300' }))).toBe(false);
      expect(matchesPattern({ number: ['300'] }, envelope({ number: 300 }))).toBe(false);
    });

    it('matches numbers beyond the numeric-operator range, such as account ids', () => {
      expect(matchesPattern({ account: [123456789012] }, envelope({ account: 123456789012 }))).toBe(true);
    });
  });

  describe('leaf values only', () => {
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html ("Comparison operators only work on leaf nodes")
    it('does not match a pattern value against an event object', () => {
      expect(matchesPattern({ detail: ['terminated'] }, withDetail({ state: 'terminated' }))).toBe(false);
    });

    // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/nested_json_NEG.json5 (AWS-validated)
    it('does not parse JSON held in a string field', () => {
      expect(
        matchesPattern({ detail: { 'my-key': ['my-value'] } }, withDetail('{"my-key": "my-value"}')),
      ).toBe(false);
    });

    // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/dynamodb.json5 (AWS-validated)
    it('matches one attribute of a DynamoDB-style object without the others', () => {
      const pattern = { dynamodb: { NewImage: { homemade: { N: ['1234'] } } } };
      const event = envelope({ dynamodb: { NewImage: { homemade: { S: 'ABCD', N: '1234' } } } });

      expect(matchesPattern(pattern, event)).toBe(true);
    });
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html#eb-filtering-complex-example
  // ("if you include a key more than once the last reference will be the one used")
  it('uses the last occurrence of a repeated key', () => {
    const compiled = parsePattern(
      '{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}',
    );

    expect(compiled.matches(withDetail({ location: 'eu-west' }))).toBe(true);
    expect(compiled.matches(withDetail({ location: 'us-east' }))).toBe(false);
  });

  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern.html
  // ("EventBridge uses the dot (.) as the joining character" when it compiles patterns)
  describe('dot-joined field names', () => {
    it('matches a dotted pattern key against nested event objects', () => {
      const pattern = { detail: { 'state.status': ['running'] } };

      expect(matchesPattern(pattern, withDetail({ state: { status: 'running' } }))).toBe(true);
    });

    it('matches nested pattern objects against a dotted event key', () => {
      const pattern = { detail: { state: { status: ['running'] } } };

      expect(matchesPattern(pattern, withDetail({ 'state.status': 'running' }))).toBe(true);
    });

    it('matches a dotted pattern key against the same dotted event key', () => {
      const pattern = { detail: { labels: { 'app.kubernetes.io/name': ['web'] } } };

      expect(matchesPattern(pattern, withDetail({ labels: { 'app.kubernetes.io/name': 'web' } }))).toBe(true);
    });

    // https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/dot_joining_event_NEG.json5 (AWS-validated)
    it('does not match when the joined paths differ', () => {
      const pattern = { detail: { state: { status: ['running'] } } };

      expect(matchesPattern(pattern, withDetail({ 'state.status': { status: 'running' } }))).toBe(false);
    });
  });

  it('never matches an event that is not a JSON object', () => {
    const compiled = parsePattern('{"source": [{"exists": false}]}');

    expect(compiled.matches([envelope()])).toBe(false);
    expect(compiled.matches('{"id": "1"}')).toBe(false);
    expect(compiled.matches(null)).toBe(false);
  });

  it('does not read inherited properties such as constructor from the event', () => {
    expect(matchesPattern({ constructor: [{ exists: true }] }, envelope())).toBe(false);
  });
});
