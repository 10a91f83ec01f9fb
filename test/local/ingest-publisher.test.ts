import { afterEach, describe, expect, it } from 'vitest';
import { Breaker } from '../../lib/adapters/resilience/circuit-breaker.js';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import type { PutEventsEntry, PutEventsResult } from '../../lib/core/events/envelope.js';
import type { Bus } from '../../lib/core/ports.js';
import { IngestPublisher } from '../../lib/local/ingest/ingest-publisher.js';
import { DirectorySpool } from '../../lib/local/ingest/spool.js';
import { useTempDirs } from '../support/temp-dir.js';

// The publisher behind `elt serve`: a request is in the write-ahead log before it is answered, and stays
// there until its events are durable downstream, so a crash at any moment loses no answered request.

const tempDir = useTempDirs();
const entry = (n: number): Record<string, unknown> => ({
  source: 'marketplace.users',
  'detail-type': 'UserLoggedIn',
  detail: { userId: `u_${n}`, sessionId: 's_1', method: 'password', device: 'desktop', schemaVersion: 1 },
});

class RecordingBus implements Bus {
  readonly entries: PutEventsEntry[] = [];
  describe(): string {
    return 'recording';
  }
  putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsResult> {
    this.entries.push(...entries);
    return Promise.resolve({ FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `id-${i}` })) });
  }
}

const opened: { publisher: IngestPublisher; breaker: Breaker }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.publisher.close(100);
    o.breaker.shutdown();
  }
});

async function publisherOver(
  dir: string,
  bus: Bus,
  landed?: () => Promise<void>,
): Promise<{ publisher: IngestPublisher; spool: DirectorySpool }> {
  const breaker = new Breaker('bus');
  const spool = await DirectorySpool.open(`${dir}/spool`);
  const publisher = new IngestPublisher({
    bus,
    breaker,
    spool,
    store: new FsObjectStore(`${dir}/store`),
    drainEveryMs: 20,
    ...(landed ? { landed } : {}),
  });
  opened.push({ publisher, breaker });
  return { publisher, spool };
}

describe('IngestPublisher', () => {
  it('has a request in the durable log when it answers, and keeps it there until its events have landed', async () => {
    const dir = await tempDir();
    let land: () => void = () => undefined;
    const landing = new Promise<void>((resolve) => (land = resolve));
    const { publisher, spool } = await publisherOver(dir, new RecordingBus(), () => landing);
    expect(await publisher.accept([entry(1)])).toBe('published');
    // What a process started after a crash right now would find: the request, to publish again.
    const afterCrash = await DirectorySpool.open(`${dir}/spool`);
    expect(afterCrash.depth).toBe(1);
    expect((await afterCrash.oldest())?.values).toEqual([entry(1)]);
    expect(spool.unreleased).toBe(1);
    land();
    await new Promise((r) => setTimeout(r, 50));
    expect(spool.unreleased).toBe(0);
  });

  it('publishes again, at start, the requests an earlier process left in the log', async () => {
    const dir = await tempDir();
    const before = await DirectorySpool.open(`${dir}/spool`);
    await before.append([entry(1)]);
    await before.append([entry(2), entry(3)]);
    await before.close();
    const bus = new RecordingBus();
    const { spool } = await publisherOver(dir, bus);
    expect(spool.depth).toBe(2);
    const end = Date.now() + 5000;
    while (bus.entries.length < 3 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(bus.entries.map((e) => (JSON.parse(e.Detail ?? '{}') as { userId: string }).userId)).toEqual([
      'u_1',
      'u_2',
      'u_3',
    ]);
    while (spool.unreleased > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(spool.unreleased).toBe(0);
  });
});
