import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  ListStatementsCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import {
  DeadlinePassedError,
  namedParams,
  RedshiftDataWarehouse,
  SESSION_SETTINGS,
  StatementFailedError,
  StatementTimeoutError,
  WarehouseOwnerError,
} from '../../lib/adapters/warehouse/redshift-data-warehouse.js';
import { postgresDialect } from '../../lib/core/elt/dialect.js';
import { runElt } from '../../lib/core/elt/run-elt.js';
import { loadModels } from '../../lib/core/elt/sql-sources.js';
import { createEventValidator } from '../../lib/core/events/validator.js';
import { landBatch } from '../../lib/core/landing/land-batch.js';
import { EltRunInProgressError, ObjectsLoadedMeanwhileError, systemClock } from '../../lib/core/ports.js';
import { envelope } from '../support/envelopes.js';
import { startDataApi, type LocalDataApi } from '../support/data-api.js';
import { postgresServer, scratchDatabase } from '../support/postgres.js';
import { parseRunId } from '../../lib/core/elt/sql-values.js';

const ROLE = 'arn:aws:iam::123456789012:role/elt-copy';

describe('RedshiftDataWarehouse through the local Data API endpoint (real SDK client)', () => {
  let api: LocalDataApi;
  let db: { url: string; drop: () => Promise<void> };
  let dir: string;
  let store: FsObjectStore;
  let warehouse: RedshiftDataWarehouse;

  beforeAll(async () => {
    db = await scratchDatabase(await postgresServer());
    dir = await mkdtemp(join(tmpdir(), 'elt-rs-'));
    store = new FsObjectStore(dir, { durable: false });
    api = await startDataApi(db.url, { bucketDirs: { 'raw-bucket': dir }, pageSize: 3 });
    warehouse = new RedshiftDataWarehouse({
      target: { workgroupName: 'elt-dev-warehouse' },
      database: 'elt',
      dialect: postgresDialect,
      client: api.client,
      copy: { bucket: 'raw-bucket', roleArn: ROLE },
      pollInitialMs: 5,
    });
  }, 600_000);

  afterAll(async () => {
    await api?.close();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the pipeline tables, idempotently', async () => {
    await warehouse.ensureSchema();
    await warehouse.ensureSchema();
    const rows = await warehouse.query(
      "SELECT table_name FROM information_schema.tables WHERE table_name IN ('raw_events', 'elt_loaded_objects', 'elt_runs') ORDER BY 1",
    );
    expect(rows.map((r) => r.table_name)).toEqual(['elt_loaded_objects', 'elt_runs', 'raw_events']);
  });

  it('loads landed objects with COPY from a manifest and records them in the ledger, in one batch', async () => {
    const validator = createEventValidator();
    const clock = { now: () => new Date('2026-11-25T10:00:00Z') };
    const result = await landBatch(
      [
        { id: 'm1', body: JSON.stringify(envelope('PageViewed', { id: 'a', time: '2026-11-01T10:00:00Z' })) },
        {
          id: 'm2',
          body: JSON.stringify(envelope('BidCreated', { id: 'b', time: '2026-11-01T11:00:00+01:00' })),
        },
      ],
      { store, validator, clock },
    );
    const objects = await Promise.all(result.objects.map(async (o) => ({ key: o.key, size: o.bytes })));
    const loaded = await warehouse.loadObjects(objects, store, parseRunId('run-20261125T100000Z-abcdef'));
    expect(loaded).toBe(2);
    expect(await warehouse.loadedObjectKeys()).toEqual(new Set(objects.map((o) => o.key)));
    const rows = await warehouse.query(
      'SELECT id, detail_type, CAST(event_time AS VARCHAR) AS t, run_id FROM raw_events ORDER BY id',
    );
    expect(rows).toEqual([
      { id: 'a', detail_type: 'PageViewed', t: '2026-11-01 10:00:00', run_id: 'run-20261125T100000Z-abcdef' },
      { id: 'b', detail_type: 'BidCreated', t: '2026-11-01 10:00:00', run_id: 'run-20261125T100000Z-abcdef' },
    ]);
    const manifests = [];
    for await (const o of store.list('manifests/run-20261125T100000Z-abcdef/')) manifests.push(o.key);
    expect(manifests.some((k) => k.endsWith('.manifest'))).toBe(true);

    // A second load of the same objects (a COPY of an earlier run that outlived its function, committing
    // after the next run planned) writes nothing: the ledger's key is informational on Redshift, as on the
    // endpoint, so the load itself must refuse.
    const again = await warehouse
      .loadObjects(objects, store, parseRunId('run-20261125T110000Z-abcdef'))
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ObjectsLoadedMeanwhileError);
    expect(await warehouse.query('SELECT COUNT(*) AS n FROM raw_events')).toEqual([{ n: 2 }]);
    expect(await warehouse.query('SELECT COUNT(*) AS n FROM elt_loaded_objects')).toEqual([{ n: 2 }]);
  });

  it('reads results across pages', async () => {
    const rows = await warehouse.query('SELECT g FROM generate_series(1, 7) AS g ORDER BY g');
    expect(rows.map((r) => r.g)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('records and lists runs', async () => {
    const run = {
      runId: 'run-20261125T100000Z-abcdef',
      status: 'failed' as const,
      startedAt: '2026-11-25T10:00:00.000Z',
      finishedAt: '2026-11-25T10:01:00.500Z',
      durationMs: 60_500,
      objectsLoaded: 2,
      eventsLoaded: 2,
      models: [{ name: 'stg_events', rows: 2, ms: 5 }],
      tests: [{ name: 'unique(stg_events.event_id)', failures: 0 }],
      error: "model mart_x failed: it's broken",
    };
    await warehouse.recordRun(run);
    await warehouse.recordRun({ ...run, status: 'succeeded', error: undefined } as never);
    expect(await warehouse.listRuns(5)).toEqual(
      [{ ...run, status: 'succeeded', error: undefined }].map(({ error: _e, ...r }) => r),
    );
  });

  it('throws a typed error naming the database message when a statement fails', async () => {
    const error = await warehouse.execute('SELECT * FROM missing_table').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatementFailedError);
    expect((error as Error).message).toMatch(
      /^statement [0-9a-f-]+ failed: ERROR: relation "missing_table" does not exist/,
    );
  });

  it('claims the run lock for one run at a time, lets it expire, and releases only its own', async () => {
    await warehouse.ensureSchema();
    const t0 = new Date('2026-11-26T10:00:00Z');
    const later = (ms: number): Date => new Date(t0.getTime() + ms);
    expect(await warehouse.runLock.claim(parseRunId('run-a'), t0, later(60_000))).toBe('run-a');
    expect(await warehouse.runLock.claim(parseRunId('run-b'), later(1000), later(61_000))).toBe('run-a');
    await warehouse.runLock.release(parseRunId('run-b')); // not the holder: nothing happens
    expect(await warehouse.runLock.claim(parseRunId('run-b'), later(2000), later(62_000))).toBe('run-a');
    // Past run-a's expiry, run-b takes over.
    expect(await warehouse.runLock.claim(parseRunId('run-b'), later(60_001), later(120_000))).toBe('run-b');
    await warehouse.runLock.release(parseRunId('run-b'));
    expect(await warehouse.query('SELECT COUNT(*) AS n FROM elt_run_lock')).toEqual([{ n: 0 }]);
    // A run id that could break out of its literal never reaches the lock's SQL.
    expect(() => parseRunId("run-'x")).toThrow('not a run id');
  });

  it('stops runElt before it plans anything while another run holds the lock row, naming that run', async () => {
    await warehouse.ensureSchema();
    const now = new Date();
    expect(
      await warehouse.runLock.claim(parseRunId('run-scheduled'), now, new Date(now.getTime() + 600_000)),
    ).toBe('run-scheduled');
    const runsBefore = await warehouse.query('SELECT COUNT(*) AS n FROM elt_runs');
    const refused = await runElt({ warehouse, store, clock: systemClock, models: loadModels() }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(EltRunInProgressError);
    expect((refused as Error).message).toBe(
      `another ELT run is in progress on ${warehouse.describe()} (run run-scheduled holds the run lock); wait for it to finish (elt runs shows it) and run again`,
    );
    expect(await warehouse.query('SELECT COUNT(*) AS n FROM elt_runs')).toEqual(runsBefore);
    await warehouse.runLock.release(parseRunId('run-scheduled'));
    const run = await runElt({ warehouse, store, clock: systemClock, models: loadModels() });
    expect(run.status).toBe('succeeded');
    // The run gave the lock back.
    expect(await warehouse.query('SELECT COUNT(*) AS n FROM elt_run_lock')).toEqual([{ n: 0 }]);
  }, 120_000);

  it('gives up on a statement that runs past its deadline', async () => {
    const hasty = new RedshiftDataWarehouse({
      target: { workgroupName: 'elt-dev-warehouse' },
      database: 'elt',
      dialect: postgresDialect,
      client: api.client,
      copy: { bucket: 'raw-bucket', roleArn: ROLE },
      statementTimeoutMs: 200,
      pollInitialMs: 20,
    });
    const error = await hasty.execute('SELECT pg_sleep(5)').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatementTimeoutError);
    expect((error as StatementTimeoutError).canceled).toBe(true);
    expect((error as Error).message).toMatch(
      /^statement [0-9a-f-]+ did not finish within 0 s and was canceled$/,
    );
  });
});

describe('RedshiftDataWarehouse requests (aws-sdk-client-mock)', () => {
  const client = new RedshiftDataClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  const mock = mockClient(client);
  const make = (extra: object = {}) =>
    new RedshiftDataWarehouse({
      target: { workgroupName: 'wg' },
      database: 'analytics',
      client,
      copy: { bucket: 'raw-bucket', roleArn: ROLE },
      sleep: async () => undefined,
      retry: { sleep: async () => undefined, random: () => 0 },
      ...extra,
    });
  const finished = (id: string, extra: object = {}) => ({ Id: id, Status: 'FINISHED' as const, ...extra });
  beforeEach(() => mock.reset());

  it('sends every statement as a batch after both case-sensitivity settings, with named parameters and a ClientToken', async () => {
    mock.on(BatchExecuteStatementCommand).resolves({ Id: 'b1' });
    mock.on(DescribeStatementCommand).resolves(finished('b1'));
    await make().execute('DELETE FROM t WHERE a = $1 AND b = $2', ['x', 3]);
    expect(mock.commandCalls(BatchExecuteStatementCommand)[0]!.args[0].input).toEqual({
      WorkgroupName: 'wg',
      Database: 'analytics',
      Sqls: [...SESSION_SETTINGS, 'DELETE FROM t WHERE a = :p1 AND b = :p2'],
      Parameters: [
        { name: 'p1', value: 'x' },
        { name: 'p2', value: '3' },
      ],
      ClientToken: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(SESSION_SETTINGS).toEqual([
      'SET enable_case_sensitive_identifier TO true',
      'SET enable_case_sensitive_super_attribute TO true',
    ]);
  });

  it('runs a query (elt query) in the same session as the settings, so detail."itemId" is read case-sensitively, and reads its sub-statement result', async () => {
    mock.on(BatchExecuteStatementCommand).resolves({ Id: 'b1' });
    mock.on(DescribeStatementCommand).resolves(finished('b1', { HasResultSet: true }));
    mock
      .on(GetStatementResultCommand, { Id: 'b1:3' })
      .resolves({ ColumnMetadata: [{ name: 'item' }], Records: [[{ stringValue: 'i_42' }]] });
    expect(await make().query('SELECT event."detail"."itemId" AS item FROM raw_events')).toEqual([
      { item: 'i_42' },
    ]);
    expect(mock.commandCalls(BatchExecuteStatementCommand)[0]!.args[0].input.Sqls).toEqual([
      ...SESSION_SETTINGS,
      'SELECT event."detail"."itemId" AS item FROM raw_events',
    ]);
    expect(mock.commandCalls(ExecuteStatementCommand)).toHaveLength(0);
  });

  it('targets a provisioned cluster with a database user and a secret when configured', async () => {
    mock.on(BatchExecuteStatementCommand).resolves({ Id: 'b1' });
    mock.on(DescribeStatementCommand).resolves(finished('b1'));
    await make({
      target: { clusterIdentifier: 'c1', dbUser: 'elt' },
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x',
    }).execute('SELECT 1');
    expect(mock.commandCalls(BatchExecuteStatementCommand)[0]!.args[0].input).toMatchObject({
      ClusterIdentifier: 'c1',
      DbUser: 'elt',
      SecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x',
    });
  });

  it("names a run's statements with its run id, so another process can find them", async () => {
    mock.on(BatchExecuteStatementCommand).resolves({ Id: 'b1' });
    mock.on(DescribeStatementCommand).resolves(finished('b1'));
    await make().forRun({ statementName: 'run-20261202T100000Z-a1b2c3' }).execute('SELECT 1');
    expect(mock.commandCalls(BatchExecuteStatementCommand)[0]!.args[0].input.StatementName).toBe(
      'run-20261202T100000Z-a1b2c3',
    );
  });

  it('retries throttling with the same ClientToken, so the statement is not run twice', async () => {
    mock
      .on(BatchExecuteStatementCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({ Id: 'b1' });
    mock.on(DescribeStatementCommand).resolves(finished('b1'));
    await make().execute('SELECT 1');
    const tokens = mock.commandCalls(BatchExecuteStatementCommand).map((c) => c.args[0].input.ClientToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toBe(tokens[1]);
  });

  it('cancels a statement at its deadline; one that finished meanwhile counts as done', async () => {
    mock.on(BatchExecuteStatementCommand).resolves({ Id: 'b1' });
    let canceled = false;
    mock.on(CancelStatementCommand).callsFake(() => {
      canceled = true;
      return { Status: true };
    });
    mock
      .on(DescribeStatementCommand)
      .callsFake(() => ({ Id: 'b1', Status: canceled ? 'FINISHED' : 'STARTED' }));
    await make({ statementTimeoutMs: 0 }).execute('SELECT 1');
    expect(mock.commandCalls(CancelStatementCommand).map((c) => c.args[0].input)).toEqual([{ Id: 'b1' }]);
  });

  it("cancels at the process's deadline even when the statement timeout is far away", async () => {
    mock.on(BatchExecuteStatementCommand).resolves({ Id: 'b1' });
    mock.on(CancelStatementCommand).resolves({ Status: true });
    mock.on(DescribeStatementCommand).callsFake(() => ({
      Id: 'b1',
      Status: mock.commandCalls(CancelStatementCommand).length ? 'ABORTED' : 'STARTED',
    }));
    const w = make({ statementTimeoutMs: 15 * 60_000 }).forRun({
      statementName: 'run-x',
      deadline: Date.now() + 50,
    });
    const error = await w.execute('SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatementTimeoutError);
    expect((error as StatementTimeoutError).canceled).toBe(true);
  });

  it('sends nothing once the deadline has passed', async () => {
    const w = make().forRun({ statementName: 'run-x', deadline: Date.now() - 1 });
    await expect(w.execute('SELECT 1')).rejects.toBeInstanceOf(DeadlinePassedError);
    expect(mock.calls()).toHaveLength(0);
  });

  it('says a statement that could not be canceled may still finish', async () => {
    mock.on(BatchExecuteStatementCommand).resolves({ Id: 'b1' });
    mock
      .on(CancelStatementCommand)
      .rejects(Object.assign(new Error('gone'), { name: 'ValidationException' }));
    mock.on(DescribeStatementCommand).resolves({ Id: 'b1', Status: 'STARTED' });
    const warnings: string[] = [];
    const error = await make({
      statementTimeoutMs: 0,
      cancelGraceMs: 0,
      warn: (m: string) => warnings.push(m),
    })
      .execute('SELECT 1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatementTimeoutError);
    expect((error as Error).message).toBe(
      'statement b1 did not finish within 0 s and could not be canceled: it may still finish',
    );
    // The refused cancel is reported, not dropped.
    expect(warnings).toEqual(['could not cancel statement b1: gone']);
  });

  it("finds a run's statements still running by name, cancels them, and counts those that did not stop", async () => {
    mock.on(ListStatementsCommand).resolvesOnce({
      Statements: [
        { Id: 's1', StatementName: 'run-a', Status: 'STARTED' },
        { Id: 's2', StatementName: 'run-a', Status: 'FINISHED' },
        { Id: 's3', StatementName: 'run-ab', Status: 'STARTED' },
      ],
      NextToken: 't2',
    });
    mock.on(ListStatementsCommand, { NextToken: 't2' }).resolves({
      Statements: [{ Id: 's4', StatementName: 'run-a', Status: 'SUBMITTED' }],
    });
    mock.on(CancelStatementCommand).resolves({ Status: true });
    mock.on(DescribeStatementCommand, { Id: 's1' }).resolves({ Id: 's1', Status: 'ABORTED' });
    mock.on(DescribeStatementCommand, { Id: 's4' }).resolves({ Id: 's4', Status: 'STARTED' });
    const running = await make().stopRunStatements(parseRunId('run-a'), new Date(Date.now() + 20));
    expect(running).toBe(1);
    expect(mock.commandCalls(ListStatementsCommand)[0]!.args[0].input).toEqual({
      StatementName: 'run-a',
      Status: 'ALL',
      RoleLevel: true,
      MaxResults: 100,
    });
    expect(mock.commandCalls(CancelStatementCommand).map((c) => c.args[0].input.Id)).toEqual(['s1', 's4']);
  });

  it('does not retry a validation error', async () => {
    mock
      .on(BatchExecuteStatementCommand)
      .rejects(Object.assign(new Error('bad'), { name: 'ValidationException' }));
    await expect(make().execute('SELECT 1')).rejects.toThrow('bad');
    expect(mock.commandCalls(BatchExecuteStatementCommand)).toHaveLength(1);
  });

  it('polls DescribeStatement with backoff until the statement finishes', async () => {
    const waits: number[] = [];
    mock.on(BatchExecuteStatementCommand).resolves({ Id: 'b1' });
    mock
      .on(DescribeStatementCommand)
      .resolvesOnce({ Id: 'b1', Status: 'SUBMITTED' })
      .resolvesOnce({ Id: 'b1', Status: 'STARTED' })
      .resolvesOnce({ Id: 'b1', Status: 'STARTED' })
      .resolves(finished('b1'));
    await make({
      sleep: async (ms: number) => void waits.push(ms),
      pollInitialMs: 50,
      pollMaxMs: 150,
    }).execute('SELECT 1');
    expect(waits).toEqual([50, 100, 150]);
  });

  it('masks the secret ARN in a failure message', async () => {
    const secret = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:admin-AbCdEf';
    mock.on(BatchExecuteStatementCommand).resolves({ Id: 'b1' });
    mock
      .on(DescribeStatementCommand)
      .resolves({ Id: 'b1', Status: 'FAILED', Error: `could not read ${secret}` });
    await expect(make({ secretArn: secret }).execute('SELECT 1')).rejects.toThrow(
      'statement b1 failed: could not read ****',
    );
  });

  it('reads every page of a result', async () => {
    mock.on(BatchExecuteStatementCommand).resolves({ Id: 'b1' });
    mock.on(DescribeStatementCommand).resolves(finished('b1', { HasResultSet: true }));
    mock
      .on(GetStatementResultCommand, { Id: 'b1:3' })
      .resolvesOnce({ ColumnMetadata: [{ name: 'n' }], Records: [[{ longValue: 1 }]], NextToken: 't2' })
      .resolvesOnce({ ColumnMetadata: [{ name: 'n' }], Records: [[{ longValue: 2 }]] });
    expect(await make().query('SELECT n')).toEqual([{ n: 1 }, { n: 2 }]);
    expect(mock.commandCalls(GetStatementResultCommand)[1]!.args[0].input).toEqual({
      Id: 'b1:3',
      NextToken: 't2',
    });
  });

  it('refuses a transaction larger than one Data API batch with its settings', async () => {
    const w = make();
    expect(w.maxStatementsPerTransaction).toBe(38);
    await expect(w.executeBatch(Array.from({ length: 39 }, () => 'SELECT 1'))).rejects.toThrow(
      'a transaction of 39 statements exceeds the Data API batch limit of 40 (2 of them are the session settings)',
    );
    expect(mock.calls()).toHaveLength(0);
  });

  it('loads under a lock on the ledger and writes nothing of a batch whose object is already there', async () => {
    mock.on(BatchExecuteStatementCommand).resolves({ Id: 'b1' });
    // The batch's one result set holds the counts, read by column name.
    mock.on(DescribeStatementCommand).resolves(
      finished('b1', {
        SubStatements: Array.from({ length: 16 }, (_v, i) => ({ Id: `b1:${i + 1}`, HasResultSet: i === 11 })),
      }),
    );
    const counts = (events: number, ledgerRows: number) => ({
      ColumnMetadata: [{ name: 'events' }, { name: 'ledger_rows' }],
      Records: [[{ longValue: events }, { longValue: ledgerRows }]],
    });
    mock.on(GetStatementResultCommand).resolvesOnce(counts(0, 0)).resolves(counts(5, 2));
    const objects = [
      { key: 'raw/source=a/detail_type=B/dt=2026-11-01/hour=10/part-1.ndjson.gz', size: 10 },
      { key: 'raw/source=a/detail_type=B/dt=2026-11-01/hour=10/part-2.ndjson.gz', size: 10 },
    ];
    const w = make();
    const manifests = new FsObjectStore(await mkdtemp(join(tmpdir(), 'elt-m-')));
    await expect(
      w.loadObjects(objects, manifests, parseRunId('run-20261202T100000Z-a1b2c3')),
    ).rejects.toBeInstanceOf(ObjectsLoadedMeanwhileError);
    expect(mock.commandCalls(GetStatementResultCommand)[0]!.args[0].input.Id).toBe('b1:12');
    expect(await w.loadObjects(objects, manifests, parseRunId('run-20261202T100000Z-a1b2c3'))).toBe(5);
    const sqls = mock.commandCalls(BatchExecuteStatementCommand)[0]!.args[0].input.Sqls!;
    expect(sqls[SESSION_SETTINGS.length]).toBe('LOCK elt_loaded_objects');
    const guard =
      'NOT EXISTS (SELECT 1 FROM ledger_load n JOIN elt_loaded_objects l ON l.object_key = n.object_key)';
    expect(sqls.find((q) => q.startsWith('CREATE TEMP TABLE raw_load AS'))).toContain(guard);
    expect(sqls.find((q) => q.startsWith('INSERT INTO elt_loaded_objects'))).toContain(guard);
  });

  it("refuses to set up or run as a database user that does not own the pipeline's tables", async () => {
    mock.on(BatchExecuteStatementCommand).resolves({ Id: 'b1' });
    mock.on(DescribeStatementCommand).resolves(finished('b1', { HasResultSet: true }));
    mock.on(GetStatementResultCommand).resolves({
      ColumnMetadata: [{ name: 'me' }, { name: 'owner' }],
      Records: [[{ stringValue: 'IAM:alice' }, { stringValue: 'IAMR:elt-dev-eu-west-1-elt-runner' }]],
    });
    const error = await make()
      .ensureSchema()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarehouseOwnerError);
    expect((error as Error).message).toContain(
      'belong to database user "IAMR:elt-dev-eu-west-1-elt-runner", but this connection runs as "IAM:alice"',
    );
    expect((error as Error).message).toContain('npx elt run --state-machine <StateMachineArn>');
    // Only the ownership query ran: nothing was created.
    expect(mock.commandCalls(BatchExecuteStatementCommand)).toHaveLength(1);
  });

  it('writes NULL and empty parameters as literals (the Data API has no NULL and no empty value)', () => {
    expect(
      namedParams('INSERT INTO t VALUES ($1, $2, $3, $10)', ['a', null, '', ...Array(6).fill('x'), 'j']),
    ).toEqual({
      text: "INSERT INTO t VALUES (:p1, NULL, '', :p10)",
      parameters: [
        { name: 'p1', value: 'a' },
        { name: 'p10', value: 'j' },
      ],
    });
  });
});
