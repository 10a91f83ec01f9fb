import {
  ARRAYS,
  awsValidated,
  COMPARISON_OPERATORS,
  CONTENT_FILTERING,
  CREATING_PATTERNS,
  EVENT_PATTERNS,
  FIELD_VALUES,
  NULL_AND_EMPTY,
  RULER_ARRAY_MATCHING,
} from './doc-pages.js';
import { envelope } from './event-envelope.js';

/**
 * One pattern/event pair with the outcome EventBridge documents (or was recorded giving) for it. Events
 * are complete envelopes so the corpus can be replayed against any `TestEventPattern` implementation.
 */
export interface CorpusCase {
  readonly name: string;
  readonly pattern: unknown;
  readonly event: Readonly<Record<string, unknown>>;
  readonly expected: boolean;
  /** Where the expected outcome comes from. */
  readonly source: string;
}

/** An event variant: a name suffix, the top-level fields that differ from the default envelope, the outcome. */
type Variant = readonly [name: string, fields: Readonly<Record<string, unknown>>, expected: boolean];

const cases: CorpusCase[] = [];

function group(prefix: string, source: string, pattern: unknown, variants: readonly Variant[]): void {
  for (const [name, fields, expected] of variants) {
    cases.push({ name: `${prefix}: ${name}`, pattern, event: envelope(fields), expected, source });
  }
}

// --- Exact values ----------------------------------------------------------------------------------

