import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { Breaker } from '../../lib/adapters/resilience/circuit-breaker.js';
import type { PutEventsEntry, PutEventsResult } from '../../lib/core/events/envelope.js';
import { createEventValidator } from '../../lib/core/events/validator.js';
import { MemoryIdempotencyStore } from '../../lib/core/ingest/idempotency.js';
import type { Bus } from '../../lib/core/ports.js';
import { IngestPublisher } from '../../lib/local/ingest/ingest-publisher.js';
import { IngestServer } from '../../lib/local/ingest/ingest-server.js';
import { DirectorySpool } from '../../lib/local/ingest/spool.js';
import { useTempDirs } from '../support/temp-dir.js';

// The ingest API over real HTTP on 127.0.0.1, in front of a bus that records what it was given (and can
// be made to fail, like a bus that has gone away).

const TOKEN = 'a-test-token-of-some-length';
const tempDir = useTempDirs();

class RecordingBus implements Bus {
  readonly entries: PutEventsEntry[] = [];
  down = false;
  /** Answers every entry with ThrottlingException (the call itself succeeds). */
  throttling = false;
  /** Answers after this long (the entries are taken when the answer comes). */
  delayMs = 0;
  describe(): string {
    return 'recording';
  }
  async putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsResult> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.down) throw new Error('connect ECONNREFUSED: the bus is away');
    if (this.throttling) {
      return {
        FailedEntryCount: entries.length,
        Entries: entries.map(() => ({ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' })),
      };
    }
    this.entries.push(...entries);
    return {
      FailedEntryCount: 0,
      Entries: entries.map((_, i) => ({ EventId: `id-${this.entries.length + i}` })),
    };
  }
}

let bus: RecordingBus;
let breaker: Breaker;
let server: IngestServer;
let publisher: IngestPublisher;
let base: string;

async function start(
  options: { maxBody?: number; bodyTimeoutMs?: number; spoolMax?: number; callTimeoutMs?: number } = {},
): Promise<void> {
  const dir = await tempDir();
  bus = new RecordingBus();
  breaker = new Breaker('bus', {
    minimumCalls: 2,
    failureRatePercent: 50,
    openMs: 300,
    windowMs: 5000,
    ...(options.callTimeoutMs ? { callTimeoutMs: options.callTimeoutMs } : {}),
  });
  const spool = await DirectorySpool.open(`${dir}/spool`, { maxItems: options.spoolMax ?? 1000 });
  publisher = new IngestPublisher({
    bus,
    breaker,
    spool,
    store: new FsObjectStore(`${dir}/store`),
    drainEveryMs: 50,
  });
  server = new IngestServer({
    token: TOKEN,
    publisher,
    idempotency: new MemoryIdempotencyStore({ ttlMs: 60_000 }),
    validator: createEventValidator(),
    breakers: [breaker],
    ...(options.maxBody ? { maxBodyBytes: options.maxBody } : {}),
    ...(options.bodyTimeoutMs ? { bodyTimeoutMs: options.bodyTimeoutMs } : {}),
  });
  base = `http://127.0.0.1:${await server.listen(0)}`;
}

beforeEach(() => start());
afterEach(async () => {
  await server.close();
  await publisher.close(1000);
  breaker.shutdown();
});

const entry = (method = 'password'): Record<string, unknown> => ({
  source: 'marketplace.users',
  'detail-type': 'UserLoggedIn',
  detail: { userId: 'u_1', sessionId: 's_1', method, device: 'desktop', schemaVersion: 1 },
});

function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/v1/events`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      'idempotency-key': `k-${Math.random()}`,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function problemOf(res: Response): Promise<Record<string, unknown>> {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  return (await res.json()) as Record<string, unknown>;
}

describe('POST /v1/events', () => {
  it('accepts an entry with 202 and its event id, which becomes detail.eventId', async () => {
    const res = await post(entry(), { 'idempotency-key': 'order-1' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { status: string; eventIds: string[] };
    expect(body.status).toBe('published');
    expect(JSON.parse(bus.entries[0]!.Detail ?? '{}').eventId).toBe(body.eventIds[0]);
  });

  it('answers a repeat with the first response and publishes nothing more', async () => {
    const first = await post(entry(), { 'idempotency-key': 'same' });
    const again = await post(entry(), { 'idempotency-key': 'same' });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    expect(bus.entries).toHaveLength(1);
  });

  it('publishes exactly one event for 1,000 concurrent requests with one key; the others get 409 or the replay', async () => {
    const answers = await Promise.all(
      Array.from({ length: 1000 }, () => post(entry(), { 'idempotency-key': 'storm' })),
    );
    const codes = answers.map((r) => r.status);
    expect(bus.entries).toHaveLength(1);
    expect(codes.every((c) => c === 202 || c === 409)).toBe(true);
    expect(answers.filter((r) => r.status === 202 && !r.headers.get('idempotent-replayed'))).toHaveLength(1);
    const conflict = answers.find((r) => r.status === 409);
    if (conflict) expect(conflict.headers.get('retry-after')).toBe('1');
    expect((await post(entry())).status).toBe(202);
  });

  it('refuses deep nesting with 422 and stays up', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { d: deep };
    const res = await post({ ...entry(), detail: { ...(entry().detail as object), deep } });
    expect(res.status).toBe(422);
    expect((await post(entry())).status).toBe(202);
  });

  it('refuses a body over the limit with 413, declared or streamed', async () => {
    await server.close();
    await start({ maxBody: 4096 });
    const declared = await post('x'.repeat(5000));
    expect(declared.status).toBe(413);
    expect(await problemOf(declared)).toMatchObject({
      detail: 'The body is 5000 bytes; the limit is 4096 bytes.',
    });
    // Chunked: no Content-Length, the limit is enforced as the body arrives.
    const chunked = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
        'idempotency-key': 'c',
      },
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('y'.repeat(1000)));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await problemOf(chunked)).toMatchObject({ detail: 'The body is over the limit of 4096 bytes.' });
    expect((await post(entry())).status).toBe(202);
  });

  it('refuses header injection attempts without echoing them', async () => {
    const raw = await new Promise<string>((resolve) => {
      const url = new URL(base);
      const socket = connect(Number(url.port), '127.0.0.1', () => {
        socket.write(
          `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nIdempotency-Key: a\rSet-Cookie: evil=1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
        );
      });
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', () => resolve(data));
      setTimeout(() => socket.destroy(), 2000);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect(raw).not.toContain('evil');
    expect(problemOfRaw(raw)).toMatchObject({ status: 400, title: 'Bad request' });
    expect((await post(entry())).status).toBe(202);
  });

  it('times out a client that sends its body too slowly', async () => {
    await server.close();
    await start({ bodyTimeoutMs: 500 });
    const url = new URL(base);
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(Number(url.port), '127.0.0.1', () => {
        socket.write(
          `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nIdempotency-Key: slow\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":`,
        );
      });
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', () => resolve(data));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 408/);
    expect(problemOfRaw(raw)).toMatchObject({ status: 408, title: 'Request timeout' });
    expect((await post(entry())).status).toBe(202);
  });

  it("answers node:http's own 431 with a problem+json body", async () => {
    const raw = await rawExchange(
      `POST /v1/events HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(20_000)}\r\nContent-Length: 2\r\n\r\n{}`,
    );
    expect(raw).toMatch(/^HTTP\/1\.1 431/);
    expect(problemOfRaw(raw)).toMatchObject({ status: 431, title: 'Request header fields too large' });
    expect((await post(entry())).status).toBe(202);
  });

  it('takes a lowercase bearer scheme', async () => {
    const res = await post(entry(), { authorization: `bearer ${TOKEN}` });
    expect(res.status).toBe(202);
  });
});

