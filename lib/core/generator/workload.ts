import { SOURCES } from '../events/catalogue.js';
import { formatEventTime } from '../events/envelope.js';
import type { RejectionCode } from '../events/rejection.js';
import { Prng } from './prng.js';

/** Kinds of invalid input the generator can produce, each with the rejection it must end in. */
export const INVALID_KINDS = {
  'not-json': 'NOT_JSON',
  'not-an-object': 'NOT_AN_OBJECT',
  'missing-detail': 'MALFORMED_DETAIL',
  'detail-not-object': 'MALFORMED_DETAIL',
  'invalid-time': 'INVALID_TIME',
  'unknown-detail-type': 'UNKNOWN_EVENT_TYPE',
  'schema-violation': 'SCHEMA_VIOLATION',
  'missing-event-id': 'MISSING_EVENT_ID',
  'deep-nesting': 'NESTING_TOO_DEEP',
  'very-deep-nesting': 'NESTING_TOO_DEEP',
  'unpaired-surrogate': 'MALFORMED_STRING',
  'nul-character': 'MALFORMED_STRING',
  oversized: 'ENTRY_TOO_LARGE',
} as const satisfies Record<string, RejectionCode>;

export type InvalidKind = keyof typeof INVALID_KINDS;

/** What the generator knows about an item it produced: the ground truth tests compare against. */
export type Truth =
  | { readonly kind: 'valid'; readonly late: boolean; readonly nasty: boolean }
  | { readonly kind: 'duplicate'; readonly of: number }
  | { readonly kind: 'invalid'; readonly invalidKind: InvalidKind; readonly expectedCode: RejectionCode };

