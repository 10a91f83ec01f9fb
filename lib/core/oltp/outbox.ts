import { randomUUID } from 'node:crypto';
import { EntryAcceptor, type BusContext } from '../bus/put-events.js';
import type { EventEnvelope } from '../events/envelope.js';
import { EltError } from '../util/errors.js';
import type { OltpSql } from './ports.js';

/**
 * The account and region stamped on the envelopes the marketplace database writes to its outbox. The relay
 * publishes the payload as it is, so these are the values downstream sees for events of the OLTP path.
 */
export const OLTP_BUS_CONTEXT: BusContext = { account: '000000000000', region: 'us-east-1' };

/** One event to write to the outbox, in the same transaction as the change it reports. */
export interface OutboxEventInput {
  /** EventBridge `source`, e.g. `marketplace.auctions`. */
  readonly source: string;
  /** EventBridge `detail-type`, e.g. `BidCreated`; also the outbox `type` column. */
  readonly detailType: string;
  /** The event's `detail`; `eventId` is set here (any given one is replaced). */
  readonly detail: Readonly<Record<string, unknown>>;
  /** When the change happened: the transaction's business time (`time` of the envelope, `occurred_at`). */
  readonly time: Date;
  /** What the change is about (`user`, `item`): Debezium's outbox router routes by it. */
  readonly aggregateType: string;
  /** The id of that aggregate: the partition key downstream, so one aggregate's events stay in order. */
  readonly aggregateId: string;
}

/** An outbox row as written: its id (= envelope id = detail.eventId), the envelope and its JSON text. */
export interface WrittenOutboxEvent {
  readonly id: string;
  readonly envelope: EventEnvelope;
  /** The envelope as the bus delivers it (single-line JSON): the `payload` column. */
  readonly body: string;
}

/** An outbox event the bus would refuse (too large, a detail that is not an object, …). */
export class OutboxEventError extends EltError {
  constructor(detailType: string, reason: string) {
    super(`cannot write a ${detailType} event to the outbox: ${reason}`);
  }
}

const INSERT_OUTBOX = [
  'INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, occurred_at)',
  'VALUES ($1, $2, $3, $4, $5::text::jsonb, $6)',
].join(' ');

let defaultAcceptor: EntryAcceptor | undefined;

/** The acceptor for {@link OLTP_BUS_CONTEXT}, made once. */
export function oltpEntryAcceptor(): EntryAcceptor {
  return (defaultAcceptor ??= new EntryAcceptor(OLTP_BUS_CONTEXT));
}

/**
 * Writes one outbox row in the caller's transaction: a new random UUID v4 is the row id, `detail.eventId`
 * and the envelope id, and the payload is the envelope `acceptor` builds for the entry, exactly as the bus
 * would deliver it. Throws {@link OutboxEventError} when the bus would refuse the entry, so the caller's
 * transaction rolls back with it.
 */
export async function insertOutboxEvent(
  tx: OltpSql,
  event: OutboxEventInput,
  acceptor: EntryAcceptor = oltpEntryAcceptor(),
): Promise<WrittenOutboxEvent> {
  const id = randomUUID();
  const detail: Record<string, unknown> = { eventId: id };
  for (const [key, value] of Object.entries(event.detail)) if (key !== 'eventId') detail[key] = value;
  const accepted = acceptor.accept(
    { Source: event.source, DetailType: event.detailType, Detail: JSON.stringify(detail), Time: event.time },
    id,
    event.time,
  );
  if (!accepted.ok) throw new OutboxEventError(event.detailType, accepted.rejection.reason);
  await tx.query(INSERT_OUTBOX, [
    id,
    event.aggregateType,
    event.aggregateId,
    event.detailType,
    accepted.body,
    event.time.toISOString(),
  ]);
  return { id, envelope: accepted.envelope, body: accepted.body };
}
