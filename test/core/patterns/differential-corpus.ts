import { corpus } from './corpus.js';

/**
 * The seeded corpus of the differential test against AWS's Event Ruler
 * (test/e2e/event-ruler-differential.test.ts): pattern/event pairs over every operator the matcher
 * supports, plus invalid patterns of every kind it rejects, plus the hand-made corpus of corpus.ts. Pairs
 * hold JSON text, not parsed values, so number spellings (`3e2`, `300.0`, `-0`) reach both engines as
 * written. Deterministic: the same seed always gives the same pairs, in the same order.
 */
export interface DifferentialPair {
  /** Unique, stable for a given seed: the family and a running number (or the hand-made case's name). */
  readonly id: string;
  /** The generator family, e.g. `numeric` or `invalid`. */
  readonly family: string;
  /** The event pattern, as JSON text. */
  readonly pattern: string;
  /** The event, as JSON text (always a JSON object). */
  readonly event: string;
}

/** The seed the test uses; change it to explore other pairs (keep the known differences up to date). */
export const DIFFERENTIAL_SEED = 20261203;

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; enough for test-case generation. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const j = (value: unknown): string => JSON.stringify(value);

/** `{"detail":{"f":[<leaf>]}}` with the leaf array elements given as JSON text. */
const onField = (...elements: string[]): string => `{"detail":{"f":[${elements.join(',')}]}}`;
/** `{"detail":{"f":<value>}}` with the value given as JSON text; undefined leaves `f` out. */
const eventWith = (value: string | undefined): string =>
  value === undefined ? '{"detail":{"g":1}}' : `{"detail":{"f":${value}}}`;

class Builder {
  readonly pairs: DifferentialPair[] = [];
  private readonly counts = new Map<string, number>();
  readonly random: () => number;

  constructor(seed: number) {
    this.random = prng(seed);
  }

  add(family: string, pattern: string, event: string): void {
    const n = (this.counts.get(family) ?? 0) + 1;
    this.counts.set(family, n);
    this.pairs.push({ id: `${family}#${n}`, family, pattern, event });
  }

