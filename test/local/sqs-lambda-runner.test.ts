import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { SqsEvent } from '../../lib/core/landing/sqs-event.js';
import {
  BundledFunctionInvoker,
  BundleNotFoundError,
  findBundledFunction,
  InvocationError,
} from '../../lib/local/bundled-function.js';
import { SqsLambdaRunner, toLambdaRecord } from '../../lib/local/sqs-lambda-runner.js';
import { useTempDirs } from '../support/temp-dir.js';
import { EventSourceLimitError } from '../../lib/core/landing/event-source-limits.js';

// LocalStack has no Lambda service here, so these requests are what Lambda's SQS event source mapping
// sends; the LocalStack suite runs the same runner against a real queue.
const sqs = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const mock = mockClient(sqs);
const QUEUE = 'http://127.0.0.1:4566/queue/us-east-1/000000000000/landing';
const ARN = 'arn:aws:sqs:us-east-1:000000000000:landing';

const message = (i: number): Message => ({
  MessageId: `m-${i}`,
  ReceiptHandle: `rh-${i}`,
  Body: `{"n":${i}}`,
  MD5OfBody: `md5-${i}`,
  Attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1700000000000' },
});

beforeEach(() => {
  mock.reset();
  mock
    .on(GetQueueAttributesCommand, { AttributeNames: ['QueueArn'] })
    .resolves({ Attributes: { QueueArn: ARN } });
  mock.on(DeleteMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  mock.on(ChangeMessageVisibilityBatchCommand).resolves({});
});

/** A queue holding `messages`, received ten at a time, then empty. */
function queueHolding(messages: Message[]): void {
  const pages = [];
  for (let i = 0; i < messages.length; i += 10) pages.push(messages.slice(i, i + 10));
  let call = mock.on(ReceiveMessageCommand);
  for (const page of pages) call = call.resolvesOnce({ Messages: page });
  call.resolves({ Messages: [] });
}

async function runOnce(
  messages: Message[],
  invoke: (event: SqsEvent) => Promise<unknown>,
  extra: { retryDelaySeconds?: number; batchSize?: number; batchWindowMs?: number } = {},
): Promise<SqsLambdaRunner> {
  queueHolding(messages);
  mock
    .on(GetQueueAttributesCommand, {
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    })
    .resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });
  const runner = new SqsLambdaRunner({ sqs, queueUrl: QUEUE, invoke, batchWindowMs: 0, ...extra });
  await runner.run({ untilDrained: true });
  return runner;
}

const deletedHandles = (): string[] =>
  mock
    .commandCalls(DeleteMessageBatchCommand)
    .flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => e.ReceiptHandle!));

