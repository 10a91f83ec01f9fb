/**
 * The event as EventBridge delivers it to a target (an SQS message body, a Lambda event, an archive entry).
 * Field names follow the service exactly, including the hyphenated `detail-type`.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html
 */
export interface EventEnvelope<D = Record<string, unknown>> {
  readonly version: string;
  /** Assigned by the bus on PutEvents; a republished event gets a new one. */
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  /** RFC 3339 UTC timestamp with second precision, e.g. `2026-11-01T12:00:00Z`. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: D;
}

/** The part of every event's `detail` the pipeline relies on. */
export interface DetailBase {
  /** The producer's idempotency key (UUID): the dedupe key in every hop. */
  readonly eventId: string;
  /** The user the event is about. */
  readonly userId: string;
  /** The schema version of `detail`; absent means 1. */
  readonly schemaVersion?: number;
}

/**
 * One entry of a PutEvents call, in the camel-case form the SDK uses. `Detail` is a JSON object as text,
 * exactly as the API takes it.
 */
export interface PutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly Time?: Date;
  readonly Resources?: readonly string[];
  readonly EventBusName?: string;
}

/** The per-entry result of PutEvents: an id, or an error code and message. */
export type PutEventsResultEntry =
  | { readonly EventId: string; readonly ErrorCode?: undefined; readonly ErrorMessage?: undefined }
  | { readonly EventId?: undefined; readonly ErrorCode: string; readonly ErrorMessage: string };

/** The result of PutEvents: one entry per request entry, in order. */
export interface PutEventsResult {
  readonly FailedEntryCount: number;
  readonly Entries: readonly PutEventsResultEntry[];
}

/** Formats a time as EventBridge writes `time` in an envelope: UTC, second precision. */
export function formatEventTime(date: Date): string {
  return date.toISOString().slice(0, 19) + 'Z';
}
