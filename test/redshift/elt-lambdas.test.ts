import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomUUID } from 'node:crypto';
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  ListStatementsCommand,
  type RedshiftDataClient,
  type StatementData,
} from '@aws-sdk/client-redshift-data';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { RedshiftDataWarehouse } from '../../lib/adapters/warehouse/redshift-data-warehouse.js';
import { postgresDialect } from '../../lib/core/elt/dialect.js';
import { ELT_EVENT_SOURCE } from '../../lib/core/events/catalogue.js';
import type { EventEnvelope } from '../../lib/core/events/envelope.js';
import { createEventValidator } from '../../lib/core/events/validator.js';
import { generateWorkload } from '../../lib/core/generator/workload.js';
import { landBatch } from '../../lib/core/landing/land-batch.js';
import { systemClock, type RunRecord } from '../../lib/core/ports.js';
import { publishEvents, type PublishInput } from '../../lib/core/publish/publisher.js';
import { DataDir } from '../../lib/local/data-dir.js';
import { LocalPipeline } from '../../lib/local/local-pipeline.js';
import { INVOCATION_RESERVE_MS } from '../../lambdas/elt/context.js';
import { runCli } from '../support/cli.js';
import { startDataApi, type LocalDataApi } from '../support/data-api.js';
import { envelope } from '../support/envelopes.js';
import { groundTruth, type GroundTruth } from '../support/ground-truth.js';
import { postgresServer, scratchDatabase } from '../support/postgres.js';
import {
  executeEltRun,
  loadEltDefinition,
  type EltDefinition,
  type EltRunOptions,
  type ExecutionResult,
  type Json,
} from '../support/state-machine.js';

// The ELT as deployed: the synthesized state machine definition executed by test/support/state-machine.ts,
// its tasks running the Lambda handlers in-process, which reach the local Data API endpoint (`elt dataapi`
// over PostgreSQL) with the real @aws-sdk/client-redshift-data client. The endpoint runs each IAM identity
// as its own database user, as Redshift does, and refuses what the Data API refuses. The SQL dialect
// against it is PostgreSQL's (REDSHIFT_SQL_DIALECT=postgres): Redshift SQL itself cannot run here.
// `EltRunSucceeded` / `EltRunFailed` entries the state machine puts on the bus are landed with the landing
// code, as the bus rule that takes every event does on AWS.
const EVENTS = 5000;
const SEED = 'lambdas';
const WORKGROUP = 'elt-dev-warehouse';
const DATABASE = 'analytics';
const RUNNER_KEY = 'AKIARUNNER0000000001';
const RUNNER = 'IAMR:elt-dev-eu-west-1-elt-runner';
const ANALYST_KEY = 'AKIAANALYST000000001';
const ANALYST = 'IAM:analyst';
const ALICE_KEY = 'AKIAALICE00000000001';
const COPY_ROLE = 'arn:aws:iam::123456789012:role/elt-copy';
const LATENESS_HOURS = 72;

let api: LocalDataApi;
let db: { url: string; drop: () => Promise<void> };
let dir: string;
let store: FsObjectStore;
let truth: GroundTruth;
let elt: EltDefinition;
let runner: RedshiftDataClient;
const validator = createEventValidator();

