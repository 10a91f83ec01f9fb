import { landBatch, type LandingDeps, type LandingRecord, type LandingResult } from './land-batch.js';

/**
 * One record of the event an SQS event source mapping hands to Lambda.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 */
export interface SqsRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly messageAttributes: Readonly<Record<string, unknown>>;
  readonly md5OfBody: string;
  readonly eventSource: string;
  readonly eventSourceARN: string;
  readonly awsRegion: string;
}

/** The event an SQS-triggered Lambda receives. */
export interface SqsEvent {
  readonly Records: readonly SqsRecord[];
}

/** The partial batch response Lambda expects when `ReportBatchItemFailures` is on. */
export interface SqsBatchResponse {
  readonly batchItemFailures: readonly { readonly itemIdentifier: string }[];
}

/**
 * Lands an SQS batch and maps the outcome to Lambda's partial batch response: the messages whose events
 * were not durably written are reported, so SQS redelivers them (and, after maxReceiveCount, moves them
 * to the DLQ); everything else is deleted by the event source mapping. `bodyBytes`, when the caller has
 * them (the embedded runtime's landing workers receive the bodies as UTF-8), gives record i's body as bytes:
 * a valid event is written from them instead of encoding its body again.
 */
export async function landSqsEvent(
  event: SqsEvent,
  deps: LandingDeps,
  bodyBytes?: (index: number) => Uint8Array | undefined,
): Promise<{ response: SqsBatchResponse; result: LandingResult }> {
  const records = event.Records;
  const landing: LandingRecord[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) landing[i] = new SqsLandingRecord(records[i]!, i, bodyBytes);
  const result = await landBatch(landing, deps);
  return { response: { batchItemFailures: result.failedIds.map((id) => ({ itemIdentifier: id })) }, result };
}

/**
 * An SQS record as the landing reads it. Its fields are read from the record when the landing asks for
 * them (once each), so a record whose body is decoded on read (the embedded runtime's) is not decoded
 * before its turn, nor kept after it.
 */
class SqsLandingRecord implements LandingRecord {
  constructor(
    private readonly record: SqsRecord,
    private readonly index: number,
    private readonly bodyBytes: ((index: number) => Uint8Array | undefined) | undefined,
  ) {}

  get id(): string {
    return this.record.messageId;
  }

  get body(): string {
    return this.record.body;
  }

  get bytes(): Uint8Array | undefined {
    return this.bodyBytes?.(this.index);
  }
}