describe('SqsLambdaRunner', () => {
  it('invokes with the records Lambda builds and deletes every message of a successful batch', async () => {
    const events: SqsEvent[] = [];
    const runner = await runOnce([message(1), message(2)], async (e) => {
      events.push(e);
      return { batchItemFailures: [] };
    });
    expect(events).toHaveLength(1);
    expect(events[0]!.Records[0]).toStrictEqual({
      messageId: 'm-1',
      receiptHandle: 'rh-1',
      body: '{"n":1}',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1700000000000' },
      messageAttributes: {},
      md5OfBody: 'md5-1',
      eventSource: 'aws:sqs',
      eventSourceARN: ARN,
      awsRegion: 'us-east-1',
    });
    expect(mock.commandCalls(ReceiveMessageCommand)[0]!.args[0].input).toMatchObject({
      QueueUrl: QUEUE,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    });
    expect(deletedHandles()).toEqual(['rh-1', 'rh-2']);
    expect(runner.stats).toMatchObject({ invocations: 1, received: 2, deleted: 2, failedRecords: 0 });
  });

  it('gathers up to the batch size over several receives and deletes in batches of ten', async () => {
    const messages = Array.from({ length: 25 }, (_, i) => message(i));
    const sizes: number[] = [];
    await runOnce(
      messages,
      async (e) => {
        sizes.push(e.Records.length);
      },
      { batchSize: 25, batchWindowMs: 1000 },
    );
    expect(sizes).toEqual([25]);
    expect(mock.commandCalls(DeleteMessageBatchCommand).map((c) => c.args[0].input.Entries!.length)).toEqual([
      10, 10, 5,
    ]);
  });

  it('leaves the reported failures for redelivery and deletes the rest', async () => {
    const runner = await runOnce(
      [message(1), message(2), message(3)],
      async () => ({ batchItemFailures: [{ itemIdentifier: 'm-2' }] }),
      { retryDelaySeconds: 0 },
    );
    expect(deletedHandles()).toEqual(['rh-1', 'rh-3']);
    expect(mock.commandCalls(ChangeMessageVisibilityBatchCommand)[0]!.args[0].input.Entries).toEqual([
      { Id: '0', ReceiptHandle: 'rh-2', VisibilityTimeout: 0 },
    ]);
    expect(runner.stats).toMatchObject({ deleted: 2, failedRecords: 1, failedInvocations: 0 });
  });

  it('leaves failed messages to the visibility timeout unless a retry delay is set, as Lambda does', async () => {
    await runOnce([message(1)], async () => ({ batchItemFailures: [{ itemIdentifier: 'm-1' }] }));
    expect(mock.commandCalls(ChangeMessageVisibilityBatchCommand)).toHaveLength(0);
    expect(deletedHandles()).toEqual([]);
  });

  it('fails the whole batch when the function throws', async () => {
    const runner = await runOnce([message(1), message(2)], async () => {
      throw new Error('boom');
    });
    expect(deletedHandles()).toEqual([]);
    expect(runner.stats).toMatchObject({ failedRecords: 2, failedInvocations: 1, lastError: 'boom' });
  });

  it.each([
    ['an identifier not in the batch', { batchItemFailures: [{ itemIdentifier: 'other' }] }],
    ['an empty identifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a non-array', { batchItemFailures: 'm-1' }],
  ])('fails the whole batch for a response with %s, as Lambda does', async (_name, response) => {
    await runOnce([message(1), message(2)], async () => response);
    expect(deletedHandles()).toEqual([]);
  });

  it.each([
    ['nothing', undefined],
    ['null', null],
    ['an object without batchItemFailures', { ok: true }],
  ])('treats a response of %s as full success', async (_name, response) => {
    await runOnce([message(1)], async () => response);
    expect(deletedHandles()).toEqual(['rh-1']);
  });

  it('names a queue that does not exist', async () => {
    mock
      .on(GetQueueAttributesCommand)
      .rejects(Object.assign(new Error('no queue'), { name: 'QueueDoesNotExist' }));
    const runner = new SqsLambdaRunner({ sqs, queueUrl: QUEUE, invoke: async () => undefined });
    await expect(runner.run({ untilDrained: true })).rejects.toThrow(`queue ${QUEUE} does not exist`);
  });

  it('rejects batch sizes Lambda does not allow', () => {
    expect(
      () => new SqsLambdaRunner({ sqs, queueUrl: QUEUE, invoke: async () => 0, batchSize: 10_001 }),
    ).toThrow(new EventSourceLimitError('batchSize must be an integer from 1 to 10,000, got 10001'));
  });

  it('gives message attributes the shape Lambda gives them', () => {
    const record = toLambdaRecord(
      {
        ...message(1),
        MessageAttributes: {
          a: { DataType: 'String', StringValue: 'x' },
          b: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      },
      { arn: ARN, region: 'us-east-1' },
    );
    expect(record.messageAttributes).toStrictEqual({
      a: { stringValue: 'x', stringListValues: [], binaryListValues: [], dataType: 'String' },
      b: { binaryValue: 'AQID', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
    });
  });
});

describe('bundled functions from cdk.out', () => {
  const tempDir = useTempDirs();

  /** A cloud assembly with one stack holding one function whose bundle is `code`. */
  async function assembly(code: string, timeout = 3): Promise<string> {
    const dir = await tempDir();
    await mkdir(join(dir, 'asset.abc'));
    await writeFile(join(dir, 'asset.abc', 'index.mjs'), code);
    await writeFile(
      join(dir, 'app-stack.template.json'),
      JSON.stringify({
        Resources: {
          Fn: {
            Type: 'AWS::Lambda::Function',
            Metadata: {
              'aws:cdk:path': 'app-stack/Landing/Function/Resource',
              'aws:asset:path': 'asset.abc',
            },
            Properties: {
              Handler: 'index.handler',
              Timeout: timeout,
              Environment: { Variables: { GREETING: 'hello', BUCKET: { Ref: 'Bucket' } } },
            },
          },
        },
      }),
    );
    return dir;
  }

  it('finds the bundle, its literal environment and the variables CloudFormation sets', async () => {
    const dir = await assembly('export const handler = async () => 1;');
    const fn = findBundledFunction(dir, 'app-stack', 'Landing/Function');
    expect(fn).toMatchObject({
      path: 'app-stack/Landing/Function',
      entry: join(dir, 'asset.abc', 'index.mjs'),
      exportName: 'handler',
      environment: { GREETING: 'hello' },
      deployTimeVariables: ['BUCKET'],
      timeoutSeconds: 3,
    });
  });

  it('says what to run when the assembly, the stack or the function is missing', async () => {
    const dir = await assembly('export const handler = async () => 1;');
    expect(() => findBundledFunction(join(dir, 'nope'), 'app-stack', 'Landing/Function')).toThrow(
      BundleNotFoundError,
    );
    expect(() => findBundledFunction(dir, 'app-stack', 'Landing/Function')).not.toThrow();
    expect(() => findBundledFunction(dir, 'other-stack', 'Landing/Function')).toThrow(
      'npx cdk synth -c env=local',
    );
    expect(() => findBundledFunction(dir, 'app-stack', 'Other/Function')).toThrow(
      'has no function Other/Function',
    );
  });

  it('runs the handler in its own environment, with the variables set, and keeps its logs off stdout', async () => {
    const dir = await assembly(
      "console.log('init log'); export const handler = async (event, context) => ({ got: event.n, bucket: process.env.BUCKET, greeting: process.env.GREETING, id: context.awsRequestId });",
    );
    const logs: string[] = [];
    const invoker = new BundledFunctionInvoker(findBundledFunction(dir, 'app-stack', 'Landing/Function'), {
      environment: { BUCKET: 'raw' },
      logTo: new (await import('node:stream')).Writable({
        write(chunk: Buffer, _enc, done) {
          logs.push(chunk.toString());
          done();
        },
      }),
    });
    try {
      expect(await invoker.invoke({ n: 7 }, 'req-1')).toEqual({
        got: 7,
        bucket: 'raw',
        greeting: 'hello',
        id: 'req-1',
      });
      expect(process.env.BUCKET).toBeUndefined();
    } finally {
      await invoker.close();
    }
    expect(logs.join('')).toContain('init log');
  });

  it('refuses to run without the variables CloudFormation would set', async () => {
    const dir = await assembly('export const handler = async () => 1;');
    expect(
      () => new BundledFunctionInvoker(findBundledFunction(dir, 'app-stack', 'Landing/Function')),
    ).toThrow('needs BUCKET, which CloudFormation sets at deploy time');
  });

  it('fails an invocation that runs past the timeout, and starts a fresh environment for the next', async () => {
    const dir = await assembly(
      'let calls = 0; export const handler = async (event) => { calls++; if (event.hang) await new Promise(() => {}); return calls; };',
      1,
    );
    const invoker = new BundledFunctionInvoker(findBundledFunction(dir, 'app-stack', 'Landing/Function'), {
      environment: { BUCKET: 'raw' },
    });
    try {
      await expect(invoker.invoke({ hang: true }, 'r1')).rejects.toThrow(InvocationError);
      // A fresh environment: module state starts over, so this is its first call again.
      expect(await invoker.invoke({}, 'r2')).toBe(1);
    } finally {
      await invoker.close();
    }
  });

  it('reports a handler error as a failed invocation', async () => {
    const dir = await assembly("export const handler = async () => { throw new Error('bad batch'); };");
    const invoker = new BundledFunctionInvoker(findBundledFunction(dir, 'app-stack', 'Landing/Function'), {
      environment: { BUCKET: 'raw' },
    });
    try {
      await expect(invoker.invoke({}, 'r1')).rejects.toThrow('bad batch');
    } finally {
      await invoker.close();
    }
  });
});
