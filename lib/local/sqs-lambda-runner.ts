import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { checkBatchSize, checkBatchWindowMs } from '../core/landing/event-source-limits.js';
import type { SqsBatchResponse, SqsEvent, SqsRecord } from '../core/landing/sqs-event.js';
import { EltError } from '../core/util/errors.js';

/** Options of {@link SqsLambdaRunner}: the settings of Lambda's SQS event source mapping it plays. */
export interface SqsLambdaRunnerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Invokes the function with an event; resolves with its response (a partial batch response or nothing). */
  readonly invoke: (event: SqsEvent, requestId: string) => Promise<unknown>;
  /** Records per invocation (the mapping's BatchSize, within EVENT_SOURCE_LIMITS). @default 10 */
  readonly batchSize?: number;
  /** Wait up to this long to fill a batch, from its first message (MaximumBatchingWindowInSeconds). @default 0 */
  readonly batchWindowMs?: number;
  /**
   * Make messages the function reported as failed visible again after this many seconds instead of the
   * queue's visibility timeout (Lambda leaves them to the timeout; shorter retries suit local loops).
   * @default the queue's visibility timeout
   */
  readonly retryDelaySeconds?: number;
  /** Called after every invocation. */
  readonly onBatch?: (batch: BatchReport) => void;
}

/** What one invocation did. */
export interface BatchReport {
  readonly records: number;
  readonly deleted: number;
  readonly failed: number;
  /** Set when the invocation itself failed (threw, timed out, returned an invalid response). */
  readonly error?: string;
}

/** Totals since the runner started. */
export interface RunnerStats {
  invocations: number;
  received: number;
  deleted: number;
  failedRecords: number;
  failedInvocations: number;
  lastError?: string;
}

/** The queue does not exist, or cannot be reached: the message names it and what to check. */
export class QueueUnavailableError extends EltError {}

const RECEIVE_MAX = 10;

/**
 * Lambda's SQS event source mapping, played locally: long-polls the queue, gathers up to `batchSize`
 * messages within the batching window, invokes the function with the exact event Lambda builds, deletes
 * the messages that succeeded, and leaves the reported failures for redelivery (and, after the queue's
 * maxReceiveCount, its DLQ). An invocation that throws fails its whole batch, as in Lambda. With
 * `ReportBatchItemFailures` semantics, an identifier that is not in the batch fails the whole batch.
 */
export class SqsLambdaRunner {
  readonly stats: RunnerStats = {
    invocations: 0,
    received: 0,
    deleted: 0,
    failedRecords: 0,
    failedInvocations: 0,
  };
  private source: { arn: string; region: string } | undefined;
  private readonly batchSize: number;
  private readonly batchWindowMs: number;

  constructor(private readonly options: SqsLambdaRunnerOptions) {
    this.batchSize = checkBatchSize('batchSize', options.batchSize ?? 10);
    this.batchWindowMs = checkBatchWindowMs('batchWindowMs', options.batchWindowMs ?? 0);
  }

  /**
   * Runs until `signal` aborts (the batch in hand is finished first), or, with `untilDrained`, until the
   * queue holds no message at all (visible, in flight or delayed).
   */
  async run(opts: { signal?: AbortSignal; untilDrained?: boolean } = {}): Promise<RunnerStats> {
    await this.describeQueue();
    while (!opts.signal?.aborted) {
      const messages = await this.gather(opts.signal, opts.untilDrained ? 1 : 20);
      if (messages.length > 0) {
        await this.invoke(messages);
        continue;
      }
      if (opts.untilDrained && (await this.depth()) === 0) break;
    }
    return this.stats;
  }

  /** Visible, in-flight and delayed messages, as SQS approximates them. */
  async depth(): Promise<number> {
    const out = await this.options.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.options.queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return Object.values(out.Attributes ?? {}).reduce((sum, v) => sum + Number(v), 0);
  }

