import { describe, expect, it } from 'vitest';
import { createEventValidator } from '../../../lib/core/events/validator.js';
import { MemoryIdempotencyStore, requestFingerprint } from '../../../lib/core/ingest/idempotency.js';
import {
  checkContentType,
  eventIdFor,
  MAX_ENTRIES_PER_REQUEST,
  normalizeIdempotencyKey,
  parseIdempotencyKey,
  parseIngestBody,
  type IngestBatch,
} from '../../../lib/core/ingest/ingest-request.js';
import { isProblem, type Problem } from '../../../lib/core/ingest/problems.js';
import { eventType } from '../../support/envelopes.js';

const validator = createEventValidator();
const now = new Date('2026-11-01T12:00:00Z');
const login = (detail: Record<string, unknown> = {}): Record<string, unknown> => {
  const { eventId: _drop, ...example } = eventType('UserLoggedIn').example as Record<string, unknown>;
  return { source: 'marketplace.users', 'detail-type': 'UserLoggedIn', detail: { ...example, ...detail } };
};
const parse = (body: unknown, key = 'key-1'): IngestBatch | Problem =>
  parseIngestBody(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), key, validator, now);

describe('parseIdempotencyKey', () => {
  it('accepts a token', () => expect(parseIdempotencyKey('order-42:retry')).toBe('order-42:retry'));
  it('normalizes a UUID key to lowercase, as ids are written, and keeps any other key as sent', () => {
    const upper = '5C1A0D3E-2B4F-4C6D-8E9F-0A1B2C3D4E5F';
    expect(parseIdempotencyKey(upper)).toBe(upper.toLowerCase());
    expect(normalizeIdempotencyKey(upper)).toBe(upper.toLowerCase());
    expect(parseIdempotencyKey('Order-42')).toBe('Order-42');
  });
  it.each([
    [undefined, 'Idempotency-Key required'],
    ['', 'Idempotency-Key required'],
    [['a', 'b'], 'Malformed Idempotency-Key'],
    ['has space', 'Malformed Idempotency-Key'],
    ['x'.repeat(256), 'Malformed Idempotency-Key'],
    ['line\r\nX-Injected: 1', 'Malformed Idempotency-Key'],
  ])('refuses %j with 400', (header, title) => {
    expect(parseIdempotencyKey(header as string)).toMatchObject({ status: 400, title });
  });
});

describe('eventIdFor', () => {
  it('derives a stable name-based UUID from the key, the index and the entry', () => {
    const a = eventIdFor('k', 0, login());
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventIdFor('k', 0, login())).toBe(a);
    expect(eventIdFor('k', 1, login())).not.toBe(a);
    expect(eventIdFor('k2', 0, login())).not.toBe(a);
  });
  it('gives another body under the same key another id, so it is not dropped as a duplicate', () => {
    expect(eventIdFor('k', 0, login({ device: 'tablet' }))).not.toBe(eventIdFor('k', 0, login()));
  });
  it('ignores the order of keys and any eventId the client sent', () => {
    const entry = login();
    const reordered = Object.fromEntries(Object.entries(entry).reverse());
    expect(eventIdFor('k', 0, reordered)).toBe(eventIdFor('k', 0, entry));
    expect(eventIdFor('k', 0, login({ eventId: '11111111-1111-4111-8111-111111111111' }))).toBe(
      eventIdFor('k', 0, entry),
    );
  });
  it('compares UUID keys case-insensitively, other keys exactly', () => {
    const uuid = '5C1A0D3E-2B4F-4C6D-8E9F-0A1B2C3D4E5F';
    expect(eventIdFor(uuid, 0, login())).toBe(eventIdFor(uuid.toLowerCase(), 0, login()));
    expect(eventIdFor('Order-1', 0, login())).not.toBe(eventIdFor('order-1', 0, login()));
  });
});

