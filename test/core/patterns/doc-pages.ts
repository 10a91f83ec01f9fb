/** The public pages the pattern tests and corpus cite for each expected behaviour. */
const USER_GUIDE = 'https://docs.aws.amazon.com/eventbridge/latest/userguide';

/** "Content filtering in Amazon EventBridge event patterns", by section. */
export const CONTENT_FILTERING = {
  prefix: `${USER_GUIDE}/eb-event-patterns-content-based-filtering.html#eb-filtering-prefix-matching`,
  suffix: `${USER_GUIDE}/eb-event-patterns-content-based-filtering.html#eb-filtering-suffix-matching`,
  anythingBut: `${USER_GUIDE}/eb-event-patterns-content-based-filtering.html#eb-filtering-anything-but`,
  numeric: `${USER_GUIDE}/eb-event-patterns-content-based-filtering.html#filtering-numeric-matching`,
  ip: `${USER_GUIDE}/eb-event-patterns-content-based-filtering.html#eb-filtering-ip-matching`,
  exists: `${USER_GUIDE}/eb-event-patterns-content-based-filtering.html#eb-filtering-exists-matching`,
  equalsIgnoreCase: `${USER_GUIDE}/eb-event-patterns-content-based-filtering.html#eb-filtering-equals-ignore-case-matching`,
  wildcard: `${USER_GUIDE}/eb-event-patterns-content-based-filtering.html#eb-filtering-wildcard-matching`,
  complex: `${USER_GUIDE}/eb-event-patterns-content-based-filtering.html#eb-filtering-complex-example`,
  or: `${USER_GUIDE}/eb-event-patterns-content-based-filtering.html#eb-filtering-complex-example-or`,
} as const;

/** "Comparison operators for use in event patterns in Amazon EventBridge" (the operator table). */
export const COMPARISON_OPERATORS = `${USER_GUIDE}/eb-create-pattern-operators.html`;

/** "Creating event patterns", including "Considerations when creating event patterns". */
export const CREATING_PATTERNS = `${USER_GUIDE}/eb-create-pattern.html`;

/** "Amazon EventBridge event patterns" (the overview with the EC2 example). */
export const EVENT_PATTERNS = `${USER_GUIDE}/eb-event-patterns.html`;

/** "Arrays in Amazon EventBridge event patterns". */
export const ARRAYS = `${USER_GUIDE}/eb-event-patterns-arrays.html`;

/** "Matching null values and empty strings in Amazon EventBridge event patterns". */
export const NULL_AND_EMPTY = `${USER_GUIDE}/eb-event-patterns-null-values.html`;

/** "Matching events on event field values". */
export const FIELD_VALUES = `${USER_GUIDE}/eb-filtering-data-types.html`;

/** The `TestEventPattern` API reference. */
export const TEST_EVENT_PATTERN_API =
  'https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_TestEventPattern.html';

/** event-ruler, the matching library behind EventBridge: "JSON Array Matching". */
export const RULER_ARRAY_MATCHING = 'https://github.com/aws/event-ruler#json-array-matching';

/**
 * A LocalStack test template whose outcome LocalStack recorded against real AWS `TestEventPattern`
 * (tests/aws/services/events/event_pattern_templates, marked `@markers.aws.validated`).
 */
export function awsValidated(template: string): string {
  return `https://github.com/localstack/localstack/blob/main/tests/aws/services/events/event_pattern_templates/${template}.json5 (AWS-validated)`;
}
