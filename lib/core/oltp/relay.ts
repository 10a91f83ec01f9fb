/**
 * The outbox relay: moves the events the marketplace database wrote to its `outbox` table onto the bus.
 *
 * Each round runs in one transaction: it claims the oldest unsent, unquarantined rows
 * (`ORDER BY seq LIMIT n FOR UPDATE SKIP LOCKED`), checks each payload as the landing does, publishes the
 * valid ones through the publisher (PutEvents entries made of the envelope's source, detail-type, detail
 * and time, so `detail.eventId` carries the outbox id), quarantines the poison ones, marks the published
 * rows sent and commits. A round that fails anywhere (the bus, the store, the database) rolls back and is
 * tried again after a backoff; a bad row never stops the relay.
 *
 * What it guarantees, and what it does not:
 * - Per row, at least once. A row is marked sent in the same transaction that claimed it, after the bus
 *   accepted it. A crash, a kill or a failed commit between publishing and committing rolls the claim
 *   back, and the row is published again by the next round (of this relay or another). The warehouse keeps
 *   one copy per `detail.eventId` (stg_events), so a republished row changes no result.
 * - Never by two relays in committed rounds. `FOR UPDATE SKIP LOCKED` gives each claimed row to one
 *   transaction; the other relays skip it. Both may publish the same row only when the first one's round
 *   did not commit (the at-least-once case above).
 * - Poison rows leave the queue. A payload no catalogue schema accepts, or one the bus rejects, gets
 *   `quarantined_at` and `quarantine_reason` on its row (it is never retried) and a quarantine record in
 *   the store (stage `publish`, ref = the outbox id). Valid rows the bus keeps failing are not poison: the
 *   round rolls back and is retried.
 * - Order: with one relay, rounds go out in `seq` order. `seq` is drawn when a row is inserted, not when its
 *   transaction commits, so a row whose writer commits late can be relayed after rows with a higher `seq`
 *   that were committed earlier; inside a round, PutEvents calls of 10 entries run up to `maxInFlight` at
 *   once (1 keeps the claim order), and a republished round repeats events after later ones were consumed.
 *   With several relays there is no global order at all: each relay's rounds are ordered, nothing orders
 *   them against each other. Consumers must not rely on order beyond what the event times say.
 */
import { PUT_EVENTS_MAX_ENTRIES } from '../bus/put-events.js';
import type { PutEventsEntry, PutEventsResult } from '../events/envelope.js';
import type { Rejection } from '../events/rejection.js';
import type { EventValidator } from '../events/validator.js';
import { quarantineRecord, writeQuarantine } from '../landing/quarantine.js';
import type { Bus, Clock, ObjectStore } from '../ports.js';
import { entryFromValue } from '../publish/entry-input.js';
import { publishEvents, type PublishInput } from '../publish/publisher.js';
import { EltError } from '../util/errors.js';
import type { OltpDatabase, OltpSql } from './ports.js';

/** How far the relay is behind: rows not yet sent (nor quarantined), and how old the oldest of them is. */
export interface OutboxLag {
  readonly unsent: number;
  /** Seconds since the oldest unsent row's `occurred_at`, by the database's clock; 0 when none is unsent. */
  readonly oldestUnsentAgeSeconds: number;
}

/** What one committed round did. */
export interface RelayRound {
  /** 1 for the first round that claimed rows. */
  readonly round: number;
  readonly claimed: number;
  readonly published: number;
  readonly quarantined: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly durationMs: number;
  /** The latest lag measurement (taken after this round, at most once per `lagIntervalMs`). */
  readonly lag: OutboxLag;
}

/** What a relay did until it stopped. */
export interface RelaySummary {
  readonly published: number;
  readonly quarantined: number;
  /** Committed rounds that claimed at least one row. */
  readonly rounds: number;
  /** Rounds rolled back (bus, store or database failures) and tried again. */
  readonly failedRounds: number;
  /** The lag when the relay stopped. */
  readonly lag: OutboxLag;
  readonly stoppedBy: 'drained' | 'signal';
}

