import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EventValidator } from '../../core/events/validator.js';
import { requestFingerprint, type IdempotencyStore } from '../../core/ingest/idempotency.js';
import {
  bearerTokenMatches,
  isProblem,
  problemBody,
  tokenDigest,
  parseIdempotencyKey,
  parseIngestBody,
  problem,
  type Problem,
} from '../../core/ingest/ingest-request.js';
import type { Breaker } from '../../adapters/resilience/circuit-breaker.js';
import type { IngestPublisher } from './ingest-publisher.js';
import { SpoolFullError } from './spool.js';

/** Options of {@link IngestServer}. */
export interface IngestServerOptions {
  readonly token: string;
  readonly publisher: IngestPublisher;
  readonly idempotency: IdempotencyStore;
  readonly validator: EventValidator;
  readonly breakers: readonly Breaker[];
  /** Largest body accepted. @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** Requests handled at once; beyond that, 429. @default 256 */
  readonly maxConcurrent?: number;
  /** A request whose body has not fully arrived after this long gets 408. @default 10,000 ms */
  readonly bodyTimeoutMs?: number;
  /** Called with one line per request (never with bodies or tokens). */
  readonly log?: (entry: Record<string, unknown>) => void;
}

/**
 * The HTTP ingest API: `POST /v1/events` (bearer token, `Idempotency-Key`, one entry or a batch) and
 * `GET /health` (breaker states, spool depth). Accepted requests answer 202 with the event ids once the
 * events are on the bus or durably spooled. Errors are `application/problem+json`.
 */
export class IngestServer {
  private readonly server: Server;
  private readonly tokenDigest: Buffer;
  private inFlight = 0;
  readonly stats = { requests: 0, accepted: 0, replayed: 0, rejected: 0, overloaded: 0 };

  constructor(private readonly options: IngestServerOptions) {
    if (options.token.length < 16) throw new Error('the ingest token must be at least 16 characters');
    this.tokenDigest = tokenDigest(options.token);
    const requestTimeout = options.bodyTimeoutMs ?? 10_000;
    this.server = createServer(
      {
        // Slow clients: the whole request (headers and body) must arrive within the body timeout (408),
        // checked every quarter of it rather than Node's default 30 s.
        requestTimeout,
        headersTimeout: Math.min(requestTimeout, 10_000),
        connectionsCheckingInterval: Math.max(100, Math.floor(requestTimeout / 4)),
        keepAliveTimeout: 5_000,
      },
      (req, res) => void this.handle(req, res),
    );
  }

