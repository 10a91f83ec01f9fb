import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  ListStatementsCommand,
  ResourceNotFoundException,
  ValidationException,
  type DescribeStatementCommandOutput,
} from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDataApi, type LocalDataApi } from '../support/data-api.js';
import { postgresServer, scratchDatabase } from '../support/postgres.js';

// The local Redshift Data API endpoint, driven by the real @aws-sdk/client-redshift-data client.
let api: LocalDataApi;
let db: { url: string; drop: () => Promise<void> };
let bucketDir: string;
const target = { WorkgroupName: 'wg', Database: 'elt' };

async function finished(id: string): Promise<DescribeStatementCommandOutput> {
  for (let i = 0; i < 200; i++) {
    const d = await api.client.send(new DescribeStatementCommand({ Id: id }));
    if (d.Status === 'FINISHED' || d.Status === 'FAILED' || d.Status === 'ABORTED') return d;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`statement ${id} did not finish`);
}

async function run(
  sql: string,
  extra: Record<string, unknown> = {},
): Promise<DescribeStatementCommandOutput> {
  const out = await api.client.send(new ExecuteStatementCommand({ ...target, Sql: sql, ...extra }));
  return finished(out.Id!);
}

beforeAll(async () => {
  db = await scratchDatabase(await postgresServer());
  bucketDir = await mkdtemp(join(tmpdir(), 'elt-bucket-'));
  api = await startDataApi(db.url, { bucketDirs: { 'raw-bucket': bucketDir }, pageSize: 2 });
}, 600_000);

afterAll(async () => {
  await api?.close();
  await db?.drop();
  await rm(bucketDir, { recursive: true, force: true });
});