/** What the server answers to `request` written as it is on a fresh connection, until it closes. */
function rawExchange(request: string): Promise<string> {
  const url = new URL(base);
  return new Promise<string>((resolve) => {
    const socket = connect(Number(url.port), '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (d) => (data += d.toString()));
    socket.on('close', () => resolve(data));
    socket.on('error', () => resolve(data));
    setTimeout(() => socket.destroy(), 2000);
  });
}

/** The problem+json body of a raw HTTP/1.1 answer, checking its headers. */
function problemOfRaw(raw: string): Record<string, unknown> {
  const [head, body] = raw.split('\r\n\r\n') as [string, string];
  expect(head).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/i);
  expect(head).toMatch(new RegExp(`\\r\\nContent-Length: ${Buffer.byteLength(body)}(\\r\\n|$)`, 'i'));
  return JSON.parse(body) as Record<string, unknown>;
}

describe('when the bus goes away', () => {
  it('keeps accepting into the spool, opens the breaker, then drains in order once the bus is back', async () => {
    bus.down = true;
    const spooled = [];
    for (let i = 0; i < 6; i++) {
      const res = await post({ ...entry(), detail: { ...(entry().detail as object), sessionId: `s_${i}` } });
      expect(res.status).toBe(202);
      spooled.push(((await res.json()) as { status: string }).status);
    }
    expect(spooled.every((s) => s === 'spooled')).toBe(true);
    // The drain loop keeps trying the bus: its failures open the breaker.
    const opened = Date.now() + 5000;
    while (breaker.state === 'closed' && Date.now() < opened) await new Promise((r) => setTimeout(r, 20));
    expect(breaker.state).not.toBe('closed');
    const health = (await (await fetch(`${base}/health`)).json()) as {
      status: string;
      spool: { depth: number };
    };
    expect(health.status).toBe('degraded');
    expect(health.spool.depth).toBeGreaterThan(0);
    bus.down = false;
    const end = Date.now() + 10_000;
    while ((publisher.spoolDepth > 0 || breaker.state !== 'closed') && Date.now() < end)
      await new Promise((r) => setTimeout(r, 50));
    expect(publisher.spoolDepth).toBe(0);
    expect(bus.entries.map((e) => JSON.parse(e.Detail ?? '{}').sessionId)).toEqual([
      's_0',
      's_1',
      's_2',
      's_3',
      's_4',
      's_5',
    ]);
    expect(breaker.transitions.map((t) => `${t.from}→${t.to}`)).toEqual([
      'closed→open',
      'open→half-open',
      'half-open→closed',
    ]);
  });

  it('spools entries the bus keeps throttling (never quarantines them) and publishes them once it stops', async () => {
    bus.throttling = true;
    const res = await post(entry());
    expect(res.status).toBe(202);
    expect(((await res.json()) as { status: string }).status).toBe('spooled');
    expect(publisher.stats.quarantined).toBe(0);
    bus.throttling = false;
    const end = Date.now() + 10_000;
    while (publisher.spoolDepth > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(publisher.spoolDepth).toBe(0);
    expect(bus.entries.map((e) => JSON.parse(e.Detail ?? '{}').method)).toEqual(['password']);
    expect(publisher.stats.quarantined).toBe(0);
  });

  it('drops the spooled copy when a bus call the breaker timed out succeeds after all', async () => {
    await server.close();
    await publisher.close(1000);
    breaker.shutdown();
    await start({ callTimeoutMs: 100 });
    bus.delayMs = 300;
    const res = await post(entry());
    expect(((await res.json()) as { status: string }).status).toBe('spooled');
    bus.delayMs = 0;
    const end = Date.now() + 5000;
    while (publisher.spoolDepth > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 500));
    expect(bus.entries).toHaveLength(1);
    expect(publisher.stats).toMatchObject({ spooled: 1, recalled: 1, drained: 0 });
  });

  it('answers 503 with Retry-After once the spool is full', async () => {
    await server.close();
    await start({ spoolMax: 2 });
    bus.down = true;
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await post(entry())).status);
    expect(codes).toEqual([202, 202, 503, 503]);
    const res = await post(entry());
    expect(res.headers.get('retry-after')).toBe('5');
  });
});