/** SQL as the PostgreSQL superuser, outside the Data API (for looking, and for moving the clock). */
async function sql<T = Record<string, unknown>>(text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Lands envelopes as the landing function deployed with `elt.latenessHours` does. */
async function land(envelopes: readonly EventEnvelope[]): Promise<void> {
  const result = await landBatch(
    envelopes.map((e) => ({ id: e.id, body: JSON.stringify(e) })),
    { store, validator, clock: systemClock, latenessHours: LATENESS_HOURS },
  );
  expect(result.failedIds).toEqual([]);
}

/** The entries of an `events:putEvents` task as EventBridge delivers them to the landing queue. */
async function landPutEvents(entries: readonly Json[]): Promise<void> {
  await land(
    entries.map((entry) => {
      const e = entry as { Source: string; DetailType: string; Detail: Json };
      return {
        version: '0',
        id: randomUUID(),
        'detail-type': e.DetailType,
        source: e.Source,
        account: '123456789012',
        time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: 'eu-west-1',
        resources: [],
        detail: (typeof e.Detail === 'string' ? JSON.parse(e.Detail) : e.Detail) as Record<string, unknown>,
      } as EventEnvelope;
    }),
  );
}

const execute = (options: Partial<EltRunOptions> = {}): Promise<ExecutionResult> =>
  executeEltRun({ elt, putEvents: landPutEvents, ...options });
const states = (result: ExecutionResult): string[] => result.history.map((h) => h.state);
const endState = (result: ExecutionResult): string | undefined => result.history.at(-1)?.state;
/** The run record the publish or fail step returned. */
const recordOf = (result: ExecutionResult): RunRecord =>
  (
    result.history.findLast((h) => h.state === 'Run-publish' || h.state === 'Run-fail')!
      .output as unknown as { run: RunRecord }
  ).run;

/** The warehouse through the Data API as the identity of an access key (the SQL dialect of the endpoint). */
const warehouseAs = (accessKeyId: string): RedshiftDataWarehouse =>
  new RedshiftDataWarehouse({
    target: { workgroupName: WORKGROUP },
    database: DATABASE,
    dialect: postgresDialect,
    client: api.clientAs(accessKeyId),
    pollInitialMs: 5,
  });

/** Every statement the runner identity sent (ListStatements, all of its role). */
async function runnerStatements(): Promise<StatementData[]> {
  const out: StatementData[] = [];
  let token: string | undefined;
  do {
    const page = await runner.send(
      new ListStatementsCommand({ RoleLevel: true, MaxResults: 100, ...(token ? { NextToken: token } : {}) }),
    );
    out.push(...(page.Statements ?? []));
    token = page.NextToken;
  } while (token);
  return out;
}

let bus = 0;
const login = (day: string, user: string): EventEnvelope =>
  envelope('UserLoggedIn', {
    id: `bus-new-${++bus}`,
    time: `${day}T09:00:00Z`,
    detail: { eventId: randomUUID(), userId: user },
  });

beforeAll(async () => {
  db = await scratchDatabase(await postgresServer());
  dir = await mkdtemp(join(tmpdir(), 'elt-lambdas-'));
  store = new FsObjectStore(dir, { durable: false });
  // A workload landed with the landing code, as the landing Lambda would into the bucket.
  const pipeline = new LocalPipeline({ store }).start();
  const items = [...generateWorkload({ events: EVENTS, seed: SEED })];
  await publishEvents(
    items.map((i): PublishInput =>
      'line' in i.input
        ? { ref: `g:${i.seq}`, line: i.input.line }
        : { ref: `g:${i.seq}`, value: i.input.value },
    ),
    { bus: pipeline.bus, store, clock: systemClock },
  );
  await pipeline.close();
  truth = groundTruth(items);

  api = await startDataApi(db.url, {
    bucketDirs: { 'raw-bucket': dir },
    identities: {
      [RUNNER_KEY]: 'arn:aws:iam::123456789012:role/elt-dev-eu-west-1-elt-runner',
      [ANALYST_KEY]: 'arn:aws:iam::123456789012:user/analyst',
      [ALICE_KEY]: 'arn:aws:iam::123456789012:user/alice',
    },
  });
  runner = api.clientAs(RUNNER_KEY);
  // The analyst signed in once, so their database user exists (on Redshift too, an IAM identity becomes a
  // user at its first sign-in).
  await api
    .clientAs(ANALYST_KEY)
    .send(new ExecuteStatementCommand({ WorkgroupName: WORKGROUP, Database: DATABASE, Sql: 'SELECT 1' }));
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: RUNNER_KEY,
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_REDSHIFT_DATA: api.endpoint,
    RAW_BUCKET: 'raw-bucket',
    RAW_STORE: pathToFileURL(dir).href,
    REDSHIFT_WORKGROUP: WORKGROUP,
    REDSHIFT_DATABASE: DATABASE,
    REDSHIFT_COPY_ROLE_ARN: COPY_ROLE,
    REDSHIFT_SQL_DIALECT: 'postgres',
    ELT_LATENESS_HOURS: String(LATENESS_HOURS),
    ELT_MAX_OBJECTS_PER_RUN: '20000',
    ELT_READERS: JSON.stringify({ users: [ANALYST] }),
  });
  elt = loadEltDefinition();
}, 600_000);

