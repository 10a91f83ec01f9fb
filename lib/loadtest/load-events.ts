import { randomBytes } from 'node:crypto';
import { EVENT_CATALOGUE } from '../core/events/catalogue.js';
import type { PutEventsEntry } from '../core/events/envelope.js';
import { EltError } from '../core/util/errors.js';

/** One event the load test offers. */
export interface LoadEvent {
  /** Its position in the run (0, 1, 2, …). */
  readonly seq: number;
  /** `detail.eventId`, unless the transport assigns another (the ingest API derives it from the Idempotency-Key and the entry). */
  readonly eventId: string;
  /** The entry as the ingest API takes it: `{source, detail-type, time, detail}`. */
  readonly value: Readonly<Record<string, unknown>>;
}

const TYPE = EVENT_CATALOGUE.find((t) => t.detailType === 'UserLoggedIn')!;
const UUID_TAIL = /^([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-)([0-9a-f]{12})$/;

/** A load test id prefix that is not the start of a version 4 UUID. */
export class LoadTestIdError extends EltError {}

/**
 * Makes the run's events: valid `UserLoggedIn` events whose `detail.eventId` is a UUID made of a random
 * per-run prefix and the event's number, so an id from a landed object maps back to its event without a
 * lookup table, and events of other runs (a shared bucket) are told apart. Each carries the moment it was
 * offered in `detail.loadtest.offeredAt` (the catalogue allows extra detail fields), which is what the
 * end-to-end latency is measured from.
 */
export class LoadEventFactory {
  readonly prefix: string;

  constructor(prefix?: string) {
    if (prefix !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-$/.test(prefix))
      throw new LoadTestIdError(`not a load test id prefix: ${prefix}`);
    const r = randomBytes(9).toString('hex');
    this.prefix = prefix ?? `${r.slice(0, 8)}-${r.slice(8, 12)}-4${r.slice(12, 15)}-a${r.slice(15, 18)}-`;
  }

  /** The event id of event `seq`. */
  eventIdOf(seq: number): string {
    return this.prefix + seq.toString(16).padStart(12, '0');
  }

  /** The number of the event with this id, or undefined for an id this run did not make. */
  seqOf(eventId: string): number | undefined {
    if (!eventId.startsWith(this.prefix)) return undefined;
    const m = UUID_TAIL.exec(eventId);
    return m ? parseInt(m[2]!, 16) : undefined;
  }

  /** Event `seq`, stamped as offered at `offeredAtMs` (epoch milliseconds). */
  make(seq: number, offeredAtMs: number): LoadEvent {
    const eventId = this.eventIdOf(seq);
    return {
      seq,
      eventId,
      value: {
        source: TYPE.source,
        'detail-type': TYPE.detailType,
        time: new Date(offeredAtMs).toISOString(),
        detail: {
          ...TYPE.example,
          eventId,
          // Spread over users so a keyed transport (Kafka) spreads over partitions.
          userId: `u_${seq % 997}`,
          sessionId: `s_${seq}`,
          loadtest: { seq, offeredAt: offeredAtMs },
        },
      },
    };
  }
}

/** The PutEvents entry of a load event (the buses' input). */
export function putEventsEntry(event: LoadEvent): PutEventsEntry {
  const v = event.value;
  return {
    Source: v.source as string,
    DetailType: v['detail-type'] as string,
    Time: new Date(v.time as string),
    Detail: JSON.stringify(v.detail),
  };
}

const EVENT_ID = /"eventId":"([0-9a-fA-F-]{36})"/;
const OFFERED_AT = /"offeredAt":(\d{1,16})\b/;

/** The event id and offer time in a landed NDJSON line (an envelope), read without parsing the whole line. */
export function landedFields(line: string): { eventId: string; offeredAtMs: number | undefined } | undefined {
  const id = EVENT_ID.exec(line)?.[1];
  if (!id) return undefined;
  const at = OFFERED_AT.exec(line)?.[1];
  return { eventId: id.toLowerCase(), offeredAtMs: at === undefined ? undefined : Number(at) };
}
