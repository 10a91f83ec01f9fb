import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../lib/package-paths.js';
import { okJson, runCli, startCli, waitFor, type CliRun, type RunningCli } from '../support/cli.js';
import { eventType } from '../support/envelopes.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { CHAOS_KAFKA_ENV, kafkaBroker, kafkaScriptWith, type KafkaBroker } from '../support/kafka.js';
import { localstack, localstackEnv, type LocalStack } from '../support/localstack.js';
import { scratchDatabase } from '../support/postgres.js';

// Failure modes on real processes: the ingest API (`elt serve`) under a bounded load while a dependency
// fails. Each scenario prints its figures and asserts that every accepted request reaches the warehouse
// exactly once. The suite runs its own Kafka broker, LocalStack and PostgreSQL (other ports, other
// folders), so killing them never disturbs the other suites.

const exec = promisify(execFile);
const TOKEN = 'chaos-token-0123456789abcdef';
const LS_ENV = {
  ELT_LOCALSTACK_HOME: join(packageRoot(), '.services', 'localstack-chaos'),
  ELT_LOCALSTACK_PORT: '4567',
};
const PG_ENV = { ELT_PG_HOME: join(packageRoot(), '.services', 'postgres-chaos'), ELT_PG_PORT: '55433' };
const stamp = Date.now();

let broker: KafkaBroker;
let ls: LocalStack;
let work: string;
let tokenFile: string;
const figures: Record<string, unknown>[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'elt-chaos-'));
  tokenFile = join(work, 'token');
  await writeFile(tokenFile, TOKEN);
  [broker, ls] = await Promise.all([kafkaBroker(CHAOS_KAFKA_ENV), localstack(LS_ENV)]);
}, 900_000);

afterAll(async () => {
  for (const f of figures) console.log(`chaos figures: ${JSON.stringify(f)}`);
  await Promise.allSettled([broker?.stop(), ls?.stop(), pg('down')]);
  if (work) await rm(work, { recursive: true, force: true });
}, 180_000);

async function pg(command: 'up' | 'down'): Promise<string> {
  const { stdout } = await exec(join(packageRoot(), 'scripts', 'services', 'postgres.sh'), [command], {
    env: { ...process.env, ...PG_ENV },
    timeout: 600_000,
  });
  return stdout.trim().split('\n').at(-1)!;
}

const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> =>
  runCli(args, { timeoutMs: 600_000, env });

/** `elt serve` publishing to a Kafka topic; resolves once it listens. */
async function serve(topic: string, dataDir: string): Promise<{ base: string; proc: RunningCli }> {
  const proc = startCli([
    'serve',
    '--port',
    '0',
    '--json',
    '--data-dir',
    dataDir,
    '--token-file',
    tokenFile,
    '--transport',
    'kafka',
    '--brokers',
    broker.bootstrap,
    '--topic',
    topic,
    '--breaker-open-ms',
    '1000',
    '--breaker-minimum-calls',
    '2',
    '--breaker-timeout-ms',
    '3000',
  ]);
  await waitFor(
    'elt serve to listen',
    () => proc.stdout().includes('"listening"') || proc.child.exitCode !== null,
    60_000,
  );
  expect(proc.child.exitCode, proc.stderr()).toBeNull();
  return { base: (JSON.parse(proc.stdout().split('\n')[0]!) as { listening: string }).listening, proc };
}

/** The transitions `elt serve` or `elt land` logged, as "from→to". */
function transitionsIn(stderr: string, breaker: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.includes('"circuit breaker state change"') && l.includes(`"breaker":"${breaker}"`))
    .map((l) => JSON.parse(l) as { from: string; to: string })
    .map((t) => `${t.from}→${t.to}`);
}

/**
 * A well-behaved client: `requests` one-entry requests with their own keys, `concurrency` at a time; on
 * 409, 429, 503 or a network error it waits (Retry-After) and retries the same key and body, so every
 * request is eventually accepted exactly once.
 */
