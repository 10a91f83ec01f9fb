import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateWorkload, type GeneratedEntry } from '../../lib/core/generator/workload.js';
import { lastJson, runCli } from '../support/cli.js';
import { groundTruth, type GroundTruth } from '../support/ground-truth.js';
import { afterAll } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';

// The acceptance run of the embedded pipeline: `elt demo --events 100000 --seed 42 --json`, checked
// against the generator's own record (not against the SQL that produced the marts).
const EVENTS = 100_000;
const SEED = '42';

interface DemoJson {
  generated: number;
  distinctValid: number;
  duplicates: number;
  invalid: number;
  accepted: number;
  landedEvents: number;
  landedObjects: number;
  eventsPerObject: number;
  quarantined: number;
  warehouseUniqueEvents: number;
  dau: { day: string; users: number }[];
  durationMs: number;
  checks: { name: string; ok: boolean | null }[];
}

let dir: string;
let demo: DemoJson;
let truth: GroundTruth;

async function query<T>(sql: string): Promise<T[]> {
  const run = await runCli(['query', sql, '--json', '--data-dir', dir]);
  expect(run.code, run.stderr).toBe(0);
  return lastJson<T[]>(run);
}

async function* files(root: string): AsyncGenerator<string> {
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

describe('elt demo on embedded defaults', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'elt-demo-'));
    const run = await runCli(
      ['demo', '--events', String(EVENTS), '--seed', SEED, '--json', '--data-dir', dir],
      {
        timeoutMs: 240_000,
      },
    );
    expect(run.code, run.stderr).toBe(0);
    demo = lastJson<DemoJson>(run);
    truth = groundTruth(generateWorkload({ events: EVENTS, seed: SEED }));
  }, 300_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports every count the summary promises', () => {
    expect(demo.generated).toBe(EVENTS);
    expect(demo.generated).toBe(demo.distinctValid + demo.duplicates + demo.invalid);
    expect(demo.checks.every((c) => c.ok)).toBe(true);
    expect(demo.durationMs).toBeGreaterThan(0);
  });

  it('keeps exactly the distinct valid events in the warehouse', () => {
    expect(demo.distinctValid).toBe(truth.distinctValid);
    expect(demo.warehouseUniqueEvents).toBe(demo.distinctValid);
  });

  it('quarantines every invalid input and nothing else', () => {
    expect(demo.quarantined).toBe(demo.invalid);
    expect(demo.landedEvents).toBe(demo.distinctValid + demo.duplicates);
  });

  it('lands at least 50 events per object on average', () => {
    expect(demo.landedEvents / demo.landedObjects).toBeGreaterThanOrEqual(50);
  });

  it('reports the DAU a count over the landed raw files gives', async () => {
    const users = new Map<string, Set<string>>();
    for await (const file of files(join(dir, 'store', 'raw'))) {
      for (const line of gunzipSync(await readFile(file))
        .toString('utf8')
        .split('\n')) {
        if (!line) continue;
        const e = JSON.parse(line) as { time: string; detail: { userId: string } };
        const d = e.time.slice(0, 10);
        if (!users.has(d)) users.set(d, new Set());
        users.get(d)!.add(e.detail.userId);
      }
    }
    const fromFiles = [...users]
      .map(([day, s]) => ({ day, users: s.size }))
      .sort((a, b) => a.day.localeCompare(b.day));
    expect(demo.dau).toEqual(fromFiles);
  });

  it('computes daily active users as the generator record says', async () => {
    expect(demo.dau).toEqual(truth.dau);
    const rows = await query<{ day: string; users: number }>(
      'SELECT CAST(day AS VARCHAR) AS day, users FROM mart_daily_active_users ORDER BY day',
    );
    expect(rows).toEqual(truth.dau);
  });

  it('computes logins per minute as the generator record says', async () => {
    const rows = await query<{ minute: string; logins: number }>(
      'SELECT CAST(minute AS VARCHAR) AS minute, logins FROM mart_logins_per_minute ORDER BY minute',
    );
    expect(rows).toEqual(truth.loginsPerMinute);
  });

  it('computes the signup → page view → bid funnel as the generator record says', async () => {
    const rows = await query(
      'SELECT CAST(signup_day AS VARCHAR) AS signup_day, signed_up, viewed_page, placed_bid FROM mart_signup_funnel ORDER BY signup_day',
    );
    expect(rows).toEqual(truth.funnel);
    expect(truth.funnel.some((r) => r.placed_bid > 0)).toBe(true);
  });

  it('computes bids per item and hour as the generator record says', async () => {
    const rows = await query(
      `SELECT item_id, CAST(hour AS VARCHAR) AS hour, currency, bids, bidders, max_amount_minor, total_amount_minor
       FROM mart_bids_per_item_hour ORDER BY item_id, hour, currency`,
    );
    const sorted = [...truth.bidsPerItemHour].sort((a, b) =>
      a.item_id === b.item_id
        ? a.hour === b.hour
          ? a.currency.localeCompare(b.currency)
          : a.hour < b.hour
            ? -1
            : 1
        : a.item_id < b.item_id
          ? -1
          : 1,
    );
    expect(rows).toEqual(sorted);
  });

  it('stores hostile strings of valid events verbatim', async () => {
    const nasty = [...generateWorkload({ events: EVENTS, seed: SEED })]
      .filter((i) => i.truth.kind === 'valid' && i.truth.nasty)
      .map((i) => (i as { input: { value: GeneratedEntry } }).input.value);
    expect(nasty.length).toBeGreaterThan(100);
    const rows = await query<{ event_id: string; detail: string }>(
      `SELECT event_id, CAST(detail AS VARCHAR) AS detail FROM stg_events WHERE event_id IN (${nasty.map((e) => `'${e.detail.eventId as string}'`).join(',')})`,
    );
    const byId = new Map(rows.map((r) => [r.event_id, JSON.parse(r.detail) as Record<string, unknown>]));
    for (const e of nasty) expect(byId.get(e.detail.eventId as string)).toEqual(e.detail);
  });

  it('loads nothing twice when run again', async () => {
    const run = await runCli(['run', '--json', '--data-dir', dir]);
    expect(run.code, run.stderr).toBe(0);
    expect(lastJson(run)).toMatchObject({ status: 'succeeded', objectsLoaded: 0, eventsLoaded: 0 });
    const [row] = await query<{ n: number }>('SELECT COUNT(*) AS n FROM stg_events');
    expect(row!.n).toBe(demo.distinctValid);
  });
});

