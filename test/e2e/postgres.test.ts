import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastJson, runCli } from '../support/cli.js';
import { MART_QUERIES as MARTS } from '../support/marts.js';
import { listensOnLoopbackOnly } from '../support/listening.js';
import { postgresServer, scratchDatabase } from '../support/postgres.js';

// The same demo on DuckDB and on a real PostgreSQL server: the SQL models, written once and rendered per
// dialect, must give identical marts.
const EVENTS = '20000';
const SEED = '7';

interface DemoJson {
  distinctValid: number;
  invalid: number;
  quarantined: number;
  warehouseUniqueEvents: number;
  dau: unknown[];
  checks: { name: string; ok: boolean | null }[];
}

let work: string;
let pgUrl: string;
let dropDb: () => Promise<void>;
let onDuck: DemoJson;
let onPg: DemoJson;

async function query(dataDir: string, warehouse: string, sql: string): Promise<unknown[]> {
  const run = await runCli(['query', sql, '--json', '--data-dir', dataDir, '--warehouse', warehouse]);
  expect(run.code, run.stderr).toBe(0);
  return lastJson<unknown[]>(run);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'elt-pg-'));
  const db = await scratchDatabase(await postgresServer());
  pgUrl = db.url;
  dropDb = db.drop;
  const [duck, pgRun] = await Promise.all([
    runCli(['demo', '--events', EVENTS, '--seed', SEED, '--json', '--data-dir', join(work, 'duck')]),
    runCli([
      'demo',
      '--events',
      EVENTS,
      '--seed',
      SEED,
      '--json',
      '--data-dir',
      join(work, 'pg'),
      '--warehouse',
      pgUrl,
    ]),
  ]);
  expect(duck.code, duck.stderr).toBe(0);
  expect(pgRun.code, pgRun.stderr).toBe(0);
  onDuck = lastJson<DemoJson>(duck);
  onPg = lastJson<DemoJson>(pgRun);
}, 600_000);

afterAll(async () => {
  await dropDb?.();
  await rm(work, { recursive: true, force: true });
});

describe('elt demo --warehouse postgres://…', () => {
  it('satisfies the same invariants as the embedded demo', () => {
    expect(onPg.warehouseUniqueEvents).toBe(onPg.distinctValid);
    expect(onPg.quarantined).toBe(onPg.invalid);
    expect(onPg.checks.every((c) => c.ok)).toBe(true);
  });

  it('gives the same counts and DAU as DuckDB for the same seed', () => {
    expect(onPg.warehouseUniqueEvents).toBe(onDuck.warehouseUniqueEvents);
    expect(onPg.dau).toEqual(onDuck.dau);
  });

  it.each(Object.keys(MARTS))('builds %s with rows identical to DuckDB', async (table) => {
    const [duck, pgRows] = await Promise.all([
      query(join(work, 'duck'), 'duckdb', MARTS[table]!),
      query(join(work, 'pg'), pgUrl, MARTS[table]!),
    ]);
    expect(pgRows.length).toBeGreaterThan(0);
    expect(pgRows).toEqual(duck);
  });

  it('records the run in the history on PostgreSQL', async () => {
    const runs = await runCli(['runs', '--json', '--data-dir', join(work, 'pg'), '--warehouse', pgUrl]);
    expect(runs.code, runs.stderr).toBe(0);
    expect(lastJson<{ status: string }[]>(runs)[0]).toMatchObject({ status: 'succeeded' });
  });

  it('names an unreachable server without a stack trace', async () => {
    const run = await runCli([
      'query',
      'select 1',
      '--data-dir',
      join(work, 'pg'),
      '--warehouse',
      'postgres://nobody:secret@127.0.0.1:1/x',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^elt: cannot connect to PostgreSQL at 127\.0\.0\.1:1\/x: /);
    expect(run.stderr).not.toContain('secret');
  });
});

describe('the PostgreSQL server as the repository starts it', () => {
  it('listens on 127.0.0.1 only', async () => {
    const url = new URL(await postgresServer());
    expect(await listensOnLoopbackOnly(Number(url.port || '5432'))).toMatchObject({ ok: true });
  });
});
