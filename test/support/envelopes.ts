import { EVENT_CATALOGUE, type EventType } from '../../lib/core/events/catalogue.js';
import type { EventEnvelope } from '../../lib/core/events/envelope.js';

/** The catalogue entry for a detail-type (tests only use types that exist). */
export function eventType(detailType: string): EventType {
  const t = EVENT_CATALOGUE.find((e) => e.detailType === detailType);
  if (!t) throw new Error(`no catalogue type ${detailType}`);
  return t;
}

/** A valid envelope of a catalogue type, from its example detail, with overrides. */
export function envelope(
  detailType: string,
  overrides: Partial<Omit<EventEnvelope, 'detail'>> & { detail?: Record<string, unknown> } = {},
): EventEnvelope {
  const t = eventType(detailType);
  return {
    version: '0',
    id: overrides.id ?? '11111111-2222-4333-8444-555555555555',
    'detail-type': t.detailType,
    source: t.source,
    account: '000000000000',
    time: '2026-11-01T12:34:56Z',
    region: 'us-east-1',
    resources: [],
    ...overrides,
    detail: { ...t.example, ...(overrides.detail ?? {}) },
  };
}