/** Options of {@link relayOutbox}. */
export interface RelayOptions {
  readonly bus: Bus;
  /** Where quarantine records go. */
  readonly store: ObjectStore;
  readonly clock: Clock;
  /** Rows claimed per round (one transaction). */
  readonly batchSize: number;
  readonly validator: EventValidator;
  /** Stop when a round finds nothing to claim, instead of polling for new rows. */
  readonly once?: boolean;
  /** Stops the relay between rounds (a round in progress finishes and commits first). */
  readonly signal?: AbortSignal;
  readonly onBatch?: (round: RelayRound) => void;
  /** Called when a round failed and is about to be tried again. */
  readonly onRetry?: (error: Error, consecutiveFailures: number, delayMs: number) => void;
  /** Wait between polls when the outbox is drained (follow mode). @default 1000 */
  readonly pollIntervalMs?: number;
  /** First wait after a failed round; doubles per consecutive failure, with full jitter. @default 500 */
  readonly retryBaseMs?: number;
  /** Longest wait after a failed round. @default 30_000 */
  readonly retryMaxMs?: number;
  /** Consecutive failed rounds before the relay gives up with {@link RelayFailedError}. @default Infinity */
  readonly maxFailedRounds?: number;
  /** PutEvents calls in flight at once (1 keeps the claim order inside a round). @default 4 */
  readonly maxInFlight?: number;
  /** The publisher's attempts per PutEvents call before the round fails. @default 5 */
  readonly publishAttempts?: number;
  /** The publisher's first retry delay. @default 100 */
  readonly publishRetryBaseMs?: number;
  /** Lag is measured after a round at most this often (and whenever the outbox is drained). @default 1000 */
  readonly lagIntervalMs?: number;
}

/** The relay failed `maxFailedRounds` rounds in a row. */
export class RelayFailedError extends EltError {
  constructor(failures: number, cause: Error) {
    super(`the outbox relay failed ${failures} round(s) in a row; last error: ${cause.message}`, { cause });
  }
}

const CLAIM_SQL = `SELECT seq, id::text AS id, payload::text AS payload FROM outbox
  WHERE sent_at IS NULL AND quarantined_at IS NULL
  ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`;
const MARK_SENT_SQL =
  'UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE seq = ANY($1::bigint[])';
const MARK_QUARANTINED_SQL =
  'UPDATE outbox SET quarantined_at = now(), quarantine_reason = $2, attempts = attempts + 1 WHERE seq = $1';
const LAG_SQL = `SELECT count(*) AS unsent,
    COALESCE(GREATEST(EXTRACT(EPOCH FROM now() - min(occurred_at)), 0), 0)::float8 AS age
  FROM outbox WHERE sent_at IS NULL AND quarantined_at IS NULL`;

/** The lag of the outbox: unsent rows and the age of the oldest one. */
export async function outboxLag(db: OltpSql): Promise<OutboxLag> {
  const { rows } = await db.query<{ unsent: number | string; age: number }>(LAG_SQL);
  const row = rows[0];
  return { unsent: Number(row?.unsent ?? 0), oldestUnsentAgeSeconds: Math.round((row?.age ?? 0) * 10) / 10 };
}

/**
 * Relays the outbox to the bus until it is drained (`once`) or the signal stops it. Failed rounds are
 * rolled back and tried again with backoff; it throws only after `maxFailedRounds` consecutive failures.
 */
