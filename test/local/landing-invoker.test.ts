import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { createEventValidator } from '../../lib/core/events/validator.js';
import type { LandedObject } from '../../lib/core/landing/land-batch.js';
import { landSqsEvent, type SqsEvent } from '../../lib/core/landing/sqs-event.js';
import { systemClock } from '../../lib/core/ports.js';
import { InProcessQueue } from '../../lib/local/in-process-queue.js';
import { inProcessInvoker, WorkerLandingInvoker } from '../../lib/local/landing-invoker.js';
import { batchOf, toSqsRecords, type ReceivedBatch } from '../../lib/local/sqs-records.js';
import { envelope } from '../support/envelopes.js';
import { readObjects, readRecords } from '../support/objects.js';
import { useTempDirs } from '../support/temp-dir.js';

const SOURCE = { arn: 'arn:aws:sqs:us-east-1:000000000000:landing', region: 'us-east-1' };

const tempDir = useTempDirs();
const invokers: WorkerLandingInvoker[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(invokers.splice(0).map((i) => i.close()));
});

function workers(storeRoot: string): WorkerLandingInvoker {
  const invoker = new WorkerLandingInvoker({ storeRoot, durable: false }, 1);
  invokers.push(invoker);
  return invoker;
}

/** A received batch of these bodies, and a way to build it again (a worker invocation detaches its numbers). */
function received(bodies: readonly string[]): { queue: InProcessQueue; batch: () => ReceivedBatch } {
  const queue = new InProcessQueue('landing');
  for (const b of bodies) queue.trySend(b);
  const lease = queue.receiveBatch(bodies.length)!;
  return { queue, batch: () => batchOf(lease, queue.messageIdPrefix) };
}

const body = (detailType: string, id: string, detail: Record<string, unknown> = {}): string =>
  JSON.stringify(envelope(detailType, { id, detail }));

/** Valid events of two partitions, and two records landing quarantines. */
const MIXED = [
  body('UserSignedUp', 'a1111111-1111-4111-8111-111111111111'),
  body('PageViewed', 'a2222222-2222-4222-8222-222222222222'),
  body('UserSignedUp', 'a3333333-3333-4333-8333-333333333333', { userId: 'u_2' }),
  'not json',
  body('UserSignedUp', 'a4444444-4444-4444-8444-444444444444', { country: 'gb' }),
];

describe('inProcessInvoker', () => {
  it('calls the handler with the SQS records of the batch and returns its response', async () => {
    const { batch } = received(['{"n":1}', '{"n":2}']);
    let seen: SqsEvent | undefined;
    const response = { batchItemFailures: [{ itemIdentifier: 'x' }] };
    const outcome = await inProcessInvoker(async (event) => {
      seen = event;
      return response;
    }).invoke(batch(), SOURCE);
    expect(outcome.response).toBe(response);
    // As JSON, the form in which an event reaches a function.
    expect(JSON.parse(JSON.stringify(seen?.Records))).toEqual(
      JSON.parse(JSON.stringify(toSqsRecords(batch(), SOURCE))),
    );
    expect(seen?.Records.map((r) => r.body)).toEqual(['{"n":1}', '{"n":2}']);
  });

  it('rejects the invocation when the handler throws', async () => {
    const { batch } = received(['a']);
    const invoker = inProcessInvoker(async () => {
      throw new Error('handler failed');
    });
    await expect(invoker.invoke(batch(), SOURCE)).rejects.toThrow('handler failed');
  });
});

describe('WorkerLandingInvoker', () => {
  it('writes the same raw objects, results and quarantine records as landing in this thread', async () => {
    const { batch } = received(MIXED);
    const here = new FsObjectStore(await tempDir(), { durable: false });
    const there = new FsObjectStore(await tempDir(), { durable: false });
    const deps = { store: here, validator: createEventValidator(), clock: systemClock };
    const local = await landSqsEvent({ Records: toSqsRecords(batch(), SOURCE) }, deps);

    const outcome = await workers(there.root).invoke(batch(), SOURCE);

    expect(outcome.response).toEqual(local.response);
    const byKey = (objects: readonly LandedObject[] = []) =>
      [...objects].sort((a, b) => a.key.localeCompare(b.key));
    expect(byKey(outcome.result?.objects)).toEqual(byKey(local.result.objects));
    expect(outcome.result).toMatchObject({ landedEvents: 3, quarantined: 2, failedIds: [] });
    const raw = await readObjects(there, 'raw/');
    expect(raw).toEqual(await readObjects(here, 'raw/'));
    expect([...raw.values()].flat().sort()).toEqual([MIXED[0], MIXED[1], MIXED[2]].sort());
    const withoutTime = (records: Record<string, unknown>[]) =>
      records.map(({ quarantinedAt: _t, ...rest }) => rest);
    expect(withoutTime(await readRecords(there, 'quarantine/'))).toEqual(
      withoutTime(await readRecords(here, 'quarantine/')),
    );
  });

  it('reports the records it could not write as batch item failures', async () => {
    const dir = await tempDir();
    const notADirectory = join(dir, 'file');
    await writeFile(notADirectory, 'x');
    const { queue, batch } = received(MIXED.slice(0, 2));

    const outcome = await workers(notADirectory).invoke(batch(), SOURCE);

    expect(outcome.response).toEqual({
      batchItemFailures: [1, 2].map((seq) => ({ itemIdentifier: queue.messageId(seq) })),
    });
    expect(outcome.result?.landedEvents).toBe(0);
  });

  it('fails the batch of a worker that dies, and lands the next batch on a replacement', async () => {
    const dir = await tempDir();
    const invoker = workers(dir);
    // The worker dies on receiving the batch, before it can answer.
    vi.spyOn(Worker.prototype, 'postMessage').mockImplementationOnce(function (this: Worker) {
      void this.terminate();
    });
    await expect(invoker.invoke(received(MIXED.slice(0, 1)).batch(), SOURCE)).rejects.toThrow(
      /^landing worker exited with code \d+$/,
    );

    const outcome = await invoker.invoke(received(MIXED.slice(0, 1)).batch(), SOURCE);
    expect(outcome.result?.landedEvents).toBe(1);
  });

  it('replaces a worker that dies while idle', async () => {
    const dir = await tempDir();
    const invoker = workers(dir);
    const posted = vi.spyOn(Worker.prototype, 'postMessage');
    await invoker.invoke(received(MIXED.slice(0, 1)).batch(), SOURCE);
    const first = posted.mock.contexts[0] as Worker;
    await first.terminate();

    const outcome = await invoker.invoke(received(MIXED.slice(1, 2)).batch(), SOURCE);
    expect(outcome.result?.landedEvents).toBe(1);
    expect(posted.mock.contexts[1]).not.toBe(first);
  });

  it('refuses invocations once closed', async () => {
    const invoker = workers(await tempDir());
    await invoker.close();
    await expect(invoker.invoke(received(['a']).batch(), SOURCE)).rejects.toThrow(
      'the landing workers are closed',
    );
  });
});