/** A publish entry as the generator makes it (the NDJSON line format of `elt publish`). */
export interface GeneratedEntry {
  readonly source: string;
  readonly 'detail-type': string;
  readonly time: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** One generated input: a value to publish, or a raw line for inputs that are not even JSON objects. */
export interface GeneratedItem {
  readonly seq: number;
  readonly input: { readonly value: unknown } | { readonly line: string };
  readonly truth: Truth;
}

/** An item as one line of the NDJSON that `elt publish` reads. */
export function itemLine(item: GeneratedItem): string {
  return 'line' in item.input ? item.input.line : JSON.stringify(item.input.value);
}

/** Options of {@link generateWorkload}. */
export interface WorkloadOptions {
  /** Items to produce, duplicates and invalid ones included. */
  readonly events: number;
  readonly seed: string | number;
  /** Simulated days. @default 3 */
  readonly days?: number;
  /** First simulated instant. @default 2026-11-01T00:00:00Z */
  readonly start?: Date;
  /** Share of items that republish an earlier valid event (same detail.eventId). @default 0.03 */
  readonly duplicateRate?: number;
  /** Share of valid events whose time is hours before their publication. @default 0.03 */
  readonly lateRate?: number;
  /** Largest lateness, hours. @default 6 */
  readonly maxLateHours?: number;
  /** Share of items that are invalid. @default 0.02 */
  readonly invalidRate?: number;
  /** Invalid kinds to draw from, with weights. @default every kind, oversized ones rarer */
  readonly invalidKinds?: readonly (readonly [InvalidKind, number])[];
  /** Share of valid events whose free-text fields hold quotes, SQL, emoji, control characters. @default 0.02 */
  readonly nastyRate?: number;
}

/** The invalid kinds a workload draws from by default, with their weights (1 MiB entries are rare). */
export const DEFAULT_INVALID_WEIGHTS: readonly (readonly [InvalidKind, number])[] = [
  ['not-json', 1],
  ['not-an-object', 1],
  ['missing-detail', 1],
  ['detail-not-object', 1],
  ['invalid-time', 1],
  ['unknown-detail-type', 1],
  ['schema-violation', 2],
  ['missing-event-id', 1],
  ['deep-nesting', 0.5],
  ['very-deep-nesting', 0.2],
  ['unpaired-surrogate', 0.5],
  ['nul-character', 0.5],
  ['oversized', 0.1],
];

/** Strings that have broken pipelines before; valid events carry them and must come out unchanged. */
export const NASTY_STRINGS: readonly string[] = [
  "Robert'); DROP TABLE raw_events;--",
  `"double" and 'single' quotes, a backslash \\ and a \\n that is not a newline`,
  'emoji 🎉🚀 and a family 👩‍👩‍👧 and a flag 🇳🇿',
  'control chars: tab\t bell\u0007 nul-ish\u0001 escape\u001b and a real\nnewline and a\rreturn',
  'line separator \u2028 and paragraph separator \u2029',
  "{{ ref('stg_events') }} $1 $run_id :name ? %s %n ${jndi:ldap://x}",
  '<script>alert("x")</script> &amp; ',
  'right-to-left \u202e override and zero width \u200b joiner',
  'NULL',
  'ünïcödé — “smart quotes” … ½ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
];

const PATHS = ['/', '/search', '/categories/art', '/categories/home', '/help', '/account', '/sell'];
const CATEGORIES = ['art', 'books', 'electronics', 'fashion', 'home', 'toys'] as const;
const CURRENCIES = ['USD', 'EUR', 'GBP'] as const;
const COUNTRIES = ['GB', 'DE', 'FR', 'US', 'NZ', 'JP', 'BR', 'IN', 'NG', 'ES'];
const NAMES = ['Ada', 'Grace', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Frances', 'Edsger', 'Radia'];
const TITLES = [
  'Brass desk lamp',
  'First edition novel',
  'Vintage camera',
  'Wool coat',
  'Wooden train set',
  'Oil painting',
];

interface Item {
  readonly id: string;
  readonly currency: string;
  price: number;
}

/**
 * A deterministic workload of a marketplace: users sign up and log in, sessions view pages, sellers list
 * items and buyers bid, spread over several simulated days in publication order, with the requested
 * rates of duplicates, late events, invalid inputs and hostile strings. The same options always give the
 * same items, so tests can compute the expected marts from the items themselves.
 */
export function* generateWorkload(options: WorkloadOptions): Generator<GeneratedItem> {
  const rng = new Prng(options.seed);
  const days = options.days ?? 3;
  const start = (options.start ?? new Date('2026-11-01T00:00:00Z')).getTime();
  const duplicateRate = options.duplicateRate ?? 0.03;
  const lateRate = options.lateRate ?? 0.03;
  const maxLateHours = options.maxLateHours ?? 6;
  const invalidRate = options.invalidRate ?? 0.02;
  const invalidKinds = options.invalidKinds ?? DEFAULT_INVALID_WEIGHTS;
  const nastyRate = options.nastyRate ?? 0.02;

  const users: string[] = [];
  const items: Item[] = [];
  let nextUser = 1;
  let nextSession = 1;
  let nextItem = 1;
  // Roughly seven valid events per session; sessions are spread evenly over the simulated period.
  const sessions = Math.max(1, Math.round((options.events * (1 - duplicateRate - invalidRate)) / 7));
  const spacingMs = (days * 86_400_000) / sessions;
  let sessionIndex = 0;

  const detail = (userId: string, fields: Record<string, unknown>): Record<string, unknown> => ({
    eventId: rng.uuid(),
    userId,
    ...fields,
  });
  const nasty = (): boolean => rng.chance(nastyRate);

  /** The valid events of one session, in time order. */
  function* session(): Generator<{ entry: GeneratedEntry; nasty: boolean }> {
    let t = start + (sessionIndex + rng.next()) * spacingMs;
    sessionIndex++;
    const sessionId = `s_${nextSession++}`;
    const emit = (detailType: string, source: string, d: Record<string, unknown>, isNasty = false) => ({
      entry: { source, 'detail-type': detailType, time: formatEventTime(new Date(t)), detail: d },
      nasty: isNasty,
    });
    let userId: string;
    // Early on most visitors are new; later most sessions are returning users.
    if (users.length < 20 || rng.chance(Math.max(0.08, 0.5 - users.length / 2000))) {
      userId = `u_${nextUser++}`;
      users.push(userId);
      const n = nasty();
      yield emit(
        'UserSignedUp',
        SOURCES.users,
        detail(userId, {
          displayName: n ? rng.pick(NASTY_STRINGS) : rng.pick(NAMES),
          country: rng.pick(COUNTRIES),
          channel: rng.pick(['web', 'ios', 'android']),
          referrer: rng.chance(0.3) ? 'https://search.example/' : null,
        }),
        n,
      );
    } else {
      // Recent users are more active: bias the pick towards the end of the list.
      userId = users[Math.floor(users.length * (1 - rng.next() ** 2))] ?? users[0]!;
      yield emit(
        'UserLoggedIn',
        SOURCES.users,
        detail(userId, {
          sessionId,
          method: rng.pick(['password', 'sso', 'magic_link', 'passkey']),
          device: rng.pick(['desktop', 'mobile', 'tablet']),
        }),
      );
    }
    t += rng.int(1, 20) * 1000;
    const views = rng.int(2, 8);
    for (let v = 0; v < views; v++) {
      const item =
        items.length > 0 && rng.chance(0.5)
          ? items[items.length - 1 - Math.floor(rng.next() ** 2 * Math.min(items.length, 500))]
          : undefined;
      const n = nasty();
      const durationMs = rng.int(500, 120_000);
      yield emit(
        'PageViewed',
        SOURCES.web,
        detail(userId, {
          sessionId,
          path: item ? `/items/${item.id}` : rng.pick(PATHS),
          referrer: n ? rng.pick(NASTY_STRINGS) : v === 0 ? null : 'https://market.example/',
          durationMs,
        }),
        n,
      );
      t += durationMs;
      if (item && rng.chance(0.35)) {
        item.price += rng.int(1, 50) * 50;
        yield emit(
          'BidCreated',
          SOURCES.auctions,
          detail(userId, {
            sessionId,
            itemId: item.id,
            amountMinor: item.price,
            currency: item.currency,
          }),
        );
        t += rng.int(2, 30) * 1000;
      }
    }
    if (rng.chance(0.15)) {
      const item: Item = {
        id: `i_${nextItem++}`,
        currency: rng.pick(CURRENCIES),
        price: rng.int(1, 200) * 100,
      };
      items.push(item);
      const n = nasty();
      yield emit(
        'ItemListed',
        SOURCES.auctions,
        detail(userId, {
          itemId: item.id,
          title: n ? rng.pick(NASTY_STRINGS) : `${rng.pick(TITLES)} #${item.id}`,
          category: rng.pick(CATEGORIES),
          startingPriceMinor: item.price,
          currency: item.currency,
        }),
        n,
      );
    }
  }

  function invalid(kind: InvalidKind): GeneratedItem['input'] {
    const base = (): GeneratedEntry => ({
      source: SOURCES.web,
      'detail-type': 'PageViewed',
      time: formatEventTime(new Date(start + rng.next() * days * 86_400_000)),
      detail: { eventId: rng.uuid(), userId: 'u_invalid', sessionId: 's_invalid', path: '/', durationMs: 1 },
    });
    switch (kind) {
      case 'not-json':
        return { line: JSON.stringify(base()).slice(0, 40) };
      case 'not-an-object':
        return { line: rng.pick(['[1,2,3]', '"just a string"', '42', 'null', 'true']) };
      case 'missing-detail': {
        const { detail: _omit, ...rest } = base();
        return { value: rest };
      }
      case 'detail-not-object':
        return { value: { ...base(), detail: rng.pick(['a string', 7, ['an', 'array'], null]) } };
      case 'invalid-time':
        return {
          value: {
            ...base(),
            time: rng.pick(['yesterday', '2026-13-45T99:00:00Z', '2026-02-30T10:00:00Z', '1700000000']),
          },
        };
      case 'unknown-detail-type':
        return { value: { ...base(), 'detail-type': 'UserTeleported' } };
      case 'schema-violation': {
        const b = base();
        const broken = rng.pick<Record<string, unknown>>([
          { durationMs: -5 },
          { durationMs: '12' },
          { path: 'no-leading-slash' },
          { userId: 'has spaces and ✨' },
          { sessionId: 42 },
          { eventId: 'not-a-uuid' },
        ]);
        return { value: { ...b, detail: { ...b.detail, ...broken } } };
      }
      case 'missing-event-id': {
        const b = base();
        const { eventId: _omit, ...rest } = b.detail;
        return { value: { ...b, detail: rest } };
      }
      case 'deep-nesting':
        return { value: { ...base(), detail: { ...base().detail, extra: nest(40) } } };
      case 'very-deep-nesting':
        return { value: { ...base(), detail: { ...base().detail, extra: nest(1500) } } };
      case 'unpaired-surrogate':
        return {
          value: { ...base(), detail: { ...base().detail, referrer: `half an emoji ${'🎉'.slice(0, 1)}` } },
        };
      case 'nul-character':
        return { value: { ...base(), detail: { ...base().detail, referrer: 'a NUL \u0000 inside' } } };
      case 'oversized':
        return { value: { ...base(), detail: { ...base().detail, padding: 'x'.repeat(1024 * 1024 + 10) } } };
    }
  }

  const dueDuplicates: { at: number; of: number; entry: GeneratedEntry }[] = [];
  let stream = session();
  for (let seq = 0; seq < options.events; seq++) {
    const due = dueDuplicates.findIndex((d) => d.at <= seq);
    if (due >= 0) {
      const [d] = dueDuplicates.splice(due, 1);
      yield { seq, input: { value: d!.entry }, truth: { kind: 'duplicate', of: d!.of } };
      continue;
    }
    if (rng.chance(invalidRate)) {
      const kind = rng.weighted(invalidKinds);
      yield {
        seq,
        input: invalid(kind),
        truth: { kind: 'invalid', invalidKind: kind, expectedCode: INVALID_KINDS[kind] },
      };
      continue;
    }
    let next = stream.next();
    while (next.done) {
      stream = session();
      next = stream.next();
    }
    let { entry } = next.value;
    const late = rng.chance(lateRate);
    if (late) {
      const shifted = Date.parse(entry.time) - rng.int(3600, maxLateHours * 3600) * 1000;
      entry = { ...entry, time: formatEventTime(new Date(shifted)) };
    }
    if (rng.chance(duplicateRate)) dueDuplicates.push({ at: seq + rng.int(1, 200), of: seq, entry });
    yield { seq, input: { value: entry }, truth: { kind: 'valid', late, nasty: next.value.nasty } };
  }
}

/** `{"a":{"a":…}}` nested `depth` levels. */
function nest(depth: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}
