import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Breaker } from '../../adapters/resilience/circuit-breaker.js';
import { createEventValidator } from '../../core/events/validator.js';
import { MemoryIdempotencyStore, type IdempotencyRecord } from '../../core/ingest/idempotency.js';
import type { Bus, ObjectStore } from '../../core/ports.js';
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
}

/**
 * The ingest API as `elt serve` runs it over a data directory: idempotency keys restored from and appended
 * to `idempotency-keys.jsonl`, the durable spool under `spool/`, the publisher through the bus breaker, and
 * the server (not yet listening).
 */
export async function openLocalIngest(
  options: LocalIngestOptions,
): Promise<{ server: IngestServer; publisher: IngestPublisher; spool: DirectorySpool }> {
  const keysFile = join(options.root, 'idempotency-keys.jsonl');
  const restore = (await readFile(keysFile, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as IdempotencyRecord);
  const idempotency = new MemoryIdempotencyStore({
    ttlMs: options.idempotencyTtlMs,
    restore,
    persist: (record) => appendFile(keysFile, `${JSON.stringify(record)}\n`),
  });
  const spool = await DirectorySpool.open(join(options.root, 'spool'), {
    maxItems: options.spoolMaxRequests,
  });
  const publisher = new IngestPublisher({
    bus: options.bus,
    breaker: options.breaker,
    spool,
    store: options.store,
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