describe('GET /health', () => {
  it('reports the breaker states and the spool depth', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'ok',
      breakers: { bus: { state: 'closed' } },
      spool: { depth: 0 },
    });
  });

  it('answers HEAD with the status and headers of GET, without a body', async () => {
    const raw = await rawExchange('HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 200/);
    expect(raw).toMatch(/\r\nContent-Type: application\/json\r\n/i);
    expect(raw.split('\r\n\r\n')[1]).toBe('');
  });

  it('answers 405 with Allow for another method, and names the route in a 404', async () => {
    const wrong = await fetch(`${base}/health`, { method: 'POST' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    const post405 = await fetch(`${base}/v1/events`, { method: 'GET' });
    expect(post405.headers.get('allow')).toBe('POST');
    expect(await problemOf(wrong)).toMatchObject({ detail: 'Use GET /health.' });
    const missing = await fetch(`${base}/nothing?x=1`);
    expect(missing.status).toBe(404);
    expect(await problemOf(missing)).toMatchObject({
      detail: 'No route /nothing; POST /v1/events or GET /health.',
    });
  });

  it('counts requests by how they went', async () => {
    await post(entry(), { 'idempotency-key': 'counted' });
    await post(entry(), { 'idempotency-key': 'counted' });
    await post('{', { 'idempotency-key': 'refused' });
    const res = await fetch(`${base}/health`);
    expect(((await res.json()) as { requests: unknown }).requests).toEqual({
      requests: 4,
      accepted: 1,
      replayed: 1,
      rejected: 1,
      overloaded: 0,
    });
    expect(server.stats).toEqual({ requests: 4, accepted: 1, replayed: 1, rejected: 1, overloaded: 0 });
  });
});