describe('ExecuteStatement, DescribeStatement, GetStatementResult', () => {
  it('runs a statement asynchronously and reports it FINISHED with its result shape', async () => {
    const out = await api.client.send(new ExecuteStatementCommand({ ...target, Sql: 'SELECT 1 AS one' }));
    expect(out.Id).toMatch(/^[0-9a-f-]{36}$/);
    expect(out).toMatchObject({ Database: 'elt', WorkgroupName: 'wg' });
    expect(out.CreatedAt).toBeInstanceOf(Date);
    const d = await finished(out.Id!);
    expect(d).toMatchObject({
      Status: 'FINISHED',
      HasResultSet: true,
      ResultRows: 1,
      QueryString: 'SELECT 1 AS one',
    });
    expect(d.Duration).toBeGreaterThan(0);
  });

  it('binds named parameters and returns typed fields and column metadata', async () => {
    const d = await run(
      "SELECT CAST(:n AS BIGINT) + 1 AS n, :s AS s, 2.5::float8 AS f, true AS b, NULL AS z, DATE '2026-11-01' AS day",
      {
        Parameters: [
          { name: 'n', value: '41' },
          { name: 's', value: "it's" },
        ],
      },
    );
    const result = await api.client.send(new GetStatementResultCommand({ Id: d.Id }));
    expect(result.Records).toEqual([
      [
        { longValue: 42 },
        { stringValue: "it's" },
        { doubleValue: 2.5 },
        { booleanValue: true },
        { isNull: true },
        { stringValue: '2026-11-01' },
      ],
    ]);
    expect(result.ColumnMetadata?.map((c) => [c.name, c.typeName])).toEqual([
      ['n', 'int8'],
      ['s', 'varchar'],
      ['f', 'float8'],
      ['b', 'bool'],
      ['z', 'varchar'],
      ['day', 'date'],
    ]);
  });

  it('pages results with NextToken', async () => {
    const d = await run('SELECT g FROM generate_series(1, 5) AS g ORDER BY g');
    const pages: number[][] = [];
    let token: string | undefined;
    do {
      const page = await api.client.send(
        new GetStatementResultCommand({ Id: d.Id, ...(token ? { NextToken: token } : {}) }),
      );
      expect(page.TotalNumRows).toBe(5);
      pages.push((page.Records ?? []).map((r) => r[0]!.longValue!));
      token = page.NextToken;
    } while (token);
    expect(pages).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('reports a SQL error as FAILED with the database message', async () => {
    const d = await run('SELECT * FROM no_such_table');
    expect(d.Status).toBe('FAILED');
    expect(d.Error).toContain('relation "no_such_table" does not exist');
  });

  it('answers an unknown id with ResourceNotFoundException', async () => {
    const error = await api.client
      .send(new DescribeStatementCommand({ Id: '00000000-0000-0000-0000-000000000000' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as ResourceNotFoundException).ResourceId).toBe('00000000-0000-0000-0000-000000000000');
  });

  it('rejects a request without a workgroup or cluster with ValidationException', async () => {
    const error = await api.client
      .send(new ExecuteStatementCommand({ Sql: 'SELECT 1', Database: 'elt' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as Error).message).toBe(
      'Either ClusterIdentifier or WorkgroupName must be specified, but not both',
    );
  });

  it('runs a repeated ClientToken once and returns the first statement', async () => {
    await run('CREATE TABLE tokens (n int)');
    const input = { ...target, Sql: 'INSERT INTO tokens VALUES (1)', ClientToken: 'token-1' };
    const first = await api.client.send(new ExecuteStatementCommand(input));
    const again = await api.client.send(new ExecuteStatementCommand(input));
    expect(again.Id).toBe(first.Id);
    await finished(first.Id!);
    const count = await run('SELECT COUNT(*) AS n FROM tokens');
    expect((await api.client.send(new GetStatementResultCommand({ Id: count.Id }))).Records).toEqual([
      [{ longValue: 1 }],
    ]);
    const reused = await api.client
      .send(new ExecuteStatementCommand({ ...input, Sql: 'SELECT 2' }))
      .catch((e: unknown) => e);
    expect(reused).toBeInstanceOf(ValidationException);
  });

  it('cancels a running statement, which ends ABORTED', async () => {
    const out = await api.client.send(new ExecuteStatementCommand({ ...target, Sql: 'SELECT pg_sleep(10)' }));
    await new Promise((r) => setTimeout(r, 150));
    expect(await api.client.send(new CancelStatementCommand({ Id: out.Id }))).toMatchObject({ Status: true });
    expect((await finished(out.Id!)).Status).toBe('ABORTED');
  });

  it('lists statements, newest first, filtered by status', async () => {
    const failed = await api.client.send(new ListStatementsCommand({ Status: 'FAILED' }));
    expect(failed.Statements!.length).toBeGreaterThan(0);
    expect(failed.Statements!.every((s) => s.Status === 'FAILED')).toBe(true);
  });
});

describe('BatchExecuteStatement', () => {
  it('runs the statements as one transaction with sub-statement ids', async () => {
    const out = await api.client.send(
      new BatchExecuteStatementCommand({
        ...target,
        Sqls: [
          'CREATE TABLE batch_ok (n int)',
          'INSERT INTO batch_ok VALUES (1), (2)',
          'SELECT n FROM batch_ok ORDER BY n',
        ],
      }),
    );
    const d = await finished(out.Id!);
    expect(d.Status).toBe('FINISHED');
    expect(d.SubStatements!.map((s) => [s.Id, s.Status, s.ResultRows])).toEqual([
      [`${out.Id}:1`, 'FINISHED', 0],
      [`${out.Id}:2`, 'FINISHED', 2],
      [`${out.Id}:3`, 'FINISHED', 2],
    ]);
    const rows = await api.client.send(new GetStatementResultCommand({ Id: `${out.Id}:3` }));
    expect(rows.Records).toEqual([[{ longValue: 1 }], [{ longValue: 2 }]]);
  });

  it('rolls the whole batch back when one statement fails', async () => {
    const out = await api.client.send(
      new BatchExecuteStatementCommand({ ...target, Sqls: ['CREATE TABLE batch_bad (n int)', 'SELECT 1/0'] }),
    );
    const d = await finished(out.Id!);
    expect(d.Status).toBe('FAILED');
    expect(d.SubStatements![1]).toMatchObject({
      Status: 'FAILED',
      Error: expect.stringContaining('division by zero'),
    });
    expect((await run('SELECT * FROM batch_bad')).Status).toBe('FAILED');
  });

  it('refuses more than 40 statements', async () => {
    const error = await api.client
      .send(
        new BatchExecuteStatementCommand({ ...target, Sqls: Array.from({ length: 41 }, () => 'SELECT 1') }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationException);
  });
});

describe('COPY from S3', () => {
  beforeAll(async () => {
    await mkdir(join(bucketDir, 'raw'), { recursive: true });
    await writeFile(join(bucketDir, 'raw', 'a.ndjson.gz'), gzipSync('{"id":"a","n":1}\n{"id":"b","n":2}\n'));
    await writeFile(join(bucketDir, 'raw', 'b.ndjson.gz'), gzipSync('{"id":"c","n":3}\n'));
    await writeFile(
      join(bucketDir, 'load.manifest'),
      JSON.stringify({
        entries: [
          { url: 's3://raw-bucket/raw/a.ndjson.gz', mandatory: true },
          { url: 's3://raw-bucket/raw/b.ndjson.gz', mandatory: true },
        ],
      }),
    );
    await writeFile(
      join(bucketDir, 'ledger.ndjson'),
      '{"object_key":"raw/a.ndjson.gz","size_bytes":10}\n{"object_key":"raw/b.ndjson.gz"}\n',
    );
  });

  it("loads every object of a manifest with FORMAT JSON 'noshred' GZIP MANIFEST", async () => {
    const out = await api.client.send(
      new BatchExecuteStatementCommand({
        ...target,
        Sqls: [
          'CREATE TABLE copied (event JSONB)',
          "COPY copied FROM 's3://raw-bucket/load.manifest' IAM_ROLE 'arn:aws:iam::123456789012:role/copy' FORMAT JSON 'noshred' GZIP MANIFEST",
          "SELECT event->>'id' AS id FROM copied ORDER BY 1",
        ],
      }),
    );
    const d = await finished(out.Id!);
    expect(d.Status, d.Error).toBe('FINISHED');
    expect(d.SubStatements![1]!.ResultRows).toBe(3);
    const rows = await api.client.send(new GetStatementResultCommand({ Id: `${out.Id}:3` }));
    expect(rows.TotalNumRows).toBe(3);
  });

  it("maps keys to columns with FORMAT JSON 'auto', missing keys as NULL", async () => {
    const out = await api.client.send(
      new BatchExecuteStatementCommand({
        ...target,
        Sqls: [
          'CREATE TABLE ledger (object_key TEXT, size_bytes BIGINT)',
          "COPY ledger FROM 's3://raw-bucket/ledger.ndjson' IAM_ROLE 'arn:aws:iam::123456789012:role/copy' FORMAT JSON 'auto'",
          'SELECT object_key, size_bytes FROM ledger ORDER BY object_key',
        ],
      }),
    );
    expect((await finished(out.Id!)).Status).toBe('FINISHED');
    const rows = await api.client.send(new GetStatementResultCommand({ Id: `${out.Id}:3` }));
    expect(rows.Records).toEqual([
      [{ stringValue: 'raw/a.ndjson.gz' }, { longValue: 10 }],
      [{ stringValue: 'raw/b.ndjson.gz' }, { isNull: true }],
    ]);
  });

  it('loads every object under a prefix when there is no manifest', async () => {
    const d = await run(
      "COPY copied FROM 's3://raw-bucket/raw/' IAM_ROLE default FORMAT JSON 'noshred' GZIP",
    );
    expect(d).toMatchObject({ Status: 'FINISHED', ResultRows: 3 });
  });

  it('fails a COPY without credentials, naming why', async () => {
    const d = await run("COPY copied FROM 's3://raw-bucket/raw/' FORMAT JSON 'noshred' GZIP");
    expect(d.Status).toBe('FAILED');
    expect(d.Error).toContain('COPY from S3 needs credentials');
  });
});
