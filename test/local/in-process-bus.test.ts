import { describe, expect, it } from 'vitest';
import type { PutEventsEntry } from '../../lib/core/events/envelope.js';
import type { RuleDefinition } from '../../lib/core/rules.js';
import { PutEventsRequestError } from '../../lib/core/bus/bus-errors.js';
import { InProcessBus, type BusTargetQueue } from '../../lib/local/in-process-bus.js';
import { InProcessQueue } from '../../lib/local/in-process-queue.js';

const NOW = new Date('2026-11-01T12:34:56.789Z');

const rule = (name: string, pattern: Record<string, unknown>): RuleDefinition => ({
  name,
  description: name,
  pattern,
  target: { queue: 'landing' },
});

const EVERYTHING = rule('everything', { source: [{ prefix: '' }] });

const entry = (overrides: Partial<PutEventsEntry> = {}): PutEventsEntry => ({
  Source: 'marketplace.web',
  DetailType: 'PageViewed',
  Detail: '{"eventId":"e1","userId":"u1"}',
  ...overrides,
});

function busWith(
  rules: readonly RuleDefinition[] = [EVERYTHING],
  queue = new InProcessQueue('landing'),
): { bus: InProcessBus; queue: InProcessQueue } {
  let n = 0;
  const bus = new InProcessBus({
    rules,
    targets: { landing: queue },
    account: '123456789012',
    region: 'eu-west-1',
    clock: { now: () => NOW },
    newId: () => `id-${++n}`,
  });
  return { bus, queue };
}

function delivered(queue: InProcessQueue): unknown[] {
  const lease = queue.receiveBatch(1000);
  return lease ? lease.messages.map((m) => JSON.parse(m.body) as unknown) : [];
}

describe('InProcessBus.putEvents request checks', () => {
  it('refuses a request of more than 10 entries as a whole, delivering none', async () => {
    const { bus, queue } = busWith();
    const request = Array.from({ length: 11 }, () => entry());
    const error: unknown = await bus.putEvents(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PutEventsRequestError);
    expect((error as Error).message).toMatch(/Member must have length between 1 and 10 \(got 11\)/);
    expect(queue.depth.total).toBe(0);
  });

  it('refuses an empty request', async () => {
    const { bus } = busWith();
    await expect(bus.putEvents([])).rejects.toThrow(PutEventsRequestError);
  });

  it('accepts a request of exactly 10 entries', async () => {
    const { bus } = busWith();
    const result = await bus.putEvents(Array.from({ length: 10 }, () => entry()));
    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries).toHaveLength(10);
  });
});

