import { randomUUID } from 'node:crypto';
import { EntryAcceptor } from '../../lib/core/bus/put-events.js';
import { EVENT_CATALOGUE } from '../../lib/core/events/catalogue.js';
import type { OltpSql } from '../../lib/core/oltp/ports.js';

const acceptor = new EntryAcceptor({ account: '000000000000', region: 'us-east-1' });

/**
 * An envelope as the bus would deliver it, built from the catalogue's example of `detailType`, with
 * envelope id = detail.eventId = `id` (what an outbox row's payload holds).
 */
export function outboxEnvelopeText(
  detailType: 'UserSignedUp' | 'BidCreated',
  id: string,
  detail: object = {},
): string {
  const type = EVENT_CATALOGUE.find((t) => t.detailType === detailType)!;
  const accepted = acceptor.accept(
    {
      Source: type.source,
      DetailType: type.detailType,
      Detail: JSON.stringify({ ...type.example, eventId: id, ...detail }),
      Time: new Date('2026-12-01T10:00:00Z'),
    },
    id,
    new Date(),
  );
  if (!accepted.ok) throw new Error(accepted.errorMessage);
  return accepted.body;
}

/**
 * Inserts `count` outbox rows (UserSignedUp and BidCreated in turn) with plain parameterized INSERTs, a
 * minute old; `payload` replaces a row's envelope (poison rows). Returns their ids in order.
 */
export async function insertOutboxRows(
  db: OltpSql,
  count: number,
  payload?: (id: string) => string,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = randomUUID();
    const type = i % 2 === 0 ? 'UserSignedUp' : 'BidCreated';
    await db.query(
      `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, occurred_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, now() - interval '1 minute')`,
      [
        id,
        type === 'UserSignedUp' ? 'user' : 'bid',
        `agg-${i}`,
        type,
        payload?.(id) ?? outboxEnvelopeText(type, id),
      ],
    );
    ids.push(id);
  }
  return ids;
}