group(
  'exact EC2 termination',
  EVENT_PATTERNS,
  {
    source: ['aws.ec2'],
    'detail-type': ['EC2 Instance State-change Notification'],
    detail: { state: ['terminated'] },
  },
  [
    ['terminated matches', { detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' } }, true],
    ['running does not match', { detail: { 'instance-id': 'i-1234567890abcdef0', state: 'running' } }, false],
    ['other source does not match', { source: 'aws.s3', detail: { state: 'terminated' } }, false],
    ['missing state does not match', { detail: { 'instance-id': 'i-1234567890abcdef0' } }, false],
    ['extra fields are ignored', { detail: { state: 'terminated', tags: { a: 1 } }, extra: [1, 2] }, true],
  ],
);

group('exact one of several values', CREATING_PATTERNS, { source: ['aws.ec2', 'aws.fargate'] }, [
  ['first value', { source: 'aws.ec2' }, true],
  ['second value', { source: 'aws.fargate' }, true],
  ['unlisted value', { source: 'aws.lambda' }, false],
]);

group('exact string is case-sensitive', COMPARISON_OPERATORS, { Name: ['Alice'] }, [
  ['same case', { Name: 'Alice' }, true],
  ['other case', { Name: 'alice' }, false],
  ['missing field', {}, false],
]);

group(
  'exact string with emoji and whitespace',
  awsValidated('string'),
  { string: ['A CamelCase string with an emoji 🚀 and trailing whitespace '] },
  [
    ['identical', { string: 'A CamelCase string with an emoji 🚀 and trailing whitespace ' }, true],
    ['trimmed', { string: 'A CamelCase string with an emoji 🚀 and trailing whitespace' }, false],
  ],
);

group(
  'exact field names are case-sensitive',
  awsValidated('key_case_sensitive_NEG'),
  { MY_KEY: ['my-value'] },
  [
    ['lower-case key', { my_key: 'my-value' }, false],
    ['same key', { MY_KEY: 'my-value' }, true],
  ],
);

group('exact empty string', NULL_AND_EMPTY, { detail: { eventVersion: [''] } }, [
  ['empty string', { detail: { eventVersion: '', responseElements: null } }, true],
  ['null', { detail: { eventVersion: null } }, false],
  ['non-empty', { detail: { eventVersion: '1.0' } }, false],
]);

group('exact null', NULL_AND_EMPTY, { detail: { responseElements: [null] } }, [
  ['null', { detail: { eventVersion: '', responseElements: null } }, true],
  ['empty string', { detail: { responseElements: '' } }, false],
  ['string "null"', { detail: { responseElements: 'null' } }, false],
  ['missing', { detail: { eventVersion: '' } }, false],
]);

group('exact boolean', awsValidated('boolean'), { boolean: [false] }, [
  ['false', { boolean: false }, true],
  ['true', { boolean: true }, false],
  ['string "false"', { boolean: 'false' }, false],
]);

group('exact number', FIELD_VALUES, { detail: { severity: { score: [1] }, count: [2] } }, [
  ['both numbers equal', { detail: { severity: { score: 1, description: 'Low' }, count: 2 } }, true],
  ['other score', { detail: { severity: { score: 5 }, count: 2 } }, false],
  ['score as a string', { detail: { severity: { score: '1' }, count: 2 } }, false],
]);

group('exact number 300 against 300.0', awsValidated('number_comparison_float'), { number: [300] }, [
  ['300.0 parses to 300', { number: 300.0 }, true],
  ['301', { number: 301 }, false],
]);

group('exact leaf only', CONTENT_FILTERING.exists, { detail: ['terminated'] }, [
  ['object value', { detail: { state: 'terminated' } }, false],
  ['string value', { detail: 'terminated' }, true],
]);

group(
  'exact JSON inside a string is not parsed',
  awsValidated('nested_json_NEG'),
  { detail: { 'my-key': ['my-value'] } },
  [['JSON string', { detail: '{"my-key": "my-value"}' }, false]],
);

group(
  'exact nested DynamoDB attribute',
  awsValidated('dynamodb'),
  { dynamodb: { NewImage: { homemade: { N: ['1234'] } } } },
  [
    ['N matches', { dynamodb: { NewImage: { homemade: { S: 'ABCD', N: '1234' } } } }, true],
    ['N differs', { dynamodb: { NewImage: { homemade: { S: 'ABCD', N: '12345' } } } }, false],
  ],
);

// --- Dot-joined names ------------------------------------------------------------------------------

group(
  'dotted pattern key',
  awsValidated('dot_joining_pattern'),
  { detail: { 'state.status': ['running'] } },
  [
    ['nested event objects', { detail: { state: { status: 'running' } } }, true],
    ['dotted event key', { detail: { 'state.status': 'running' } }, true],
    ['other value', { detail: { state: { status: 'stopped' } } }, false],
  ],
);

group(
  'nested pattern objects',
  awsValidated('dot_joining_event'),
  { detail: { state: { status: ['running'] } } },
  [
    ['dotted event key', { detail: { 'state.status': 'running' } }, true],
    ['dotted key holding an object', { detail: { 'state.status': { status: 'running' } } }, false],
  ],
);

group(
  'dotted key deeper than the value',
  awsValidated('dot_joining_pattern_NEG'),
  { detail: { 'state.status': { status: ['running'] } } },
  [['one level short', { detail: { state: { status: 'running' } } }, false]],
);

// --- Prefix ----------------------------------------------------------------------------------------

group('prefix on time', CONTENT_FILTERING.prefix, { time: [{ prefix: '2017-10-02' }] }, [
  ['same day', { time: '2017-10-02T18:43:48Z' }, true],
  ['other day', { time: '2017-10-03T18:43:48Z' }, false],
]);

group('prefix region', COMPARISON_OPERATORS, { Region: [{ prefix: 'us-' }] }, [
  ['us-east-1', { Region: 'us-east-1' }, true],
  ['eu-west-1', { Region: 'eu-west-1' }, false],
  ['upper case', { Region: 'US-east-1' }, false],
  ['number', { Region: 1 }, false],
  ['missing', {}, false],
]);

group('prefix empty', awsValidated('content_prefix_empty'), { source: [{ prefix: '' }] }, [
  ['any string', { source: 'aws.ec2' }, true],
  ['empty string', { source: '' }, true],
]);

group(
  'prefix ignore case',
  awsValidated('content_prefix_ignorecase'),
  { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
  [
    ['mixed case', { detail: { service: 'EvEnTb' } }, true],
    ['upper case', { detail: { service: 'EVENTBRIDGE' } }, true],
    ['lower case', { detail: { service: 'eventbridge' } }, true],
    ['other prefix', { detail: { service: 'EventArc' } }, false],
    ['too short', { detail: { service: 'Event' } }, false],
  ],
);

// --- Suffix ----------------------------------------------------------------------------------------

group('suffix png', CONTENT_FILTERING.suffix, { FileName: [{ suffix: '.png' }] }, [
  ['png file', { FileName: 'image.png' }, true],
  ['jpg file', { FileName: 'image.jpg' }, false],
  ['upper-case extension', { FileName: 'image.PNG' }, false],
  ['suffix alone', { FileName: '.png' }, true],
]);

group('suffix empty', awsValidated('content_suffix_empty'), { source: [{ suffix: '' }] }, [
  ['any string', { source: 'aws.ec2' }, true],
]);

group(
  'suffix ignore case',
  awsValidated('content_suffix_ignorecase'),
  { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
  [
    ['upper-case extension', { detail: { FileName: 'image.PNG' } }, true],
    ['lower-case extension', { detail: { FileName: 'image.png' } }, true],
    ['jpg file', { detail: { FileName: 'image.jpg' } }, false],
  ],
);

group(
  'suffix ignore case tbridge',
  COMPARISON_OPERATORS,
  { service: [{ suffix: { 'equals-ignore-case': 'tbridge' } }] },
  [
    ['EventBridge', { service: 'EventBridge' }, true],
    ['EVENTBRIDGE', { service: 'EVENTBRIDGE' }, true],
    ['EventBus', { service: 'EventBus' }, false],
  ],
);

// --- Equals-ignore-case ----------------------------------------------------------------------------

group(
  'equals-ignore-case detail-type',
  CONTENT_FILTERING.equalsIgnoreCase,
  { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] },
  [
    ['title case', { 'detail-type': 'EC2 Instance State-change Notification' }, true],
    ['upper case', { 'detail-type': 'EC2 INSTANCE STATE-CHANGE NOTIFICATION' }, true],
    ['other value', { 'detail-type': 'EC2 Instance Launch Successful' }, false],
    ['longer value', { 'detail-type': 'EC2 Instance State-change Notifications' }, false],
  ],
);

group('equals-ignore-case alice', COMPARISON_OPERATORS, { Name: [{ 'equals-ignore-case': 'alice' }] }, [
  ['Alice', { Name: 'Alice' }, true],
  ['ALICE', { Name: 'ALICE' }, true],
  ['Alicia', { Name: 'Alicia' }, false],
]);

group(
  'equals-ignore-case empty',
  awsValidated('content_ignorecase_empty'),
  { detail: { value: [{ 'equals-ignore-case': '' }] } },
  [
    ['empty string', { detail: { value: '' } }, true],
    ['non-empty string', { detail: { value: 'test-value' } }, false],
  ],
);

group(
  'equals-ignore-case on a number',
  CONTENT_FILTERING.equalsIgnoreCase,
  { code: [{ 'equals-ignore-case': '42' }] },
  [
    ['number', { code: 42 }, false],
    ['string', { code: '42' }, true],
  ],
);

// --- Wildcard --------------------------------------------------------------------------------------

group(
  'wildcard bus ARN',
  CONTENT_FILTERING.wildcard,
  { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
  [
    [
      'any account and bus',
      { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/myEventBus' },
      true,
    ],
    ['other region', { EventBusArn: 'arn:aws:events:eu-west-1:123456789012:event-bus/myEventBus' }, false],
    ['rule ARN', { EventBusArn: 'arn:aws:events:us-east-1:123456789012:rule/myRule' }, false],
  ],
);

group('wildcard dir png', COMPARISON_OPERATORS, { FileName: [{ wildcard: 'dir/*.png' }] }, [
  ['png in dir', { FileName: 'dir/image.png' }, true],
  ['png in a subfolder of dir', { FileName: 'dir/sub/image.png' }, true],
  ['star matches nothing', { FileName: 'dir/.png' }, true],
  ['png elsewhere', { FileName: 'other/image.png' }, false],
  ['jpg in dir', { FileName: 'dir/image.jpg' }, false],
  ['number', { FileName: 7 }, false],
]);

group(
  'wildcard one star over many segments',
  awsValidated('content_wildcard_nonrepeating'),
  { FileName: [{ wildcard: '/Users/*/doc.txt' }] },
  [
    ['deep path', { FileName: '/Users/ls_user/dir/dir/dir/dir/dir/doc.txt' }, true],
    ['other file', { FileName: '/Users/ls_user/dir/dir/dir/dir/dir/notmatchingdoc.txt' }, false],
  ],
);

group(
  'wildcard repeating segments',
  awsValidated('content_wildcard_repeating'),
  { FileName: [{ wildcard: '/Users/*/dir/dir/dir/dir/dir/doc.txt' }] },
  [
    ['all segments', { FileName: '/Users/ls_user/dir/dir/dir/dir/dir/doc.txt' }, true],
    ['one segment differs', { FileName: '/Users/ls_user/dir/dir/dir/dir/otherdir/doc.txt' }, false],
  ],
);

group('wildcard several stars', CONTENT_FILTERING.wildcard, { Title: [{ wildcard: '*Title*' }] }, [
  ['in the middle', { Title: 'My Title Here' }, true],
  ['the word alone', { Title: 'Title' }, true],
  ['absent', { Title: 'Heading' }, false],
]);

group('wildcard empty', awsValidated('content_wildcard_empty_NEG'), { EventBusArn: [{ wildcard: '' }] }, [
  ['non-empty string', { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/myEventBus' }, false],
  ['empty string', { EventBusArn: '' }, true],
]);

group('wildcard escaped star', CONTENT_FILTERING.wildcard, { note: [{ wildcard: '5 \\* 3 = *' }] }, [
  ['literal star', { note: '5 * 3 = 15' }, true],
  ['other character', { note: '5 x 3 = 15' }, false],
]);

group('wildcard escaped backslash', CONTENT_FILTERING.wildcard, { path: [{ wildcard: 'C:\\\\*' }] }, [
  ['windows path', { path: 'C:\\Windows' }, true],
  ['forward slash', { path: 'C:/Windows' }, false],
]);

// --- Anything-but ----------------------------------------------------------------------------------

group(
  'anything-but string',
  CONTENT_FILTERING.anythingBut,
  { detail: { state: [{ 'anything-but': 'initializing' }] } },
  [
    ['other string', { detail: { state: 'pending' } }, true],
    ['excluded string', { detail: { state: 'initializing' } }, false],
    ['other case', { detail: { state: 'INITIALIZING' } }, true],
    ['number', { detail: { state: 3 } }, true],
  ],
);

group(
  'anything-but string, missing or null',
  awsValidated('content_anything_but_string_missing_NEG'),
  { detail: { state: [{ 'anything-but': 'initializing' }] } },
  [
    ['field missing', { detail: {} }, false],
    ['field null', { detail: { state: null } }, true],
  ],
);

group(
  'anything-but number',
  CONTENT_FILTERING.anythingBut,
  { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
  [
    ['other number', { detail: { 'x-limit': 789 } }, true],
    ['excluded number', { detail: { 'x-limit': 123 } }, false],
    ['excluded number as a string', { detail: { 'x-limit': '123' } }, true],
  ],
);

group(
  'anything-but zero',
  awsValidated('content_anything_but_number_zero'),
  { detail: { 'x-limit': [{ 'anything-but': 0 }] } },
  [
    ['other number', { detail: { 'x-limit': 789 } }, true],
    ['zero', { detail: { 'x-limit': 0 } }, false],
  ],
);

group(
  'anything-but string list',
  CONTENT_FILTERING.anythingBut,
  { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
  [
    ['unlisted string', { detail: { state: 'pending' } }, true],
    ['first listed', { detail: { state: 'stopped' } }, false],
    ['second listed', { detail: { state: 'overloaded' } }, false],
    ['missing', { detail: {} }, false],
    ['null', { detail: { state: null } }, true],
  ],
);

group(
  'anything-but number list',
  CONTENT_FILTERING.anythingBut,
  { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
  [
    ['unlisted number', { detail: { 'x-limit': 999 } }, true],
    ['listed number', { detail: { 'x-limit': 100 } }, false],
    ['listed number 300', { detail: { 'x-limit': 300 } }, false],
  ],
);

group('anything-but raining', COMPARISON_OPERATORS, { Weather: [{ 'anything-but': ['Raining'] }] }, [
  ['sunny', { Weather: 'Sunny' }, true],
  ['raining', { Weather: 'Raining' }, false],
]);

group(
  'anything-but prefix',
  CONTENT_FILTERING.anythingBut,
  { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
  [
    ['without the prefix', { detail: { state: 'post-init' } }, true],
    ['with the prefix', { detail: { state: 'init-prefix' } }, false],
    ['number', { detail: { state: 12 } }, true],
    ['null', { detail: { state: null } }, true],
    ['missing', { detail: {} }, false],
  ],
);

group(
  'anything-but prefix region',
  COMPARISON_OPERATORS,
  { Region: [{ 'anything-but': { prefix: 'us-' } }] },
  [
    ['eu-west-1', { Region: 'eu-west-1' }, true],
    ['us-east-1', { Region: 'us-east-1' }, false],
  ],
);

group(
  'anything-but prefix list',
  awsValidated('content_anything_prefix_list'),
  { detail: { state: [{ 'anything-but': { prefix: ['init', 'post'] } }] } },
  [
    ['neither prefix', { detail: { state: 'running' } }, true],
    ['second prefix', { detail: { state: 'post-init' } }, false],
    ['number', { detail: { state: 12 } }, true],
  ],
);

group(
  'anything-but suffix',
  awsValidated('content_anything_suffix'),
  { detail: { FileName: [{ 'anything-but': { suffix: '.txt' } }] } },
  [
    ['other suffix', { detail: { FileName: 'file.txt.bak' } }, true],
    ['excluded suffix', { detail: { FileName: 'file.txt' } }, false],
    ['null', { detail: { FileName: null } }, true],
    ['missing', { detail: {} }, false],
  ],
);

group(
  'anything-but suffix list',
  awsValidated('content_anything_suffix_list'),
  { detail: { FileName: [{ 'anything-but': { suffix: ['.txt', '.jpg'] } }] } },
  [
    ['unlisted suffix', { detail: { FileName: 'file.txt.bak' } }, true],
    ['listed suffix', { detail: { FileName: 'file.jpg' } }, false],
  ],
);

group(
  'anything-but suffix png',
  COMPARISON_OPERATORS,
  { FileName: [{ 'anything-but': { suffix: '.png' } }] },
  [
    ['jpg', { FileName: 'image.jpg' }, true],
    ['png', { FileName: 'image.png' }, false],
  ],
);

group(
  'anything-but ignore case',
  CONTENT_FILTERING.anythingBut,
  { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } },
  [
    ['other value', { detail: { state: 'pending' } }, true],
    ['excluded in upper case', { detail: { state: 'INITIALIZING' } }, false],
    ['excluded in lower case', { detail: { state: 'initializing' } }, false],
    ['null', { detail: { state: null } }, true],
    ['missing', { detail: {} }, false],
  ],
);

group(
  'anything-but ignore case list',
  awsValidated('content_anything_but_ignorecase_list'),
  { detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['initializing', 'stopped'] } }] } },
  [
    ['unlisted value', { detail: { state: 'pending' } }, true],
    ['listed in title case', { detail: { state: 'Stopped' } }, false],
  ],
);

group(
  'anything-but wildcard lib',
  COMPARISON_OPERATORS,
  { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
  [
    ['outside lib', { FilePath: 'src/main/app.ts' }, true],
    ['inside lib', { FilePath: 'src/lib/app.ts' }, false],
    ['number', { FilePath: 123 }, true],
  ],
);

group(
  'anything-but wildcard',
  awsValidated('content_anything_wildcard'),
  { detail: { FilePath: [{ 'anything-but': { wildcard: '*/dir/*' } }] } },
  [
    ['path starting with dir', { detail: { FilePath: 'dir/init/file' } }, true],
    ['path containing /dir/', { detail: { FilePath: 'a/dir/file' } }, false],
    ['null', { detail: { FilePath: null } }, true],
    ['missing', { detail: {} }, false],
  ],
);

group(
  'anything-but wildcard list',
  awsValidated('content_anything_wildcard_list'),
  { detail: { state: [{ 'anything-but': { wildcard: ['*/init/*', '*/dir/*'] } }] } },
  [
    ['neither', { detail: { state: 'dir/post/dir' } }, true],
    ['first wildcard', { detail: { state: 'dir/init/dir' } }, false],
  ],
);

group(
  'anything-but empty wildcard',
  awsValidated('content_anything_wildcard_empty'),
  { detail: { FilePath: [{ 'anything-but': { wildcard: '' } }] } },
  [
    ['non-empty string', { detail: { FilePath: 'dir/init/file' } }, true],
    ['empty string', { detail: { FilePath: '' } }, false],
  ],
);

group('anything-but on an array', ARRAYS, { detail: { state: [{ 'anything-but': 'stopped' }] } }, [
  ['one element not excluded', { detail: { state: ['stopped', 'running'] } }, true],
  ['every element excluded', { detail: { state: ['stopped'] } }, false],
  ['empty array', { detail: { state: [] } }, false],
]);

// --- Numeric ---------------------------------------------------------------------------------------

group(
  'numeric documented ranges',
  CONTENT_FILTERING.numeric,
  {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  },
  [
    ['all in range', { detail: { 'c-count': 5, 'd-count': 9, 'x-limit': 301.8 } }, true],
    ['c-count too high', { detail: { 'c-count': 42, 'd-count': 9, 'x-limit': 301.8 } }, false],
    ['c-count at the open bound', { detail: { 'c-count': 0, 'd-count': 9, 'x-limit': 301.8 } }, false],
    ['d-count at the open bound', { detail: { 'c-count': 1, 'd-count': 10, 'x-limit': 301.8 } }, false],
    ['x-limit differs', { detail: { 'c-count': 1, 'd-count': 1, 'x-limit': 301.9 } }, false],
    ['c-count as a string', { detail: { 'c-count': '3', 'd-count': 9, 'x-limit': 301.8 } }, false],
    ['d-count missing', { detail: { 'c-count': 3, 'x-limit': 301.8 } }, false],
  ],
);

group('numeric equals', COMPARISON_OPERATORS, { Price: [{ numeric: ['=', 100] }] }, [
  ['100', { Price: 100 }, true],
  ['100.5', { Price: 100.5 }, false],
  ['string', { Price: '100' }, false],
]);

group('numeric range', COMPARISON_OPERATORS, { Price: [{ numeric: ['>', 10, '<=', 20] }] }, [
  ['inside', { Price: 15 }, true],
  ['upper bound', { Price: 20 }, true],
  ['lower bound', { Price: 10 }, false],
  ['above', { Price: 20.5 }, false],
  ['negative', { Price: -15 }, false],
]);

group(
  'numeric greater-or-equal and less-than',
  awsValidated('complex_many_rules'),
  { n: [{ numeric: ['>=', 200, '<', 500] }] },
  [
    ['lower bound', { n: 200 }, true],
    ['upper bound', { n: 500 }, false],
    ['inside', { n: 300 }, true],
  ],
);

group('numeric less-or-equal', awsValidated('complex_many_rules'), { n: [{ numeric: ['<=', 200] }] }, [
  ['equal', { n: 200 }, true],
  ['above', { n: 201 }, false],
]);

group('numeric on other types', awsValidated('numeric-string_NEG'), { number: [{ numeric: ['>', 100] }] }, [
  ['numeric string', { number: '300' }, false],
  ['null', { number: null }, false],
  ['boolean', { number: true }, false],
  ['decimal number', { number: 101.5 }, true],
]);

group('numeric on an array', ARRAYS, { n: [{ numeric: ['<', 10] }] }, [
  ['one element in range', { n: [50, 5] }, true],
  ['no element in range', { n: [50, 15] }, false],
]);

group('numeric negative bounds', CONTENT_FILTERING.numeric, { t: [{ numeric: ['>=', -10.5, '<', -1] }] }, [
  ['inside', { t: -5 }, true],
  ['lower bound', { t: -10.5 }, true],
  ['upper bound', { t: -1 }, false],
]);

// --- Exists ----------------------------------------------------------------------------------------

group('exists true', CONTENT_FILTERING.exists, { detail: { state: [{ exists: true }] } }, [
  ['string value', { detail: { 'instance-id': 'i-abcd1111', state: 'pending' } }, true],
  ['field missing', { detail: { 'c-count': { c1: 100 } } }, false],
  ['null value', { detail: { state: null } }, true],
  ['object value', { detail: { state: { name: 'pending' } } }, false],
  ['empty string', { detail: { state: '' } }, true],
]);

group('exists false', CONTENT_FILTERING.exists, { detail: { 'c-count': [{ exists: false }] } }, [
  ['field missing', { detail: { state: ['initializing', 'running'] } }, true],
  ['object value', { detail: { 'c-count': { c1: 100 } } }, true],
  ['number value', { detail: { 'c-count': 5 } }, false],
  ['null value', { detail: { 'c-count': null } }, false],
  ['empty array', { detail: { 'c-count': [] } }, true],
]);

group('exists true on resources', awsValidated('exists_list_empty_NEG'), { resources: [{ exists: true }] }, [
  ['empty array', { resources: [] }, false],
  ['one resource', { resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1'] }, true],
]);

group(
  'exists false deep',
  awsValidated('content_exists_false_NEG'),
  { detail: { level1: { level2: { level3: { level4: [{ exists: false }] } } } } },
  [
    ['present', { detail: { level1: { level2: { level3: { level4: 'l4 value' } } } } }, false],
    ['intermediate is a string', { detail: { level1: { level2: 'l2 value' } } }, true],
  ],
);

group(
  'exists on an intermediate node',
  awsValidated('exists_dynamodb_NEG'),
  { dynamodb: { presentKey: [{ exists: true }] } },
  [['object value', { dynamodb: { id: { S: 'test1234' }, presentKey: { S: 'test123' } } }, false]],
);

group(
  'exists on the leaf below',
  awsValidated('exists_dynamodb'),
  { dynamodb: { presentKey: { S: [{ exists: true }] } } },
  [['leaf value', { dynamodb: { id: { S: 'test1234' }, presentKey: { S: 'test123' } } }, true]],
);

group(
  'exists false or anything-but',
  awsValidated('or-exists'),
  { dynamodb: { NewImage: { homemade: { S: [{ 'anything-but': ['roses'] }, { exists: false }] } } } },
  [
    ['present and not excluded', { dynamodb: { NewImage: { homemade: { S: 'ABCD', N: '1234' } } } }, true],
    ['sibling only', { dynamodb: { NewImage: { homemade: { N: '789' } } } }, true],
    ['parent missing', { dynamodb: { NewImage: { purchased: { N: '789' } } } }, true],
    ['present and excluded', { dynamodb: { NewImage: { homemade: { S: 'roses' } } } }, false],
  ],
);

group(
  'numeric or anything-but on a DynamoDB string',
  awsValidated('or-numeric-anything-but'),
  { dynamodb: { NewImage: { numericFilter: { N: [{ numeric: ['>', 100] }, { 'anything-but': '101' }] } } } },
  [
    ['string other than 101', { dynamodb: { NewImage: { numericFilter: { N: '42' } } } }, true],
    ['string 101', { dynamodb: { NewImage: { numericFilter: { N: '101' } } } }, false],
  ],
);

// --- IP addresses ----------------------------------------------------------------------------------

group('cidr IPv4', CONTENT_FILTERING.ip, { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, [
  ['first address', { detail: { sourceIPAddress: '10.0.0.0' } }, true],
  ['last address', { detail: { sourceIPAddress: '10.0.0.255' } }, true],
  ['next block', { detail: { sourceIPAddress: '10.0.1.0' } }, false],
  ['not an address', { detail: { sourceIPAddress: '10.0.0.256' } }, false],
  ['number', { detail: { sourceIPAddress: 123 } }, false],
  ['hostname', { detail: { sourceIPAddress: 'example.com' } }, false],
]);

group('cidr IPv4 partial byte', CONTENT_FILTERING.ip, { ip: [{ cidr: '192.168.0.0/22' }] }, [
  ['inside', { ip: '192.168.3.254' }, true],
  ['outside', { ip: '192.168.4.1' }, false],
]);

group(
  'cidr IPv6',
  awsValidated('content_ip_address_v6'),
  { detail: { sourceIPAddress: [{ cidr: '2001:db8:1234:1a00::/64' }] } },
  [
    [
      'inside, written in full',
      { detail: { sourceIPAddress: '2001:0db8:1234:1a00:0000:0000:0000:0000' } },
      true,
    ],
    ['inside, compressed', { detail: { sourceIPAddress: '2001:db8:1234:1a00::beef' } }, true],
    ['outside', { detail: { sourceIPAddress: '2001:0db8:123f:1a01:0000:0000:0000:0000' } }, false],
    ['IPv4 address', { detail: { sourceIPAddress: '10.0.0.1' } }, false],
  ],
);

group('cidr on an array', ARRAYS, { ips: [{ cidr: '10.0.0.0/8' }] }, [
  ['one address inside', { ips: ['192.168.1.1', '10.1.2.3'] }, true],
  ['no address inside', { ips: ['192.168.1.1', '172.16.0.1'] }, false],
]);

// --- $or -------------------------------------------------------------------------------------------

group(
  'or numeric alternatives',
  CONTENT_FILTERING.or,
  {
    detail: {
      $or: [
        { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
        { 'd-count': [{ numeric: ['<', 10] }] },
        { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
      ],
    },
  },
  [
    ['second alternative', { detail: { 'c-count': 0, 'd-count': 0, 'x-limit': 901.8 } }, true],
    ['no alternative', { detail: { 'c-count': 0, 'd-count': 10, 'x-limit': 901.8 } }, false],
    ['third alternative', { detail: { 'x-limit': 301.8 } }, true],
  ],
);

group(
  'or multiple fields',
  COMPARISON_OPERATORS,
  { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] },
  [
    ['location', { Location: 'New York' }, true],
    ['day', { Day: 'Monday' }, true],
    ['both', { Location: 'New York', Day: 'Monday' }, true],
    ['neither', { Location: 'Boston', Day: 'Sunday' }, false],
  ],
);

group('or payment type', COMPARISON_OPERATORS, { PaymentType: ['Credit', 'Debit'] }, [
  ['credit', { PaymentType: 'Credit' }, true],
  ['cash', { PaymentType: 'Cash' }, false],
]);

group(
  'or with an AND inside',
  CONTENT_FILTERING.or,
  {
    source: ['aws.cloudwatch'],
    $or: [
      { metricName: ['CPUUtilization', 'ReadLatency'] },
      { metricType: ['MetricType'], namespace: ['AWS/EC2', 'AWS/ES'] },
      { scope: ['Service'] },
    ],
  },
  [
    ['first alternative', { source: 'aws.cloudwatch', metricName: 'ReadLatency' }, true],
    ['AND alternative', { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2' }, true],
    ['AND alternative half', { source: 'aws.cloudwatch', metricType: 'MetricType' }, false],
    ['field outside $or fails', { source: 'aws.ec2', scope: 'Service' }, false],
  ],
);

group(
  'or nested',
  CONTENT_FILTERING.or,
  {
    source: ['aws.cloudwatch'],
    $or: [
      { metricName: ['CPUUtilization'] },
      { namespace: ['AWS/EC2'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
    ],
  },
  [
    ['inner alternative', { source: 'aws.cloudwatch', namespace: 'AWS/EC2', spaceId: 1000 }, true],
    ['inner alternatives fail', { source: 'aws.cloudwatch', namespace: 'AWS/EC2', spaceId: 1 }, false],
  ],
);

group(
  'or parallel groups',
  CONTENT_FILTERING.or,
  {
    $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
    detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
  },
  [
    [
      'one from each group',
      { namespace: 'AWS/EC2', detail: { 'detail-type': 'CloudWatch Alarm State Change' } },
      true,
    ],
    ['second group fails', { namespace: 'AWS/EC2', detail: { 'detail-type': 'Other' } }, false],
  ],
);

group(
  'or same field',
  'https://docs.aws.amazon.com/notifications/latest/userguide/common-usecases.html',
  { detail: { $or: [{ state: ['running'] }, { state: ['terminated'] }] } },
  [
    ['running', { detail: { state: 'running' } }, true],
    ['stopped', { detail: { state: 'stopped' } }, false],
  ],
);

// --- Arrays ----------------------------------------------------------------------------------------

group(
  'arrays intersection',
  ARRAYS,
  {
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ],
  },
  [
    [
      'intersects',
      {
        resources: [
          'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        ],
      },
      true,
    ],
    [
      'disjoint',
      {
        resources: [
          'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        ],
      },
      false,
    ],
    ['empty', { resources: [] }, false],
  ],
);

group('arrays null against empty', awsValidated('arrays_empty_null_NEG'), { resources: [null] }, [
  ['empty array', { resources: [] }, false],
  ['array holding null', { resources: [null] }, true],
]);

group('arrays nested values', ARRAYS, { detail: { tags: ['b'] } }, [
  ['inside a nested array', { detail: { tags: [['a'], ['b', 'c']] } }, true],
  ['absent', { detail: { tags: [['a'], ['c']] } }, false],
]);

const employees = [
  { firstName: 'John', lastName: 'Doe' },
  { firstName: 'Anna', lastName: 'Smith' },
  { firstName: 'Peter', lastName: 'Jones' },
];

group('arrays of objects, one field', RULER_ARRAY_MATCHING, { employees: { firstName: ['Anna'] } }, [
  ['flat array', { employees }, true],
  ['multi-level array', { employees: [[employees[0], employees[1]], [employees[2]]] }, true],
  ['absent', { employees: [employees[0]] }, false],
]);

group(
  'arrays of objects, fields from one element',
  RULER_ARRAY_MATCHING,
  { employees: { firstName: ['Anna'], lastName: ['Smith'] } },
  [
    ['same element', { employees }, true],
    [
      'fields spread over elements',
      { employees: [{ firstName: 'Anna', lastName: 'Jones' }, { lastName: 'Smith' }] },
      false,
    ],
  ],
);

group(
  'arrays of objects, exists true',
  awsValidated('list_within_dict'),
  { detail: { automations: { id: [{ exists: true }] } } },
  [
    [
      'one element has it',
      { detail: { automations: [{ key1: 'value1' }, { id: 'match-does-exist' }, { key2: 'value2' }] } },
      true,
    ],
    ['no element has it', { detail: { automations: [{ key1: 'value1' }, { key2: 'value2' }] } }, false],
  ],
);

group(
  'arrays of objects, exists false',
  RULER_ARRAY_MATCHING,
  { detail: { automations: { id: [{ exists: false }] } } },
  [
    ['one element has it', { detail: { automations: [{ key1: 'value1' }, { id: 'x' }] } }, false],
    ['no element has it', { detail: { automations: [{ key1: 'value1' }, { key2: 'value2' }] } }, true],
  ],
);

group(
  'arrays of objects, different arrays',
  RULER_ARRAY_MATCHING,
  { detail: { a: { x: ['1'] }, b: { y: ['2'] } } },
  [
    ['an element of each', { detail: { a: [{ x: '0' }, { x: '1' }], b: [{ y: '2' }, { y: '3' }] } }, true],
    ['second array lacks it', { detail: { a: [{ x: '1' }], b: [{ y: '3' }] } }, false],
  ],
);

// --- Complex ---------------------------------------------------------------------------------------

group(
  'complex anything-but and numeric',
  CONTENT_FILTERING.complex,
  {
    time: [{ prefix: '2017-10-02' }],
    detail: {
      state: [{ 'anything-but': 'initializing' }],
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ 'anything-but': [100, 200, 300] }],
    },
  },
  [
    [
      'all hold',
      {
        time: '2017-10-02T16:24:49Z',
        detail: { state: 'processing', 'c-count': 3, 'd-count': 9, 'x-limit': 999 },
      },
      true,
    ],
    [
      'x-limit excluded',
      {
        time: '2017-10-02T16:24:49Z',
        detail: { state: 'processing', 'c-count': 3, 'd-count': 9, 'x-limit': 300 },
      },
      false,
    ],
    [
      'other day',
      {
        time: '2017-10-03T16:24:49Z',
        detail: { state: 'processing', 'c-count': 3, 'd-count': 9, 'x-limit': 999 },
      },
      false,
    ],
    [
      'state excluded',
      {
        time: '2017-10-02T16:24:49Z',
        detail: { state: 'initializing', 'c-count': 3, 'd-count': 9, 'x-limit': 999 },
      },
      false,
    ],
  ],
);

group(
  'complex mixed alternatives in one array',
  awsValidated('complex_many_rules'),
  { detail: { admins: ['skyli', { prefix: 'hey' }, { prefix: 'ad' }], salary: [2000, 4000] } },
  [
    ['prefix alternative', { detail: { admins: 'admin', salary: 2000 } }, true],
    ['exact alternative', { detail: { admins: 'skyli', salary: 4000 } }, true],
    ['no alternative', { detail: { admins: 'root', salary: 2000 } }, false],
    ['salary unlisted', { detail: { admins: 'admin', salary: 3000 } }, false],
  ],
);

/** The corpus: every documented operator, with cases that must match and cases that must not. */
export const corpus: readonly CorpusCase[] = cases;