  /** Listens on 127.0.0.1; resolves with the port. */
  async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops accepting connections and waits for requests in progress. */
  close(graceMs = 5_000): Promise<void> {
    return new Promise((resolve) => {
      const force = setTimeout(() => this.server.closeAllConnections(), graceMs);
      this.server.close(() => {
        clearTimeout(force);
        resolve();
      });
      this.server.closeIdleConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    const started = Date.now();
    const url = (req.url ?? '/').split('?')[0];
    let status = 500;
    try {
      if (url === '/health') {
        if (req.method !== 'GET')
          return void (status = this.fail(res, problem(405, 'Method not allowed', 'Use GET /health.')));
        status = this.send(res, 200, this.health());
        return;
      }
      if (url !== '/v1/events')
        return void (status = this.fail(
          res,
          problem(404, 'Not found', `No route ${url}; POST /v1/events or GET /health.`),
        ));
      if (req.method !== 'POST')
        return void (status = this.fail(res, problem(405, 'Method not allowed', 'Use POST /v1/events.')));
      if (!bearerTokenMatches(req.headers.authorization, this.tokenDigest)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="elt-ingest"');
        return void (status = this.fail(
          res,
          problem(401, 'Unauthorized', 'Send Authorization: Bearer <token> with the ingest token.'),
        ));
      }
      if (this.inFlight >= (this.options.maxConcurrent ?? 256)) {
        this.stats.overloaded++;
        return void (status = this.fail(
          res,
          problem(
            429,
            'Too many requests',
            'The ingest API is at its concurrency limit; retry after the delay.',
            { retryAfterSeconds: 1 },
          ),
        ));
      }
      this.inFlight++;
      try {
        status = await this.ingest(req, res);
      } finally {
        this.inFlight--;
      }
    } catch (error) {
      status = this.fail(res, problem(500, 'Internal error', (error as Error).message));
    } finally {
      this.options.log?.({ method: req.method, path: url, status, ms: Date.now() - started });
    }
  }

  private async ingest(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const key = parseIdempotencyKey(req.headers['idempotency-key']);
    if (isProblem(key)) return this.fail(res, key);
    const body = await this.readBody(req);
    if (isProblem(body)) return this.fail(res, body);
    const fingerprint = requestFingerprint('POST', '/v1/events', body);
    const now = Date.now();
    const claim = await this.options.idempotency.begin(key, fingerprint, now);
    if (claim.kind === 'replay') {
      this.stats.replayed++;
      res.setHeader('Idempotent-Replayed', 'true');
      return this.send(res, claim.response.status, claim.response.body);
    }
    if (claim.kind === 'in-flight') {
      return this.fail(
        res,
        problem(
          409,
          'Request in progress',
          'A request with this Idempotency-Key is being handled; retry after it completes.',
          { retryAfterSeconds: 1 },
        ),
      );
    }
    if (claim.kind === 'mismatch') {
      return this.fail(
        res,
        problem(
          422,
          'Idempotency-Key reused',
          'This Idempotency-Key was used with a different body; use a new key for a new request.',
        ),
      );
    }
    const batch = parseIngestBody(
      body,
      req.headers['content-type'],
      key,
      this.options.validator,
      new Date(now),
    );
    if (isProblem(batch)) {
      // A request that can never succeed: the key stays with its answer, so a retry gets the same one.
      this.stats.rejected++;
      await this.options.idempotency.complete(
        key,
        fingerprint,
        { status: batch.status, body: problemBody(batch) },
        now,
      );
      return this.fail(res, batch);
    }
    let how;
    try {
      how = await this.options.publisher.accept(batch.values);
    } catch (error) {
      await this.options.idempotency.abandon(key);
      if (error instanceof SpoolFullError) {
        return this.fail(
          res,
          problem(
            503,
            'Service unavailable',
            'The bus is unavailable and the spool is full; retry after the delay.',
            { retryAfterSeconds: 5 },
          ),
        );
      }
      throw error;
    }
    const answer = { status: how, eventIds: batch.eventIds };
    await this.options.idempotency.complete(key, fingerprint, { status: 202, body: answer }, Date.now());
    this.stats.accepted += batch.eventIds.length;
    return this.send(res, 202, answer);
  }

  /** The body, bounded: 413 as soon as it is too large, 400 if the client aborts. */
  private readBody(req: IncomingMessage): Promise<Buffer | Problem> {
    const max = this.options.maxBodyBytes ?? 1024 * 1024;
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > max) {
      req.resume();
      return Promise.resolve(
        problem(413, 'Payload too large', `The body is ${declared} bytes; the limit is ${max} bytes.`),
      );
    }
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      req.on('data', (chunk: Buffer) => {
        if (done) return;
        size += chunk.length;
        if (size > max) {
          done = true;
          req.resume();
          resolve(problem(413, 'Payload too large', `The body is over the limit of ${max} bytes.`));
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        if (!done) resolve(Buffer.concat(chunks));
        done = true;
      });
      req.on('error', () => {
        if (!done) resolve(problem(400, 'Request aborted', 'The request body did not arrive completely.'));
        done = true;
      });
    });
  }

  private health(): Record<string, unknown> {
    const breakers = Object.fromEntries(
      this.options.breakers.map((b) => [b.name, { state: b.state, ...b.counts }]),
    );
    const degraded =
      this.options.breakers.some((b) => b.state !== 'closed') || this.options.publisher.spoolDepth > 0;
    return {
      status: degraded ? 'degraded' : 'ok',
      breakers,
      spool: { depth: this.options.publisher.spoolDepth },
      publisher: this.options.publisher.stats,
      requests: this.stats,
    };
  }

  private fail(res: ServerResponse, p: Problem): number {
    if (p.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(p.retryAfterSeconds));
    res.writeHead(p.status, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify(problemBody(p)));
    return p.status;
  }

  private send(res: ServerResponse, status: number, body: unknown): number {
    res.writeHead(status, {
      'content-type': status >= 400 ? 'application/problem+json' : 'application/json',
    });
    res.end(JSON.stringify(body));
    return status;
  }
}