  /** Every pattern against every event value (as `detail.f`). */
  cross(family: string, patterns: readonly string[], values: readonly (string | undefined)[]): void {
    for (const pattern of patterns) for (const value of values) this.add(family, pattern, eventWith(value));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.random() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  int(below: number): number {
    return Math.floor(this.random() * below);
  }

  /** A random string of 0..maxLength units drawn from `alphabet` (whole entries, so surrogate pairs stay whole). */
  text(alphabet: readonly string[], maxLength: number): string {
    let out = '';
    const length = this.int(maxLength + 1);
    for (let i = 0; i < length; i++) out += this.pick(alphabet);
    return out;
  }
}

/** Event values of every JSON type, shared by several families; undefined is "field missing". */
const MIXED_VALUES: readonly (string | undefined)[] = [
  undefined,
  'null',
  'true',
  'false',
  '""',
  '"a"',
  '"A"',
  '"null"',
  '"1"',
  '0',
  '1',
  '-1',
  '1.5',
  '300',
  '3e2',
  '300.0',
  '[]',
  '["a","b"]',
  '[1,"a",null]',
  '{"x":"a"}',
  '[{"x":1}]',
];

function exact(b: Builder): void {
  const leaves = [
    '"a"',
    '""',
    '"A"',
    '"null"',
    '"1"',
    '1',
    '0',
    '-1',
    '1.5',
    '300',
    '3e2',
    '300.0',
    'true',
    'false',
    'null',
    '"a","b"',
    '1,"1"',
    'null,""',
    'true,false',
  ];
  b.cross(
    'exact',
    leaves.map((leaf) => onField(leaf)),
    MIXED_VALUES,
  );
  // Number spellings: every pair of spellings of a few values, as pattern and as event.
  const spellings = [
    ['300', '300.0', '3e2', '3E2', '3.0e+2', '30e1'],
    ['0', '-0', '0.0', '0e5', '-0.0'],
    ['0.1', '1e-1', '0.10', '1E-1'],
    ['5000000000', '5e9', '5.0E9'],
    ['1234567890.123', '1.234567890123e9'],
  ];
  for (const group of spellings) {
    for (const pattern of group)
      for (const event of group) b.add('exact', onField(pattern), eventWith(event));
  }
  // Numbers beyond the numeric range and long fractions, matched exactly.
  const wide = ['6e9', '-6e9', '1e300', '123456789012345678', '0.30000000000000004', '1.0000000000000002'];
  for (const pattern of wide) for (const event of wide) b.add('exact', onField(pattern), eventWith(event));
  // IP address literals, which event-ruler compares as addresses (docs/event-patterns.md, divergences).
  const addresses = [
    '"10.0.0.1"',
    '"010.0.0.1"',
    '"::ffff:a00:1"',
    '"::1"',
    '"0:0:0:0:0:0:0:1"',
    '"::A"',
    '"::a"',
    '"1.2.3"',
  ];
  for (const pattern of addresses)
    for (const event of addresses) b.add('exact', onField(pattern), eventWith(event));
  // Strings that look like other values.
  const lookalikes = ['"true"', '"300"', '"3e2"', '"a "', '" a"', '"\\u0061"', '"é"', '"e\\u0301"', '"😀"'];
  for (const pattern of lookalikes) {
    for (const event of [...lookalikes, '"a"', '300', 'true'])
      b.add('exact', onField(pattern), eventWith(event));
  }
}

const AFFIX_ALPHABET = ['a', 'b', 'A', 'B', '-', '.', 'é', '😀', ' ', '"', '\\'];

function prefixSuffix(b: Builder): void {
  const operands = ['', 'a', 'ab', 'A', 'aB', '-', 'é', '😀', '"', '\\', 'a.b'];
  const events: string[] = ['1', 'null', 'true', '["xab","ab"]', '{"ab":1}'];
  for (let i = 0; i < 30; i++) events.push(j(b.text(AFFIX_ALPHABET, 4)));
  for (const operator of ['prefix', 'suffix']) {
    const patterns = operands.map((operand) => onField(`{"${operator}":${j(operand)}}`));
    for (const pattern of patterns) {
      // Events built around the operand, so matches are frequent, plus random ones.
      const operand = (JSON.parse(pattern) as { detail: { f: Record<string, string>[] } }).detail.f[0]?.[
        operator
      ];
      const around = [operand, `${operand ?? ''}x`, `x${operand ?? ''}`, (operand ?? '').toUpperCase()].map(
        (text) => j(text),
      );
      for (const value of [...around, ...events.slice(0, 18), undefined])
        b.add(operator, pattern, eventWith(value));
    }
  }
}

/** Characters whose case mappings are irregular: ß, Kelvin sign, dotted/dotless i, final sigma, ligatures. */
const CASE_ALPHABET = [
  '?',
  'a',
  'A',
  'k',
  'K',
  '\u212a',
  's',
  'S',
  'ß',
  'ẞ',
  'i',
  'I',
  'İ',
  'ı',
  'σ',
  'Σ',
  'ς',
  'é',
  'É',
  'ﬀ',
  'ǅ',
  'ǆ',
  'Ǆ',
  '😀',
  'Ω',
  'Ω',
];

function ignoreCase(b: Builder): void {
  const literals = [
    'a',
    'A',
    'ab',
    'AB',
    'k',
    'K',
    'ß',
    'SS',
    'ss',
    'i',
    'İ',
    'ı',
    'I',
    'σ',
    'Σ',
    'ς',
    'é',
    'É',
    'ǅ',
    'Ω',
    '',
    'a😀',
    '😀',
    'é😀x',
  ];
  const forms: [string, (literal: string) => string][] = [
    ['equals-ignore-case', (literal) => `{"equals-ignore-case":${j(literal)}}`],
    ['prefix-equals-ignore-case', (literal) => `{"prefix":{"equals-ignore-case":${j(literal)}}}`],
    ['suffix-equals-ignore-case', (literal) => `{"suffix":{"equals-ignore-case":${j(literal)}}}`],
  ];
  for (const [family, form] of forms) {
    for (const literal of literals) {
      const values = new Set<string>([
        literal,
        literal.toLowerCase(),
        literal.toUpperCase(),
        `${literal}x`,
        `X${literal}`,
        `x${literal.toUpperCase()}x`,
        // event-ruler encodes each UTF-16 unit on its own, so a lone surrogate becomes "?".
        literal.replace(/[\uD800-\uDFFF]/g, '?'),
      ]);
      for (let i = 0; i < 6; i++) values.add(b.text(CASE_ALPHABET, 3));
      for (const value of values) b.add(family, onField(form(literal)), eventWith(j(value)));
      b.add(family, onField(form(literal)), eventWith('1'));
      b.add(family, onField(form(literal)), eventWith(undefined));
    }
  }
}

const WILDCARD_PARTS = ['a', 'b', 'ab', '*', '\\*', '\\\\', '.', 'é', '😀', ''];
const WILDCARD_EVENT_ALPHABET = ['a', 'b', '*', '\\', '.', 'é', '😀'];

/** A random wildcard pattern; `**` only when `allowInvalid`. */
function wildcardPattern(b: Builder, allowInvalid: boolean): string {
  let out = '';
  const parts = 1 + b.int(5);
  for (let i = 0; i < parts; i++) {
    const part = b.pick(WILDCARD_PARTS);
    if (!allowInvalid && part === '*' && out.endsWith('*') && !out.endsWith('\\*')) continue;
    out += part;
  }
  return out;
}

/** The literal text a wildcard pattern stands for, with each `*` replaced by `fill`. */
function instantiate(pattern: string, fill: () => string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const unit = pattern.charAt(i);
    if (unit === '\\') {
      out += pattern.charAt(i + 1);
      i++;
    } else if (unit === '*') out += fill();
    else out += unit;
  }
  return out;
}

