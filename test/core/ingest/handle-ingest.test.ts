import { describe, expect, it, vi } from 'vitest';
import { createEventValidator } from '../../../lib/core/events/validator.js';
import { fixedBearerToken, type BearerToken } from '../../../lib/core/ingest/bearer-token.js';
import {
  ConcurrencyLimit,
  DEFAULT_MAX_BODY_BYTES,
  handleIngest,
  PayloadTooLargeError,
  RequestAbortedError,
  type IngestDeps,
  type IngestRequest,
  type IngestResult,
} from '../../../lib/core/ingest/handle-ingest.js';
import {
  IdempotencyStoreUnavailableError,
  MemoryIdempotencyStore,
  type IdempotencyStore,
} from '../../../lib/core/ingest/idempotency.js';
import { eventIdFor } from '../../../lib/core/ingest/ingest-request.js';
import {
  BusUnavailableError,
  SpoolFullError,
  type Acceptance,
  type IngestSink,
} from '../../../lib/core/ingest/ingest-sink.js';
import { bodyText, ingestHeaders, INGEST_TOKEN, login, type BadRequest } from './ingest-fixtures.js';

// The ingest flow, once, on the use case: a memory key store, a sink that records what it is given, and
// a fixed token. The Lambda and `elt serve` only carry requests to it (their tests cover the wire).

const KEY = '0B7F2F7E-6A4F-4B8E-9D0A-00000000002A';
const NOW = new Date('2026-11-01T12:00:00.000Z');
const PROBLEM_JSON = { 'Content-Type': 'application/problem+json' };
// The problem body both front ends answer with (RFC 9457 "about:blank" and where the docs explain it).
const PROBLEM_TYPE = 'about:blank';
const PROBLEM_DOCS = 'docs/failure-modes.md#ingest-api-errors';

/** A sink that records each request's entries; `failWith` makes it refuse, `gate` makes it wait. */
class RecordingSink implements IngestSink {
  readonly accepted: (readonly Record<string, unknown>[])[] = [];
  failWith: Error | undefined;
  gate: Promise<void> | undefined;
  how: Acceptance = 'published';
  /** Requests that reached the sink (the gate included). */
  entered = 0;
  async accept(values: readonly Record<string, unknown>[]): Promise<Acceptance> {
    this.entered++;
    await this.gate;
    if (this.failWith) throw this.failWith;
    this.accepted.push(values);
    return this.how;
  }
}

/** A memory store that counts the calls made to it. */
class CountingStore extends MemoryIdempotencyStore {
  calls = 0;
  override begin(...args: Parameters<MemoryIdempotencyStore['begin']>) {
    this.calls++;
    return super.begin(...args);
  }
}

interface Setup {
  readonly deps: IngestDeps;
  readonly sink: RecordingSink;
  readonly store: CountingStore;
  readonly logs: Record<string, unknown>[];
  readonly ingest: (body: unknown, options?: RequestOptions) => Promise<IngestResult>;
}

interface RequestOptions {
  readonly key?: string;
  readonly headers?: Readonly<Record<string, string | null>>;
  readonly method?: string;
  readonly path?: string;
}

function setup(overrides: Partial<IngestDeps> = {}): Setup {
  const sink = new RecordingSink();
  const store = new CountingStore({ ttlMs: 60_000 });
  const logs: Record<string, unknown>[] = [];
  const deps: IngestDeps = {
    token: fixedBearerToken(INGEST_TOKEN),
    idempotency: store,
    sink,
    validator: createEventValidator(),
    clock: { now: () => NOW },
    log: (entry) => logs.push(entry),
    ...overrides,
  };
  const ingest = (body: unknown, options: RequestOptions = {}): Promise<IngestResult> =>
    handleIngest(
      {
        method: options.method ?? 'POST',
        path: options.path ?? '/v1/events',
        headers: ingestHeaders(options.key ?? KEY, options.headers),
        body: bodyText(body),
      },
      deps,
    );
  return { deps, sink, store, logs, ingest };
}

const published = (sink: RecordingSink): number => sink.accepted.flat().length;

