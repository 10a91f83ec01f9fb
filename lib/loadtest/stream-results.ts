import { randomUUID } from 'node:crypto';
import { Consumer, FetchIsolationLevels, type Message, type MessagesStream } from '@platformatic/kafka';

/** A minute of logins as the stream job wrote it, and when the load test read it. */
export interface WindowResult {
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly value: number;
  /** When the read_committed reader got it (epoch ms): the result is visible only once its checkpoint committed. */
  readonly readAtMs: number;
}

/** What the results topic held for a run. */
export interface StreamResultsSeen {
  /** StreamWindowCounted, metric logins, window minute, once per window (a repeated eventId is counted below). */
  readonly minutes: readonly WindowResult[];
  /** LateEventSeen results naming an event of this run. */
  readonly late: number;
  /** Results read more than once (same eventId): exactly-once output should make this 0. */
  readonly repeated: number;
  /** Every result read (all metrics and kinds). */
  readonly total: number;
}

/** Options of {@link StreamResultsReader}. */
export interface StreamResultsReaderOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  /** Whether a late event's id belongs to this run. */
  readonly isRunEvent: (eventId: string) => boolean;
}

interface ResultEnvelope {
  readonly 'detail-type'?: string;
  readonly detail?: {
    readonly eventId?: string;
    readonly metric?: string;
    readonly window?: string;
    readonly windowStart?: string;
    readonly windowEnd?: string;
    readonly value?: number;
    readonly lateEventId?: string;
  };
}

/**
 * Reads the stream job's results topic from its start, read committed (what the landing and any other consumer
 * see: a result becomes visible when the checkpoint that covers it commits the sink's transaction), as they come.
 * A consumer of a group of its own that never commits.
 */
export class StreamResultsReader {
  private readonly consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  private readonly minutes = new Map<string, WindowResult>();
  private readonly ids = new Set<string>();
  private late = 0;
  private repeated = 0;
  private total = 0;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;

  constructor(private readonly options: StreamResultsReaderOptions) {
    this.consumer = new Consumer({
      clientId: 'elt-loadtest-stream-results',
      groupId: `elt-loadtest-results-${randomUUID()}`,
      bootstrapBrokers: [...options.brokers],
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      autocommit: false,
      maxWaitTime: 250,
    });
  }

  async start(): Promise<void> {
    const stream = await this.consumer.consume({ topics: [this.options.topic], mode: 'earliest' });
    stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
      if (message.value) this.take(message.value.toString('utf8'), Date.now());
    });
    stream.on('error', () => undefined);
    this.stream = stream;
  }

  /** What has been read so far. */
  seen(): StreamResultsSeen {
    return {
      minutes: [...this.minutes.values()].sort((a, b) => a.windowEnd.localeCompare(b.windowEnd)),
      late: this.late,
      repeated: this.repeated,
      total: this.total,
    };
  }

  async stop(): Promise<StreamResultsSeen> {
    await this.stream?.close().catch(() => undefined);
    try {
      await this.consumer.close(true);
    } catch {
      // Leaving a group that never committed: nothing to clean up.
    }
    return this.seen();
  }

  private take(text: string, atMs: number): void {
    let envelope: ResultEnvelope;
    try {
      envelope = JSON.parse(text) as ResultEnvelope;
    } catch {
      return;
    }
    this.total++;
    const d = envelope.detail ?? {};
    if (d.eventId) {
      if (this.ids.has(d.eventId)) {
        this.repeated++;
        return;
      }
      this.ids.add(d.eventId);
    }
    const type = envelope['detail-type'];
    if (type === 'LateEventSeen' && d.lateEventId && this.options.isRunEvent(d.lateEventId)) this.late++;
    if (
      type === 'StreamWindowCounted' &&
      d.metric === 'logins' &&
      d.window === 'minute' &&
      d.windowStart &&
      d.windowEnd &&
      typeof d.value === 'number'
    )
      this.minutes.set(d.windowEnd, {
        windowStart: d.windowStart,
        windowEnd: d.windowEnd,
        value: d.value,
        readAtMs: atMs,
      });
  }
}