describe('InProcessBus.putEvents entries', () => {
  it('reports per-entry errors in request order with EventBridge’s error codes', async () => {
    const { bus } = busWith();
    const result = await bus.putEvents([
      entry(),
      entry({ Source: undefined }),
      entry({ DetailType: '' }),
      entry({ Detail: undefined }),
      entry({ Detail: '{not json' }),
      entry({ Detail: '[1,2]' }),
      entry({ Time: new Date('invalid') }),
      entry(),
    ]);
    expect(result).toEqual({
      FailedEntryCount: 6,
      Entries: [
        { EventId: 'id-1' },
        {
          ErrorCode: 'InvalidArgument',
          ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
        },
        {
          ErrorCode: 'InvalidArgument',
          ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
        },
        {
          ErrorCode: 'InvalidArgument',
          ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
        },
        { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
        { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
        { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Time is not valid.' },
        { EventId: 'id-8' },
      ],
    });
  });

  it('rejects an entry over the configured size limit with ValidationException', async () => {
    const queue = new InProcessQueue('landing');
    const bus = new InProcessBus({ rules: [EVERYTHING], targets: { landing: queue }, maxEntryBytes: 64 });
    const result = await bus.putEvents([entry({ Detail: JSON.stringify({ pad: 'x'.repeat(100) }) })]);
    expect(result.Entries[0]?.ErrorCode).toBe('ValidationException');
    expect(queue.depth.total).toBe(0);
  });

  it('delivers only the accepted entries of a request that partly fails', async () => {
    const { bus, queue } = busWith();
    await bus.putEvents([entry({ Detail: '{"n":1}' }), entry({ Source: '' }), entry({ Detail: '{"n":3}' })]);
    expect(delivered(queue).map((e) => (e as { detail: unknown }).detail)).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('delivers the envelope EventBridge would build, with the id it returned', async () => {
    const { bus, queue } = busWith();
    const result = await bus.putEvents([entry({ Resources: ['arn:aws:s3:::b'] })]);
    expect(delivered(queue)).toEqual([
      {
        version: '0',
        id: result.Entries[0]!.EventId,
        'detail-type': 'PageViewed',
        source: 'marketplace.web',
        account: '123456789012',
        time: '2026-11-01T12:34:56Z',
        region: 'eu-west-1',
        resources: ['arn:aws:s3:::b'],
        detail: { eventId: 'e1', userId: 'u1' },
      },
    ]);
  });

  it('stamps the entry’s own Time on the envelope when it has one', async () => {
    const { bus, queue } = busWith();
    await bus.putEvents([entry({ Time: new Date('2026-10-31T23:59:59.500Z') })]);
    expect(delivered(queue)).toMatchObject([{ time: '2026-10-31T23:59:59Z' }]);
  });

  it('gives every accepted entry its own id by default', async () => {
    const queue = new InProcessQueue('landing');
    const bus = new InProcessBus({ rules: [EVERYTHING], targets: { landing: queue } });
    const result = await bus.putEvents([entry(), entry()]);
    const ids = result.Entries.map((e) => e.EventId);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids[1]).not.toBe(ids[0]);
  });
});

describe('InProcessBus routing', () => {
  it('delivers an event to the target of every rule that matches it', async () => {
    const { bus, queue } = busWith([EVERYTHING, rule('web', { source: ['marketplace.web'] })]);
    await bus.putEvents([entry()]);
    expect(delivered(queue)).toHaveLength(2);
    expect(bus.stats.delivered).toBe(2);
  });

  it('does not deliver an event to a rule that does not match it', async () => {
    const { bus, queue } = busWith([rule('users', { source: ['marketplace.users'] })]);
    await bus.putEvents([entry()]);
    expect(delivered(queue)).toHaveLength(0);
  });

  it('accepts an event no rule matches and counts it as unmatched', async () => {
    const { bus } = busWith([rule('users', { source: ['marketplace.users'] })]);
    const result = await bus.putEvents([entry(), entry({ Source: 'marketplace.users' })]);
    expect(result).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: 'id-1' }, { EventId: 'id-2' }] });
    expect(bus.stats).toEqual({ accepted: 2, rejected: 0, delivered: 1, unmatched: 1 });
  });

  it('counts rejected entries', async () => {
    const { bus } = busWith();
    await bus.putEvents([entry(), entry({ Detail: '' })]);
    expect(bus.stats).toMatchObject({ accepted: 1, rejected: 1 });
  });

  it('waits while the target queue is full, and delivers once it has room (backpressure)', async () => {
    const queue = new InProcessQueue('landing', { capacity: 1 });
    const { bus } = busWith([EVERYTHING], queue);
    await bus.putEvents([entry({ Detail: '{"n":1}' })]);
    let resolved = false;
    const put = bus.putEvents([entry({ Detail: '{"n":2}' })]).then((r) => {
      resolved = true;
      return r;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(resolved).toBe(false);

    const first = queue.receiveBatch(10)!;
    queue.settle(first.id, 'none', 'landed');
    expect((await put).FailedEntryCount).toBe(0);
    expect(delivered(queue)).toMatchObject([{ detail: { n: 2 } }]);
  });

  it('refuses a rule whose target queue has no binding', () => {
    expect(
      () =>
        new InProcessBus({
          rules: [EVERYTHING],
          targets: {} as Record<'landing', BusTargetQueue>,
        }),
    ).toThrow('rule everything targets queue "landing", which has no binding');
  });
});