/** The key was released: the request (corrected, or retried) with it is handled afresh and published once. */
async function expectKeyReleased({ ingest, sink }: Pick<Setup, 'ingest' | 'sink'>): Promise<void> {
  const retry = await ingest(login());
  expect(retry.response.status).toBe(202);
  expect(retry.replayed).toBe(false);
  expect(published(sink)).toBe(1);
}

describe('handleIngest: accepted', () => {
  it('accepts one entry with 202 and its event id, which becomes detail.eventId', async () => {
    const { ingest, sink } = setup();
    const result = await ingest(login());
    const eventId = eventIdFor(KEY, 0, login());
    expect(result).toEqual({
      response: {
        status: 202,
        headers: { 'Content-Type': 'application/json' },
        body: { status: 'published', eventIds: [eventId] },
      },
      accepted: 1,
      replayed: false,
      refused: false,
    });
    expect(sink.accepted).toEqual([[{ ...login(), detail: { ...(login().detail as object), eventId } }]]);
  });

  it('answers "spooled" when the sink keeps the request for later', async () => {
    const { ingest, sink } = setup();
    sink.how = 'spooled';
    expect((await ingest(login())).response.body).toMatchObject({ status: 'spooled' });
  });

  it('derives the ids of a batch from the key, the index and each entry', async () => {
    const { ingest } = setup();
    const key = 'batch-2026-11-01:7';
    const result = await ingest({ entries: [login(), login({ sessionId: 's_2' })] }, { key });
    expect(result.response.body).toEqual({
      status: 'published',
      eventIds: [eventIdFor(key, 0, login()), eventIdFor(key, 1, login({ sessionId: 's_2' }))],
    });
    expect(result.accepted).toBe(2);
  });

  it('reads a key and token whatever the case of the header names', async () => {
    const { deps } = setup();
    const result = await handleIngest(
      {
        method: 'POST',
        path: '/v1/events',
        headers: {
          Authorization: `Bearer ${INGEST_TOKEN}`,
          'Idempotency-Key': KEY,
          'Content-Type': 'application/json',
        },
        body: new TextEncoder().encode(JSON.stringify(login())),
      },
      deps,
    );
    expect(result.response.status).toBe(202);
  });

  it('takes the Bearer scheme in any letter case (RFC 9110 §11.1)', async () => {
    const { ingest } = setup();
    for (const [i, scheme] of ['bearer', 'BEARER', 'bEaReR'].entries()) {
      const result = await ingest(login(), {
        key: `scheme-${i}`,
        headers: { authorization: `${scheme} ${INGEST_TOKEN}` },
      });
      expect(result.response.status).toBe(202);
    }
  });
});

