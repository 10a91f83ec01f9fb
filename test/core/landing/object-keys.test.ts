import { describe, expect, it } from 'vitest';
import {
  assertSafeKey,
  isRawLoadKey,
  ObjectKeyInvalidError,
  objectNameFor,
  parseRawKey,
  quarantineObjectKey,
  rawObjectKey,
} from '../../../lib/core/landing/object-keys.js';

describe('object keys', () => {
  it('builds Hive-style raw keys', () => {
    expect(
      rawObjectKey('marketplace.web', 'PageViewed', { dt: '2026-11-01', hour: '07' }, 'part-x.ndjson.gz'),
    ).toBe('raw/source=marketplace.web/detail_type=PageViewed/dt=2026-11-01/hour=07/part-x.ndjson.gz');
  });

  it('parses a raw key back into its partition values', () => {
    expect(parseRawKey('raw/source=a.b/detail_type=T/dt=2026-11-01/hour=07/part-1.ndjson.gz')).toEqual({
      source: 'a.b',
      detailType: 'T',
      dt: '2026-11-01',
      hour: '07',
      name: 'part-1.ndjson.gz',
    });
    expect(parseRawKey('quarantine/stage=landing/dt=2026-11-01/hour=07/part-1.ndjson.gz')).toBeUndefined();
  });

  it('loads table extract objects with the events, but does not take them for bus events', () => {
    const extract = 'raw/source=oltp/table=items/dt=2026-12-03/extract-0123.ndjson.gz';
    expect(isRawLoadKey(extract)).toBe(true);
    expect(isRawLoadKey('raw/source=a.b/detail_type=T/dt=2026-11-01/hour=07/part-1.ndjson.gz')).toBe(true);
    // Replay and compaction read bus events by hour partition: parseRawKey leaves extracts out.
    expect(parseRawKey(extract)).toBeUndefined();
    expect(isRawLoadKey('raw/source=oltp/table=items/extract-0123.ndjson.gz')).toBe(false);
    expect(isRawLoadKey('state/oltp/extract/items.json')).toBe(false);
  });

  it('names an object by its event ids, whatever their order', () => {
    expect(objectNameFor(['b', 'a', 'c'])).toBe(objectNameFor(['c', 'b', 'a']));
    expect(objectNameFor(['a', 'b'])).not.toBe(objectNameFor(['a', 'b', 'c']));
    expect(objectNameFor(['a'])).toMatch(/^part-[0-9a-f]{32}\.ndjson\.gz$/);
    // Pinned: a batch retried after an upgrade must overwrite its own object, not add a copy under a new name.
    expect(objectNameFor(['b', 'a', 'c'])).toBe('part-880553fca8fcea94e325ee2cfb48e5a9.ndjson.gz');
    expect(objectNameFor(['00000000-0000-4000-8000-000000000001', 'é€😀'])).toBe(
      'part-5e053a7748243f6fa92b6528afe885bf.ndjson.gz',
    );
  });

  it.each(['../etc/passwd', '/abs', 'a//b', 'a/./b', 'a b', 'a/$(x)', "a/'q'", 'a/\n', ''])(
    'rejects the unsafe key %j',
    (key) => {
      expect(() => assertSafeKey(key)).toThrow(ObjectKeyInvalidError);
    },
  );

  it('refuses to build a key from a value with a path separator', () => {
    expect(() => rawObjectKey('evil/../x', 'T', { dt: '2026-11-01', hour: '00' }, 'p.ndjson.gz')).toThrow(
      ObjectKeyInvalidError,
    );
    expect(() => quarantineObjectKey('stage/..', { dt: 'd', hour: 'h' }, 'n')).toThrow(ObjectKeyInvalidError);
  });
});