function wildcard(b: Builder): void {
  const fixed = [
    '*',
    'a*',
    '*a',
    'a*b',
    '*a*',
    'a\\*b',
    'a\\\\b',
    '\\*',
    '\\\\*',
    '*\\\\',
    'a*b*a',
    '',
    '😀*',
    'é*é',
  ];
  const patterns = [...fixed];
  for (let i = 0; i < 50; i++) patterns.push(wildcardPattern(b, false));
  for (const pattern of patterns) {
    const values = new Set<string>();
    for (let i = 0; i < 3; i++) values.add(instantiate(pattern, () => b.text(WILDCARD_EVENT_ALPHABET, 2)));
    values.add(instantiate(pattern, () => ''));
    for (let i = 0; i < 4; i++) values.add(b.text(WILDCARD_EVENT_ALPHABET, 4));
    for (const value of values) b.add('wildcard', onField(`{"wildcard":${j(pattern)}}`), eventWith(j(value)));
    b.add('wildcard', onField(`{"wildcard":${j(pattern)}}`), eventWith('5'));
  }
}

function anythingBut(b: Builder): void {
  const operands = [
    '"a"',
    '""',
    '1',
    '0',
    '-1.5',
    '3e2',
    '["a","b"]',
    '["a"]',
    '[1,2]',
    '[300.0,"x"]',
    '{"prefix":"a"}',
    '{"prefix":["a","b"]}',
    '{"suffix":"a"}',
    '{"suffix":["a","B"]}',
    '{"wildcard":"a*"}',
    '{"wildcard":["*a","b*"]}',
    '{"equals-ignore-case":"a"}',
    '{"equals-ignore-case":["A","ß"]}',
    '{"equals-ignore-case":[]}',
    '{"prefix":[]}',
    '{"wildcard":[]}',
  ];
  const values = [
    ...MIXED_VALUES,
    '"ab"',
    '"ba"',
    '"B"',
    '"b"',
    '"x"',
    '"SS"',
    '2',
    '3e2',
    '["a","x"]',
    '["a"]',
  ];
  b.cross(
    'anything-but',
    operands.map((operand) => onField(`{"anything-but":${operand}}`)),
    values,
  );
  // Next to other alternatives in the same leaf, and anything-but on a missing vs null field.
  b.cross(
    'anything-but',
    [
      onField('{"anything-but":"a"}', '"a"'),
      onField('{"anything-but":{"prefix":"a"}}', '{"exists":false}'),
      onField('{"anything-but":[1]}', '{"numeric":[">",5]}'),
    ],
    values,
  );
}