describe('handleIngest: idempotency', () => {
  it('replays the first response for the same key and body, with Idempotent-Replayed, publishing nothing again', async () => {
    const { ingest, sink } = setup();
    const first = await ingest(login());
    const second = await ingest(login());
    expect(second).toEqual({
      response: { ...first.response, headers: { ...first.response.headers, 'Idempotent-Replayed': 'true' } },
      accepted: 0,
      replayed: true,
      refused: false,
    });
    expect(published(sink)).toBe(1);
  });

  it('refuses the same key with another body with 422, publishing nothing', async () => {
    const { ingest, sink } = setup();
    await ingest(login());
    const result = await ingest(login({ device: 'desktop' }));
    expect(result.response).toEqual({
      status: 422,
      headers: PROBLEM_JSON,
      body: {
        type: PROBLEM_TYPE,
        docs: PROBLEM_DOCS,
        title: 'Idempotency-Key reused',
        status: 422,
        detail: 'This Idempotency-Key was used with a different body; use a new key for a new request.',
      },
    });
    expect(published(sink)).toBe(1);
  });

  it('answers 409 with Retry-After while a request with the key is in flight, then replays its answer', async () => {
    const { ingest, sink } = setup();
    let release!: () => void;
    sink.gate = new Promise<void>((resolve) => (release = resolve));
    const first = ingest(login());
    await vi.waitFor(() => expect(sink.entered).toBe(1));
    const second = await ingest(login());
    expect(second.response.status).toBe(409);
    expect(second.response.headers['Retry-After']).toBe('1');
    expect(second.response.body).toMatchObject({ title: 'Request in progress', status: 409 });
    // Another body while in flight is a reuse of the key.
    expect((await ingest(login({ device: 'tablet' }))).response.status).toBe(422);
    release();
    expect((await first).response.status).toBe(202);
    const third = await ingest(login());
    expect(third.response.status).toBe(202);
    expect(third.response.headers['Idempotent-Replayed']).toBe('true');
    expect(published(sink)).toBe(1);
  });

  it('compares UUID keys as ids compare: two that differ in letter case are one key', async () => {
    const { ingest, sink } = setup();
    const first = await ingest(login(), { key: KEY.toUpperCase() });
    const second = await ingest(login(), { key: KEY.toLowerCase() });
    expect(second.replayed).toBe(true);
    expect(second.response.body).toEqual(first.response.body);
    // Another body under the same key in another case is a reuse of the key, not a second 202.
    const other = await ingest(login({ device: 'tablet' }), { key: KEY.toLowerCase() });
    expect(other.response.status).toBe(422);
    expect(published(sink)).toBe(1);
  });

  it('after the key expired, gives another body another id (it lands) and the same body the same id (deduplicated)', async () => {
    let now = NOW;
    const { ingest, sink } = setup({ clock: { now: () => now } });
    const first = (await ingest(login())).response.body as { eventIds: string[] };
    now = new Date(NOW.getTime() + 61_000);
    const sameBody = await ingest(login());
    expect(sameBody.replayed).toBe(false);
    expect(sameBody.response.body).toEqual(first);
    now = new Date(NOW.getTime() + 122_000);
    const otherBody = await ingest(login({ device: 'tablet' }));
    expect(otherBody.response.status).toBe(202);
    const otherIds = (otherBody.response.body as { eventIds: string[] }).eventIds;
    expect(otherIds[0]).not.toBe(first.eventIds[0]);
    const ids = sink.accepted.flat().map((v) => (v.detail as { eventId: string }).eventId);
    expect(ids).toEqual([first.eventIds[0], first.eventIds[0], otherIds[0]]);
  });

  it('holds a key in flight until the request deadline when one is given', async () => {
    const { deps, store } = setup();
    const begin = vi.spyOn(store, 'begin');
    const request: IngestRequest = {
      method: 'POST',
      path: '/v1/events',
      headers: ingestHeaders(KEY),
      body: JSON.stringify(login()),
      deadline: NOW.getTime() + 14_000,
    };
    await handleIngest(request, deps);
    expect(begin).toHaveBeenCalledWith(
      KEY.toLowerCase(),
      expect.any(String),
      NOW.getTime(),
      NOW.getTime() + 14_000,
    );
  });
});