export async function relayOutbox(db: OltpDatabase, options: RelayOptions): Promise<RelaySummary> {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1)
    throw new EltError(`the relay batch size must be a positive integer, got ${options.batchSize}`);
  const pollMs = options.pollIntervalMs ?? 1000;
  const retryBaseMs = options.retryBaseMs ?? 500;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  const maxFailedRounds = options.maxFailedRounds ?? Number.POSITIVE_INFINITY;
  const lagIntervalMs = options.lagIntervalMs ?? 1000;
  const signal = options.signal;
  let published = 0;
  let quarantined = 0;
  let rounds = 0;
  let failedRounds = 0;
  let failures = 0;
  let lag: OutboxLag | undefined;
  let lagAt = 0;

  while (!signal?.aborted) {
    const started = Date.now();
    let result: RoundResult;
    try {
      result = await db.transaction((tx) => relayRound(tx, options));
      failures = 0;
    } catch (error) {
      failures++;
      failedRounds++;
      const err = error instanceof Error ? error : new Error(String(error));
      if (failures >= maxFailedRounds) throw new RelayFailedError(failures, err);
      const delay = Math.round(Math.random() * Math.min(retryMaxMs, retryBaseMs * 2 ** (failures - 1)));
      options.onRetry?.(err, failures, delay);
      await sleep(delay, signal);
      continue;
    }
    if (result.claimed === 0) {
      if (options.once) break;
      await sleep(pollMs, signal);
      continue;
    }
    rounds++;
    published += result.published;
    quarantined += result.quarantined;
    const drained = result.claimed < options.batchSize;
    if (!lag || drained || Date.now() - lagAt >= lagIntervalMs) {
      lag = await outboxLag(db).catch(() => lag);
      lagAt = Date.now();
    }
    options.onBatch?.({
      round: rounds,
      claimed: result.claimed,
      published: result.published,
      quarantined: result.quarantined,
      firstSeq: result.firstSeq,
      lastSeq: result.lastSeq,
      durationMs: Date.now() - started,
      lag: lag ?? { unsent: 0, oldestUnsentAgeSeconds: 0 },
    });
    // Caught up: new rows are awaited for a poll interval rather than asked for in a tight loop.
    if (drained && !options.once) await sleep(pollMs, signal);
  }
  return {
    published,
    quarantined,
    rounds,
    failedRounds,
    lag: await outboxLag(db),
    stoppedBy: signal?.aborted ? 'signal' : 'drained',
  };
}