/** Bounds at the edges of doubles and of the documented ±5e9 range, in several spellings. */
const NUMERIC_BOUNDS = [
  '0',
  '-0',
  '1',
  '-1',
  '0.1',
  '1e-9',
  '2.5',
  '100',
  '1e2',
  '5e9',
  '-5e9',
  '4999999999.999',
  '-5000000000.0',
  '1e15',
  '6e9',
];
const NUMERIC_VALUES = [
  '0',
  '-0',
  '0.0',
  '1',
  '1.0',
  '-1',
  '0.1',
  '0.09999999999999999',
  '1e-9',
  '1.0000000001e-9',
  '2.5',
  '2.4999999999',
  '99.99999999',
  '100',
  '100.000001',
  '1e2',
  '5e9',
  '5000000000.000001',
  '-5e9',
  '4999999999.999',
  '1e15',
  '6e9',
  '-6e9',
  '1e300',
  '"5"',
  'null',
  'true',
  '[1,200]',
];

function numeric(b: Builder): void {
  const patterns: string[] = [];
  for (const op of ['=', '<', '<=', '>', '>=']) {
    for (const bound of NUMERIC_BOUNDS) patterns.push(onField(`{"numeric":["${op}",${bound}]}`));
  }
  for (let i = 0; i < 40; i++) {
    const low = b.pick(NUMERIC_BOUNDS);
    const high = b.pick(NUMERIC_BOUNDS);
    patterns.push(onField(`{"numeric":["${b.pick(['>', '>='])}",${low},"${b.pick(['<', '<='])}",${high}]}`));
  }
  for (const pattern of patterns) {
    // A fixed third of the values for every pattern, plus a random third, keeps the family near 2,000 pairs.
    const values = NUMERIC_VALUES.filter(() => b.random() < 0.45);
    values.push(b.pick(NUMERIC_VALUES));
    for (const value of values) b.add('numeric', pattern, eventWith(value));
    b.add('numeric', pattern, eventWith(undefined));
  }
}

function exists(b: Builder): void {
  const values = [...MIXED_VALUES, '[[]]', '[null]', '{}', '[{}]'];
  b.cross('exists', [onField('{"exists":true}'), onField('{"exists":false}')], values);
  // exists below objects and arrays of objects.
  const patterns = [
    '{"detail":{"f":{"x":[{"exists":true}]}}}',
    '{"detail":{"f":{"x":[{"exists":false}]}}}',
    '{"detail":{"f":{"x":[{"exists":false}],"y":[1]}}}',
    '{"detail":{"f":{"y":[1],"x":[{"exists":false}]}}}',
  ];
  const events = [
    '{"x":1}',
    '{"y":1}',
    '[{"x":1},{"y":1}]',
    '[{"y":1}]',
    '[{"x":1,"y":1}]',
    '[]',
    '1',
    '{"x":null}',
    '{"x":{}}',
    '[{"x":[]}]',
  ];
  b.cross('exists', patterns, events);
}

function ipv4(b: Builder): string {
  return [b.int(256), b.int(256), b.int(256), b.int(256)].join('.');
}

function ipv6Groups(b: Builder): number[] {
  return Array.from({ length: 8 }, () => (b.random() < 0.3 ? 0 : b.int(0x10000)));
}

