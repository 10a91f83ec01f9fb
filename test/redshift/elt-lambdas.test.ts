import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import type { RunState } from '../../lib/core/elt/elt-steps.js';
import { generateWorkload } from '../../lib/core/generator/workload.js';
import type { RunRecord } from '../../lib/core/ports.js';
import { publishEvents, type PublishInput } from '../../lib/core/publish/publisher.js';
import { LocalPipeline } from '../../lib/local/local-pipeline.js';
import { startDataApi, type LocalDataApi } from '../support/data-api.js';
import { groundTruth, type GroundTruth } from '../support/ground-truth.js';
import { postgresServer, scratchDatabase } from '../support/postgres.js';

// The ELT Lambda handlers — the code the state machine invokes — run end to end against the local Data
// API endpoint with the real @aws-sdk/client-redshift-data client, on objects the landing code wrote.
// Against the endpoint the SQL dialect is PostgreSQL's (REDSHIFT_SQL_DIALECT=postgres): the protocol,
// the client and the handlers are the real ones; Redshift SQL itself cannot run without Redshift.
const EVENTS = 5000;
const SEED = 'lambdas';

type Step<I, O> = { handler: (input: I) => Promise<O> };
let api: LocalDataApi;
let db: { url: string; drop: () => Promise<void> };
let dir: string;
let truth: GroundTruth;
let steps: {
  plan: Step<void, RunState>;
  load: Step<{ run: RunState }, RunState>;
  transform: Step<{ run: RunState }, RunState>;
  test: Step<{ run: RunState }, RunState>;
  publish: Step<{ run: RunState }, RunRecord>;
  fail: Step<{ run?: RunState; error?: { Error?: string; Cause?: string } }, RunRecord>;
};

async function sql<T = Record<string, unknown>>(text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  db = await scratchDatabase(await postgresServer());
  dir = await mkdtemp(join(tmpdir(), 'elt-lambdas-'));
  // Land a workload with the landing code, as the landing Lambda would into the bucket.
  const store = new FsObjectStore(dir, { durable: false });
  const pipeline = new LocalPipeline({ store }).start();
  const items = [...generateWorkload({ events: EVENTS, seed: SEED })];
  await publishEvents(
    items.map((i): PublishInput =>
      'line' in i.input
        ? { ref: `g:${i.seq}`, line: i.input.line }
        : { ref: `g:${i.seq}`, value: i.input.value },
    ),
    { bus: pipeline.bus, store, clock: { now: () => new Date() } },
  );
  await pipeline.close();
  truth = groundTruth(items);

  api = await startDataApi(db.url, { bucketDirs: { 'raw-bucket': dir } });
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_REDSHIFT_DATA: api.endpoint,
    RAW_BUCKET: 'raw-bucket',
    RAW_STORE: pathToFileURL(dir).href,
    REDSHIFT_WORKGROUP: 'elt-dev-warehouse',
    REDSHIFT_DATABASE: 'analytics',
    REDSHIFT_COPY_ROLE_ARN: 'arn:aws:iam::123456789012:role/elt-copy',
    REDSHIFT_SQL_DIALECT: 'postgres',
  });
  steps = {
    plan: await import('../../lambdas/elt/plan.js'),
    load: await import('../../lambdas/elt/load.js'),
    transform: await import('../../lambdas/elt/transform.js'),
    test: await import('../../lambdas/elt/test.js'),
    publish: await import('../../lambdas/elt/publish.js'),
    fail: await import('../../lambdas/elt/fail.js'),
  } as typeof steps;
}, 600_000);

