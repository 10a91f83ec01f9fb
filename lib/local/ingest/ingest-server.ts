import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Breaker } from '../../adapters/resilience/circuit-breaker.js';
import type { EventValidator } from '../../core/events/validator.js';
import { fixedBearerToken } from '../../core/ingest/bearer-token.js';
import {
  ConcurrencyLimit,
  DEFAULT_MAX_BODY_BYTES,
  describeError,
  handleIngest,
  PayloadTooLargeError,
  problemResponse,
  RequestAbortedError,
  requestLogEntry,
  respond,
  type IngestDeps,
  type IngestResponse,
} from '../../core/ingest/handle-ingest.js';
import type { IdempotencyStore } from '../../core/ingest/idempotency.js';
import { ingestProblems, type Problem } from '../../core/ingest/problems.js';
import type { IngestPublisher } from './ingest-publisher.js';

/** Options of {@link IngestServer}. */
export interface IngestServerOptions {
  /** The bearer token clients must send (at least 16 characters). */
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
  /** Called with one line per request (never with bodies or tokens), and one per failure. */
  readonly log?: (entry: Record<string, unknown>) => void;
}

const HEALTH_PATH = '/health';

/**
 * The HTTP ingest API of `elt serve`, on node:http: `POST /v1/events` is answered by the ingest use case
 * (the same as the AWS function's), in front of the publisher that spools while the bus is away; `GET
 * /health` (and `HEAD`) shows the breaker states and the spool depth. This class only carries requests and
 * answers, and bounds slow clients and bodies as they arrive. What node:http refuses itself (unreadable
 * HTTP 400, too slow 408, headers too large 431) is answered with the catalogue's problem too.
 */
export class IngestServer {
  private readonly server: Server;
  private readonly deps: IngestDeps;
  private readonly concurrency: ConcurrencyLimit;
  private readonly counts = { requests: 0, accepted: 0, replayed: 0, rejected: 0 };

  constructor(private readonly options: IngestServerOptions) {
    this.concurrency = new ConcurrencyLimit(options.maxConcurrent ?? 256);
    this.deps = {
      token: fixedBearerToken(options.token),
      idempotency: options.idempotency,
      sink: options.publisher,
      validator: options.validator,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      concurrency: this.concurrency,
      otherRoutes: [`GET ${HEALTH_PATH}`],
      ...(options.log ? { log: options.log } : {}),
    };
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
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) =>
      answerClientError(error, socket),
    );
  }

  /** Requests so far: `accepted` counts events, `rejected` bodies refused for good, `overloaded` 429s. */
  get stats(): Record<'requests' | 'accepted' | 'replayed' | 'rejected' | 'overloaded', number> {
    return { ...this.counts, overloaded: this.concurrency.overloaded };
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
    this.counts.requests++;
    const started = Date.now();
    const method = req.method ?? '';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    try {
      if (path === HEALTH_PATH) {
        const response =
          method === 'GET' || method === 'HEAD'
            ? respond(200, this.health())
            : problemResponse(ingestProblems.methodNotAllowed(`GET ${HEALTH_PATH}`, ['GET', 'HEAD']));
        this.options.log?.(requestLogEntry(method, path, { response }, Date.now() - started));
        return write(res, response, method === 'HEAD');
      }
      const result = await handleIngest(
        { method, path, headers: req.headers, body: (maxBytes) => readBody(req, maxBytes) },
        this.deps,
      );
      this.counts.accepted += result.accepted;
      if (result.replayed) this.counts.replayed++;
      if (result.refused) this.counts.rejected++;
      write(res, result.response);
    } catch (error) {
      this.options.log?.({ level: 'ERROR', message: 'request failed', error: describeError(error) });
      if (!res.headersSent) write(res, problemResponse(ingestProblems.internalError()));
    }
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
}

/** Writes an answer; `headOnly` for a HEAD request: the headers a GET would get, no body. */
function write(res: ServerResponse, response: IngestResponse, headOnly = false): void {
  res.writeHead(response.status, response.headers);
  if (headOnly) res.end();
  else res.end(JSON.stringify(response.body));
}

// What node:http answers itself, by its error code (its own default answers carry no body).
const CLIENT_ERROR_PROBLEMS: Readonly<Record<string, () => Problem>> = {
  HPE_HEADER_OVERFLOW: ingestProblems.headersTooLarge,
  ERR_HTTP_REQUEST_TIMEOUT: ingestProblems.requestTimeout,
};

/**
 * The server's `clientError`: a request node:http could not read (malformed, too slow, headers too large)
 * gets a complete HTTP/1.1 answer with the catalogue's problem as its body, then the connection is closed.
 * As node:http does itself, nothing is written when the peer is gone or an answer has already begun.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (error.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
    const p = (CLIENT_ERROR_PROBLEMS[error.code ?? ''] ?? ingestProblems.badRequest)();
    const response = problemResponse(p);
    const body = JSON.stringify(response.body);
    const reason = STATUS_CODES[p.status] ?? 'Error';
    const headers = Object.entries({
      ...response.headers,
      'Content-Length': String(Buffer.byteLength(body)),
      Connection: 'close',
    })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    // Written then destroyed, as node:http writes its own answer: a small write leaves at once.
    socket.write(`HTTP/1.1 ${p.status} ${reason}\r\n${headers}\r\n${body}`);
  }
  socket.destroy();
}

/** The body, bounded: refused as soon as it is (or is declared) too large, or when the client aborts. */
function readBody(req: IncomingMessage, max: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > max) {
    req.resume();
    return Promise.reject(new PayloadTooLargeError(max, declared));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        req.resume();
        reject(new PayloadTooLargeError(max));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
      done = true;
    });
    req.on('error', () => {
      if (!done) reject(new RequestAbortedError('the request body did not arrive completely'));
      done = true;
    });
  });
}