function cidr(b: Builder): void {
  const blocks = [
    '10.0.0.0/24',
    '10.0.0.0/8',
    '0.0.0.0/0',
    '192.168.0.0/22',
    '10.0.0.5/31',
    '10.0.0.5/24',
    '172.16.0.0/12',
    '2001:db8::/32',
    '2001:db8:1234:1a00::/64',
    '::/0',
    '::ffff:0:0/96',
    'fe80::/10',
    '::/127',
    '1.2.3.4/1',
  ];
  const fixedAddresses = [
    '10.0.0.5',
    '10.0.0.255',
    '10.0.1.0',
    '10.255.255.255',
    '010.0.0.5',
    '10.0.0.256',
    '10.0.0',
    '::ffff:a00:5',
    '::ffff:a00:105',
    '0:0:0:0:0:ffff:a00:5',
    '::FFFF:A00:5',
    '::ffff:10.0.0.5',
    '::a00:5',
    '2001:db8::1',
    '2001:DB8:0:0:0:0:0:1',
    '2001:db8:1234:1a00::ff',
    '2001:db8:1234:1b00::',
    'fe80::1',
    'fe80::1%eth0',
    '::',
    '::1',
    '1::',
    ':::',
    '1:2:3:4:5:6:7:8:9',
    '192.168.3.254',
    '192.168.4.1',
    '172.31.255.255',
    '172.32.0.0',
    '',
    'ten.zero',
  ];
  for (const block of blocks) {
    const addresses: string[] = [...fixedAddresses];
    for (let i = 0; i < 6; i++) addresses.push(ipv4(b));
    for (let i = 0; i < 4; i++) {
      const groups = ipv6Groups(b);
      addresses.push(groups.map((g) => g.toString(16)).join(':'));
      // The same 32 bits as an IPv4-mapped IPv6 address and as IPv4.
      const v4 = [b.int(256), b.int(256), b.int(256), b.int(256)];
      if (i % 2 === 0) v4.splice(0, 2, 10, 0);
      addresses.push(
        `::ffff:${((v4[0] ?? 0) * 256 + (v4[1] ?? 0)).toString(16)}:${((v4[2] ?? 0) * 256 + (v4[3] ?? 0)).toString(16)}`,
      );
    }
    for (const address of addresses) b.add('cidr', onField(`{"cidr":${j(block)}}`), eventWith(j(address)));
    b.add('cidr', onField(`{"cidr":${j(block)}}`), eventWith('10'));
    b.add('cidr', onField(`{"cidr":${j(block)}}`), eventWith('["1.1.1.1","10.0.0.1"]'));
  }
}

/** Leaf arrays for random composite patterns, with event values that satisfy them (or not). */
const COMPOSITE_LEAVES: readonly (readonly [leaf: string, values: readonly string[]])[] = [
  ['["a"]', ['"a"', '"b"']],
  ['[1,2]', ['1', '2.0', '3']],
  ['[{"prefix":"a"}]', ['"ab"', '"ba"']],
  ['[{"suffix":"a"}]', ['"ba"', '"ab"']],
  ['[{"equals-ignore-case":"a"}]', ['"A"', '"b"']],
  ['[{"wildcard":"a*b"}]', ['"axb"', '"ba"']],
  ['[{"anything-but":"a"}]', ['"b"', '"a"']],
  ['[{"numeric":[">",0,"<=",10]}]', ['5', '11']],
  ['[{"exists":true}]', ['0', 'null']],
  ['[{"exists":false}]', ['1']],
  ['[{"cidr":"10.0.0.0/8"}]', ['"10.1.2.3"', '"11.0.0.1"']],
  ['[null]', ['null', '""']],
  ['[true]', ['true', 'false']],
];

const FIELD_NAMES = ['a', 'b', 'c'];

interface Composite {
  pattern: string;
  events: string[];
}

/** A random object pattern of depth ≤ 2 over FIELD_NAMES, with `$or` when `withOr`. */
function compositePattern(b: Builder, depth: number, withOr: boolean): string {
  const fields: string[] = [];
  const count = 1 + b.int(2);
  const names = [...FIELD_NAMES].sort(() => b.random() - 0.5).slice(0, count);
  for (const name of names) {
    if (depth > 0 && b.random() < 0.35) fields.push(`"${name}":${compositePattern(b, depth - 1, withOr)}`);
    else fields.push(`"${name}":${b.pick(COMPOSITE_LEAVES)[0]}`);
  }
  if (withOr && b.random() < 0.6) {
    const alternatives = Array.from({ length: 2 + b.int(2) }, () =>
      compositePattern(b, depth > 0 ? depth - 1 : 0, false),
    );
    fields.push(`"$or":[${alternatives.join(',')}]`);
  }
  return `{${fields.join(',')}}`;
}

