import { describe, expect, it } from 'vitest';
import { InProcessQueue, type Lease, type QueueMessage } from '../../lib/local/in-process-queue.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function receive(queue: InProcessQueue, max = 10): Lease {
  const lease = queue.receiveBatch(max);
  if (!lease) throw new Error('expected visible messages');
  return lease;
}

const bodies = (lease: Lease): string[] => lease.messages.map((m) => m.body);

/** Resolves on the next macrotask: lets a waiter that should not have resolved show that it did. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function settledFlag(promise: Promise<unknown>): { done: boolean } {
  const flag = { done: false };
  void promise.then(() => (flag.done = true));
  return flag;
}

describe('InProcessQueue receiving', () => {
  it('hands out visible messages in send order, up to the batch size', () => {
    const queue = new InProcessQueue('q');
    for (const b of ['a', 'b', 'c']) queue.trySend(b);
    expect(bodies(receive(queue, 2))).toEqual(['a', 'b']);
    expect(bodies(receive(queue, 2))).toEqual(['c']);
  });

  it('hides received messages from other receivers until the lease is settled', () => {
    const queue = new InProcessQueue('q');
    queue.trySend('a');
    receive(queue);
    expect(queue.receiveBatch(10)).toBeUndefined();
    expect(queue.depth).toEqual({ visible: 0, inFlight: 1, delayed: 0, total: 1 });
  });

  it('returns no lease when nothing is visible', () => {
    expect(new InProcessQueue('q').receiveBatch(10)).toBeUndefined();
  });

  it('stops a batch before the bodies plus per-message overhead exceed maxBytes', () => {
    const queue = new InProcessQueue('q');
    for (let i = 0; i < 4; i++) queue.trySend('x'.repeat(100));
    // 2 × (100 + 10) = 220 fits in 250; a third message would make 330.
    const lease = queue.receiveBatch(10, 250, (message) => message.byteLength + 10);
    expect(lease?.messages).toHaveLength(2);
  });

  it('hands out one message even when it alone exceeds maxBytes, so a large message cannot wedge the queue', () => {
    const queue = new InProcessQueue('q');
    queue.trySend('x'.repeat(1000));
    expect(queue.receiveBatch(10, 10)?.messages).toHaveLength(1);
  });

  it('counts the first delivery and records when it happened', () => {
    const queue = new InProcessQueue('q');
    const before = Date.now();
    queue.trySend('a');
    const [m] = receive(queue).messages as [QueueMessage];
    expect(m.receiveCount).toBe(1);
    expect(m.sentAt).toBeGreaterThanOrEqual(before);
    expect(m.firstReceivedAt).toBeGreaterThanOrEqual(m.sentAt);
  });
});

describe('InProcessQueue settling', () => {
  it('deletes every message of a lease settled with none failed', async () => {
    const queue = new InProcessQueue('q');
    queue.trySend('a');
    queue.trySend('b');
    queue.settle(receive(queue).id, 'none', 'ok');
    expect(queue.depth.total).toBe(0);
    await queue.whenEmpty();
  });

  it('redelivers only the failed indexes, after the retry delay, with a higher receive count', async () => {
    const queue = new InProcessQueue('q', { retryDelayMs: 20 });
    for (const b of ['a', 'b', 'c']) queue.trySend(b);
    const first = receive(queue);
    const firstReceivedAt = first.messages[1]!.firstReceivedAt;
    queue.settle(first.id, new Set([1]), 'failed');
    expect(queue.depth).toEqual({ visible: 0, inFlight: 0, delayed: 1, total: 1 });

    await queue.whenVisible(1);
    const again = receive(queue);
    expect(bodies(again)).toEqual(['b']);
    expect(again.messages[0]!.receiveCount).toBe(2);
    expect(again.messages[0]!.firstReceivedAt).toBe(firstReceivedAt);
  });

  it('keeps a released message invisible until the retry delay has passed', async () => {
    const queue = new InProcessQueue('q', { retryDelayMs: 60 });
    queue.trySend('a');
    const released = Date.now();
    queue.settle(receive(queue).id, 'all', 'failed');
    await tick();
    expect(queue.receiveBatch(10)).toBeUndefined();
    await queue.whenVisible(1);
    // Timers may fire a millisecond early by Date's reckoning.
    expect(Date.now() - released).toBeGreaterThanOrEqual(55);
  });

  it('redelivers a message under the same sequence number', async () => {
    const queue = new InProcessQueue('q', { retryDelayMs: 1 });
    queue.trySend('a');
    const first = receive(queue);
    queue.settle(first.id, 'all', 'failed');
    await queue.whenVisible(1);
    expect(receive(queue).messages[0]!.seq).toBe(first.messages[0]!.seq);
  });

  it('dead-letters a message after maxReceiveCount deliveries, with the reason and the count', async () => {
    const letters: { body: string; receiveCount: number; reason: string }[] = [];
    const queue = new InProcessQueue('q', {
      maxReceiveCount: 2,
      retryDelayMs: 1,
      onDeadLetter: (m, reason) => letters.push({ body: m.body, receiveCount: m.receiveCount, reason }),
    });
    queue.trySend('a');
    queue.settle(receive(queue).id, 'all', 'boom');
    expect(letters).toEqual([]);
    await queue.whenVisible(1);
    queue.settle(receive(queue).id, 'all', 'boom');
    expect(letters).toEqual([
      { body: 'a', receiveCount: 2, reason: 'boom (delivered 2 times; maxReceiveCount 2)' },
    ]);
    expect(queue.depth.total).toBe(0);
  });

  it('keeps dead letters in deadLetters when no handler is given', () => {
    const queue = new InProcessQueue('q', { maxReceiveCount: 1 });
    queue.trySend('a');
    queue.settle(receive(queue).id, 'all', 'boom');
    expect(queue.deadLetters.map((m) => m.body)).toEqual(['a']);
  });

  it('ignores a lease settled a second time', () => {
    const queue = new InProcessQueue('q', { retryDelayMs: 10_000 });
    queue.trySend('a');
    queue.trySend('b');
    const lease = receive(queue, 1);
    queue.settle(lease.id, 'none', 'ok');
    queue.settle(lease.id, 'all', 'late');
    expect(queue.depth).toEqual({ visible: 1, inFlight: 0, delayed: 0, total: 1 });
    queue.close();
  });

  it('does not redeliver once closed', async () => {
    const queue = new InProcessQueue('q', { retryDelayMs: 5 });
    queue.trySend('a');
    queue.settle(receive(queue).id, 'all', 'failed');
    queue.close();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(queue.visibleCount).toBe(0);
    expect(queue.depth.delayed).toBe(1);
  });
});

describe('InProcessQueue capacity', () => {
  it('refuses a message when it holds capacity messages, counting those in flight', () => {
    const queue = new InProcessQueue('q', { capacity: 2 });
    expect(queue.trySend('a')).toBe(true);
    receive(queue);
    expect(queue.trySend('b')).toBe(true);
    expect(queue.trySend('c')).toBe(false);
  });

  it('refuses a message that would take the bodies over capacityBytes', () => {
    const queue = new InProcessQueue('q', { capacityBytes: 10 });
    expect(queue.trySend('12345')).toBe(true);
    expect(queue.trySend('123456')).toBe(false);
    expect(queue.trySend('12345')).toBe(true);
  });

  it('counts capacityBytes in UTF-8 bytes, as SQS counts a message', () => {
    const queue = new InProcessQueue('q', { capacityBytes: 10 });
    // 'é' is one UTF-16 code unit and two bytes of UTF-8: four of them take 8 bytes.
    expect(queue.trySend('éééé')).toBe(true);
    expect(queue.trySend('abc')).toBe(false);
    expect(queue.trySend('ab')).toBe(true);
  });

  it('takes a message larger than capacityBytes when empty', () => {
    const queue = new InProcessQueue('q', { capacityBytes: 10 });
    expect(queue.trySend('x'.repeat(100))).toBe(true);
  });

  it('makes send wait for space and enqueue once a settle frees it (backpressure)', async () => {
    const queue = new InProcessQueue('q', { capacity: 1 });
    await queue.send('a');
    const sent = queue.send('b');
    const flag = settledFlag(sent);
    await tick();
    expect(flag.done).toBe(false);
    expect(queue.depth.total).toBe(1);

    queue.settle(receive(queue).id, 'none', 'ok');
    await sent;
    expect(bodies(receive(queue))).toEqual(['b']);
  });

  it('does not free space when a lease is released for redelivery', async () => {
    const queue = new InProcessQueue('q', { capacity: 1, retryDelayMs: 10_000 });
    queue.trySend('a');
    queue.settle(receive(queue).id, 'all', 'failed');
    expect(queue.trySend('b')).toBe(false);
    queue.close();
  });
});

describe('InProcessQueue bodies', () => {
  it('gives back every body as it was sent, with its size in UTF-8 bytes', () => {
    const queue = new InProcessQueue('q');
    const sent = ['', '{"a":1}', 'two\nlines', 'Zoë — “𝔘𝔫𝔦𝔠𝔬𝔡𝔢”', 'x'.repeat(100_000)];
    for (const b of sent) queue.trySend(b);
    const lease = receive(queue);
    expect(bodies(lease)).toEqual(sent);
    expect(lease.messages.map((m) => m.byteLength)).toEqual(sent.map((b) => Buffer.byteLength(b)));
  });

  it('keeps bodies across the buffers it writes them into, and one larger than a buffer', () => {
    const queue = new InProcessQueue('q', { capacityBytes: 64 * 1024 * 1024 });
    // 1 MiB buffers: 3-byte characters take them in a few hundred messages; the last body needs one of its own.
    const sent = Array.from({ length: 600 }, (_, i) => `${i}:${'€'.repeat(1000 + (i % 7))}`);
    sent.push('€'.repeat(400_000));
    for (const b of sent) expect(queue.trySend(b)).toBe(true);
    expect(bodies(receive(queue, 1000))).toEqual(sent);
  });

  it('keeps a body UTF-8 cannot carry (a lone surrogate) as it was sent', () => {
    const queue = new InProcessQueue('q');
    queue.trySend('{"s":"\ud800"}');
    const [message] = receive(queue).messages;
    expect(message!.body).toBe('{"s":"\ud800"}');
    expect(message!.byteLength).toBe(Buffer.byteLength('{"s":"\ud800"}'));
  });

  it('gives back the body of a message redelivered or dead-lettered after others were sent', async () => {
    const queue = new InProcessQueue('q', { retryDelayMs: 1, maxReceiveCount: 2 });
    queue.trySend('first é');
    queue.settle(receive(queue).id, 'all', 'failed');
    for (let i = 0; i < 2000; i++) queue.trySend('y'.repeat(1000));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const lease = receive(queue, 3000);
    const at = lease.messages.findIndex((m) => m.receiveCount === 2);
    expect(lease.messages[at]?.body).toBe('first é');
    queue.settle(lease.id, new Set([at]), 'failed again');
    expect(queue.deadLetters.map((m) => m.body)).toEqual(['first é']);
  });

  it('counts the bytes of the visible messages', () => {
    const queue = new InProcessQueue('q');
    queue.trySend('ab');
    queue.trySend('é');
    expect(queue.visibleBytes).toBe(4);
    receive(queue, 1);
    expect(queue.visibleBytes).toBe(2);
  });
});

describe('InProcessQueue waiting', () => {
  it('resolves whenVisible once the visible messages make a full batch by the given measure', async () => {
    const queue = new InProcessQueue('q');
    const seen: [number, number][] = [];
    const full = (count: number, bytes: number): boolean => {
      seen.push([count, bytes]);
      return bytes >= 10;
    };
    const visible = queue.whenVisible(100, full);
    const flag = settledFlag(visible);
    queue.trySend('12345');
    await tick();
    expect(flag.done).toBe(false);
    queue.trySend('67890');
    await visible;
    expect(seen).toEqual([
      [0, 0],
      [1, 5],
      [2, 10],
    ]);
  });

  it('resolves whenVisible once the requested number of messages is visible', async () => {
    const queue = new InProcessQueue('q');
    queue.trySend('a');
    const visible = queue.whenVisible(3);
    const flag = settledFlag(visible);
    queue.trySend('b');
    await tick();
    expect(flag.done).toBe(false);
    queue.trySend('c');
    await visible;
  });

  it('resolves whenEmpty only when every message is deleted or dead-lettered', async () => {
    const queue = new InProcessQueue('q', { maxReceiveCount: 1 });
    queue.trySend('a');
    queue.trySend('b');
    const empty = queue.whenEmpty();
    const flag = settledFlag(empty);
    const lease = receive(queue);
    await tick();
    expect(flag.done).toBe(false);
    queue.settle(lease.id, new Set([0]), 'failed'); // 'a' dead-lettered, 'b' deleted
    await empty;
    expect(queue.deadLetters.map((m) => m.body)).toEqual(['a']);
  });

  it('does not resolve whenEmpty while a message waits for redelivery', async () => {
    const queue = new InProcessQueue('q', { retryDelayMs: 10_000 });
    queue.trySend('a');
    const flag = settledFlag(queue.whenEmpty());
    queue.settle(receive(queue).id, 'all', 'failed');
    await tick();
    expect(flag.done).toBe(false);
    queue.close();
  });
});

describe('InProcessQueue message ids', () => {
  it('gives every message a distinct version-4-shaped UUID under the queue prefix', () => {
    const queue = new InProcessQueue('q');
    for (let i = 0; i < 3; i++) queue.trySend(String(i));
    const ids = receive(queue).messages.map((m) => queue.messageId(m.seq));
    for (const id of ids) {
      expect(id).toMatch(UUID_V4);
      expect(id.startsWith(queue.messageIdPrefix)).toBe(true);
    }
    expect(new Set(ids).size).toBe(3);
  });

  it('maps a message id back to its sequence number', () => {
    const queue = new InProcessQueue('q');
    expect(queue.seqOf(queue.messageId(1))).toBe(1);
    expect(queue.seqOf(queue.messageId(0xabcdef123))).toBe(0xabcdef123);
  });

  it('gives different queues different prefixes, so one queue does not claim another queue’s ids', () => {
    const a = new InProcessQueue('a');
    const b = new InProcessQueue('b');
    expect(a.messageIdPrefix).not.toBe(b.messageIdPrefix);
    expect(a.seqOf(b.messageId(1))).toBeUndefined();
  });

  it('maps an id that is not UUID-shaped to no sequence number', () => {
    const queue = new InProcessQueue('q');
    expect(queue.seqOf(`${queue.messageIdPrefix}not-hex`)).toBeUndefined();
    expect(queue.seqOf('')).toBeUndefined();
  });
});
