import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openOltpDatabase } from '../../lib/adapters/oltp/oltp-database.js';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { EntryAcceptor } from '../../lib/core/bus/put-events.js';
import { EVENT_CATALOGUE } from '../../lib/core/events/catalogue.js';
import type { PutEventsEntry, PutEventsResult } from '../../lib/core/events/envelope.js';
import { createEventValidator } from '../../lib/core/events/validator.js';
import type { OltpDatabase } from '../../lib/core/oltp/ports.js';
import { outboxLag, relayOutbox, type RelayRound } from '../../lib/core/oltp/relay.js';
import { systemClock, type Bus } from '../../lib/core/ports.js';
import { packageRoot } from '../../lib/package-paths.js';
import { useScratchDatabase } from '../support/scratch-database.js';
import { useTempDirs } from '../support/temp-dir.js';

const ROWS = 2000;
const validator = createEventValidator();
const acceptor = new EntryAcceptor({ account: '000000000000', region: 'us-east-1' });

/** Inserts outbox rows (envelope id = detail.eventId = outbox id) with parameterized INSERTs; returns ids. */
async function insertRows(db: OltpDatabase, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 500) {
    const batch = {
      id: [] as string[],
      aggtype: [] as string[],
      aggid: [] as string[],
      type: [] as string[],
      payload: [] as string[],
    };
    for (let i = start; i < Math.min(count, start + 500); i++) {
      const id = randomUUID();
      const detailType = i % 2 === 0 ? 'UserSignedUp' : 'BidCreated';
      const t = EVENT_CATALOGUE.find((e) => e.detailType === detailType)!;
      const accepted = acceptor.accept(
        {
          Source: t.source,
          DetailType: t.detailType,
          Detail: JSON.stringify({ ...t.example, eventId: id }),
          Time: new Date('2026-12-01T10:00:00Z'),
        },
        id,
        new Date(),
      );
      if (!accepted.ok) throw new Error(accepted.errorMessage);
      batch.id.push(id);
      batch.aggtype.push(detailType === 'UserSignedUp' ? 'user' : 'bid');
      batch.aggid.push(`agg-${i}`);
      batch.type.push(detailType);
      batch.payload.push(accepted.body);
      ids.push(id);
    }
    await db.query(
      `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, occurred_at)
       SELECT id, aggtype, aggid, type, payload::jsonb, now() - interval '30 seconds'
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])
         WITH ORDINALITY AS r(id, aggtype, aggid, type, payload, ord)
       ORDER BY ord`,
      [batch.id, batch.aggtype, batch.aggid, batch.type, batch.payload],
    );
  }
  return ids;
}

/** A bus that accepts everything and records which event ids it was given, yielding between calls. */
function recordingBus(name: string, log: string[]): Bus {
  let n = 0;
  return {
    describe: () => name,
    async putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsResult> {
      await new Promise((resolve) => setImmediate(resolve));
      for (const e of entries) log.push((JSON.parse(e.Detail!) as { eventId: string }).eventId);
      return { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: `${name}-${++n}` })) };
    },
  };
}

/** The child: a relay whose bus records ids to a file, then blocks forever inside a round. */
function childSource(): string {
  const lib = (path: string): string => JSON.stringify(pathToFileURL(join(packageRoot(), 'lib', path)).href);
  return `
import { appendFileSync } from 'node:fs';
import { openOltpDatabase } from ${lib('adapters/oltp/oltp-database.js')};
import { FsObjectStore } from ${lib('adapters/store/fs-object-store.js')};
import { createEventValidator } from ${lib('core/events/validator.js')};
import { relayOutbox } from ${lib('core/oltp/relay.js')};

const [url, logFile, storeDir, blockAfterCalls] = process.argv.slice(2);
const db = await openOltpDatabase(url);
let calls = 0;
const bus = {
  describe: () => 'recording',
  async putEvents(entries) {
    calls++;
    if (calls > Number(blockAfterCalls)) {
      process.stdout.write('BLOCKED\\n');
      setInterval(() => undefined, 60_000);
      await new Promise(() => undefined);
    }
    appendFileSync(logFile, entries.map((e) => JSON.parse(e.Detail).eventId + '\\n').join(''));
    return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: 'child-' + calls + '-' + i })) };
  },
};
await relayOutbox(db, {
  bus,
  store: new FsObjectStore(storeDir),
  clock: { now: () => new Date() },
  batchSize: 100,
  validator: createEventValidator(),
  once: true,
  maxInFlight: 1,
});
process.stderr.write('the relay drained without blocking\\n');
process.exit(3);
`;
}

