import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { NASTY_STRINGS } from '../../lib/core/generator/workload.js';
import type { QuarantineRecord } from '../../lib/core/landing/quarantine.js';
import { lastJson, runCli, startCli } from '../support/cli.js';
import { eventType } from '../support/envelopes.js';
import { readRecords } from '../support/objects.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'elt-cli-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('elt help and usage errors', () => {
  it('lists every command', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    for (const c of [
      'demo',
      'publish',
      'land',
      'serve',
      'redrive',
      'replay',
      'run',
      'runs',
      'query',
      'quarantine',
      'generate',
      'test-pattern',
      'catalogue',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
    }
  });

  it.each(['demo', 'publish', 'run', 'runs', 'query', 'quarantine'])(
    'documents --data-dir and --json for %s',
    async (command) => {
      const run = await runCli([command, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('--data-dir <dir>');
      expect(run.stdout).toContain('--json');
    },
  );

  it.each([
    [[], '--queue-url (or --outputs) is required'],
    [['--queue-url', 'http://127.0.0.1:4566/queue/q'], '--bucket (or --outputs) is required'],
    [['--outputs', 'no-such-outputs.json'], '--outputs: cannot read no-such-outputs.json'],
    [
      ['--queue-url', 'q', '--bucket', 'b', '--batch-size', '20000'],
      '--batch-size must be an integer from 1 to 10000',
    ],
    [
      ['--queue-url', 'q', '--bucket', 'b', '--batch-window', '0'],
      '--batch-window must be at least 1 when --batch-size is over 10',
    ],
    [
      ['--queue-url', 'q', '--bucket', 'b', '--cdk-out', 'no-such-dir'],
      'no template for stack elt-local-stateless',
    ],
  ])('elt land %j fails with a clear message', async (args, message) => {
    const run = await runCli(['land', ...args]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('elt serve refuses to start without a token', async () => {
    const run = await runCli(['serve', '--port', '0'], { env: { ELT_INGEST_TOKEN: '' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('set ELT_INGEST_TOKEN (or pass --token-file)');
  });

  it('elt serve refuses a short token', async () => {
    const run = await runCli(['serve', '--port', '0'], { env: { ELT_INGEST_TOKEN: 'short' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('at least 16 characters');
  });

  it('rejects an unknown command with a non-zero exit', async () => {
    const run = await runCli(['lnad']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("unknown command 'lnad'");
  });

  it('names the option whose value is invalid', async () => {
    const run = await runCli(['demo', '--events', 'lots']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("option '--events <n>' argument 'lots' is invalid");
  });

  it('tells the user to create data first when the data directory is missing', async () => {
    const run = await runCli(['query', 'select 1', '--data-dir', join(work, 'nothing-here')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no data directory at');
    expect(run.stderr).toContain('npx elt demo');
  });

  it('queries a warehouse named by --warehouse without needing the data directory', async () => {
    const run = await runCli([
      'query',
      'select 40 + 2 as answer',
      '--json',
      '--warehouse',
      `duckdb:${join(work, 'standalone.duckdb')}`,
      '--data-dir',
      join(work, 'still-nothing-here'),
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(lastJson<unknown>(run)).toEqual([{ answer: 42 }]);
  });

  it('names a --store it cannot use and exits 1', async () => {
    const run = await runCli(['run', '--store', 'ftp://bucket', '--data-dir', join(work, 'store-dir')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--store "ftp://bucket" is not valid: use local or s3://<bucket>');
  });

  it('refuses to reset a directory it did not create', async () => {
    const dir = join(work, 'users-dir');
    await rm(dir, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(dir));
    await writeFile(join(dir, 'thesis.txt'), 'precious');
    const run = await runCli(['demo', '--events', '100', '--data-dir', dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('refusing to reset');
  });
});

describe('elt test-pattern', () => {
  const event = JSON.stringify({
    id: '1',
    account: '123456789012',
    source: 'marketplace.auctions',
    time: '2026-11-01T00:00:00Z',
    region: 'us-east-1',
    'detail-type': 'BidCreated',
    resources: [],
    detail: { amountMinor: 5000, currency: 'EUR' },
  });

  it('prints true for a matching event', async () => {
    const run = await runCli([
      'test-pattern',
      '--pattern',
      '{"detail":{"amountMinor":[{"numeric":[">",1000]}]}}',
      '--event',
      event,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('true\n');
  });

  it('prints {"result": false} with --json for a non-matching event', async () => {
    const run = await runCli([
      'test-pattern',
      '--pattern',
      '{"source":[{"prefix":"marketplace.users"}]}',
      '--event',
      event,
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(lastJson(run)).toEqual({ result: false });
  });

  it('reads the pattern and the event from @files', async () => {
    await writeFile(join(work, 'p.json'), '{"detail":{"currency":[{"anything-but":["USD"]}]}}');
    await writeFile(join(work, 'e.json'), event);
    const run = await runCli([
      'test-pattern',
      '--pattern',
      `@${join(work, 'p.json')}`,
      '--event',
      `@${join(work, 'e.json')}`,
    ]);
    expect(run.stdout).toBe('true\n');
  });

  it('rejects an invalid pattern as EventBridge would, naming what is wrong', async () => {
    const run = await runCli(['test-pattern', '--pattern', '{"source":[{"prefix":5}]}', '--event', event]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Event pattern is not valid');
    expect(run.stderr).toContain('prefix');
  });

  it('rejects an event without the required envelope fields', async () => {
    const run = await runCli(['test-pattern', '--pattern', '{"source":["a"]}', '--event', '{"source":"a"}']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Parameter Event is not valid');
  });

  it('says which file it cannot read', async () => {
    const run = await runCli(['test-pattern', '--pattern', '@/no/such/file.json', '--event', event]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--pattern: cannot read /no/such/file.json');
  });
});

describe('elt publish, run, quarantine, query, runs', () => {
  let dataDir: string;
  const detail = (type: string, n: number, extra: Record<string, unknown> = {}) => ({
    ...eventType(type).example,
    eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    ...extra,
  });
  const entry = (
    type: string,
    n: number,
    extra: Record<string, unknown> = {},
    time = '2026-11-01T10:00:00Z',
  ) =>
    JSON.stringify({
      source: eventType(type).source,
      'detail-type': type,
      time,
      detail: detail(type, n, extra),
    });
  let deep: unknown = 'x';
  for (let i = 0; i < 40; i++) deep = { a: deep };
  let veryDeep = '1';
  for (let i = 0; i < 1200; i++) veryDeep = `{"a":${veryDeep}}`;

  const lines = [
    entry('PageViewed', 1),
    entry('BidCreated', 2),
    '   ',
    ...NASTY_STRINGS.map((title, i) => entry('ItemListed', 100 + i, { title })),
    '{"source": "marketplace.web", "detail-type":',
    '[1, 2, 3]',
    JSON.stringify({ source: 'marketplace.web', 'detail-type': 'PageViewed' }),
    JSON.stringify({ source: 'marketplace.web', 'detail-type': 'PageViewed', detail: 'text' }),
    entry('PageViewed', 3).replace('PageViewed', 'UserTeleported'),
    entry('BidCreated', 4, { amountMinor: 'lots' }),
    JSON.stringify({
      source: 'marketplace.web',
      'detail-type': 'PageViewed',
      detail: { userId: 'u_1', sessionId: 's', path: '/', durationMs: 1 },
    }),
    entry('PageViewed', 5, { padding: 'x'.repeat(1024 * 1024) }),
    entry('PageViewed', 6, { extra: deep }),
    `{"source":"marketplace.web","detail-type":"PageViewed","detail":{"eventId":"00000000-0000-4000-8000-000000000007","extra":${veryDeep}}}`,
    entry('PageViewed', 8, {}, '2026-02-30T25:00:00Z'),
    '',
  ];

  beforeAll(async () => {
    dataDir = join(work, 'data');
    await writeFile(join(work, 'events.ndjson'), lines.join('\n'));
  });

  it('publishes the valid entries and quarantines each bad one with its reason', async () => {
    const run = await runCli([
      'publish',
      '--file',
      join(work, 'events.ndjson'),
      '--data-dir',
      dataDir,
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const result = lastJson(run);
    expect(result).toMatchObject({
      read: lines.length - 2,
      blankLines: 1,
      landedEvents: 2 + NASTY_STRINGS.length,
      quarantined: 11,
      quarantinedAtPublish: 7,
      quarantinedAtLanding: 4,
      rejections: {
        NOT_JSON: 1,
        NOT_AN_OBJECT: 1,
        MALFORMED_DETAIL: 2,
        ENTRY_TOO_LARGE: 1,
        NESTING_TOO_DEEP: 1,
        INVALID_TIME: 1,
      },
    });
    expect(result.accepted).toBe((result.landedEvents as number) + 4);
    // Each quarantined line is named by its line number in the file, counting the blank line it follows.
    const notJson = lines.indexOf('{"source": "marketplace.web", "detail-type":') + 1;
    const records = await readRecords<QuarantineRecord>(
      new FsObjectStore(join(dataDir, 'store')),
      'quarantine/stage=publish/',
    );
    expect(records.find((r) => r.code === 'NOT_JSON')?.ref).toBe(`${join(work, 'events.ndjson')}:${notJson}`);
  });

  it('shows each quarantined input with a specific reason', async () => {
    const run = await runCli(['quarantine', '--data-dir', dataDir, '--json', '--examples', '5']);
    expect(run.code, run.stderr).toBe(0);
    const groups =
      lastJson<{ stage: string; code: string; count: number; examples: { reason: string; ref: string }[] }[]>(
        run,
      );
    const reasons = Object.fromEntries(
      groups.flatMap((g) => g.examples.map((e) => [`${g.stage}/${g.code}`, e.reason])),
    );
    expect(reasons['publish/NOT_JSON']).toMatch(/^not valid JSON: /);
    expect(reasons['publish/NOT_AN_OBJECT']).toBe('the entry is an array, not a JSON object');
    expect(reasons['publish/ENTRY_TOO_LARGE']).toMatch(
      /^entry is \d+ bytes; the PutEvents limit is 1048576 bytes$/,
    );
    expect(reasons['publish/NESTING_TOO_DEEP']).toContain('1100 levels');
    expect(reasons['publish/INVALID_TIME']).toContain('"2026-02-30T25:00:00Z"');
    expect(reasons['landing/UNKNOWN_EVENT_TYPE']).toContain('"UserTeleported"');
    expect(reasons['landing/SCHEMA_VIOLATION']).toBe('detail.amountMinor must be integer');
    expect(reasons['landing/MISSING_EVENT_ID']).toBe('detail.eventId (the idempotency key) is missing');
    expect(reasons['landing/NESTING_TOO_DEEP']).toBe('detail nests deeper than 32 levels');
    const malformed = groups.find((g) => g.code === 'MALFORMED_DETAIL')!;
    expect(malformed.examples.map((e) => e.reason).sort()).toEqual([
      '"detail" is a string, not a JSON object',
      '"detail" is missing',
    ]);
  });

  it('loads and transforms what landed, keeping hostile strings verbatim', async () => {
    const run = await runCli(['run', '--data-dir', dataDir, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(lastJson(run)).toMatchObject({ status: 'succeeded', eventsLoaded: 2 + NASTY_STRINGS.length });
    const q = await runCli([
      'query',
      "SELECT json_extract_string(detail, '$.title') AS title FROM stg_events WHERE detail_type = 'ItemListed' ORDER BY event_id",
      '--data-dir',
      dataDir,
      '--json',
    ]);
    expect(q.code, q.stderr).toBe(0);
    expect(lastJson<{ title: string }[]>(q).map((r) => r.title)).toEqual(NASTY_STRINGS);
  });

  it('prints query results as a table', async () => {
    const run = await runCli([
      'query',
      'SELECT detail_type, COUNT(*) AS n FROM stg_events GROUP BY 1 ORDER BY 1',
      '--data-dir',
      dataDir,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/detail_type\s+n\n/);
    expect(run.stdout).toMatch(/ItemListed\s+10\n/);
    expect(run.stdout).toContain('(3 rows)');
  });

  it('reports a failing query with the database message and exit 1', async () => {
    const run = await runCli(['query', 'SELECT * FROM no_such_table', '--data-dir', dataDir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('query failed: Catalog Error');
  });

  it('keeps the run history', async () => {
    const run = await runCli(['runs', '--data-dir', dataDir, '--json']);
    expect(run.code).toBe(0);
    const runs = lastJson<{ status: string; models: { name: string }[] }[]>(run);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.models.map((m) => m.name)).toContain('mart_signup_funnel');
  });

  it('says which file it cannot read', async () => {
    const run = await runCli(['publish', '--file', join(work, 'missing.ndjson'), '--data-dir', dataDir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--file: cannot read');
  });

  it.each([
    ['publish', '--file', '-'],
    ['oltp', 'relay', '--once'],
  ])('elt %s refuses a --bus that is neither local nor eventbridge:<bus-name>', async (...command) => {
    const run = await runCli([...command, '--bus', 'sqs:nope', '--data-dir', dataDir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--bus must be "local" or "eventbridge:<bus-name>", got "sqs:nope"');
  });
});

describe('elt redrive --kafka from a directory of failure records', () => {
  it('lands them into the data directory, prints what it did, and deletes what it landed', async () => {
    const failures = join(work, 'kafka-failures');
    const dataDir = join(work, 'kafka-redrive-data');
    const dir = join(failures, 'aws', 'lambda', 'm-1', 'elt-events-1');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    const value = JSON.stringify({
      version: '0',
      id: 'e0000000-0000-4000-8000-000000000009',
      'detail-type': 'UserLoggedIn',
      source: 'marketplace.users',
      account: '000000000000',
      time: '2026-10-06T09:00:00Z',
      region: 'local',
      resources: [],
      detail: {
        schemaVersion: 1,
        eventId: '00000000-0000-4000-8000-900000000009',
        userId: 'u_9',
        sessionId: 's_9',
        method: 'password',
        device: 'desktop',
      },
    });
    const payload = {
      eventSource: 'SelfManagedKafka',
      bootstrapServers: '127.0.0.1:9092',
      records: {
        'elt-events-1': [
          {
            topic: 'elt-events',
            partition: 1,
            offset: 4,
            timestamp: 1_759_741_200_000,
            timestampType: 'CREATE_TIME',
            value: Buffer.from(value).toString('base64'),
            headers: [],
          },
        ],
      },
    };
    await writeFile(
      join(dir, '2026-10-06T09.00.05-x'),
      JSON.stringify({
        requestContext: { condition: 'RetryAttemptsExhausted' },
        payload: JSON.stringify(payload),
      }),
    );
    const run = await runCli(['redrive', '--kafka', '--failures', failures, '--data-dir', dataDir]);
    expect(run.stderr).not.toContain('Error');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^redrove 1 of 1 failure object\(s\) from file:\/\/.*kafka-failures into file:\/\/.*kafka-redrive-data\/store: 1 records, 1 events landed, 0 quarantined$/m,
    );
    const landed = await import('node:fs/promises').then((fs) =>
      fs.readdir(join(dataDir, 'store', 'raw'), { recursive: true }),
    );
    expect(landed.filter((f) => f.endsWith('.ndjson.gz'))).toHaveLength(1);
    const left = await import('node:fs/promises').then((fs) => fs.readdir(dir));
    expect(left).toEqual([]);
  });

  it('says what is missing: the failure records, the --kafka flag, the directory', async () => {
    const cases: [string[], string][] = [
      [['redrive', '--kafka', '--data-dir', join(work, 'no-data-here')], 'no data directory at'],
      [['redrive', '--failures', work], '--failures goes with --kafka'],
      [
        ['redrive', '--kafka', '--failures', join(work, 'no-such-dir')],
        `--failures: no directory at ${join(work, 'no-such-dir')}`,
      ],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toContain(message);
    }
  });
});

describe('elt generate and catalogue', () => {
  it('writes a deterministic workload that publish accepts', async () => {
    const out = join(work, 'gen.ndjson');
    const a = await runCli(['generate', '--events', '500', '--seed', '9', '--out', out, '--json']);
    expect(a.code, a.stderr).toBe(0);
    expect(lastJson(a)).toMatchObject({ lines: 500 });
    const b = await runCli(['generate', '--events', '500', '--seed', '9']);
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(out, 'utf8')).toBe(b.stdout);
  });

  it('prints the JSON Schema of an event type', async () => {
    const run = await runCli(['catalogue', '--schema', 'BidCreated']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(eventType('BidCreated').schema);
  });

  it('names the known types when asked for an unknown one', async () => {
    const run = await runCli(['catalogue', '--schema', 'Nope']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('known: UserSignedUp');
  });
});

describe('a reader that goes away', () => {
  it('stops quietly with exit 0 when stdout is closed early (elt generate | head)', async () => {
    const run = startCli(['generate', '--events', '50000']);
    run.child.stdout!.once('data', () => run.child.stdout!.destroy());
    const { code, stderr } = await run.done;
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  }, 60_000);
});
