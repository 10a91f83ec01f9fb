import { afterEach, describe, expect, it } from 'vitest';
import type { SqsBatchResponse, SqsEvent, SqsRecord } from '../../lib/core/landing/sqs-event.js';
import { InProcessQueue } from '../../lib/local/in-process-queue.js';
import type { InvocationOutcome, SqsInvoker } from '../../lib/local/landing-invoker.js';
import { SqsEventSource, type SqsEventSourceOptions } from '../../lib/local/sqs-event-source.js';
import { EventSourceLimitError } from '../../lib/core/landing/event-source-limits.js';

type Respond = (event: SqsEvent, call: number) => SqsBatchResponse | void | Promise<SqsBatchResponse | void>;

const sources: SqsEventSource[] = [];
const queues: InProcessQueue[] = [];

afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
  for (const q of queues.splice(0)) q.close();
});

function queueOf(options: ConstructorParameters<typeof InProcessQueue>[1] = {}): InProcessQueue {
  const queue = new InProcessQueue('landing', { retryDelayMs: 5, ...options });
  queues.push(queue);
  return queue;
}

/** An event source whose handler records every event and answers with `respond`. */
function recording(
  queue: InProcessQueue,
  options: SqsEventSourceOptions = {},
  respond: Respond = () => ({ batchItemFailures: [] }),
): { source: SqsEventSource; calls: SqsRecord[][] } {
  const calls: SqsRecord[][] = [];
  const source = new SqsEventSource(
    queue,
    async (event) => {
      calls.push([...event.Records]);
      return respond(event, calls.length);
    },
    options,
  );
  sources.push(source);
  return { source, calls };
}

function sendAll(queue: InProcessQueue, count: number, body = (i: number) => `m${i}`): void {
  for (let i = 0; i < count; i++) queue.trySend(body(i));
}

/** Polls until `condition` holds: for states reached through timers and worker callbacks. */
async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

const ms = (n: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, n));