interface RoundResult {
  readonly claimed: number;
  readonly published: number;
  readonly quarantined: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

interface ClaimedRow {
  readonly seq: number;
  readonly id: string;
  readonly payload: string;
}

/** A claimed row that passed the checks, with its entry's Detail text (how the bus wrapper finds it). */
interface Sendable {
  readonly row: ClaimedRow;
  readonly value: Record<string, unknown>;
  readonly detailText: string;
  /** The bus's last answer for its entry: accepted, or an error. */
  outcome?: { readonly accepted: true } | { readonly accepted: false; readonly error: string };
}

interface Poison {
  readonly row: ClaimedRow;
  readonly rejection: Rejection;
  /** The publisher already wrote its quarantine record (a bus rejection). */
  readonly recorded: boolean;
}

/** One round inside its transaction; throws (so the transaction rolls back) when anything fails. */
async function relayRound(tx: OltpSql, options: RelayOptions): Promise<RoundResult> {
  const { rows } = await tx.query<{ seq: number | string; id: string; payload: string }>(CLAIM_SQL, [
    options.batchSize,
  ]);
  if (rows.length === 0) return { claimed: 0, published: 0, quarantined: 0, firstSeq: 0, lastSeq: 0 };
  const claimed: ClaimedRow[] = rows.map((r) => ({ seq: Number(r.seq), id: r.id, payload: r.payload }));
  const poison: Poison[] = [];
  const sendable: Sendable[] = [];
  for (const row of claimed) {
    const checked = checkRow(row, options.validator);
    if ('rejection' in checked) poison.push({ row, rejection: checked.rejection, recorded: false });
    else sendable.push(checked);
  }

  const sent: number[] = [];
  if (sendable.length > 0) {
    const byDetail = new Map(sendable.map((s) => [s.detailText, s]));
    const inputs: PublishInput[] = sendable.map((s) => ({
      ref: s.row.id,
      value: s.value,
      text: s.row.payload,
    }));
    // A PublishFailedError (the bus kept failing valid entries) rolls the round back: they are retried.
    await publishEvents(chunks(inputs), {
      bus: trackingBus(options.bus, byDetail),
      store: options.store,
      clock: options.clock,
      ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
      ...(options.publishAttempts !== undefined ? { maxAttempts: options.publishAttempts } : {}),
      ...(options.publishRetryBaseMs !== undefined ? { baseDelayMs: options.publishRetryBaseMs } : {}),
    });
    for (const s of sendable) {
      if (s.outcome?.accepted) sent.push(s.row.seq);
      else {
        // The publisher returned without failing, so it quarantined this entry (and wrote the record).
        const why = s.outcome ? s.outcome.error : 'the publisher rejected the entry before the bus';
        poison.push({
          row: s.row,
          rejection: { code: 'BUS_REJECTED', reason: `the bus rejected the entry (${why})` },
          recorded: true,
        });
      }
    }
  }

  if (poison.length > 0) {
    const now = options.clock.now();
    const lines = poison
      .filter((p) => !p.recorded)
      .map((p) =>
        JSON.stringify(quarantineRecord('publish', p.rejection, p.row.id, p.row.payload, now, p.row.id)),
      );
    // Written before the commit: a round that fails after this writes the record again (at least once).
    if (lines.length > 0) await writeQuarantine(options.store, 'publish', lines, options.clock);
    for (const p of poison) {
      await tx.query(MARK_QUARANTINED_SQL, [p.row.seq, `${p.rejection.code}: ${p.rejection.reason}`]);
    }
  }
  if (sent.length > 0) await tx.query(MARK_SENT_SQL, [sent]);
  return {
    claimed: claimed.length,
    published: sent.length,
    quarantined: poison.length,
    firstSeq: claimed[0]!.seq,
    lastSeq: claimed.at(-1)!.seq,
  };
}

/** Checks a payload as the landing does, then as the publisher will; returns the entry input or why not. */
function checkRow(row: ClaimedRow, validator: EventValidator): Sendable | { rejection: Rejection } {
  const validation = validator.validateText(row.payload);
  if (!validation.ok) return { rejection: validation.rejection };
  const envelope = validation.envelope;
  const eventId = envelope.detail.eventId;
  // The warehouse keeps one copy per detail.eventId: only when it is the row's id is a republish harmless.
  if (typeof eventId !== 'string' || eventId.toLowerCase() !== row.id.toLowerCase()) {
    return {
      rejection: {
        code: 'MALFORMED_ENVELOPE',
        reason: `detail.eventId is not the outbox row's id ${row.id}: a republished row would not be recognized as a duplicate`,
      },
    };
  }
  const value: Record<string, unknown> = {
    source: envelope.source,
    'detail-type': envelope['detail-type'],
    detail: envelope.detail,
    time: envelope.time,
    ...(envelope.resources !== undefined ? { resources: envelope.resources } : {}),
  };
  const entry = entryFromValue(value);
  if (!entry.ok) return { rejection: entry.rejection };
  return { row, value, detailText: entry.entry.Detail! };
}

/** The bus, noting each entry's last result on the row it came from (found by its Detail text). */
function trackingBus(bus: Bus, byDetail: Map<string, Sendable>): Bus {
  return {
    describe: () => bus.describe(),
    putEvents: async (entries: readonly PutEventsEntry[]): Promise<PutEventsResult> => {
      const result = await bus.putEvents(entries);
      entries.forEach((entry, i) => {
        const s = entry.Detail === undefined ? undefined : byDetail.get(entry.Detail);
        if (!s) return;
        const r = result.Entries[i];
        s.outcome = r?.EventId
          ? { accepted: true }
          : {
              accepted: false,
              error: r ? `${r.ErrorCode}: ${r.ErrorMessage}` : 'the bus returned no result for this entry',
            };
      });
      return result;
    },
  };
}

/** Inputs in chunks of PutEvents calls (the publisher takes chunks without an await per input). */
function* chunks(inputs: readonly PublishInput[]): Generator<readonly PublishInput[]> {
  for (let i = 0; i < inputs.length; i += PUT_EVENTS_MAX_ENTRIES * 10) {
    yield inputs.slice(i, i + PUT_EVENTS_MAX_ENTRIES * 10);
  }
}

/** Waits, or less when the signal fires. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