describe('handleIngest: the sink or the store fails', () => {
  it('answers 503 with Retry-After, releases the key, and a retry publishes', async () => {
    const { ingest, sink } = setup();
    sink.failWith = new BusUnavailableError('the bus accepted 0 of 1 entries');
    const result = await ingest(login());
    expect(result.response.status).toBe(503);
    expect(result.response.headers).toEqual({ ...PROBLEM_JSON, 'Retry-After': '5' });
    expect(result.response.body).toMatchObject({
      title: 'Service unavailable',
      status: 503,
      detail:
        'The event bus did not take the events; retry with the same Idempotency-Key and body after the delay.',
    });
    sink.failWith = undefined;
    await expectKeyReleased({ ingest, sink });
  });

  it('answers 503 with Retry-After once the spool is full, and releases the key', async () => {
    const { ingest, sink } = setup();
    sink.failWith = new SpoolFullError('the spool holds 2 requests');
    const result = await ingest(login());
    expect(result.response.status).toBe(503);
    expect(result.response.headers['Retry-After']).toBe('5');
    expect(result.response.body).toMatchObject({
      detail: 'The bus is unavailable and the spool is full; retry after the delay.',
    });
    sink.failWith = undefined;
    expect((await ingest(login())).response.status).toBe(202);
  });

  it('answers 503 when the idempotency store is unavailable, publishing nothing', async () => {
    const unavailable: IdempotencyStore = {
      begin: () => Promise.reject(new IdempotencyStoreUnavailableError('the table is away')),
      complete: () => Promise.resolve(),
      abandon: () => Promise.resolve(),
    };
    const { ingest, sink } = setup({ idempotency: unavailable });
    const result = await ingest(login());
    expect(result.response.status).toBe(503);
    expect(result.response.headers['Retry-After']).toBe('1');
    expect(result.response.body).toMatchObject({ title: 'Service unavailable' });
    expect(published(sink)).toBe(0);
  });

  it('answers 503 with Retry-After when the token cannot be read, touching neither the store nor the sink', async () => {
    const token: BearerToken = { digest: () => Promise.reject(new Error('AccessDeniedException')) };
    const { ingest, sink, store, logs } = setup({ token });
    const result = await ingest(login());
    expect(result.response.status).toBe(503);
    expect(result.response.headers['Retry-After']).toBe('5');
    expect(store.calls).toBe(0);
    expect(published(sink)).toBe(0);
    expect(logs[0]).toMatchObject({ level: 'ERROR', message: 'token unavailable' });
  });

  it('answers 500 without echoing the error, and releases the key', async () => {
    const { ingest, sink, logs } = setup();
    sink.failWith = new Error('ECONNRESET at 10.0.3.7:4711 (internal detail)');
    const result = await ingest(login());
    expect(result.response).toEqual({
      status: 500,
      headers: PROBLEM_JSON,
      body: {
        type: PROBLEM_TYPE,
        docs: PROBLEM_DOCS,
        title: 'Internal error',
        status: 500,
        detail: 'The request failed unexpectedly; retry after a while.',
      },
    });
    expect(JSON.stringify(result.response)).not.toContain('internal detail');
    expect(logs[0]).toMatchObject({ level: 'ERROR', message: 'request failed' });
    expect(String(logs[0]!.error)).toContain('internal detail');
    sink.failWith = undefined;
    expect((await ingest(login())).response.status).toBe(202);
  });

  it('answers 500 and releases the key when processing throws before the sink', async () => {
    const validator = createEventValidator();
    let broken = true;
    const { ingest, sink } = setup({
      validator: {
        ...validator,
        validate: (value) => {
          if (broken) throw new RangeError('Maximum call stack size exceeded (internal detail)');
          return validator.validate(value);
        },
      },
    });
    const result = await ingest(login());
    expect(result.response.status).toBe(500);
    expect(JSON.stringify(result.response)).not.toContain('internal detail');
    broken = false;
    await expectKeyReleased({ ingest, sink });
  });

  it('logs a key the store cannot release, and still answers the problem', async () => {
    const { ingest, store, logs } = setup();
    vi.spyOn(store, 'abandon').mockRejectedValue(new IdempotencyStoreUnavailableError('the table is away'));
    const result = await ingest(login({ method: 'fax' }));
    expect(result.response.status).toBe(422);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'WARN', message: 'key not released' }));
  });
});