/** Starts the child relay, SIGKILLs it once it blocks inside a round; resolves with the signal. */
async function relayAndKill(script: string, args: readonly string[]): Promise<NodeJS.Signals | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the child relay never blocked: ${stderr}`));
    }, 120_000);
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('BLOCKED')) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal) resolve(signal);
      else reject(new Error(`the child relay exited ${code}: ${stderr}`));
    });
  });
}

describe('outbox relay on PostgreSQL', () => {
  const databaseUrl = useScratchDatabase();
  const tempDir = useTempDirs();
  let db: OltpDatabase;

  beforeAll(async () => {
    db = await openOltpDatabase(databaseUrl());
    await db.migrate();
  });
  afterAll(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await db.query('TRUNCATE outbox');
  });

  async function sentCount(): Promise<number> {
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*) AS n FROM outbox WHERE sent_at IS NOT NULL',
    );
    return rows[0]!.n;
  }

  it('two relays at once: every row published by exactly one of them, all marked sent, lag reported', async () => {
    const ids = await insertRows(db, ROWS);
    expect(await outboxLag(db)).toMatchObject({ unsent: ROWS });
    expect((await outboxLag(db)).oldestUnsentAgeSeconds).toBeGreaterThanOrEqual(29);
    const store = new FsObjectStore(await tempDir());
    const [dbA, dbB] = await Promise.all([openOltpDatabase(databaseUrl()), openOltpDatabase(databaseUrl())]);
    const logA: string[] = [];
    const logB: string[] = [];
    const rounds: RelayRound[] = [];
    const options = {
      store,
      clock: systemClock,
      batchSize: 100,
      validator,
      once: true,
      onBatch: (r: RelayRound) => rounds.push(r),
    };
    const started = performance.now();
    try {
      const [a, b] = await Promise.all([
        relayOutbox(dbA!, { ...options, bus: recordingBus('a', logA) }),
        relayOutbox(dbB!, { ...options, bus: recordingBus('b', logB) }),
      ]);
      const ms = performance.now() - started;
      process.stderr.write(
        `two relays on PostgreSQL: ${ROWS} rows in ${ms.toFixed(0)} ms (a ${a.published}, b ${b.published})\n`,
      );
      expect(a.published + b.published).toBe(ROWS);
      expect(a.failedRounds + b.failedRounds).toBe(0);
      expect(a.published).toBeGreaterThan(0);
      expect(b.published).toBeGreaterThan(0);
    } finally {
      await Promise.all([dbA!.close(), dbB!.close()]);
    }
    expect(logA.length + logB.length).toBe(ROWS);
    const inA = new Set(logA);
    expect(logB.filter((id) => inA.has(id))).toEqual([]);
    expect(new Set([...logA, ...logB])).toEqual(new Set(ids));
    expect(await sentCount()).toBe(ROWS);
    const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM outbox WHERE attempts <> 1');
    expect(rows[0]!.n).toBe(0);
    // Lag per round, going down to nothing.
    expect(rounds.length).toBeGreaterThanOrEqual(ROWS / 100);
    expect(rounds.every((r) => r.lag.unsent >= 0 && r.lag.unsent < ROWS)).toBe(true);
    expect(await outboxLag(db)).toEqual({ unsent: 0, oldestUnsentAgeSeconds: 0 });
  });

  it('a relay killed inside a round loses nothing; only that round is published twice', async () => {
    const ids = await insertRows(db, ROWS);
    const dir = await tempDir();
    const script = join(dir, 'relay-and-block.mts');
    const childLog = join(dir, 'published.txt');
    await writeFile(script, childSource());
    await writeFile(childLog, '');
    // 25 PutEvents calls of 10 = rounds 1 and 2 committed (200 rows), 50 rows of round 3 published, then it blocks.
    expect(await relayAndKill(script, [databaseUrl(), childLog, join(dir, 'store'), '25'])).toBe('SIGKILL');

    const byChild = (await readFile(childLog, 'utf8')).split('\n').filter(Boolean);
    expect(byChild).toHaveLength(250);
    const { rows: committed } = await db.query<{ id: string }>(
      'SELECT id::text AS id FROM outbox WHERE sent_at IS NOT NULL',
    );
    expect(committed).toHaveLength(200);
    const committedIds = new Set(committed.map((r) => r.id));
    const childSet = new Set(byChild);
    expect([...committedIds].every((id) => childSet.has(id))).toBe(true);

    // The killed session's locks go when the server notices the closed connection: relay until drained.
    const byRelay: string[] = [];
    const bus = recordingBus('after', byRelay);
    const deadline = Date.now() + 60_000;
    while ((await outboxLag(db)).unsent > 0) {
      if (Date.now() > deadline) throw new Error('the outbox did not drain after the kill');
      await relayOutbox(db, {
        bus,
        store: new FsObjectStore(join(dir, 'store')),
        clock: systemClock,
        batchSize: 100,
        validator,
        once: true,
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    expect(new Set([...byChild, ...byRelay])).toEqual(new Set(ids));
    expect(new Set(byRelay).size).toBe(byRelay.length);
    const twice = byRelay.filter((id) => childSet.has(id));
    // Exactly the killed round's published rows: none of the committed rounds.
    expect(twice.sort()).toEqual(byChild.filter((id) => !committedIds.has(id)).sort());
    expect(twice).toHaveLength(50);
    expect(await sentCount()).toBe(ROWS);
    expect(await outboxLag(db)).toEqual({ unsent: 0, oldestUnsentAgeSeconds: 0 });
  });
});
