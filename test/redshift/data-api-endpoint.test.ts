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
  type Field,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDataApi, type LocalDataApi } from '../support/data-api.js';
import { postgresServer, scratchDatabase } from '../support/postgres.js';

// The local Redshift Data API endpoint, driven by the real @aws-sdk/client-redshift-data client.
let api: LocalDataApi;
let db: { url: string; drop: () => Promise<void> };
let bucketDir: string;
const target = { WorkgroupName: 'wg', Database: 'elt' };

// Callers: access keys mapped to IAM identities, and the database users Redshift maps those to.
const OWNER_KEY = 'AKIAOWNER0000000001';
const READER_KEY = 'ASIAREADER000000001';
const ALICE_KEY = 'AKIAALICE0000000001';
const ADMIN_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:elt-admin-AbCdEf';
const LOADER_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:elt-loader-AbCdEf';
const identities = {
  [OWNER_KEY]: 'arn:aws:iam::123456789012:role/service-role/elt-test-owner',
  [READER_KEY]: 'arn:aws:sts::123456789012:assumed-role/elt-test-reader/session-1',
  [ALICE_KEY]: 'arn:aws:iam::123456789012:user/elt-test-alice',
};
// Roles the suite makes on the shared PostgreSQL server (IAM:local is shared with other suites: kept).
const SUITE_ROLES = ['IAMR:elt-test-owner', 'IAMR:elt-test-reader', 'IAM:elt-test-alice', 'elt_test_loader'];

async function finished(
  id: string,
  client: RedshiftDataClient = api.client,
): Promise<DescribeStatementCommandOutput> {
  for (let i = 0; i < 200; i++) {
    const d = await client.send(new DescribeStatementCommand({ Id: id }));
    if (d.Status === 'FINISHED' || d.Status === 'FAILED' || d.Status === 'ABORTED') return d;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`statement ${id} did not finish`);
}

async function run(
  sql: string,
  extra: Record<string, unknown> = {},
  client: RedshiftDataClient = api.client,
): Promise<DescribeStatementCommandOutput> {
  const out = await client.send(new ExecuteStatementCommand({ ...target, Sql: sql, ...extra }));
  return finished(out.Id!, client);
}

/** The rows of a statement that must finish. */
async function rows(
  sql: string,
  extra: Record<string, unknown> = {},
  client: RedshiftDataClient = api.client,
): Promise<Field[][]> {
  const d = await run(sql, extra, client);
  expect(d.Status, d.Error).toBe('FINISHED');
  return (await client.send(new GetStatementResultCommand({ Id: d.Id }))).Records ?? [];
}

beforeAll(async () => {
  db = await scratchDatabase(await postgresServer());
  bucketDir = await mkdtemp(join(tmpdir(), 'elt-bucket-'));
  api = await startDataApi(db.url, {
    bucketDirs: { 'raw-bucket': bucketDir },
    pageSize: 2,
    identities,
    secrets: { [LOADER_SECRET]: 'elt_test_loader' },
  });
}, 600_000);

