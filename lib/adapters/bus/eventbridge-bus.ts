import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { BusSettingsError } from '../../core/bus/bus-errors.js';
import { checkPutEventsRequest } from '../../core/bus/put-events.js';
import type { PutEventsEntry, PutEventsResult } from '../../core/events/envelope.js';
import type { Bus } from '../../core/ports.js';

/** Options of {@link EventBridgeBus}. */
export interface EventBridgeBusOptions {
  /** The custom bus name (or ARN). */
  readonly busName: string;
  /** @default a client from the default credential chain; `AWS_ENDPOINT_URL` is honoured (LocalStack) */
  readonly client?: EventBridgeClient;
}

/**
 * An EventBridge custom bus: PutEvents with up to 10 entries per call. Per-entry failures come back as
 * the service reports them (the publisher retries only the failed entries); a failure of the whole call
 * throws.
 */
export class EventBridgeBus implements Bus {
  private readonly client: EventBridgeClient;

  constructor(private readonly options: EventBridgeBusOptions) {
    if (!/^[A-Za-z0-9._\-/:]{1,1600}$/.test(options.busName))
      throw new BusSettingsError(`not an event bus name or ARN: ${options.busName}`);
    this.client = options.client ?? new EventBridgeClient({});
  }

  describe(): string {
    return `eventbridge:${this.options.busName}`;
  }

  /** Releases the client's connections, when this bus made the client (one passed in is the caller's). */
  close(): void {
    if (!this.options.client) this.client.destroy();
  }

  async putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsResult> {
    checkPutEventsRequest(entries);
    const out = await this.client.send(
      new PutEventsCommand({
        Entries: entries.map((e): PutEventsRequestEntry => ({
          EventBusName: this.options.busName,
          Source: e.Source,
          DetailType: e.DetailType,
          Detail: e.Detail,
          ...(e.Time ? { Time: e.Time } : {}),
          ...(e.Resources?.length ? { Resources: [...e.Resources] } : {}),
        })),
      }),
    );
    const results = out.Entries ?? [];
    if (results.length !== entries.length) {
      throw new Error(`PutEvents answered ${results.length} entries for ${entries.length} sent`);
    }
    return {
      FailedEntryCount: out.FailedEntryCount ?? 0,
      Entries: results.map((r) =>
        r.EventId
          ? { EventId: r.EventId }
          : { ErrorCode: r.ErrorCode ?? 'Unknown', ErrorMessage: r.ErrorMessage ?? 'no message' },
      ),
    };
  }
}