/** A promise with its resolve function, to hold an invocation open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('SqsEventSource batching', () => {
  it('invokes with at most batchSize records at a time', async () => {
    const queue = queueOf();
    sendAll(queue, 25);
    const { source, calls } = recording(queue, { batchSize: 10, maxConcurrency: 1 });
    source.start();
    await source.drain();
    expect(calls.map((c) => c.length)).toEqual([10, 10, 5]);
  });

  it('deletes every message of a batch the handler reports no failures for', async () => {
    const queue = queueOf();
    sendAll(queue, 5);
    const { source, calls } = recording(queue, { batchSize: 2 });
    source.start();
    await source.drain();
    expect(
      calls
        .flat()
        .map((r) => r.body)
        .sort(),
    ).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(queue.depth.total).toBe(0);
    expect(source.stats).toEqual({ invocations: 3, records: 5, failedRecords: 0, failedInvocations: 0 });
  });

  it('invokes with a lone message at once when there is no batching window', async () => {
    const queue = queueOf();
    const { source, calls } = recording(queue, { batchSize: 10 });
    source.start();
    queue.trySend('only');
    await until(() => calls.length === 1);
    expect(calls[0]!.map((r) => r.body)).toEqual(['only']);
  });

  it('waits for the batching window to fill a batch', async () => {
    const queue = queueOf();
    const { source, calls } = recording(queue, { batchSize: 5, maxBatchingWindowMs: 10_000 });
    source.start();
    queue.trySend('m0');
    await ms(20);
    expect(calls).toHaveLength(0);
    sendAll(queue, 4, (i) => `m${i + 1}`);
    await until(() => calls.length === 1);
    expect(calls[0]).toHaveLength(5);
  });

  it('invokes with a partial batch when the batching window ends', async () => {
    const queue = queueOf();
    const { source, calls } = recording(queue, { batchSize: 10, maxBatchingWindowMs: 80 });
    source.start();
    const sentAt = Date.now();
    sendAll(queue, 3);
    await until(() => calls.length === 1);
    expect(calls[0]).toHaveLength(3);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(75);
  });

  it('caps a batch at Lambda’s 6 MB invocation payload before batchSize', async () => {
    const queue = queueOf();
    // Five 1 MiB bodies with their record overhead fit in 6 MiB; a sixth does not.
    sendAll(queue, 10, () => 'x'.repeat(1024 * 1024));
    const { source, calls } = recording(queue, { batchSize: 10, maxConcurrency: 1 });
    source.start();
    await source.drain();
    expect(calls.map((c) => c.length)).toEqual([5, 5]);
  });

  it('runs at most maxConcurrency invocations at once', async () => {
    const queue = queueOf();
    sendAll(queue, 4);
    const gates: ReturnType<typeof gate>[] = [];
    const { source, calls } = recording(queue, { batchSize: 1, maxConcurrency: 2 }, async () => {
      const g = gate();
      gates.push(g);
      await g.promise;
    });
    source.start();
    await until(() => calls.length === 2);
    await ms(20);
    expect(calls).toHaveLength(2);

    gates[0]!.open();
    await until(() => calls.length === 3);
    await ms(20);
    expect(calls).toHaveLength(3);
    for (const g of gates) g.open();
    await until(() => calls.length === 4);
    gates[3]!.open();
    await source.drain();
  });
});

describe('SqsEventSource failures', () => {
  it('redelivers only the records reported in batchItemFailures and deletes the rest', async () => {
    const queue = queueOf();
    sendAll(queue, 3);
    const { source, calls } = recording(queue, {}, (event, call) => ({
      batchItemFailures: call === 1 ? [{ itemIdentifier: event.Records[1]!.messageId }] : [],
    }));
    source.start();
    await source.drain();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.map((r) => [r.messageId, r.body, r.attributes.ApproximateReceiveCount])).toEqual([
      [calls[0]![1]!.messageId, 'm1', '2'],
    ]);
    expect(source.stats.failedRecords).toBe(1);
  });

  it('redelivers the whole batch when the handler throws', async () => {
    const queue = queueOf();
    sendAll(queue, 3);
    const { source, calls } = recording(queue, {}, (_event, call) => {
      if (call === 1) throw new Error('boom');
    });
    source.start();
    await source.drain();
    expect(calls.map((c) => c.map((r) => r.body))).toEqual([
      ['m0', 'm1', 'm2'],
      ['m0', 'm1', 'm2'],
    ]);
    expect(calls[1]!.every((r) => r.attributes.ApproximateReceiveCount === '2')).toBe(true);
    expect(source.stats.failedInvocations).toBe(1);
    expect(source.recentErrors).toEqual(['handler threw: boom']);
  });

  it.each([
    ['an unknown itemIdentifier', 'not-a-message-of-this-queue'],
    ['an empty itemIdentifier', ''],
  ])('fails the whole batch on %s, as Lambda does', async (_name, itemIdentifier) => {
    const queue = queueOf();
    sendAll(queue, 3);
    const { source, calls } = recording(queue, {}, (_event, call) => ({
      batchItemFailures: call === 1 ? [{ itemIdentifier }] : [],
    }));
    source.start();
    await source.drain();
    expect(calls.map((c) => c.length)).toEqual([3, 3]);
    expect(source.stats.failedRecords).toBe(3);
  });

  it('fails the whole batch when an itemIdentifier names a message of another batch', async () => {
    const queue = queueOf();
    sendAll(queue, 2);
    const other = queue.messageId(2);
    const { source, calls } = recording(queue, { batchSize: 1, maxConcurrency: 1 }, (event, call) => ({
      batchItemFailures: call === 1 ? [{ itemIdentifier: other }] : [],
    }));
    source.start();
    await source.drain();
    const deliveries = calls.flat().map((r) => r.body);
    expect(deliveries.filter((b) => b === 'm0')).toHaveLength(2);
    expect(deliveries.filter((b) => b === 'm1')).toHaveLength(1);
  });

  it('dead-letters a message the handler keeps failing after maxReceiveCount deliveries', async () => {
    const queue = queueOf({ maxReceiveCount: 2 });
    sendAll(queue, 1);
    const { source, calls } = recording(queue, {}, () => {
      throw new Error('always');
    });
    source.start();
    await source.drain();
    expect(calls).toHaveLength(2);
    expect(queue.deadLetters.map((m) => [m.body, m.receiveCount])).toEqual([['m0', 2]]);
  });
});

describe('SqsEventSource lifecycle', () => {
  it('drains without waiting out the batching window', async () => {
    const queue = queueOf();
    sendAll(queue, 3);
    const { source, calls } = recording(queue, { batchSize: 100, maxBatchingWindowMs: 60_000 });
    source.start();
    const started = Date.now();
    await source.drain();
    expect(calls.map((c) => c.length)).toEqual([3]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('invokes before the batch size and the window once the visible messages fill an invocation’s payload', async () => {
    const queue = queueOf();
    // Each record counts its body (+10%) and 600 bytes of fields: 10 of 1,000-byte bodies make 17,000 bytes.
    const { source, calls } = recording(queue, {
      batchSize: 10_000,
      maxBatchingWindowMs: 60_000,
      maxPayloadBytes: 17_000,
    });
    source.start();
    sendAll(queue, 9, () => 'x'.repeat(1000));
    await ms(30);
    expect(calls).toHaveLength(0);
    queue.trySend('x'.repeat(1000));
    await until(() => calls.length === 1);
    expect(calls[0]).toHaveLength(10);
  });

  it('resolves drain only once a redelivered message has been processed', async () => {
    const queue = queueOf({ retryDelayMs: 30 });
    sendAll(queue, 1);
    const { source, calls } = recording(queue, {}, (_event, call) => {
      if (call === 1) throw new Error('once');
    });
    source.start();
    await source.drain();
    expect(calls).toHaveLength(2);
    expect(queue.depth.total).toBe(0);
  });

  it('stops after the invocation in flight finishes, then closes the invoker', async () => {
    const queue = queueOf();
    const held = gate();
    const events: string[] = [];
    const invoker: SqsInvoker = {
      invoke: async (batch): Promise<InvocationOutcome> => {
        events.push(`invoke ${Buffer.from(batch.bytes).toString('utf8')}`);
        await held.promise;
        events.push('invoked');
        return { response: { batchItemFailures: [] } };
      },
      close: async () => {
        events.push('close');
      },
    };
    const source = new SqsEventSource(queue, invoker);
    source.start();
    queue.trySend('a');
    await until(() => events.length === 1);

    const stopped = source.stop();
    await ms(20);
    expect(events).toEqual(['invoke a']);
    held.open();
    await stopped;
    expect(events).toEqual(['invoke a', 'invoked', 'close']);
    expect(queue.depth.total).toBe(0);
  });

  it('invokes nothing after stop', async () => {
    const queue = queueOf();
    const { source, calls } = recording(queue);
    source.start();
    await source.stop();
    queue.trySend('late');
    await ms(20);
    expect(calls).toHaveLength(0);
    expect(queue.visibleCount).toBe(1);
  });

  it('passes every invocation outcome to onOutcome', async () => {
    const queue = queueOf();
    sendAll(queue, 2);
    const returned: SqsBatchResponse[] = [];
    const outcomes: InvocationOutcome[] = [];
    const { source } = recording(
      queue,
      { batchSize: 1, maxConcurrency: 1, onOutcome: (o) => outcomes.push(o) },
      () => {
        const response = { batchItemFailures: [] };
        returned.push(response);
        return response;
      },
    );
    source.start();
    await source.drain();
    expect(outcomes).toHaveLength(2);
    expect(outcomes.map((o) => o.response)).toEqual(returned);
    expect(outcomes[0]!.response).toBe(returned[0]);
  });

  it('names the queue in the records’ ARN with the configured region and account', async () => {
    const queue = queueOf();
    sendAll(queue, 1);
    const { source, calls } = recording(queue, { region: 'eu-central-1', account: '123456789012' });
    source.start();
    await source.drain();
    expect(calls[0]![0]).toMatchObject({
      eventSourceARN: 'arn:aws:sqs:eu-central-1:123456789012:landing',
      awsRegion: 'eu-central-1',
      eventSource: 'aws:sqs',
    });
  });

  it.each([
    [{ batchSize: 0 }, 'batchSize must be an integer from 1 to 10,000, got 0'],
    [{ batchSize: 10_001 }, 'batchSize must be an integer from 1 to 10,000, got 10001'],
    [{ maxBatchingWindowMs: -1 }, 'maxBatchingWindowMs must be from 0 to 300,000 ms, got -1'],
    [{ maxBatchingWindowMs: 300_001 }, 'maxBatchingWindowMs must be from 0 to 300,000 ms, got 300001'],
  ])('rejects %j outside Lambda’s limits', (options, message) => {
    const source = () => new SqsEventSource(queueOf(), async () => undefined, options);
    expect(source).toThrow(EventSourceLimitError);
    expect(source).toThrow(message);
  });
});