/** A random event object over FIELD_NAMES: leaf values from COMPOSITE_LEAVES, nested objects, arrays of objects. */
function compositeEvent(b: Builder, depth: number): string {
  const fields: string[] = [];
  for (const name of FIELD_NAMES) {
    const roll = b.random();
    if (roll < 0.2) continue;
    if (depth > 0 && roll < 0.45) fields.push(`"${name}":${compositeEvent(b, depth - 1)}`);
    else if (depth > 0 && roll < 0.6) {
      const elements = Array.from({ length: 1 + b.int(3) }, () => compositeEvent(b, depth - 1));
      fields.push(`"${name}":[${elements.join(',')}]`);
    } else if (roll < 0.7) {
      const values = Array.from({ length: 1 + b.int(3) }, () => b.pick(b.pick(COMPOSITE_LEAVES)[1]));
      fields.push(`"${name}":[${values.join(',')}]`);
    } else fields.push(`"${name}":${b.pick(b.pick(COMPOSITE_LEAVES)[1])}`);
  }
  return `{${fields.join(',')}}`;
}

function composites(b: Builder): void {
  const families: [string, boolean][] = [
    ['nested', false],
    ['$or', true],
  ];
  for (const [family, withOr] of families) {
    for (let i = 0; i < 90; i++) {
      const composite: Composite = { pattern: compositePattern(b, 2, withOr), events: [] };
      for (let k = 0; k < 6; k++) composite.events.push(compositeEvent(b, 2));
      for (const event of composite.events) b.add(family, composite.pattern, event);
    }
  }
  // Arrays of objects: array-consistent matching, from event-ruler's README "JSON Array Matching".
  const employees = '{"Employee":[[{"Name":"Anna","Last":"Smith"}],[{"Name":"Bob","Last":"Jones"}]]}';
  const arrayPatterns = [
    '{"Employee":{"Name":["Anna"],"Last":["Jones"]}}',
    '{"Employee":{"Name":["Anna"],"Last":["Smith"]}}',
    '{"Employee":{"Name":["Bob"],"Last":[{"exists":false}]}}',
    '{"Employee":{"Last":[{"exists":false}],"Name":["Bob"]}}',
    '{"Employee":{"Name":[{"prefix":"A"}],"$or":[{"Last":["Jones"]},{"Last":["Smith"]}]}}',
  ];
  const arrayEvents = [
    employees,
    '{"Employee":[{"Name":"Anna","Last":"Jones"}]}',
    '{"Employee":[{"Name":"Anna"},{"Last":"Jones"}]}',
    '{"Employee":[{"Name":"Bob"},{"Name":"Anna","Last":"Smith"}]}',
    '{"Employee":{"Name":["Anna","Bob"],"Last":"Jones"}}',
    '{"Employee":[]}',
  ];
  for (const pattern of arrayPatterns) for (const event of arrayEvents) b.add('arrays', pattern, event);
  // Dotted keys in patterns and events.
  const dotted = ['{"a.b":[1]}', '{"a":{"b":[1]}}', '{"a.b":{"c":[1]}}', '{"a":{"b.c":[1]}}'];
  const dottedEvents = [
    '{"a":{"b":1}}',
    '{"a.b":1}',
    '{"a":{"b":{"c":1}}}',
    '{"a.b":{"c":1}}',
    '{"a":{"b.c":1}}',
    '{"a.b.c":1}',
    '{"a":[{"b":1}]}',
  ];
  for (const pattern of dotted) for (const event of dottedEvents) b.add('nested', pattern, event);
}

