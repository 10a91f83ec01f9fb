import type { Bus } from '../core/ports.js';
import { putEventsEntry, type LoadEvent } from './load-events.js';
import type { OfferResult } from './load-target.js';

/**
 * Offers events to a bus as one PutEvents call: an entry with an id is accepted, an entry with an error
 * code is refused with that code; a call that fails as a whole leaves every entry unanswered (the bus may
 * have taken it), with the code `codeOf` gives the error.
 */
export async function offerToBus(
  bus: Bus,
  events: readonly LoadEvent[],
  codeOf: (error: unknown) => string,
): Promise<OfferResult[]> {
  try {
    const result = await bus.putEvents(events.map(putEventsEntry));
    return result.Entries.map((r, i) =>
      r.EventId
        ? { status: 'accepted', eventId: events[i]!.eventId }
        : { status: 'rejected', code: r.ErrorCode ?? 'unknown' },
    );
  } catch (error) {
    return events.map(() => ({ status: 'unanswered', code: codeOf(error) }));
  }
}
