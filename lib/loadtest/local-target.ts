import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Breaker, type BreakerSettings } from '../adapters/resilience/circuit-breaker.js';
import { eventIdFor } from '../core/ingest/ingest-request.js';
import { DataDir } from '../local/data-dir.js';
import { openLocalIngest } from '../local/ingest/local-ingest.js';
import { LocalPipeline } from '../local/local-pipeline.js';
import type { LoadEvent } from './load-events.js';
import { landingFacts, type LoadTarget, type OfferResult, type TimelineEvent } from './load-target.js';

/** Options of {@link startLocalTarget}: `elt serve`'s settings, defaulted as it defaults them. */
export interface LocalTargetOptions {
  /** A data directory for this run (the store, the spool, the idempotency keys). */
  readonly dataDir: string;
  /** Entries per POST /v1/events request (1–500). */
  readonly entriesPerRequest: number;
  /** `--spool-max-requests` of elt serve. @default 10,000 */
  readonly spoolMaxRequests?: number;
  /** Messages the landing queue holds before the bus waits (LocalPipeline's bound). @default 20,000 */
  readonly queueCapacity?: number;
  /** The bus breaker, as `--breaker-*` of elt serve. */
  readonly breaker?: BreakerSettings;
  /** Requests the ingest API handles at once before answering 429. @default 256 */
  readonly maxConcurrent?: number;
  /** Requests the client keeps open at most (one connection each). @default twice `maxConcurrent` */
  readonly maxSockets?: number;
  /** How long the client waits for an answer. @default 30,000 ms */
  readonly requestTimeoutMs?: number;
}

/**
 * The embedded pipeline behind the real HTTP ingest API, in this process, wired as `elt serve` wires it:
 * the in-process bus, the bounded landing queue and the landing workers, the bus breaker, the durable
 * spool, persisted idempotency keys, and the server on an ephemeral port of 127.0.0.1. Events are offered
 * as `POST /v1/events` requests, each with its own `Idempotency-Key`, over keep-alive connections.
 */
export async function startLocalTarget(options: LocalTargetOptions): Promise<LoadTarget> {
  const dataDir = await new DataDir(options.dataDir).ensure();
  const store = dataDir.store();
  const timeline: TimelineEvent[] = [];
  const breaker = new Breaker('bus', options.breaker ?? {}, (t) =>
    timeline.push({ atMs: Date.parse(t.at) || Date.now(), what: `bus breaker ${t.from} → ${t.to}` }),
  );
  const pipeline = new LocalPipeline({
    store,
    landingWorkers: { storeRoot: dataDir.storeRoot },
    ...(options.queueCapacity !== undefined ? { queueCapacity: options.queueCapacity } : {}),
  }).start();
  const token = randomBytes(24).toString('hex');
  const maxConcurrent = options.maxConcurrent ?? 256;
  const { server, publisher, spool } = await openLocalIngest({
    root: dataDir.root,
    bus: pipeline.bus,
    breaker,
    store,
    token,
    idempotencyTtlMs: 86_400_000,
    spoolMaxRequests: options.spoolMaxRequests ?? 10_000,
    maxConcurrent,
    landed: () => pipeline.landed(),
  });
  const port = await server.listen(0);
  // As many sockets as requests the driver keeps in flight: more than the server admits at once, so its
  // 429 shows rather than a queue in the client.
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? maxConcurrent * 2 });
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const answered = { published: 0, spooled: 0 };
  const keyOf = (events: readonly LoadEvent[]): string => events[0]!.eventId;

  const post = (events: readonly LoadEvent[]): Promise<readonly OfferResult[]> =>
    new Promise((resolve) => {
      const body = JSON.stringify(events.length === 1 ? events[0]!.value : events.map((e) => e.value));
      const fail = (result: OfferResult): void => resolve(events.map(() => result));
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/events',
          agent,
          timeout: timeoutMs,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'idempotency-key': keyOf(events),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', () => fail({ status: 'unanswered', code: 'response-aborted' }));
          res.on('end', () => {
            if (res.statusCode !== 202) return fail({ status: 'rejected', code: String(res.statusCode) });
            try {
              const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
                status: 'published' | 'spooled';
                eventIds: string[];
              };
              answered[answer.status] += answer.eventIds.length;
              resolve(events.map((_, i) => ({ status: 'accepted', eventId: answer.eventIds[i] ?? '' })));
            } catch {
              fail({ status: 'unanswered', code: 'unreadable-202' });
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error: NodeJS.ErrnoException) =>
        fail({
          status: 'unanswered',
          code: error.message === 'timeout' ? 'timeout' : (error.code ?? 'network'),
        }),
      );
      req.end(body);
    });

  return {
    transport: 'local',
    entriesPerCall: options.entriesPerRequest,
    store,
    landedClock: 'lastModified',
    describe: () =>
      'elt serve wiring, in-process on an ephemeral port: POST /v1/events → bus breaker and spool → in-process bus → landing queue → landing workers → local store',
    // The ids the API derives from the key, the index and each entry as sent (see eventIdFor).
    eventIds: (events) => events.map((e, i) => eventIdFor(keyOf(events), i, e.value)),
    offer: post,
    depth: () => {
      const spooled = spool.depth * options.entriesPerRequest;
      const queued = pipeline.queue.depth.total;
      return Promise.resolve({ total: spooled + queued, parts: { spool: spooled, queue: queued } });
    },
    stopOffering: async () => undefined,
    timeline: () => timeline,
    facts: () => ({
      dataDir: dataDir.root,
      ingest: {
        maxConcurrent,
        spoolMaxRequests: options.spoolMaxRequests ?? 10_000,
        breaker: options.breaker ?? {},
        answered,
        requests: server.stats,
        publisher: publisher.stats,
        breakerCounts: breaker.counts,
      },
      pipeline: landingFacts(pipeline),
    }),
    close: async () => {
      agent.destroy();
      await server.close(2_000);
      await publisher.close();
      await pipeline.close();
      breaker.shutdown();
    },
  };
}
