import { publishEvents, PublishFailedError } from '../publish/publisher.js';
import type { Bus, Clock, ObjectInfo, ObjectStore } from '../ports.js';
import { EltError } from '../util/errors.js';

/** Where an accepted request went: on the bus now, or in a durable spool that publishes it later. */
export type Acceptance = 'published' | 'spooled';

/** Where the ingest API hands a checked request's entries (JSON values with their eventId set). */
export interface IngestSink {
  /**
   * Takes every entry of one request, or none: throws {@link BusUnavailableError} or
   * {@link SpoolFullError} when the request must be retried.
   */
  accept(values: readonly Record<string, unknown>[]): Promise<Acceptance>;
}

/** The bus did not take every entry of a request (after retries): the request fails and is not remembered. */
export class BusUnavailableError extends EltError {}

/** The bus is away and the spool of requests waiting for it is at its bound: refuse new work for now. */
export class SpoolFullError extends EltError {}

/** Options of {@link busIngestSink}. */
export interface BusIngestSinkOptions {
  readonly bus: Bus;
  readonly clock: Clock;
  /** PutEvents attempts per entry. @default 3 */
  readonly maxAttempts?: number;
  /** First retry delay. @default 100 ms */
  readonly baseDelayMs?: number;
}

/**
 * Publishes each request straight to the bus (the AWS function: no spool). An entry the bus still refuses
 * after the retries (throttled, or rejected) fails the whole request with {@link BusUnavailableError}, so
 * the producer retries it with the same key: nothing is quarantined where the producer never hears of it.
 */
export function busIngestSink(options: BusIngestSinkOptions): IngestSink {
  return {
    async accept(values) {
      let accepted: number;
      try {
        const summary = await publishEvents(
          values.map((value, i) => ({ ref: `ingest:${i}`, value })),
          {
            bus: options.bus,
            store: REFUSED_ENTRIES,
            clock: options.clock,
            maxAttempts: options.maxAttempts ?? 3,
            baseDelayMs: options.baseDelayMs ?? 100,
          },
        );
        accepted = summary.accepted;
      } catch (error) {
        if (error instanceof PublishFailedError)
          throw new BusUnavailableError(error.message, { cause: error });
        throw error;
      }
      if (accepted !== values.length) {
        throw new BusUnavailableError(`the bus accepted ${accepted} of ${values.length} entries`);
      }
      return 'published';
    },
  };
}

const NO_OBJECTS: AsyncIterable<ObjectInfo> = {
  [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }),
};

/**
 * Where `publishEvents` would quarantine entries the bus rejects. This sink keeps none: it counts them and
 * fails the request instead (see `accept`), so the records `publishEvents` writes are dropped here.
 */
const REFUSED_ENTRIES: ObjectStore = {
  put: () => Promise.resolve(),
  get: (key) => Promise.reject(new EltError(`no object ${key}: the ingest API keeps no quarantine`)),
  list: () => NO_OBJECTS,
  delete: () => Promise.resolve(),
  describe: () => 'none (refused entries fail the request)',
};