afterAll(async () => {
  await api?.close();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('the deployed ELT state machine over the Data API', () => {
  let first: ExecutionResult;

  it('plans, loads, transforms, tests and publishes a run, then puts EltRunSucceeded on the bus', async () => {
    first = await execute();
    expect(first.status).toBe('SUCCEEDED');
    expect(states(first)).toEqual([
      'Run-plan',
      'AnythingNew',
      'AnythingToLoad',
      'Run-load',
      'LoadComplete',
      'Run-transform',
      'TransformComplete',
      'Run-test',
      'TestsPassed',
      'Run-publish',
      'PublishRunSucceeded',
      'Run-compact',
      'RunSucceeded',
    ]);
    const record = recordOf(first);
    const duplicates = [...generateWorkload({ events: EVENTS, seed: SEED })].filter(
      (i) => i.truth.kind === 'duplicate',
    ).length;
    expect(record).toMatchObject({ status: 'succeeded', eventsLoaded: truth.distinctValid + duplicates });
    // The run's own event was landed, under the pipeline's source.
    const own: string[] = [];
    for await (const o of store.list(`raw/source=${ELT_EVENT_SOURCE}/`)) own.push(o.key);
    expect(own).toHaveLength(1);
  });

  it('builds marts equal to the generator ground truth, as the runner, who owns every table', async () => {
    expect(
      await sql(
        'SELECT CAST(day AS VARCHAR) AS day, CAST(users AS INT) AS users FROM mart_daily_active_users ORDER BY day',
      ),
    ).toEqual(truth.dau);
    expect(
      await sql(
        'SELECT CAST(signup_day AS VARCHAR) AS signup_day, CAST(signed_up AS INT) AS signed_up, CAST(viewed_page AS INT) AS viewed_page, CAST(placed_bid AS INT) AS placed_bid FROM mart_signup_funnel ORDER BY signup_day',
      ),
    ).toEqual(truth.funnel);
    const [unique] = await sql<{ n: string }>('SELECT COUNT(*) AS n FROM stg_events');
    expect(Number(unique!.n)).toBe(truth.distinctValid);
    const owners = await sql<{ tableowner: string }>(
      "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'",
    );
    expect(owners).toEqual([{ tableowner: RUNNER }]);
  });

  it('grants the configured readers SELECT on every model at publish', async () => {
    const reader = warehouseAs(ANALYST_KEY);
    expect(await reader.query('SELECT COUNT(*) AS n FROM mart_daily_active_users')).toEqual([
      { n: truth.dau.length },
    ]);
  });

  it("quiet hours: scheduled runs that find only the pipeline's own events stop at the plan, send no statement and never fail", async () => {
    // The pipeline keeps talking about itself: one more of its events lands during the quiet hours.
    await landPutEvents([
      {
        Source: ELT_EVENT_SOURCE,
        DetailType: 'EltRunFailed',
        Detail: { eventId: randomUUID(), runId: 'run-20261202T000000Z-aaaaaa', status: 'failed' },
      },
    ]);
    const before = (await runnerStatements()).length;
    for (let hour = 0; hour < 6; hour++) {
      const run = await execute();
      expect(run.status).toBe('SUCCEEDED');
      expect(states(run)).toEqual(['Run-plan', 'AnythingNew', 'NothingNew']);
    }
    // Not one statement: the warehouse was never woken.
    expect((await runnerStatements()).length).toBe(before);
  });

  it('loads only what landed since the last published run, reading the ledger from the watermark on', async () => {
    await land([login('2026-12-01', 'u_new_1'), login('2026-12-01', 'u_new_2')]);
    const run = await execute();
    expect(run.status).toBe('SUCCEEDED');
    const planned = (
      run.history.find((h) => h.state === 'Run-plan')!.output as {
        run: { runId: string; pendingObjects: number };
      }
    ).run;
    // The new product object, and with it the two objects of the pipeline's own events that landed since.
    expect(planned.pendingObjects).toBe(3);
    expect(recordOf(run)).toMatchObject({ status: 'succeeded', objectsLoaded: 3, eventsLoaded: 4 });
    expect(await sql('SELECT COUNT(*) AS n FROM stg_pipeline_events')).toEqual([{ n: '2' }]);
    const sent = (await runnerStatements()).filter((s) => s.StatementName === planned.runId);
    const ledgerReads = sent
      .flatMap((s) => s.QueryStrings ?? [s.QueryString ?? ''])
      .filter((q) => q.startsWith('SELECT object_key FROM elt_loaded_objects'));
    expect(ledgerReads.length).toBeGreaterThan(0);
    for (const q of ledgerReads) expect(q).toContain('WHERE loaded_at >=');
  });

  it('keeps a view the analyst built on a mart through later runs (a schema-bound view blocks DROP TABLE on Redshift)', async () => {
    const reader = warehouseAs(ANALYST_KEY);
    await reader.execute('CREATE VIEW analyst_days AS SELECT day, users FROM mart_daily_active_users');
    await land([login('2026-12-03', 'u_view_1')]);
    expect(endState(await execute())).toBe('RunSucceeded');
    expect(
      await reader.query("SELECT users FROM analyst_days WHERE day = CAST('2026-12-03' AS DATE)"),
    ).toEqual([{ users: 1 }]);
  });

  it('after two quiet days, a load of nothing but a republished event publishes with a freshness warning', async () => {
    await sql("UPDATE stg_events SET loaded_at = loaded_at - INTERVAL '3 days'");
    await sql("UPDATE raw_events SET loaded_at = loaded_at - INTERVAL '3 days'");
    const [copy] = await sql<{ event: EventEnvelope }>(
      "SELECT event FROM raw_events WHERE detail_type = 'UserLoggedIn' LIMIT 1",
    );
    await land([{ ...copy!.event, id: `bus-republished-${randomUUID()}` }]);
    const run = await execute();
    expect(run.status).toBe('SUCCEEDED');
    expect(endState(run)).toBe('RunSucceeded');
    expect(recordOf(run).tests).toContainEqual({
      name: 'freshness(stg_events.loaded_at ≤ 48h)',
      failures: 1,
      warn: true,
    });
  });

  it('builds one model per invocation when the transform step runs short of time, looping in the state machine', async () => {
    await land([login('2026-12-02', 'u_new_3')]);
    const run = await execute({ remainingTimeMs: { transform: INVOCATION_RESERVE_MS + 10_000 } });
    expect(run.status).toBe('SUCCEEDED');
    const transforms = states(run).filter((s) => s === 'Run-transform');
    expect(transforms).toHaveLength(recordOf(run).models.length);
    expect(transforms.length).toBeGreaterThan(1);
  });

  it('a statement a stopped function left running is canceled by the fail step before the lock is released', async () => {
    await land([login('2026-12-02', 'u_new_4')]);
    const stopped = stoppedWithStatementRunning();
    const run = await execute({ handlers: { transform: stopped.handler } });
    expect(run.status).toBe('FAILED');
    expect(endState(run)).toBe('RunFailed');
    expect((await runner.send(new DescribeStatementCommand({ Id: stopped.statement() }))).Status).toBe(
      'ABORTED',
    );
    expect(await sql('SELECT run_id FROM elt_run_lock')).toEqual([]);
    expect(recordOf(run).error).toBe('Sandbox.Timedout: Task timed out after 900.00 seconds');
  });

  it('keeps the run lock when a statement of the run could not be stopped before the fail step had to end', async () => {
    const stopped = stoppedWithStatementRunning();
    const run = await execute({
      // The fail function has no time left to wait for the cancel to take effect.
      remainingTimeMs: { fail: INVOCATION_RESERVE_MS + 20_000 },
      handlers: { transform: stopped.handler },
    });
    expect(run.status).toBe('FAILED');
    expect(recordOf(run).error).toContain(
      '1 statement(s) of the run were still running and could not be stopped: the run lock is kept until it expires',
    );
    expect(await sql('SELECT run_id FROM elt_run_lock')).toEqual([{ run_id: stopped.runId() }]);
    // A run started meanwhile changes nothing.
    const next = await execute();
    expect(endState(next)).toBe('AnotherRunInProgress');
    await runner.send(new CancelStatementCommand({ Id: stopped.statement() })).catch(() => undefined);
    await sql('DELETE FROM elt_run_lock');
  });

  it('takes over a lock whose holder expired (a run the state machine timeout stopped gets no fail step)', async () => {
    const at = (ms: number): string =>
      new Date(Date.now() + ms).toISOString().replace('T', ' ').replace('Z', '');
    await sql(
      `INSERT INTO elt_run_lock (run_id, acquired_at, expires_at) VALUES ('run-stale', '${at(-3_900_000)}', '${at(-60_000)}')`,
    );
    await land([login('2026-12-02', 'u_new_5')]);
    const run = await execute();
    expect(endState(run)).toBe('RunSucceeded');
    expect(await sql('SELECT run_id FROM elt_run_lock')).toEqual([]);
  });

  it('keeps a failed run listable in the history however long its error was (the Data API returns no row over 64 KB)', async () => {
    await land([login('2026-12-02', 'u_new_6')]);
    const run = await execute({
      handlers: {
        transform: async () => {
          throw Object.assign(new Error(`model mart_x failed: ${'x'.repeat(100_000)}`), {
            name: 'ModelFailedError',
          });
        },
      },
    });
    expect(run.status).toBe('FAILED');
    const [last] = await warehouseAs(RUNNER_KEY).listRuns(1);
    expect(last?.status).toBe('failed');
    expect(last?.error?.length).toBeLessThanOrEqual(4000);
    expect(last?.error).toMatch(/^ModelFailedError: model mart_x failed: x+ … \[\d+ more characters cut\]$/);
  });

  it('refuses the laptop run as another IAM identity at once, naming the command that works, and changes nothing', async () => {
    // A data directory whose store is the raw bucket's directory, as `elt run --store s3://…` reads the bucket.
    const dataDir = (await new DataDir(await mkdtemp(join(tmpdir(), 'elt-laptop-'))).ensure()).root;
    await symlink(dir, join(dataDir, 'store'));
    const runsBefore = await sql('SELECT COUNT(*) AS n FROM elt_runs');
    const result = await runCli(
      [
        'run',
        '--data-dir',
        dataDir,
        '--warehouse',
        `redshift-data://workgroup/${WORKGROUP}/${DATABASE}?bucket=raw-bucket&copyRole=${encodeURIComponent(COPY_ROLE)}&dialect=postgres`,
      ],
      {
        env: {
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: ALICE_KEY,
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_ENDPOINT_URL_REDSHIFT_DATA: api.endpoint,
        },
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `the pipeline's tables on redshift-data:workgroup/${WORKGROUP}/${DATABASE} belong to database user "${RUNNER}", but this connection runs as "IAM:alice"`,
    );
    expect(result.stderr).toContain('npx elt run --state-machine <StateMachineArn>');
    expect(await sql('SELECT COUNT(*) AS n FROM elt_runs')).toEqual(runsBefore);
    expect(await sql("SELECT tablename FROM pg_tables WHERE tableowner = 'IAM:alice'")).toEqual([]);
    await rm(dataDir, { recursive: true, force: true });
  }, 120_000);

  it('records a run whose plan failed (no run yet) so the failure is in the history', async () => {
    const { handler } = (await import('../../lambdas/elt/fail.js')) as {
      handler: (input: unknown) => Promise<RunRecord>;
    };
    const record = await handler({ error: { Error: 'States.Timeout', Cause: 'plan timed out' } });
    expect(record).toMatchObject({ status: 'failed', error: 'States.Timeout: plan timed out' });
  });
});

/**
 * A transform handler that acts out a function stopped at its timeout: it starts a long statement named by
 * its run, as the step's own statements are, and fails with Lambda's timeout while it runs.
 */
function stoppedWithStatementRunning(): {
  handler: (input: Json) => Promise<never>;
  statement: () => string;
  runId: () => string;
} {
  let statement = '';
  let runId = '';
  return {
    handler: async (input) => {
      runId = (input as { run: { runId: string } }).run.runId;
      const sent = await runner.send(
        new BatchExecuteStatementCommand({
          WorkgroupName: WORKGROUP,
          Database: DATABASE,
          StatementName: runId,
          Sqls: ['SELECT pg_sleep(60)'],
        }),
      );
      statement = sent.Id!;
      await waitFor(statement, 'STARTED');
      throw Object.assign(new Error('Task timed out after 900.00 seconds'), { name: 'Sandbox.Timedout' });
    },
    statement: () => statement,
    runId: () => runId,
  };
}

/** Waits until a Data API statement reaches a status. */
async function waitFor(id: string, status: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await runner.send(new DescribeStatementCommand({ Id: id }))).Status === status) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`statement ${id} never reached ${status}`);
}
