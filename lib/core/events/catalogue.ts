/**
 * The event catalogue: every event type the product publishes, with a versioned JSON Schema for its
 * `detail`. One definition feeds validation (landing), the generator, the generated docs (docs/events.md)
 * and the bus rules in the CDK stacks.
 */

/** A JSON Schema document (draft 2020-12 subset, as Ajv compiles it). */
/** A run id as the ELT makes them (`run-20261126T031500Z-a1b2c3`): the one rule, for schemas and SQL values. */
export const RUN_ID_PATTERN_SOURCE = '^run-[0-9A-Za-z-]{1,64}$';

export type JsonSchema = Readonly<Record<string, unknown>>;

/** One version of one event type. */
export interface EventType {
  /** EventBridge `source`, e.g. `marketplace.users`. */
  readonly source: string;
  /** EventBridge `detail-type`, e.g. `UserSignedUp`. */
  readonly detailType: string;
  /** Schema version of `detail`; a detail without `schemaVersion` is version 1. */
  readonly version: number;
  readonly description: string;
  /** JSON Schema of `detail`. */
  readonly schema: JsonSchema;
  /** A valid `detail`, shown in the docs and checked against the schema by the tests. */
  readonly example: Readonly<Record<string, unknown>>;
}

const uuid = { type: 'string', format: 'uuid', description: 'Producer-assigned idempotency key.' } as const;
const userId = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;
const sessionId = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;
const itemId = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;
const bidId = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;
const currency = { enum: ['USD', 'EUR', 'GBP'] } as const;
const schemaVersion = { type: 'integer', minimum: 1 } as const;
// Integers stay within what every hop represents exactly: JavaScript numbers (2^53 - 1) and BIGINT.
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const priceMinor = {
  type: 'integer',
  minimum: 0,
  maximum: MAX_SAFE,
  description: 'Price in minor units (cents).',
} as const;

/**
 * Builds a detail schema: the fields every event shares plus the type's own. Extra properties are allowed
 * (producers may add fields before the schema catches up; the whole event is kept in the raw table), but
 * the declared ones are checked strictly.
 */
function detailSchema(
  id: string,
  required: readonly string[],
  properties: Readonly<Record<string, unknown>>,
  about: 'user' | 'system' = 'user',
): JsonSchema {
  return {
    $id: id,
    type: 'object',
    required: about === 'user' ? ['eventId', 'userId', ...required] : ['eventId', ...required],
    properties:
      about === 'user'
        ? { eventId: uuid, userId, schemaVersion, ...properties }
        : { eventId: uuid, schemaVersion, ...properties },
    additionalProperties: true,
  };
}

function schemaId(source: string, detailType: string, version: number): string {
  return `urn:serverless-elt:events:${source}:${detailType}:v${version}`;
}

/** The source of the pipeline's own events (ELT run outcomes); they are not about a user. */
export const ELT_EVENT_SOURCE = 'elt.pipeline';

/**
 * The source of the stream processor's results (the Flink job of sql/stream/): window counts, and the late
 * and malformed records it counted instead of dropping. Like `elt.pipeline`, only the pipeline publishes it.
 */
export const STREAM_EVENT_SOURCE = 'elt.stream';

/** A UTC time as RFC 3339 text with a Z (the stream job writes window bounds and watermarks so). */
const utcTime = {
  type: 'string',
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$',
  maxLength: 40,
  description: 'UTC, RFC 3339 (a space instead of the T is accepted).',
} as const;
const count = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

/** Sources of the product's own events. */
export const SOURCES = {
  users: 'marketplace.users',
  web: 'marketplace.web',
  auctions: 'marketplace.auctions',
} as const;