  private async describeQueue(): Promise<{ arn: string; region: string }> {
    if (this.source) return this.source;
    let arn: string | undefined;
    try {
      const out = await this.options.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: this.options.queueUrl, AttributeNames: ['QueueArn'] }),
      );
      arn = out.Attributes?.QueueArn;
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue') {
        throw new QueueUnavailableError(`queue ${this.options.queueUrl} does not exist`, { cause: error });
      }
      throw error;
    }
    if (!arn) throw new QueueUnavailableError(`queue ${this.options.queueUrl} reported no ARN`);
    this.source = { arn, region: arn.split(':')[3] ?? '' };
    return this.source;
  }

  /** Receives up to batchSize messages: long-polls for the first, then fills within the window. */
  private async gather(signal: AbortSignal | undefined, firstWaitSeconds: number): Promise<Message[]> {
    const messages: Message[] = [];
    let deadline = Number.POSITIVE_INFINITY;
    while (messages.length < this.batchSize && !signal?.aborted) {
      const left = deadline - Date.now();
      if (messages.length > 0 && left <= 0) break;
      const wait = messages.length === 0 ? firstWaitSeconds : Math.min(20, Math.floor(left / 1000));
      const out = await this.options.sqs
        .send(
          new ReceiveMessageCommand({
            QueueUrl: this.options.queueUrl,
            MaxNumberOfMessages: Math.min(RECEIVE_MAX, this.batchSize - messages.length),
            WaitTimeSeconds: wait,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          signal ? { abortSignal: signal } : {},
        )
        .catch((error: Error) => {
          if (signal?.aborted) return { Messages: [] };
          throw error;
        });
      const got = out.Messages ?? [];
      if (messages.length === 0) {
        if (got.length === 0) return messages;
        deadline = Date.now() + this.batchWindowMs;
      } else if (got.length === 0 && wait === 0) {
        break;
      }
      messages.push(...got);
    }
    return messages;
  }

  private async invoke(messages: Message[]): Promise<void> {
    const source = await this.describeQueue();
    const records = messages.map((m) => toLambdaRecord(m, source));
    this.stats.invocations++;
    this.stats.received += records.length;
    let failedIds: Set<string>;
    let error: string | undefined;
    try {
      const response = await this.options.invoke({ Records: records }, randomUUID());
      failedIds = reportedFailures(response, records);
    } catch (e) {
      error = (e as Error).message;
      failedIds = new Set(records.map((r) => r.messageId));
    }
    if (error) {
      this.stats.failedInvocations++;
      this.stats.lastError = error;
    }
    const done = messages.filter((m) => !failedIds.has(m.MessageId ?? ''));
    const failed = messages.filter((m) => failedIds.has(m.MessageId ?? ''));
    await this.deleteAll(done);
    if (failed.length > 0 && this.options.retryDelaySeconds !== undefined) {
      await this.changeVisibility(failed, this.options.retryDelaySeconds);
    }
    this.stats.deleted += done.length;
    this.stats.failedRecords += failed.length;
    this.options.onBatch?.({
      records: records.length,
      deleted: done.length,
      failed: failed.length,
      ...(error ? { error } : {}),
    });
  }

  private async deleteAll(messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += RECEIVE_MAX) {
      let todo = messages.slice(i, i + RECEIVE_MAX);
      for (let attempt = 1; todo.length > 0; attempt++) {
        const out = await this.options.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: todo.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
        const failedIds = new Set((out.Failed ?? []).map((f) => f.Id));
        if (failedIds.size > 0 && attempt >= 3) {
          // Not deleted: the message is redelivered and landed again under the same object name (a
          // batch's object name comes from its event ids), which the warehouse dedupes anyway.
          const why = out.Failed?.map((f) => `${f.Code}: ${f.Message}`).join('; ');
          this.stats.lastError = `could not delete ${failedIds.size} message(s): ${why}`;
          break;
        }
        todo = todo.filter((_, j) => failedIds.has(String(j)));
      }
    }
  }

  private async changeVisibility(messages: Message[], seconds: number): Promise<void> {
    for (let i = 0; i < messages.length; i += RECEIVE_MAX) {
      await this.options.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: messages.slice(i, i + RECEIVE_MAX).map((m, j) => ({
            Id: String(j),
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: seconds,
          })),
        }),
      );
    }
  }
}

/** The record Lambda builds from a received message. */
export function toLambdaRecord(message: Message, source: { arn: string; region: string }): SqsRecord {
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.Attributes ?? {})) if (v !== undefined) attributes[k] = v;
  const messageAttributes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[k] = lambdaAttribute(v);
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes,
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: source.arn,
    awsRegion: source.region,
  };
}

function lambdaAttribute(v: MessageAttributeValue): Record<string, unknown> {
  return {
    ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
    ...(v.BinaryValue !== undefined ? { binaryValue: Buffer.from(v.BinaryValue).toString('base64') } : {}),
    stringListValues: v.StringListValues ?? [],
    binaryListValues: (v.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
    dataType: v.DataType,
  };
}

/**
 * The messages a response reports as failed. No response, or one without failures, means all succeeded;
 * a response Lambda would reject (an identifier that is empty or not in the batch) fails the whole batch.
 */
function reportedFailures(response: unknown, records: readonly SqsRecord[]): Set<string> {
  if (response === undefined || response === null) return new Set();
  const items = (response as Partial<SqsBatchResponse>).batchItemFailures;
  if (items === undefined || items === null) return new Set();
  const ids = new Set(records.map((r) => r.messageId));
  if (!Array.isArray(items)) return ids;
  const failed = new Set<string>();
  for (const item of items as unknown[]) {
    const id = (item as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !ids.has(id)) return ids;
    failed.add(id);
  }
  return failed;
}