describe('handleIngest: refused', () => {
  it.each([
    ['no Authorization header', { authorization: null }],
    ['a wrong token', { authorization: `Bearer ${INGEST_TOKEN}x` }],
    ['a prefix of the token', { authorization: `Bearer ${INGEST_TOKEN.slice(0, 20)}` }],
    ['another scheme', { authorization: `Basic ${INGEST_TOKEN}` }],
  ] as const)('401 for %s, touching neither the store nor the sink', async (_name, headers) => {
    const { ingest, sink, store } = setup();
    const result = await ingest(login(), { headers });
    expect(result.response.status).toBe(401);
    expect(result.response.headers['WWW-Authenticate']).toBe('Bearer realm="elt-ingest"');
    expect(result.response.body).toMatchObject({ title: 'Unauthorized', status: 401 });
    expect(store.calls).toBe(0);
    expect(published(sink)).toBe(0);
  });

  it.each([
    ['no Idempotency-Key', { 'idempotency-key': null }, 'Idempotency-Key required'],
    ['an empty Idempotency-Key', { 'idempotency-key': '' }, 'Idempotency-Key required'],
    ['a malformed Idempotency-Key', { 'idempotency-key': 'has space' }, 'Malformed Idempotency-Key'],
    [
      'two Idempotency-Keys (joined by API Gateway)',
      { 'idempotency-key': 'a,b' },
      'Malformed Idempotency-Key',
    ],
  ] as const)('400 for %s, before the store', async (_name, headers, title) => {
    const { ingest, store } = setup();
    const result = await ingest(login(), { headers });
    expect(result.response.status).toBe(400);
    expect(result.response.body).toMatchObject({ type: PROBLEM_TYPE, title, status: 400 });
    expect(store.calls).toBe(0);
  });

  it('400 for a key sent twice as a list', async () => {
    const { deps } = setup();
    const result = await handleIngest(
      {
        method: 'POST',
        path: '/v1/events',
        headers: { ...ingestHeaders(KEY), 'idempotency-key': ['a', 'b'] },
        body: JSON.stringify(login()),
      },
      deps,
    );
    expect(result.response.body).toMatchObject({
      status: 400,
      detail: 'Send exactly one Idempotency-Key header.',
    });
  });

  it('413 for a body over 1 MiB, before the store', async () => {
    const { ingest, store } = setup();
    const big = JSON.stringify({ ...login(), pad: 'x'.repeat(DEFAULT_MAX_BODY_BYTES) });
    const result = await ingest(big);
    expect(result.response.status).toBe(413);
    expect(result.response.body).toMatchObject({
      title: 'Payload too large',
      status: 413,
      detail: `The body is ${Buffer.byteLength(big)} bytes; the limit is ${DEFAULT_MAX_BODY_BYTES} bytes.`,
    });
    expect(store.calls).toBe(0);
  });

  it.each([
    ['over the limit', new PayloadTooLargeError(4096), 413, 'The body is over the limit of 4096 bytes.'],
    ['cut off', new RequestAbortedError('gone'), 400, 'The request body did not arrive completely.'],
  ])('answers a streamed body that arrives %s with its problem', async (_name, error, status, detail) => {
    const { deps, store } = setup({ maxBodyBytes: 4096 });
    const result = await handleIngest(
      { method: 'POST', path: '/v1/events', headers: ingestHeaders(KEY), body: () => Promise.reject(error) },
      deps,
    );
    expect(result.response.body).toMatchObject({ status, detail });
    expect(store.calls).toBe(0);
  });

  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  it.each<[string, BadRequest, number, string]>([
    ['malformed JSON', { body: '{"source": ' }, 400, 'Malformed JSON'],
    [
      'a body that is not JSON',
      { body: 'source=x', headers: { 'content-type': 'text/plain' } },
      415,
      'Unsupported media type',
    ],
    ['no Content-Type', { body: login(), headers: { 'content-type': null } }, 415, 'Unsupported media type'],
    ['an empty batch', { body: [] }, 422, 'No entries'],
    ['a wrong type', { body: { ...login(), 'detail-type': 42 } }, 422, 'Invalid entry'],
    ['a schema violation', { body: login({ method: 'carrier-pigeon' }) }, 422, 'Schema violation'],
    ['too many entries', { body: Array.from({ length: 501 }, () => login()) }, 413, 'Too many entries'],
    [
      'a 100,000-deep time',
      { body: JSON.stringify(login()).replace(/^\{/, `{"time":${deep},`) },
      422,
      'Nesting too deep',
    ],
    [
      'a 100,000-deep unknown field',
      { body: JSON.stringify(login()).replace(/^\{/, `{"junk":${deep},`) },
      422,
      'Unknown field',
    ],
    ['an unknown field', { body: { ...login(), pad: 'x'.repeat(1000) } }, 422, 'Unknown field'],
    [
      "the pipeline's own source",
      {
        body: {
          source: 'elt.pipeline',
          'detail-type': 'EltRunSucceeded',
          detail: { runId: 'run-20261101T120000Z-a1b2c3', status: 'succeeded' },
        },
      },
      422,
      'Reserved source',
    ],
  ])(
    '%s: answers the problem, keeps nothing for the key (the corrected request is accepted), and publishes nothing',
    async (_name, bad, status, title) => {
      const { ingest, sink } = setup();
      const result = await ingest(bad.body, { ...(bad.headers ? { headers: bad.headers } : {}) });
      expect(result.response.status).toBe(status);
      expect(result.response.headers).toEqual(PROBLEM_JSON);
      expect(result.response.body).toMatchObject({ type: PROBLEM_TYPE, title, status });
      expect(result.refused).toBe(true);
      expect(published(sink)).toBe(0);
      // Only a 2xx is kept under a key: the corrected request with the same key is handled afresh.
      await expectKeyReleased({ ingest, sink });
    },
  );

  it('checks the content type before the key store', async () => {
    const { ingest, store } = setup();
    const result = await ingest(login(), { headers: { 'content-type': 'text/plain' } });
    expect(result.response.status).toBe(415);
    expect(store.calls).toBe(0);
  });

  it('bounds a problem body: a 1 MB value is echoed as 200 characters and an ellipsis', async () => {
    const { ingest } = setup();
    const result = await ingest({ ...login(), time: 'x'.repeat(1_000_000) });
    expect(result.response.status).toBe(422);
    const text = JSON.stringify(result.response.body);
    expect(text).toContain(`${'x'.repeat(200)}…`);
    expect(text.length).toBeLessThan(1000);
    const unknown = await ingest({ ...login(), ['k'.repeat(100_000)]: 1 }, { key: 'long-field' });
    expect(JSON.stringify(unknown.response.body).length).toBeLessThan(2000);
  });

  it('names the field at fault', async () => {
    const { ingest } = setup();
    const batch = await ingest([login(), { ...login(), 'detail-type': 7 }], { key: 'field-1' });
    expect(batch.response.body).toMatchObject({ status: 422, field: 'entries[1].detail-type' });
    const single = await ingest(login({ method: 'fax' }), { key: 'field-2' });
    expect(single.response.body).toMatchObject({ status: 422, field: 'detail.method' });
  });

  it('404 for another path, naming the routes, and 405 with Allow for another method', async () => {
    const { ingest } = setup({ otherRoutes: ['GET /health'] });
    expect((await ingest(login(), { path: '/v1/other' })).response.body).toMatchObject({
      status: 404,
      detail: 'No route /v1/other; POST /v1/events or GET /health.',
    });
    const wrong = await ingest(login(), { method: 'GET' });
    expect(wrong.response.body).toMatchObject({ status: 405, detail: 'Use POST /v1/events.' });
    expect(wrong.response.headers).toEqual({ ...PROBLEM_JSON, Allow: 'POST' });
    const long = await ingest(login(), { path: `/${'p'.repeat(10_000)}` });
    expect(JSON.stringify(long.response.body).length).toBeLessThan(1000);
  });

  it('429 with Retry-After beyond the concurrency limit, after the token check', async () => {
    const concurrency = new ConcurrencyLimit(1);
    const { ingest, sink } = setup({ concurrency });
    let release!: () => void;
    sink.gate = new Promise<void>((resolve) => (release = resolve));
    const first = ingest(login(), { key: 'first' });
    await vi.waitFor(() => expect(sink.entered).toBe(1));
    const overloaded = await ingest(login(), { key: 'second' });
    expect(overloaded.response.status).toBe(429);
    expect(overloaded.response.headers['Retry-After']).toBe('1');
    expect(overloaded.response.body).toMatchObject({ title: 'Too many requests' });
    expect((await ingest(login(), { key: 'fourth', headers: { authorization: null } })).response.status).toBe(
      401,
    );
    release();
    expect((await first).response.status).toBe(202);
    expect((await ingest(login(), { key: 'fifth' })).response.status).toBe(202);
    expect(concurrency.overloaded).toBe(1);
  });
});

describe('handleIngest: logging', () => {
  it('logs one line per request with no token, key or event contents', async () => {
    const { ingest, sink, logs } = setup();
    const secretish = login({ sessionId: 's_secret_session_4711' });
    await ingest(secretish);
    await ingest(secretish);
    await ingest(secretish, { headers: { authorization: 'Bearer wrong-token-wrong-token-wrong' } });
    sink.failWith = new BusUnavailableError('the bus failed PutEvents 3 times: connect ETIMEDOUT');
    await ingest(secretish, { key: 'fails-1' });
    const text = JSON.stringify(logs);
    for (const s of [
      INGEST_TOKEN,
      'wrong-token-wrong-token-wrong',
      's_secret_session_4711',
      KEY,
      'fails-1',
      'u_1001',
    ])
      expect(text).not.toContain(s);
    expect(logs.filter((l) => l.message === 'request').map((l) => l.status)).toEqual([202, 202, 401, 503]);
    expect(logs.find((l) => l.replayed)).toMatchObject({ status: 202, replayed: true });
    expect(logs.find((l) => l.message === 'request failed')).toMatchObject({ level: 'WARN' });
  });
});