/** Invalid patterns of every kind the matcher rejects (docs/event-patterns.md, "Validation"). */
export const INVALID_PATTERNS: readonly string[] = [
  '[]',
  '"a"',
  '1',
  'null',
  '{}',
  '{"a":{}}',
  '{"a":[]}',
  '{"a":"x"}',
  '{"a":1}',
  '{"a":null}',
  '{"a":true}',
  '{"a":[["x"]]}',
  '{"a":[{}]}',
  '{"a":[{"NUMERIC":[">",1]}]}',
  '{"a":[{"Prefix":"x"}]}',
  '{"a":[{"regex":"x"}]}',
  '{"a":[{"exactly":"x"}]}',
  '{"a":[{"prefix":"x","suffix":"y"}]}',
  '{"a":[{"prefix":1}]}',
  '{"a":[{"prefix":null}]}',
  '{"a":[{"prefix":["x"]}]}',
  '{"a":[{"prefix":{}}]}',
  '{"a":[{"prefix":{"equals-ignore-case":1}}]}',
  '{"a":[{"prefix":{"wildcard":"x"}}]}',
  '{"a":[{"suffix":1}]}',
  '{"a":[{"suffix":{"equals-ignore-case":["x"]}}]}',
  '{"a":[{"equals-ignore-case":1}]}',
  '{"a":[{"equals-ignore-case":["x"]}]}',
  '{"a":[{"wildcard":1}]}',
  '{"a":[{"wildcard":"a**b"}]}',
  '{"a":[{"wildcard":"**"}]}',
  '{"a":[{"wildcard":"a\\\\b"}]}',
  '{"a":[{"wildcard":"a\\\\"}]}',
  '{"a":[{"cidr":1}]}',
  '{"a":[{"cidr":"10.0.0.0"}]}',
  '{"a":[{"cidr":"10.0.0.0/"}]}',
  '{"a":[{"cidr":"10.0.0.0/33"}]}',
  '{"a":[{"cidr":"10.0.0.0/32"}]}',
  '{"a":[{"cidr":"10.0.0.0/-1"}]}',
  '{"a":[{"cidr":"10.0.0.0/x"}]}',
  '{"a":[{"cidr":"10.0.0.256/8"}]}',
  '{"a":[{"cidr":"10.0.0/8"}]}',
  '{"a":[{"cidr":"a.b.c.d/8"}]}',
  '{"a":[{"cidr":"::/128"}]}',
  '{"a":[{"cidr":"::/129"}]}',
  '{"a":[{"cidr":"1:2:3:4:5:6:7:8:9/64"}]}',
  '{"a":[{"cidr":"10.0.0.0/8/8"}]}',
  '{"a":[{"exists":"true"}]}',
  '{"a":[{"exists":1}]}',
  '{"a":[{"exists":null}]}',
  '{"a":[{"numeric":5}]}',
  '{"a":[{"numeric":[]}]}',
  '{"a":[{"numeric":[">"]}]}',
  '{"a":[{"numeric":["!=",1]}]}',
  '{"a":[{"numeric":[1,">"]}]}',
  '{"a":[{"numeric":[">","1"]}]}',
  '{"a":[{"numeric":["=",1,2]}]}',
  '{"a":[{"numeric":["<",1,">",0]}]}',
  '{"a":[{"numeric":[">",1,"<",1]}]}',
  '{"a":[{"numeric":[">",2,"<",1]}]}',
  '{"a":[{"numeric":[">",0,"<",1,"<",2]}]}',
  '{"a":[{"numeric":[">",0,"=",1]}]}',
  '{"a":[{"numeric":[">",0,1]}]}',
  '{"a":[{"numeric":[">",6e9]}]}',
  '{"a":[{"numeric":["<",-5000000001]}]}',
  '{"a":[{"numeric":["=",null]}]}',
  '{"a":[{"anything-but":[]}]}',
  '{"a":[{"anything-but":null}]}',
  '{"a":[{"anything-but":true}]}',
  '{"a":[{"anything-but":["a",1]}]}',
  '{"a":[{"anything-but":[null]}]}',
  '{"a":[{"anything-but":[true]}]}',
  '{"a":[{"anything-but":[["a"]]}]}',
  '{"a":[{"anything-but":{"anything-but":"a"}}]}',
  '{"a":[{"anything-but":{"numeric":[">",1]}}]}',
  '{"a":[{"anything-but":{"exists":true}}]}',
  '{"a":[{"anything-but":{"cidr":"10.0.0.0/8"}}]}',
  '{"a":[{"anything-but":{}}]}',
  '{"a":[{"anything-but":{"prefix":""}}]}',
  '{"a":[{"anything-but":{"suffix":""}}]}',
  '{"a":[{"anything-but":{"prefix":1}}]}',
  '{"a":[{"anything-but":{"prefix":null}}]}',
  '{"a":[{"anything-but":{"prefix":{"equals-ignore-case":"a"}}}]}',
  '{"a":[{"anything-but":{"prefix":"a","suffix":"b"}}]}',
  '{"a":[{"anything-but":{"equals-ignore-case":1}}]}',
  '{"a":[{"anything-but":{"equals-ignore-case":[1]}}]}',
  '{"a":[{"anything-but":{"wildcard":"a**"}}]}',
  '{"a":[{"anything-but":{"wildcard":[1]}}]}',
  '{"a":[{"anything-but":6e9}]}',
  '{"$or":[]}',
  '{"$or":[{"a":[1]}]}',
  '{"$or":{"a":[1]}}',
  '{"$or":"a"}',
  '{"$or":[{"a":[1]},"b"]}',
  '{"$or":[{"a":[1]},{}]}',
  '{"$or":[{"a":[1]},{"prefix":["x"]}]}',
  '{"$or":[{"a":[1]},{"numeric":[1]}]}',
  '{"$or":[{"a":[1]},{"exists":[true]}]}',
  '{"$or":[{"a":[1]},{"b":[]}]}',
  '{"a":[1],"b":{"c":[]}}',
  '{"a":[{"prefix":"x"},{"bogus":1}]}',
  '{"a":["x",{"numeric":[">",1]},[1]]}',
  '{"a"',
  '{"a":[1],}',
  '',
];