/** Every event type, every version. */
export const EVENT_CATALOGUE: readonly EventType[] = [
  {
    source: SOURCES.users,
    detailType: 'UserSignedUp',
    version: 1,
    description: 'A visitor created an account.',
    schema: detailSchema(schemaId(SOURCES.users, 'UserSignedUp', 1), ['displayName', 'country', 'channel'], {
      displayName: { type: 'string', minLength: 1, maxLength: 200 },
      country: { type: 'string', pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2.' },
      channel: { enum: ['web', 'ios', 'android'] },
      referrer: { type: ['string', 'null'], maxLength: 2048 },
    }),
    example: {
      eventId: '0b7f2f7e-6a4f-4b8e-9d0a-1f2e3d4c5b6a',
      userId: 'u_1001',
      displayName: 'Ada',
      country: 'GB',
      channel: 'web',
      referrer: null,
    },
  },
  {
    source: SOURCES.users,
    detailType: 'UserLoggedIn',
    version: 1,
    description: 'A user started a session by logging in.',
    schema: detailSchema(schemaId(SOURCES.users, 'UserLoggedIn', 1), ['sessionId', 'method', 'device'], {
      sessionId,
      method: { enum: ['password', 'sso', 'magic_link', 'passkey'] },
      device: { enum: ['desktop', 'mobile', 'tablet'] },
    }),
    example: {
      eventId: '5c1a0d3e-2b4f-4c6d-8e9f-0a1b2c3d4e5f',
      userId: 'u_1001',
      sessionId: 's_77',
      method: 'passkey',
      device: 'mobile',
    },
  },
  {
    source: SOURCES.users,
    detailType: 'UserAccountClosed',
    version: 1,
    description:
      'A user closed their account (kept, marked deleted); their open auctions closed with it, without a sale.',
    schema: detailSchema(schemaId(SOURCES.users, 'UserAccountClosed', 1), ['reason'], {
      reason: { enum: ['user_request', 'inactivity', 'policy_violation'] },
      closedItemCount: {
        type: 'integer',
        minimum: 0,
        maximum: MAX_SAFE,
        description: 'Open auctions of the user closed in the same change.',
      },
    }),
    example: {
      eventId: '2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f60',
      userId: 'u_2002',
      reason: 'user_request',
      closedItemCount: 1,
    },
  },
  {
    source: SOURCES.web,
    detailType: 'PageViewed',
    version: 1,
    description: 'A user viewed a page of the marketplace.',
    schema: detailSchema(schemaId(SOURCES.web, 'PageViewed', 1), ['sessionId', 'path', 'durationMs'], {
      sessionId,
      path: { type: 'string', pattern: '^/', maxLength: 2048 },
      referrer: { type: ['string', 'null'], maxLength: 2048 },
      durationMs: { type: 'integer', minimum: 0, maximum: 86_400_000 },
    }),
    example: {
      eventId: '9d8c7b6a-5f4e-4d3c-8b2a-190817161514',
      userId: 'u_1001',
      sessionId: 's_77',
      path: '/items/i_42',
      referrer: 'https://search.example/?q=lamp',
      durationMs: 5400,
    },
  },
  {
    source: SOURCES.auctions,
    detailType: 'ItemListed',
    version: 1,
    description: 'A seller listed an item for auction.',
    schema: detailSchema(
      schemaId(SOURCES.auctions, 'ItemListed', 1),
      ['itemId', 'title', 'category', 'startingPriceMinor', 'currency'],
      {
        itemId,
        title: { type: 'string', minLength: 1, maxLength: 300 },
        category: { enum: ['art', 'books', 'electronics', 'fashion', 'home', 'toys'] },
        startingPriceMinor: {
          type: 'integer',
          minimum: 0,
          maximum: MAX_SAFE,
          description: 'Price in minor units (cents).',
        },
        currency,
      },
    ),
    example: {
      eventId: '1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d',
      userId: 'u_2002',
      itemId: 'i_42',
      title: 'Brass desk lamp, 1950s',
      category: 'home',
      startingPriceMinor: 2500,
      currency: 'EUR',
    },
  },
  {
    source: SOURCES.auctions,
    detailType: 'BidCreated',
    version: 1,
    description: 'A user placed a bid on an item.',
    schema: detailSchema(
      schemaId(SOURCES.auctions, 'BidCreated', 1),
      ['sessionId', 'itemId', 'amountMinor', 'currency'],
      {
        sessionId,
        itemId,
        amountMinor: {
          type: 'integer',
          minimum: 1,
          maximum: MAX_SAFE,
          description: 'Bid in minor units (cents).',
        },
        currency,
        bidId: {
          ...bidId,
          description: "The bid's id in the marketplace database (absent from older producers).",
        },
      },
    ),
    example: {
      eventId: '7e6d5c4b-3a29-4817-a6f5-e4d3c2b1a090',
      userId: 'u_1001',
      sessionId: 's_77',
      itemId: 'i_42',
      amountMinor: 3100,
      currency: 'EUR',
      bidId: 'b_9001',
    },
  },
  {
    source: SOURCES.auctions,
    detailType: 'ItemPriceChanged',
    version: 1,
    description: 'A seller changed the price of an open item that had no bid yet.',
    schema: detailSchema(
      schemaId(SOURCES.auctions, 'ItemPriceChanged', 1),
      ['itemId', 'oldPriceMinor', 'newPriceMinor', 'currency'],
      { itemId, oldPriceMinor: priceMinor, newPriceMinor: priceMinor, currency },
    ),
    example: {
      eventId: '6b5a4938-2716-4f5e-8d4c-3b2a19080706',
      userId: 'u_2002',
      itemId: 'i_42',
      oldPriceMinor: 2500,
      newPriceMinor: 2200,
      currency: 'EUR',
    },
  },
  {
    source: SOURCES.auctions,
    detailType: 'AuctionClosed',
    version: 1,
    description:
      'An auction ended: the highest bid won (null when there was none, or when the seller closed their account).',
    schema: detailSchema(
      schemaId(SOURCES.auctions, 'AuctionClosed', 1),
      ['itemId', 'winningBidId', 'finalPriceMinor', 'currency', 'bidCount', 'reason'],
      {
        itemId,
        winningBidId: { type: ['string', 'null'], pattern: bidId.pattern },
        finalPriceMinor: {
          type: ['integer', 'null'],
          minimum: 1,
          maximum: MAX_SAFE,
          description: 'The winning bid in minor units (cents); null without a sale.',
        },
        currency,
        bidCount: { type: 'integer', minimum: 0, maximum: MAX_SAFE, description: 'Bids the item received.' },
        reason: { enum: ['ended', 'seller_account_closed'] },
      },
    ),
    example: {
      eventId: '8c7b6a59-4837-4261-9e0f-a1b2c3d4e5f6',
      userId: 'u_2002',
      itemId: 'i_42',
      winningBidId: 'b_9001',
      finalPriceMinor: 3100,
      currency: 'EUR',
      bidCount: 4,
      reason: 'ended',
    },
  },
  {
    source: ELT_EVENT_SOURCE,
    detailType: 'EltRunSucceeded',
    version: 1,
    description: 'An ELT run loaded, transformed and tested the data, and promoted the new tables.',
    schema: detailSchema(
      schemaId(ELT_EVENT_SOURCE, 'EltRunSucceeded', 1),
      ['runId', 'status'],
      {
        runId: { type: 'string', pattern: RUN_ID_PATTERN_SOURCE },
        status: { const: 'succeeded' },
        executionArn: { type: 'string' },
      },
      'system',
    ),
    example: {
      eventId: '3f1e2d3c-4b5a-4968-8776-655443322110',
      runId: 'run-20261125T100000Z-1a2b3c',
      status: 'succeeded',
    },
  },
  {
    source: ELT_EVENT_SOURCE,
    detailType: 'EltRunFailed',
    version: 1,
    description: 'An ELT run failed; the run history says at which step and why.',
    schema: detailSchema(
      schemaId(ELT_EVENT_SOURCE, 'EltRunFailed', 1),
      ['runId', 'status'],
      {
        runId: { type: 'string', pattern: RUN_ID_PATTERN_SOURCE },
        status: { const: 'failed' },
        executionArn: { type: 'string' },
      },
      'system',
    ),
    example: {
      eventId: '4a2f3e4d-5c6b-4a79-8887-766554433221',
      runId: 'run-20261125T100000Z-1a2b3c',
      status: 'failed',
    },
  },
  {
    source: STREAM_EVENT_SOURCE,
    detailType: 'StreamWindowCounted',
    version: 1,
    description:
      'The stream processor closed an event-time window: logins per minute (tumbling), logins in the hour before windowEnd (hopping each minute), or active users of the UTC day so far (cumulating each minute; the last one of a day is the day). Final once sent; eventId is derived from metric, window and bounds, so a result sent twice is kept once.',
    schema: detailSchema(
      schemaId(STREAM_EVENT_SOURCE, 'StreamWindowCounted', 1),
      ['metric', 'window', 'windowStart', 'windowEnd', 'value'],
      {
        metric: {
          enum: ['logins', 'active_users'],
          description: 'logins: UserLoggedIn events; active_users: distinct userId of every product event.',
        },
        window: { enum: ['minute', 'hour', 'day'] },
        windowStart: utcTime,
        windowEnd: utcTime,
        value: count,
        allowedLatenessSeconds: count,
      },
      'system',
    ),
    example: {
      eventId: '5b3a4f5e-6d7c-4b8a-9998-877665544332',
      metric: 'logins',
      window: 'minute',
      windowStart: '2026-12-03T10:00:00Z',
      windowEnd: '2026-12-03T10:01:00Z',
      value: 42,
      allowedLatenessSeconds: 10,
    },
  },
  {
    source: STREAM_EVENT_SOURCE,
    detailType: 'LateEventSeen',
    version: 1,
    description:
      "An event reached the stream processor after its windows had closed (its time at or before the watermark, which trails the newest event time by the allowed lateness): counted here instead of in them, so that stream and batch differ by exactly these. One per late copy: eventId is derived from the late event's eventId and the copy's envelope id.",
    schema: detailSchema(
      schemaId(STREAM_EVENT_SOURCE, 'LateEventSeen', 1),
      ['lateEventId', 'lateSource', 'lateDetailType', 'eventTime', 'watermark'],
      {
        lateEventId: { type: 'string', maxLength: 64, description: "The late event's detail.eventId." },
        lateBusId: {
          type: ['string', 'null'],
          maxLength: 64,
          description: "The late copy's envelope id: one result per copy that came late.",
        },
        lateSource: { type: 'string', maxLength: 256 },
        lateDetailType: { type: 'string', maxLength: 256 },
        lateUserId: { type: ['string', 'null'], maxLength: 64 },
        eventTime: utcTime,
        watermark: utcTime,
      },
      'system',
    ),
    example: {
      eventId: '6c4b5a6f-7e8d-4c9b-8aa9-988776655443',
      lateEventId: '1d2c3b4a-5f6e-4d7c-8b9a-0a1b2c3d4e5f',
      lateBusId: '9e8d7c6b-5a4f-4e3d-9c2b-1a0f9e8d7c6b',
      lateSource: 'marketplace.users',
      lateDetailType: 'UserLoggedIn',
      lateUserId: 'u_1001',
      eventTime: '2026-12-03T09:58:12Z',
      watermark: '2026-12-03T10:00:03Z',
    },
  },
  {
    source: STREAM_EVENT_SOURCE,
    detailType: 'MalformedRecordSeen',
    version: 1,
    description:
      'A record on the topic the stream processor reads was not an event it could count (not JSON, or no source, detail-type, time or eventId): counted here, and the job went on. eventId is derived from topic, partition and offset.',
    schema: detailSchema(
      schemaId(STREAM_EVENT_SOURCE, 'MalformedRecordSeen', 1),
      ['topic', 'partition', 'offset', 'reason'],
      {
        topic: { type: 'string', maxLength: 249 },
        partition: count,
        offset: count,
        reason: { type: 'string', maxLength: 200 },
      },
      'system',
    ),
    example: {
      eventId: '7d5c6b7a-8f9e-4dac-9bba-a99887766554',
      topic: 'elt-events',
      partition: 1,
      offset: 4711,
      reason: 'not JSON',
    },
  },
];

/** Sources of events about users: what the analytics models read. */
export const PRODUCT_SOURCES: readonly string[] = Object.values(SOURCES);

/**
 * The prefix of the pipeline's own sources (`elt.pipeline`, and any it adds): events only the pipeline
 * publishes, never a producer (the ingest API refuses them).
 */
export const RESERVED_SOURCE_PREFIX = 'elt.';

/** Whether a source is the pipeline's own: {@link ELT_EVENT_SOURCE} or anything under `elt.`. */
export function isReservedSource(source: string): boolean {
  return source === ELT_EVENT_SOURCE || source.startsWith(RESERVED_SOURCE_PREFIX);
}

/** The sources producers may publish: the catalogue's, less the pipeline's own. */
export function producerSources(catalogue: readonly EventType[] = EVENT_CATALOGUE): string[] {
  return catalogueSources(catalogue).filter((s) => !isReservedSource(s));
}

/** Finds the catalogue entry for a source, detail-type and version, if there is one. */
export function findEventType(
  source: string,
  detailType: string,
  version = 1,
  catalogue: readonly EventType[] = EVENT_CATALOGUE,
): EventType | undefined {
  return catalogue.find((t) => t.source === source && t.detailType === detailType && t.version === version);
}

/** The distinct sources of a catalogue, in catalogue order. */
export function catalogueSources(catalogue: readonly EventType[] = EVENT_CATALOGUE): string[] {
  return [...new Set(catalogue.map((t) => t.source))];
}
