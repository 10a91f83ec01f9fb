import type { ObjectStore } from '../core/ports.js';
import type { LocalPipelineStats } from '../local/local-pipeline.js';
import type { LandedClock } from './landed-watcher.js';
import type { LoadEvent } from './load-events.js';
import type { DepthReading } from './sample-recorder.js';

/** The transports the load test drives. */
export const LOAD_TRANSPORTS = ['local', 'kafka', 'localstack'] as const;
export type LoadTransport = (typeof LOAD_TRANSPORTS)[number];

/** What happened to one offered event. */
export type OfferResult =
  | { readonly status: 'accepted'; readonly eventId: string }
  /** Refused: the transport said no (`429`, `503`, a PutEvents error code…). */
  | { readonly status: 'rejected'; readonly code: string }
  /** No answer (timeout, dropped connection): it may or may not have been taken. */
  | { readonly status: 'unanswered'; readonly code: string };

/** A breaker state change or another moment worth marking on the timeline. */
export interface TimelineEvent {
  readonly atMs: number;
  readonly what: string;
}

/**
 * A pipeline under load: where events are offered, how deep its backlog is, and where landed objects
 * appear. One per transport.
 */
export interface LoadTarget {
  readonly transport: LoadTransport;
  /** Events per offer call (a request's entries, a PutEvents call's entries). */
  readonly entriesPerCall: number;
  /** The landed objects, and how their landing time is read. */
  readonly store: ObjectStore;
  readonly landedClock: LandedClock;
  describe(): string;
  /** The ids the transport will give these events (before they are sent, so a landing can be matched). */
  eventIds(events: readonly LoadEvent[]): readonly string[];
  /** Offers up to `entriesPerCall` events; one result per event, in order. Never throws. */
  offer(events: readonly LoadEvent[]): Promise<readonly OfferResult[]>;
  /** The backlog between accepted and landed now. */
  depth(): Promise<DepthReading>;
  /** Offering has stopped: flush what a producer holds. */
  stopOffering(): Promise<void>;
  /** Moments to mark (breaker transitions), and facts for the report (settings, counters). */
  timeline(): readonly TimelineEvent[];
  facts(): Record<string, unknown>;
  /** Stops everything it started (bounded: a backlog left behind is reported, not waited for forever). */
  close(): Promise<void>;
}

/** What a landing pipeline did, as a run's facts: counts and its last three errors. */
export function landingFacts(pipeline: {
  readonly stats: LocalPipelineStats;
  readonly landingErrors: readonly string[];
}): Record<string, unknown> {
  return {
    landedEvents: pipeline.stats.landedEvents,
    landedObjects: pipeline.stats.landedObjectKeys.size,
    quarantined: pipeline.stats.quarantined,
    deadLettered: pipeline.stats.deadLettered,
    landingErrors: pipeline.landingErrors.slice(-3),
  };
}
