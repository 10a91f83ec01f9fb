import { describe, expect, it } from 'vitest';
import {
  catalogueSources,
  ELT_EVENT_SOURCE,
  EVENT_CATALOGUE,
  STREAM_EVENT_SOURCE,
  findEventType,
  PRODUCT_SOURCES,
} from '../../../lib/core/events/catalogue.js';
import { assertSafeKey } from '../../../lib/core/landing/object-keys.js';

describe('event catalogue', () => {
  it('has the product event types', () => {
    const types = EVENT_CATALOGUE.map((t) => t.detailType);
    expect(types).toEqual(
      expect.arrayContaining(['UserSignedUp', 'UserLoggedIn', 'PageViewed', 'BidCreated']),
    );
  });

  it('has one entry per source, detail-type and version', () => {
    const keys = EVENT_CATALOGUE.map((t) => `${t.source}/${t.detailType}/${t.version}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('gives every schema a versioned $id and requires eventId everywhere and userId on product events', () => {
    for (const t of EVENT_CATALOGUE) {
      expect(t.schema.$id).toBe(`urn:serverless-elt:events:${t.source}:${t.detailType}:v${t.version}`);
      expect(t.schema.required).toContain('eventId');
      if (PRODUCT_SOURCES.includes(t.source)) expect(t.schema.required).toContain('userId');
      else expect([ELT_EVENT_SOURCE, STREAM_EVENT_SOURCE]).toContain(t.source);
    }
  });

  it('uses sources and detail-types that are safe in object keys', () => {
    for (const t of EVENT_CATALOGUE) {
      expect(() => assertSafeKey(`source=${t.source}/detail_type=${t.detailType}`)).not.toThrow();
    }
  });

  it('finds a type by source, detail-type and version', () => {
    expect(findEventType('marketplace.auctions', 'BidCreated')?.version).toBe(1);
    expect(findEventType('marketplace.auctions', 'BidCreated', 2)).toBeUndefined();
  });

  it('lists the distinct sources in order', () => {
    expect(catalogueSources()).toEqual([
      'marketplace.users',
      'marketplace.web',
      'marketplace.auctions',
      'elt.pipeline',
      'elt.stream',
    ]);
  });
});