afterAll(async () => {
  await api?.close();
  await db?.drop();
  await rm(bucketDir, { recursive: true, force: true });
  // Roles belong to the whole server; a role still owning objects elsewhere (a concurrent run) stays.
  const admin = new pg.Client({ connectionString: await postgresServer() });
  await admin.connect();
  for (const role of SUITE_ROLES) await admin.query(`DROP ROLE IF EXISTS "${role}"`).catch(() => undefined);
  await admin.end();
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

  it('refuses a SQL statement over 100 KB with ValidationException', async () => {
    const sql = `SELECT '${'x'.repeat(100_000)}' AS big`;
    const error = await api.client
      .send(new ExecuteStatementCommand({ ...target, Sql: sql }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationException);
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

  it('binds the batch Parameters in each statement that references them, not in literals or comments', async () => {
    const out = await api.client.send(
      new BatchExecuteStatementCommand({
        ...target,
        Sqls: [
          'CREATE TABLE batch_params (id INT, label VARCHAR(16))',
          'INSERT INTO batch_params VALUES (CAST(:id AS INT), :label)',
          "SELECT label, ':id' AS literal FROM batch_params WHERE id = CAST(:id AS INT) -- not by :label",
        ],
        Parameters: [
          { name: 'id', value: '7' },
          { name: 'label', value: 'seven' },
        ],
      }),
    );
    const d = await finished(out.Id!);
    expect(d.Status, d.SubStatements?.find((x) => x.Error)?.Error).toBe('FINISHED');
    const result = await api.client.send(new GetStatementResultCommand({ Id: `${out.Id}:3` }));
    expect(result.Records).toEqual([[{ stringValue: 'seven' }, { stringValue: ':id' }]]);
  });

  it('refuses a batch Parameter that no statement references, with ValidationException', async () => {
    const error = await api.client
      .send(
        new BatchExecuteStatementCommand({
          ...target,
          Sqls: ['SELECT CAST(:used AS INT)', "SELECT ':unused' AS literal"],
          Parameters: [
            { name: 'used', value: '1' },
            { name: 'unused', value: '2' },
          ],
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as Error).message).toBe(
      'Each provided parameter must be referenced by at least one SQL statement in the batch: unused is not',
    );
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

describe('Parameters', () => {
  it('refuses an empty parameter value with ValidationException (SqlParameter.value has a minimum length of 1)', async () => {
    const error = await api.client
      .send(
        new ExecuteStatementCommand({
          ...target,
          Sql: 'SELECT :s AS s',
          Parameters: [{ name: 's', value: '' }],
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as Error).message).toBe(
      "1 validation error detected: Value '' at 'parameters.1.member.value' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  it('refuses a parameter the statement does not reference, counting none inside a literal or comment', async () => {
    const error = await api.client
      .send(
        new ExecuteStatementCommand({
          ...target,
          Sql: "SELECT :a AS a, ':b' AS literal -- :b",
          Parameters: [
            { name: 'a', value: '1' },
            { name: 'b', value: '2' },
          ],
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as Error).message).toBe(
      'Each provided parameter must be referenced by the SQL statement: b is not',
    );
  });
});

describe('caller identity', () => {
  let owner: RedshiftDataClient;
  let reader: RedshiftDataClient;
  const currentUser = async (client: RedshiftDataClient, extra: Record<string, unknown> = {}) =>
    (await rows('SELECT current_user AS u', extra, client))[0]![0]!.stringValue;

  beforeAll(() => {
    owner = api.clientAs(OWNER_KEY);
    reader = api.clientAs(READER_KEY);
  });

  it('runs an IAM role as IAMR:<role>, an assumed-role session as its role, an IAM user as IAM:<user>, an unmapped key as IAM:<key>', async () => {
    expect(await currentUser(owner)).toBe('IAMR:elt-test-owner');
    expect(await currentUser(reader)).toBe('IAMR:elt-test-reader');
    expect(await currentUser(api.clientAs(ALICE_KEY))).toBe('IAM:elt-test-alice');
    expect(await currentUser(api.client)).toBe('IAM:local');
  });

  it('makes the tables a caller creates belong to its database user', async () => {
    expect((await run('CREATE TABLE owned (n INT)', {}, owner)).Status).toBe('FINISHED');
    expect(await rows("SELECT tableowner FROM pg_tables WHERE tablename = 'owned'", {}, reader)).toEqual([
      [{ stringValue: 'IAMR:elt-test-owner' }],
    ]);
  });

  it("refuses to let another user DROP or RENAME a caller's table: must be owner", async () => {
    const drop = await run('DROP TABLE owned', {}, reader);
    expect(drop.Status).toBe('FAILED');
    expect(drop.Error).toContain('must be owner of table owned');
    const rename = await run('ALTER TABLE owned RENAME TO stolen', {}, reader);
    expect(rename.Status).toBe('FAILED');
    expect(rename.Error).toContain('must be owner of table owned');
    expect(await rows('SELECT COUNT(*) AS n FROM owned', {}, owner)).toEqual([[{ longValue: 0 }]]);
  });

  it("lets another user read a caller's table only once the owner GRANTs it", async () => {
    const before = await run('SELECT n FROM owned', {}, reader);
    expect(before.Status).toBe('FAILED');
    expect(before.Error).toContain('permission denied for table owned');
    expect((await run('GRANT SELECT ON owned TO "IAMR:elt-test-reader"', {}, owner)).Status).toBe('FINISHED');
    expect((await run('SELECT n FROM owned', {}, reader)).Status).toBe('FINISHED');
    // SELECT only: writing is still refused.
    expect((await run('INSERT INTO owned VALUES (1)', {}, reader)).Error).toContain('permission denied');
  });

  it('runs a SecretArn request as the admin user (a superuser, who may drop any table), or as the user a mapped secret holds', async () => {
    const direct = new pg.Client({ connectionString: db.url });
    await direct.connect();
    const admin = (await direct.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
    await direct.end();
    expect(await currentUser(reader, { SecretArn: ADMIN_SECRET })).toBe(admin);
    expect(await currentUser(reader, { SecretArn: LOADER_SECRET })).toBe('elt_test_loader');
    expect((await run('CREATE TABLE admin_drops (n INT)', {}, owner)).Status).toBe('FINISHED');
    expect((await run('DROP TABLE admin_drops', { SecretArn: ADMIN_SECRET }, reader)).Status).toBe(
      'FINISHED',
    );
  });

  it('runs ClusterIdentifier + DbUser as that database user', async () => {
    const cluster = { ClusterIdentifier: 'c1', Database: 'elt', DbUser: 'elt_test_loader' };
    const out = await reader.send(
      new ExecuteStatementCommand({ ...cluster, Sql: 'SELECT current_user AS u' }),
    );
    expect((await finished(out.Id!, reader)).Status).toBe('FINISHED');
    const result = await reader.send(new GetStatementResultCommand({ Id: out.Id }));
    expect(result.Records).toEqual([[{ stringValue: 'elt_test_loader' }]]);
  });

  it("lists only the caller's own statements", async () => {
    const mine = await run('SELECT 1', { StatementName: 'listed-owner' }, owner);
    const theirs = await run('SELECT 2', { StatementName: 'listed-reader' }, reader);
    const ownerList = await owner.send(
      new ListStatementsCommand({ StatementName: 'listed-', Status: 'ALL' }),
    );
    expect(ownerList.Statements!.map((x) => x.Id)).toEqual([mine.Id]);
    const readerList = await reader.send(new ListStatementsCommand({ Status: 'ALL' }));
    expect(readerList.Statements!.map((x) => x.Id)).toContain(theirs.Id);
    expect(readerList.Statements!.map((x) => x.Id)).not.toContain(mine.Id);
  });

  it("refuses a statement that would leave the caller's database user", async () => {
    for (const sql of [
      'RESET ROLE',
      'SET ROLE postgres',
      'SET SESSION AUTHORIZATION DEFAULT',
      'DISCARD ALL',
      "SELECT set_config('role', 'none', false)",
    ]) {
      const d = await run(sql, {}, reader);
      expect(d.Status, sql).toBe('FAILED');
      expect(d.Error).toContain("runs every statement as the caller's database user");
    }
    expect(await currentUser(reader)).toBe('IAMR:elt-test-reader');
  });

  it("refuses a COMMIT inside a batch, which would end the batch's transaction and its user", async () => {
    const out = await reader.send(
      new BatchExecuteStatementCommand({ ...target, Sqls: ['SELECT 1', 'COMMIT', 'SELECT current_user'] }),
    );
    const d = await finished(out.Id!, reader);
    expect(d.Status).toBe('FAILED');
    expect(d.SubStatements![1]!.Error).toContain('refuses COMMIT, END, ABORT and ROLLBACK inside it');
  });

  it('keeps temporary tables working for every caller, each batch in a session of its own', async () => {
    for (const client of [owner, reader, owner]) {
      const out = await client.send(
        new BatchExecuteStatementCommand({
          ...target,
          Sqls: [
            'CREATE TEMP TABLE scratch (n INT)',
            'INSERT INTO scratch VALUES (1)',
            'SELECT n FROM scratch',
          ],
        }),
      );
      const d = await finished(out.Id!, client);
      expect(d.Status, d.SubStatements?.find((x) => x.Error)?.Error).toBe('FINISHED');
    }
  });

  it('refuses a request that is not signed', async () => {
    const response = await fetch(api.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'RedshiftData.ListStatements',
      },
      body: '{}',
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      __type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
  });
});

describe('result size limits', () => {
  it('fails a statement whose result has a row over 64 KB with "Packet for query is too large"', async () => {
    const d = await run("SELECT repeat('x', 70000) AS big, 1 AS n");
    expect(d.Status).toBe('FAILED');
    expect(d.Error).toContain('Packet for query is too large');
    expect(d.Error).toContain('70,001 bytes');
    expect(d.Error).toContain('65,536 bytes');
    // A row of exactly 64 KB is returned.
    expect((await run("SELECT repeat('x', 65536) AS big")).Status).toBe('FINISHED');
  });

  it('fails a statement whose result set is over the size limit with "Database response exceeded size limit"', async () => {
    const small = await startDataApi(db.url, { maxResultBytes: 1000 });
    try {
      const over = await small.client.send(
        new ExecuteStatementCommand({
          ...target,
          Sql: "SELECT repeat('x', 100) FROM generate_series(1, 11)",
        }),
      );
      const d = await finished(over.Id!, small.client);
      expect(d.Status).toBe('FAILED');
      expect(d.Error).toContain('Database response exceeded size limit');
      const under = await small.client.send(
        new ExecuteStatementCommand({
          ...target,
          Sql: "SELECT repeat('x', 100) FROM generate_series(1, 10)",
        }),
      );
      expect(await finished(under.Id!, small.client)).toMatchObject({
        Status: 'FINISHED',
        ResultSize: 1000,
      });
    } finally {
      await small.close();
    }
  });
});

describe('informational constraints', () => {
  it('accepts a duplicate PRIMARY KEY or UNIQUE value, as Redshift does not enforce them', async () => {
    expect(
      (await run('CREATE TABLE keyed (id INT PRIMARY KEY, code VARCHAR(8) UNIQUE, n INT NOT NULL)')).Status,
    ).toBe('FINISHED');
    expect(
      (
        await run(
          'CREATE TABLE keyed_by_table (id INT, code VARCHAR(8), CONSTRAINT keyed_pk PRIMARY KEY (id), UNIQUE (code))',
        )
      ).Status,
    ).toBe('FINISHED');
    for (const table of ['keyed', 'keyed_by_table']) {
      const values = table === 'keyed' ? "(1, 'a', 1)" : "(1, 'a')";
      expect((await run(`INSERT INTO ${table} VALUES ${values}`)).Status).toBe('FINISHED');
      expect((await run(`INSERT INTO ${table} VALUES ${values}`)).Status).toBe('FINISHED');
      expect(await rows(`SELECT COUNT(*) AS n FROM ${table}`)).toEqual([[{ longValue: 2 }]]);
    }
    // NOT NULL, which Redshift enforces, stays.
    expect((await run("INSERT INTO keyed VALUES (2, 'b', NULL)")).Error).toContain('violates not-null');
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

  it('runs COPY as the caller, who needs INSERT on the table', async () => {
    const owner = api.clientAs(OWNER_KEY);
    expect((await run('CREATE TABLE copied_by_owner (event JSONB)', {}, owner)).Status).toBe('FINISHED');
    const copy =
      "COPY copied_by_owner FROM 's3://raw-bucket/raw/' IAM_ROLE default FORMAT JSON 'noshred' GZIP";
    const refused = await run(copy, {}, api.clientAs(READER_KEY));
    expect(refused.Status).toBe('FAILED');
    expect(refused.Error).toContain('permission denied for table copied_by_owner');
    expect(await run(copy, {}, owner)).toMatchObject({ Status: 'FINISHED', ResultRows: 3 });
  });

  it('fails a COPY without credentials, naming why', async () => {
    const d = await run("COPY copied FROM 's3://raw-bucket/raw/' FORMAT JSON 'noshred' GZIP");
    expect(d.Status).toBe('FAILED');
    expect(d.Error).toContain('COPY from S3 needs credentials');
  });
});