describe('parseIngestBody', () => {
  it('takes one entry, sets detail.eventId from the key, and checks it against the catalogue', () => {
    const batch = parse(login()) as IngestBatch;
    expect(isProblem(batch)).toBe(false);
    expect(batch.eventIds).toEqual([eventIdFor('key-1', 0, login())]);
    expect(JSON.parse(batch.entries[0]!.Detail ?? '{}').eventId).toBe(batch.eventIds[0]);
  });

  it('takes an array or {"entries": [...]}', () => {
    expect((parse([login(), login()]) as IngestBatch).eventIds).toHaveLength(2);
    expect((parse({ entries: [login()] }) as IngestBatch).eventIds).toHaveLength(1);
  });

  it.each([
    ['text/plain', 415, 'not text/plain'],
    [undefined, 415, 'Content-Type is missing'],
  ])('refuses content type %j with %i', (type, status, text) => {
    const p = checkContentType(type as string | undefined) as Problem;
    expect(p).toMatchObject({ status });
    expect(p.detail).toContain(text);
  });

  it('accepts application/json with a charset', () => {
    expect(checkContentType('application/json; charset=utf-8')).toBeUndefined();
  });

  it('refuses malformed JSON with 400', () => {
    expect(parse('{"source": ')).toMatchObject({ status: 400, title: 'Malformed JSON' });
  });

  it('refuses JSON nested past what the parser can take with 400, and deep details with 422', () => {
    expect(parse('['.repeat(200_000) + ']'.repeat(200_000))).toMatchObject({ status: expect.any(Number) });
    let deep: Record<string, unknown> = { v: 1 };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    expect(parse(login({ extra: deep }))).toMatchObject({
      status: 422,
      title: 'Nesting too deep',
      field: 'detail',
    });
  });

  it('bounds the nesting of every entry field before anything walks it: a 100,000-deep time is 422', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const text = JSON.stringify(login()).replace(/^\{/, `{"time":${deep},`);
    expect(parse(text)).toMatchObject({ status: 422, title: 'Nesting too deep', field: 'time' });
    expect(parse(`[${text}]`)).toMatchObject({ status: 422, field: 'entries[0].time' });
  });

  it('refuses a field that is not an entry field, naming it, however deep or long', () => {
    expect(parse({ ...login(), junk: 'x' })).toMatchObject({
      status: 422,
      title: 'Unknown field',
      field: 'junk',
    });
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const text = JSON.stringify(login()).replace(/^\{/, `{"junk":${deep},`);
    expect(parse(`{"entries":[${text}]}`)).toMatchObject({ status: 422, field: 'entries[0].junk' });
    const long = parse({ ...login(), ['k'.repeat(10_000)]: 1 }) as Problem;
    expect(long.field!.length).toBeLessThanOrEqual(201);
    expect(long.detail.length).toBeLessThan(1000);
    expect(parse({ entries: [login()], extra: 1 })).toMatchObject({ status: 422, field: 'extra' });
  });

  it("refuses the pipeline's own sources with 422 naming the field", () => {
    const forged = {
      source: 'elt.pipeline',
      'detail-type': 'EltRunSucceeded',
      detail: { runId: 'run-20261101T000000Z-abc', status: 'succeeded' },
    };
    expect(parse(forged)).toMatchObject({ status: 422, title: 'Reserved source', field: 'source' });
    expect(parse([login(), { ...login(), source: 'elt.anything' }])).toMatchObject({
      status: 422,
      field: 'entries[1].source',
    });
  });

  it('echoes at most 200 characters of a value in a problem', () => {
    const p = parse({ ...login(), time: 'x'.repeat(1_000_000) }) as Problem;
    expect(p).toMatchObject({ status: 422, field: 'time' });
    expect(p.detail).toContain('x'.repeat(200) + '…');
    expect(p.detail.length).toBeLessThan(300);
  });

  it('names the field of a wrong type, with the entry index in a batch', () => {
    expect(parse([login(), { ...login(), 'detail-type': 7 }])).toMatchObject({
      status: 422,
      field: 'entries[1].detail-type',
    });
    expect(parse({ ...login(), detail: 'x' })).toMatchObject({ status: 422, field: 'detail' });
  });

  it('names the detail field that breaks the schema', () => {
    const p = parse(login({ method: 'carrier-pigeon' })) as Problem;
    expect(p).toMatchObject({ status: 422, title: 'Schema violation' });
    expect(p.detail).toContain('method');
  });

  it('refuses an empty batch and an oversized one', () => {
    expect(parse([])).toMatchObject({ status: 422, title: 'No entries' });
    expect(parse(Array.from({ length: MAX_ENTRIES_PER_REQUEST + 1 }, () => login()))).toMatchObject({
      status: 413,
    });
  });

  it('refuses a body that is not UTF-8', () => {
    expect(parseIngestBody(Buffer.from([0x7b, 0xff, 0x7d]), 'k', validator, now)).toMatchObject({
      status: 400,
    });
  });
});

describe('MemoryIdempotencyStore', () => {
  it('lets exactly one of many concurrent requests with one key through', async () => {
    const store = new MemoryIdempotencyStore({ ttlMs: 60_000 });
    const fp = requestFingerprint('POST', '/v1/events', Buffer.from('{}'));
    const claims = await Promise.all(Array.from({ length: 1000 }, () => store.begin('k', fp, 1)));
    expect(claims.filter((c) => c.kind === 'new')).toHaveLength(1);
    expect(claims.filter((c) => c.kind === 'in-flight')).toHaveLength(999);
  });

  it('replays a completed key, refuses another body, forgets after the TTL, and releases an abandoned key', async () => {
    const store = new MemoryIdempotencyStore({ ttlMs: 1000 });
    await store.begin('k', 'fp1', 0);
    await store.complete('k', 'fp1', { status: 202, body: { ok: 1 } }, 0);
    expect(await store.begin('k', 'fp1', 10)).toEqual({
      kind: 'replay',
      response: { status: 202, body: { ok: 1 } },
    });
    expect(await store.begin('k', 'fp2', 10)).toEqual({ kind: 'mismatch' });
    expect(await store.begin('k', 'fp2', 2000)).toEqual({ kind: 'new' });
    await store.abandon('k');
    expect(await store.begin('k', 'fp3', 2001)).toEqual({ kind: 'new' });
  });

  it('restores persisted keys', async () => {
    const records: Parameters<
      NonNullable<ConstructorParameters<typeof MemoryIdempotencyStore>[0]['persist']>
    >[0][] = [];
    const first = new MemoryIdempotencyStore({ ttlMs: 60_000, persist: async (r) => void records.push(r) });
    await first.begin('k', 'fp', Date.now());
    await first.complete('k', 'fp', { status: 202, body: 'x' }, Date.now());
    const second = new MemoryIdempotencyStore({ ttlMs: 60_000, restore: records });
    expect(await second.begin('k', 'fp', Date.now())).toMatchObject({ kind: 'replay' });
  });
});