async function load(
  base: string,
  run: string,
  requests: number,
  concurrency: number,
  pauseMs = 5,
): Promise<{ eventIds: Set<string>; retries: number; statuses: Record<number, number> }> {
  const eventIds = new Set<string>();
  const statuses: Record<number, number> = {};
  let retries = 0;
  let next = 0;
  const example = eventType('UserLoggedIn').example as Record<string, unknown>;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < requests; i = next++) {
      const body = JSON.stringify({
        source: 'marketplace.users',
        'detail-type': 'UserLoggedIn',
        time: '2026-11-20T10:00:00Z',
        detail: { ...example, userId: `u_${i % 97}`, sessionId: `s_${i}` },
      });
      for (let attempt = 0; ; attempt++) {
        let status = 0;
        let wait = 500;
        try {
          const res = await fetch(`${base}/v1/events`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${TOKEN}`,
              'content-type': 'application/json',
              'idempotency-key': `${run}-${i}`,
            },
            body,
          });
          status = res.status;
          if (status === 202) {
            for (const id of ((await res.json()) as { eventIds: string[] }).eventIds) eventIds.add(id);
          } else {
            await res.arrayBuffer();
            wait = Number(res.headers.get('retry-after') ?? '0.5') * 1000;
          }
        } catch {
          status = -1;
        }
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 202) break;
        if (attempt > 200)
          throw new Error(`request ${i} not accepted after ${attempt} attempts (last ${status})`);
        retries++;
        await new Promise((r) => setTimeout(r, wait));
      }
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { eventIds, retries, statuses };
}

async function stopServe(proc: RunningCli, base: string): Promise<void> {
  await waitFor(
    'the spool to drain and the breaker to close',
    async () => {
      const h = (await (await fetch(`${base}/health`)).json()) as {
        spool: { depth: number };
        breakers: { bus: { state: string } };
      };
      return h.spool.depth === 0 && h.breakers.bus.state === 'closed';
    },
    120_000,
  );
  proc.child.kill('SIGTERM');
  expect((await proc.done).code).toBe(0);
}

/** Lands the topic, runs the ELT, and checks every accepted event is in the warehouse once. */
async function settle(
  scenario: string,
  topic: string,
  dataDir: string,
  accepted: Set<string>,
  extra: Record<string, unknown>,
  landArgs: string[] = [],
  landEnv: Record<string, string> = {},
  runArgs: string[] = [],
): Promise<Record<string, unknown>> {
  const landed = await okJson(
    cli(
      [
        'land',
        '--transport',
        'kafka',
        '--brokers',
        broker.bootstrap,
        '--topic',
        topic,
        '--group',
        `${topic}-g`,
        '--data-dir',
        dataDir,
        '--until-caught-up',
        '--json',
        ...landArgs,
      ],
      landEnv,
    ),
  );
  await okJson(cli(['run', '--data-dir', dataDir, '--json', ...runArgs], landEnv));
  const rows = (await okJson(
    cli(['query', 'SELECT event_id FROM stg_events', '--json', '--data-dir', dataDir]),
  )) as unknown as { event_id: string }[];
  const inWarehouse = new Set(rows.map((r) => r.event_id));
  const lost = [...accepted].filter((id) => !inWarehouse.has(id)).length;
  const result = {
    scenario,
    accepted: accepted.size,
    landedEvents: landed.landedEvents,
    inWarehouse: rows.length,
    lost,
    duplicates: rows.length - inWarehouse.size,
    ...extra,
  };
  figures.push(result);
  expect(lost).toBe(0);
  expect(rows.length - inWarehouse.size).toBe(0);
  expect(rows.length).toBe(accepted.size);
  return landed;
}

describe('chaos', () => {
  it('(a) the bus goes away under load: the API spools, the breaker opens and closes, nothing is lost', async () => {
    const topic = `chaos-a-${stamp}`;
    await kafkaScriptWith(CHAOS_KAFKA_ENV, 'topic', topic, '3');
    const dataDir = join(work, 'a');
    const { base, proc } = await serve(topic, dataDir);
    const running = load(base, `a-${stamp}`, 600, 4);
    await waitFor('some requests to be accepted', () => /"status":202/.test(proc.stderr()), 60_000);
    await new Promise((r) => setTimeout(r, 1500));
    await kafkaScriptWith(CHAOS_KAFKA_ENV, 'kill');
    await new Promise((r) => setTimeout(r, 3000));
    await kafkaScriptWith(CHAOS_KAFKA_ENV, 'up');
    const { eventIds, retries, statuses } = await running;
    await stopServe(proc, base);
    const transitions = transitionsIn(proc.stderr(), 'bus');
    expect(transitions[0]).toBe('closed→open');
    expect(transitions).toContain('open→half-open');
    expect(transitions.at(-1)).toBe('half-open→closed');
    // The API kept answering 202 while the broker was down: those requests waited in the spool.
    const stopped = JSON.parse(proc.stdout().trim().split('\n').at(-1)!) as {
      spooled: number;
      drained: number;
      published: number;
    };
    expect(stopped.spooled).toBeGreaterThan(0);
    expect(stopped.drained).toBe(stopped.spooled);
    await settle('a: bus killed', topic, dataDir, eventIds, {
      retries,
      statuses,
      spooled: stopped.spooled,
      transitions,
    });
  }, 600_000);

  it('(b) the landing consumer is SIGKILLed mid-batch and restarted: nothing is lost, duplicates are removed', async () => {
    const topic = `chaos-b-${stamp}`;
    await kafkaScriptWith(CHAOS_KAFKA_ENV, 'topic', topic, '3');
    const dataDir = join(work, 'b');
    const { base, proc } = await serve(topic, dataDir);
    const { eventIds } = await load(base, `b-${stamp}`, 400, 4, 0);
    await stopServe(proc, base);
    const args = [
      'land',
      '--transport',
      'kafka',
      '--brokers',
      broker.bootstrap,
      '--topic',
      topic,
      '--group',
      `${topic}-g`,
      '--data-dir',
      dataDir,
      '--batch-size',
      '20',
      '--batch-window',
      '0.02',
    ];
    const first = startCli(args);
    await waitFor('some batches to land', () => /[1-9]\d* records landed/.test(first.stderr()), 60_000);
    first.child.kill('SIGKILL');
    await first.done;
    await settle('b: consumer SIGKILL', topic, dataDir, eventIds, {
      killedAfter: /(\d[\d,]*) records landed/.exec(first.stderr())?.[1],
    });
  }, 600_000);

  it('(c) S3 answers 500s and 503s and hangs: the store breaker opens, batches wait, and everything lands once S3 is back', async () => {
    const topic = `chaos-c-${stamp}`;
    await kafkaScriptWith(CHAOS_KAFKA_ENV, 'topic', topic, '3');
    const dataDir = join(work, 'c');
    const { base, proc } = await serve(topic, dataDir);
    const { eventIds } = await load(base, `c-${stamp}`, 300, 4, 0);
    await stopServe(proc, base);
    const bucket = `chaos-c-${stamp}`;
    const s3env = localstackEnv(ls.endpoint);
    await new S3Client({
      endpoint: ls.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }).send(new CreateBucketCommand({ Bucket: bucket }));
    // The first FAULTY_PUTS writes fail, whenever they come (counted, not timed: a slow start of the
    // landing on a loaded machine must not let the outage pass before the breaker has seen it).
    const FAULTY_PUTS = 10;
    let n = 0;
    const proxy = await startFaultProxy(ls.endpoint, (req) => {
      if (req.method !== 'PUT' || n >= FAULTY_PUTS) return undefined;
      n++;
      if (n % 5 === 0) return { status: 0, code: 'timeout', hangMs: 2000 };
      return n % 4 === 0 ? { status: 500, code: 'InternalError' } : { status: 503, code: 'SlowDown' };
    });
    try {
      const landed = await settle(
        'c: S3 faults',
        topic,
        dataDir,
        eventIds,
        {},
        ['--store', `s3://${bucket}/`, '--breaker-open-ms', '1000'],
        { ...s3env, AWS_ENDPOINT_URL_S3: proxy.url, AWS_MAX_ATTEMPTS: '2' },
        ['--store', `s3://${bucket}/`],
      );
      const transitions = (
        landed.breakers as { store: { transitions: { from: string; to: string }[] } }
      ).store.transitions.map((t) => `${t.from}→${t.to}`);
      figures.at(-1)!.injectedFaults = proxy.injected.length;
      figures.at(-1)!.transitions = transitions;
      expect(proxy.injected.length).toBeGreaterThan(0);
      expect(proxy.injected.some((i) => i.endsWith('(hung)'))).toBe(true);
      expect(transitions[0]).toBe('closed→open');
      expect(transitions).toContain('open→half-open');
      expect(transitions.at(-1)).toBe('half-open→closed');
    } finally {
      await proxy.close();
    }
  }, 600_000);

  it('(d) the warehouse is down: the run fails cleanly, a waiting run rides out the outage and catches up', async () => {
    const dataDir = join(work, 'b');
    // A database of its own: the server's folder outlives the suite.
    const { url } = await scratchDatabase(await pg('up'));
    await pg('down');
    const failed = await cli(['run', '--data-dir', dataDir, '--warehouse', url, '--json']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('cannot connect to PostgreSQL');
    expect(failed.stderr).not.toMatch(/\n\s+at /);
    const waiting = startCli([
      'run',
      '--data-dir',
      dataDir,
      '--warehouse',
      url,
      '--wait-for-warehouse',
      '120',
      '--json',
    ]);
    await new Promise((r) => setTimeout(r, 4000));
    await pg('up');
    expect((await waiting.done).code, waiting.stderr()).toBe(0);
    const run = JSON.parse(waiting.stdout().trim().split('\n').at(-1)!) as {
      status: string;
      breakers: { warehouse: { from: string; to: string }[] };
    };
    expect(run.status).toBe('succeeded');
    const transitions = run.breakers.warehouse.map((t) => `${t.from}→${t.to}`);
    expect(transitions[0]).toBe('closed→open');
    expect(transitions.at(-1)).toBe('half-open→closed');
    const rows = (await okJson(
      cli([
        'query',
        'SELECT COUNT(*) AS n, COUNT(DISTINCT event_id) AS d FROM stg_events',
        '--json',
        '--data-dir',
        dataDir,
        '--warehouse',
        url,
      ]),
    )) as unknown as { n: number; d: number }[];
    const duck = (await okJson(
      cli(['query', 'SELECT COUNT(*) AS n FROM stg_events', '--json', '--data-dir', dataDir]),
    )) as unknown as { n: number }[];
    figures.push({
      scenario: 'd: warehouse down',
      inWarehouse: Number(rows[0]!.n),
      expected: Number(duck[0]!.n),
      duplicates: Number(rows[0]!.n) - Number(rows[0]!.d),
      lost: Number(duck[0]!.n) - Number(rows[0]!.d),
      transitions,
    });
    expect(Number(rows[0]!.n)).toBe(Number(duck[0]!.n));
    expect(Number(rows[0]!.d)).toBe(Number(rows[0]!.n));
  }, 600_000);
});