afterAll(async () => {
  await api?.close();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('the ELT step functions over the Data API', () => {
  let first: RunRecord;

  it('plans, loads, transforms, tests and publishes a run as the state machine does', async () => {
    let run = await steps.plan.handler();
    expect(run.runId).toMatch(/^run-/);
    expect(run.pendingObjects).toBeGreaterThan(0);
    run = await steps.load.handler({ run });
    expect(run.eventsLoaded).toBe(
      truth.distinctValid +
        [...generateWorkload({ events: EVENTS, seed: SEED })].filter((i) => i.truth.kind === 'duplicate')
          .length,
    );
    run = await steps.transform.handler({ run });
    expect(run.models.map((m) => m.name)).toContain('mart_signup_funnel');
    run = await steps.test.handler({ run });
    expect(run.failedTests).toEqual([]);
    first = await steps.publish.handler({ run });
    expect(first).toMatchObject({ status: 'succeeded', objectsLoaded: run.pendingObjects });
  });

  it('builds marts equal to the generator ground truth', async () => {
    expect(
      await sql(
        'SELECT CAST(day AS VARCHAR) AS day, CAST(users AS INT) AS users FROM mart_daily_active_users ORDER BY day',
      ),
    ).toEqual(truth.dau);
    expect(
      await sql(
        'SELECT CAST(minute AS VARCHAR) AS minute, CAST(logins AS INT) AS logins FROM mart_logins_per_minute ORDER BY minute',
      ),
    ).toEqual(truth.loginsPerMinute);
    expect(
      await sql(
        'SELECT CAST(signup_day AS VARCHAR) AS signup_day, CAST(signed_up AS INT) AS signed_up, CAST(viewed_page AS INT) AS viewed_page, CAST(placed_bid AS INT) AS placed_bid FROM mart_signup_funnel ORDER BY signup_day',
      ),
    ).toEqual(truth.funnel);
    const [unique] = await sql<{ n: string }>('SELECT COUNT(*) AS n FROM stg_events');
    expect(Number(unique!.n)).toBe(truth.distinctValid);
  });

  it('records the run in the history', async () => {
    const [row] = await sql<{ status: string; objects_loaded: string }>(
      `SELECT status, objects_loaded FROM elt_runs WHERE run_id = '${first.runId}'`,
    );
    expect(row).toEqual({ status: 'succeeded', objects_loaded: String(first.objectsLoaded) });
  });

  it('plans nothing on the next run: the ledger has every object', async () => {
    let run = await steps.plan.handler();
    expect(run.pendingObjects).toBe(0);
    // As the state machine goes on: nothing to load, then build, test and publish (which frees the lock).
    run = await steps.transform.handler({ run });
    run = await steps.test.handler({ run });
    await steps.publish.handler({ run });
    expect(await sql('SELECT run_id FROM elt_run_lock')).toEqual([]);
  });

  it('records a failed step with the error Step Functions caught, and publishes nothing', async () => {
    const run = await steps.plan.handler();
    const cause = JSON.stringify({
      errorType: 'ModelFailedError',
      errorMessage: 'model mart_x failed: boom',
    });
    const record = await steps.fail.handler({ run, error: { Error: 'ModelFailedError', Cause: cause } });
    expect(record).toMatchObject({ status: 'failed', error: 'ModelFailedError: model mart_x failed: boom' });
    const leftovers = await sql(
      "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%\\_\\_build'",
    );
    expect(leftovers).toEqual([]);
    expect(await sql('SELECT run_id FROM elt_run_lock')).toEqual([]);
  });

  it('runs one at a time: a run started meanwhile stops after its plan, changing nothing, and its failure drops nothing', async () => {
    const a = await steps.plan.handler();
    expect(a.lockHeld).toBe(true);
    expect(await sql('SELECT run_id FROM elt_run_lock')).toEqual([{ run_id: a.runId }]);
    const runs = await sql('SELECT COUNT(*) AS n FROM elt_runs');

    // A manual start-execution while `a` runs: its plan finds the lock held and stops (the state
    // machine ends it in AnotherRunInProgress); no plan, no history row.
    const b = await steps.plan.handler();
    expect(b).toMatchObject({ lockedBy: a.runId, planKey: '', pendingObjects: 0 });
    expect(b.lockHeld).toBeUndefined();
    expect(await sql('SELECT COUNT(*) AS n FROM elt_runs')).toEqual(runs);

    // `a` builds its tables; a run that does not hold the lock failing now must not drop them.
    let run = await steps.transform.handler({ run: a });
    await steps.fail.handler({
      run: b,
      error: { Error: 'States.TaskFailed', Cause: 'while a held the lock' },
    });
    const building = await sql(
      "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%\\_\\_build'",
    );
    expect(building.length).toBeGreaterThan(0);
    expect(await sql('SELECT run_id FROM elt_run_lock')).toEqual([{ run_id: a.runId }]);

    run = await steps.test.handler({ run });
    expect(await steps.publish.handler({ run })).toMatchObject({ status: 'succeeded' });
    expect(await sql('SELECT run_id FROM elt_run_lock')).toEqual([]);
  });

  it('takes over a lock whose holder expired (a run the state machine timeout stopped gets no fail step)', async () => {
    const at = (ms: number): string =>
      new Date(Date.now() + ms).toISOString().replace('T', ' ').replace('Z', '');
    await sql(
      `INSERT INTO elt_run_lock (run_id, acquired_at, expires_at) VALUES ('run-stale', '${at(-3_900_000)}', '${at(-60_000)}')`,
    );
    const run = await steps.plan.handler();
    expect(run.lockHeld).toBe(true);
    expect(await sql('SELECT run_id FROM elt_run_lock')).toEqual([{ run_id: run.runId }]);
    await steps.fail.handler({ run, error: { Error: 'States.TaskFailed', Cause: 'released by the test' } });
    expect(await sql('SELECT run_id FROM elt_run_lock')).toEqual([]);
  });

  it('records a run whose plan failed (no run yet) so the failure is in the history', async () => {
    const record = await steps.fail.handler({ error: { Error: 'States.Timeout', Cause: 'plan timed out' } });
    expect(record).toMatchObject({ status: 'failed', error: 'States.Timeout: plan timed out' });
  });
});

describe('a scheduled run on a quiet pipeline', () => {
  it('stops after listing S3 when nothing landed since the last published run, without a warehouse call', async () => {
    // The first describe published a run, leaving its watermark; nothing has landed since. The objects
    // are made an hour old so that they fall outside the watermark's safety margin.
    const hourAgo = new Date(Date.now() - 3600_000);
    for await (const o of new FsObjectStore(dir).list('raw/'))
      await utimes(new FsObjectStore(dir).localPath(o.key), hourAgo, hourAgo);
    const before = await sql<{ n: string }>('SELECT COUNT(*) AS n FROM elt_runs');
    const run = await steps.plan.handler();
    expect(run).toMatchObject({ nothingNew: true, pendingObjects: 0 });
    expect(await sql('SELECT COUNT(*) AS n FROM elt_runs')).toEqual(before);
  });
});