function invalid(b: Builder): void {
  for (const pattern of INVALID_PATTERNS) {
    b.add('invalid', pattern, '{"a":"x"}');
    b.add('invalid', pattern, '{"a":1,"b":{"c":1}}');
  }
}

function handMade(b: Builder): void {
  for (const entry of corpus) {
    b.pairs.push({
      id: `corpus: ${entry.name}`,
      family: 'corpus',
      pattern: j(entry.pattern),
      event: j(entry.event),
    });
  }
}

/** The differential corpus for `seed`. */
export function differentialCorpus(seed: number = DIFFERENTIAL_SEED): DifferentialPair[] {
  const b = new Builder(seed);
  exact(b);
  prefixSuffix(b);
  ignoreCase(b);
  wildcard(b);
  anythingBut(b);
  numeric(b);
  exists(b);
  cidr(b);
  composites(b);
  invalid(b);
  handMade(b);
  return b.pairs;
}

/**
 * The operators a pattern uses, by name: `exact`, `null`, `boolean`, `number` for plain values; operator
 * keys (`prefix`, `numeric`, …); `prefix.equals-ignore-case`, `anything-but.prefix`, … for nested forms;
 * `numeric:>=` for each numeric comparison; `$or`; `nested` for an object below a field; `invalid` when
 * the text is not a JSON object.
 */
export function operatorsIn(patternText: string): Set<string> {
  const into = new Set<string>();
  let pattern: unknown;
  try {
    pattern = JSON.parse(patternText);
  } catch {
    into.add('invalid-json');
    return into;
  }
  const visitLeaf = (value: unknown): void => {
    if (typeof value === 'string') into.add('exact');
    else if (typeof value === 'number') into.add('number');
    else if (typeof value === 'boolean') into.add('boolean');
    else if (value === null) into.add('null');
    else if (typeof value === 'object' && !Array.isArray(value)) {
      for (const [operator, operand] of Object.entries(value as Record<string, unknown>)) {
        into.add(operator);
        if (operator === 'numeric' && Array.isArray(operand)) {
          for (const term of operand) if (typeof term === 'string') into.add(`numeric:${term}`);
        }
        if (typeof operand === 'object' && operand !== null && !Array.isArray(operand)) {
          for (const inner of Object.keys(operand)) into.add(`${operator}.${inner}`);
        } else if (operator === 'anything-but') {
          into.add(Array.isArray(operand) ? 'anything-but.list' : 'anything-but.value');
        }
      }
    }
  };
  const visit = (node: unknown, depth: number): void => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === '$or') {
        into.add('$or');
        if (Array.isArray(value)) for (const branch of value) visit(branch, depth + 1);
      } else if (Array.isArray(value)) {
        for (const element of value) visitLeaf(element);
      } else {
        if (depth > 0) into.add('nested');
        visit(value, depth + 1);
      }
    }
  };
  visit(pattern, 0);
  return into;
}