describe('elt replay (local)', () => {
  it('re-publishes the landed events of a window; the warehouse keeps each event once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'elt-replay-'));
    try {
      const demo = lastJson(
        await runCli(['demo', '--events', '3000', '--seed', '5', '--json', '--data-dir', dir]),
      );
      const replay = await runCli([
        'replay',
        '--from',
        '2026-11-01T00:00:00Z',
        '--to',
        '2026-11-02T00:00:00Z',
        '--json',
        '--data-dir',
        dir,
      ]);
      expect(replay.code, replay.stderr).toBe(0);
      const replayed = lastJson(replay);
      expect(Number(replayed.replayed)).toBeGreaterThan(0);
      expect(replayed.landedEvents).toBe(replayed.replayed);
      const run = lastJson(await runCli(['run', '--json', '--data-dir', dir]));
      expect(run.eventsLoaded).toBe(replayed.replayed);
      const rows = lastJson<{ n: number; d: number }[]>(
        await runCli([
          'query',
          'SELECT COUNT(*) AS n, COUNT(DISTINCT event_id) AS d FROM stg_events',
          '--json',
          '--data-dir',
          dir,
        ]),
      );
      expect(rows[0]).toEqual({ n: demo.warehouseUniqueEvents, d: demo.warehouseUniqueEvents });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('says what is wrong with a window', async () => {
    const r = await runCli(['replay', '--from', 'yesterday', '--to', '2026-11-02T00:00:00Z']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--from "yesterday" is not an RFC 3339 time');
  });
});
