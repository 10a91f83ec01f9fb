import { join } from 'node:path';
import type { Breaker } from '../../adapters/resilience/circuit-breaker.js';
import { createEventValidator } from '../../core/events/validator.js';
import type { Bus, ObjectStore } from '../../core/ports.js';
import { openIdempotencyFile } from './idempotency-file.js';
import { IngestPublisher } from './ingest-publisher.js';
import { IngestServer, type IngestServerOptions } from './ingest-server.js';
import { DirectorySpool } from './spool.js';

/** Options of {@link openLocalIngest}. */
export interface LocalIngestOptions extends Pick<
  IngestServerOptions,
  'token' | 'maxBodyBytes' | 'maxConcurrent' | 'log'
> {
  /** The data directory's root: the idempotency keys file and the spool live under it. */
  readonly root: string;
  readonly bus: Bus;
  /** The breaker around bus calls; also reported by GET /health. */
  readonly breaker: Breaker;
  /** Where entries the bus refuses for good are quarantined. */
  readonly store: ObjectStore;
  readonly idempotencyTtlMs: number;
  readonly spoolMaxRequests: number;
  /**
   * Resolves once what the bus acknowledged so far is durable past it (the in-process bus: landed); see
   * {@link IngestPublisher}. @default the bus's acknowledgement is durable
   */
  readonly landed?: () => Promise<void>;
}

/**
 * The ingest API as `elt serve` runs it over a data directory: idempotency keys restored from and appended
 * to `idempotency-keys.jsonl`, the write-ahead log (the spool) under `spool/`, the publisher through the
 * bus breaker, and the server (not yet listening). Throws when the keys file or the log cannot be read
 * back: starting without them would forget keys or acknowledged events.
 */
export async function openLocalIngest(
  options: LocalIngestOptions,
): Promise<{ server: IngestServer; publisher: IngestPublisher; spool: DirectorySpool }> {
  const warn = (message: string): void =>
    options.log ? options.log({ level: 'WARN', message }) : void process.stderr.write(`${message}\n`);
  const { store: idempotency } = await openIdempotencyFile(join(options.root, 'idempotency-keys.jsonl'), {
    ttlMs: options.idempotencyTtlMs,
    warn,
  });
  const spool = await DirectorySpool.open(join(options.root, 'spool'), {
    maxItems: options.spoolMaxRequests,
    warn,
  });
  const publisher = new IngestPublisher({
    bus: options.bus,
    breaker: options.breaker,
    spool,
    store: options.store,
    ...(options.landed ? { landed: options.landed } : {}),
  });
  const server = new IngestServer({
    token: options.token,
    publisher,
    idempotency,
    validator: createEventValidator(),
    breakers: [options.breaker],
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.maxConcurrent !== undefined ? { maxConcurrent: options.maxConcurrent } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  return { server, publisher, spool };
}
