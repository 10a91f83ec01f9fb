import { createServer } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envelope } from '../support/envelopes.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { okJson, runCli, startCli, waitFor, type CliRun, type RunningCli } from '../support/cli.js';
import { MART_QUERIES } from '../support/marts.js';
import {
  deployEmulator,
  destroyEmulator,
  ministack,
  ministackEnv,
  type EmulatorOutputs,
  type MiniStack,
} from '../support/ministack.js';
import { postgresServer, scratchDatabase } from '../support/postgres.js';

// The whole pipeline deployed to MiniStack (started here when none runs) with scripts/services/emulator-stack.sh:
// EventBridge → rule → SQS → the landing function (run by MiniStack's event source mapping) → S3; the ingest
// API (API Gateway HTTP API → function → DynamoDB idempotency + the bus); the ELT state machine, whose
// functions call the Redshift Data API of `elt dataapi` over a scratch PostgreSQL database; the schedule,
// the alarms and the DLQ redrive. The marts must equal an embedded (DuckDB) run of the same input.

const EVENTS = '3000';
const SEED = '11';
/** The config's warehouse.dataApiEndpoint (cdk.json, environment `emulator`). */
const DATA_API_PORT = 4599;

let ms: MiniStack;
let out: EmulatorOutputs;
let env: Record<string, string>;
let work: string;
let pgUrl: string;
let dropDb: (() => Promise<void>) | undefined;
let dataApi: RunningCli | undefined;
let sqs: SQSClient;
let s3: S3Client;
let sfn: SFNClient;
/** The executions this suite started; any other was started by the schedule. */
const startedByTest = new Set<string>();

const cli = (args: string[], extraEnv: Record<string, string> = {}): Promise<CliRun> =>
  runCli(args, { env: { ...env, ...extraEnv }, timeoutMs: 300_000 });

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

beforeAll(async () => {
  ms = await ministack();
  env = await ministackEnv();
  const clientConfig = {
    endpoint: ms.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  // The queue URLs MiniStack gives name localhost: send to its 127.0.0.1 endpoint instead.
  sqs = new SQSClient({ ...clientConfig, useQueueUrlAsEndpoint: false });
  s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  sfn = new SFNClient(clientConfig);
  work = await mkdtemp(join(tmpdir(), 'elt-emulator-'));

  const db = await scratchDatabase(await postgresServer());
  pgUrl = db.url;
  dropDb = db.drop;
  if (!(await portFree(DATA_API_PORT)))
    throw new Error(
      `port ${DATA_API_PORT} (the emulator config's warehouse.dataApiEndpoint) is taken: stop what listens there`,
    );
  // MiniStack differs from AWS: functions run as processes on the host's Node (whatever runtime the
  // function declares) and inherit the host's network, so the ELT functions reach this Data API server on
  // 127.0.0.1 (the config's warehouse.dataApiEndpoint), where on AWS they would call Redshift. It reads the
  // raw bucket for COPY through MiniStack's S3; its S3 client needs the region from `ministack.sh env`.
  dataApi = startCli(
    ['dataapi', '--port', String(DATA_API_PORT), '--postgres', pgUrl, '--s3-endpoint', ms.endpoint],
    env,
  );
  await waitFor(
    'elt dataapi to listen',
    () => {
      if (dataApi!.child.exitCode !== null)
        throw new Error(`elt dataapi exited ${dataApi!.child.exitCode}: ${dataApi!.stderr()}`);
      return /Redshift Data API on/.test(dataApi!.stdout() + dataApi!.stderr());
    },
    30_000,
  );

  // MiniStack differs from AWS: its state is in memory (ministack.sh runs it with PERSIST_STATE=0), so the
  // app is deployed for every run of the suite, and destroyed after it.
  out = await deployEmulator();
}, 600_000);

afterAll(async () => {
  try {
    if (out) await destroyEmulator();
  } finally {
    if (dataApi && dataApi.child.exitCode === null) {
      dataApi.child.kill('SIGTERM');
      await dataApi.done;
    }
    await dropDb?.();
    await ms?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  }
}, 300_000);

// ---------------------------------------------------------------------------------------------------
// Helpers.

async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: out.RawBucketName, Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

async function linesOf(key: string): Promise<string[]> {
  const body = await s3.send(new GetObjectCommand({ Bucket: out.RawBucketName, Key: key }));
  const bytes = await body.Body!.transformToByteArray();
  const text = key.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : Buffer.from(bytes).toString('utf8');
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** Messages in the queue: visible, in flight and delayed. */
async function depth(queueUrl: string): Promise<number> {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
  );
  return (
    Number(a.ApproximateNumberOfMessages ?? 0) +
    Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

async function drained(queueUrl: string, timeoutMs: number): Promise<void> {
  let zeros = 0;
  await waitFor(
    `${queueUrl} to drain`,
    async () => {
      zeros = (await depth(queueUrl)) === 0 ? zeros + 1 : 0;
      return zeros >= 3;
    },
    timeoutMs,
  );
}

/**
 * A call to one of MiniStack's AWS APIs the repository has no SDK client for (Lambda, CloudWatch, SNS): an
 * unsigned request, which MiniStack takes (it checks no signature), never sent anywhere but 127.0.0.1.
 */
async function awsQuery(params: Record<string, string>): Promise<string> {
  const res = await fetch(ms.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${params.Action}: ${res.status} ${text}`);
  return text;
}

async function lambdaApi(path: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const res = await fetch(`${ms.endpoint}/2015-03-31/functions/${path}`, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`Lambda ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function landingEnvironment(): Promise<Record<string, string>> {
  const config = await lambdaApi(`${encodeURIComponent(out.LandingFunctionName)}/configuration`);
  return ((config.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ??
    {}) as Record<string, string>;
}

async function setLandingEnvironment(variables: Record<string, string>): Promise<void> {
  await lambdaApi(`${encodeURIComponent(out.LandingFunctionName)}/configuration`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ Environment: { Variables: variables } }),
  });
}

interface Execution {
  readonly arn: string;
  readonly status: string;
  readonly run: Record<string, unknown>;
  readonly states: string[];
}

async function statesOf(executionArn: string): Promise<{ states: string[]; plan?: Record<string, unknown> }> {
  const h = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  const states = (h.events ?? []).flatMap((e) =>
    e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : [],
  );
  const planExit = (h.events ?? []).find((e) => e.stateExitedEventDetails?.name === 'Run-plan');
  const plan = planExit
    ? ((JSON.parse(planExit.stateExitedEventDetails!.output ?? '{}') as { run?: Record<string, unknown> })
        .run ?? {})
    : undefined;
  return { states, ...(plan ? { plan } : {}) };
}

async function runningExecutions(): Promise<number> {
  const l = await sfn.send(
    new ListExecutionsCommand({ stateMachineArn: out.StateMachineArn, statusFilter: 'RUNNING' }),
  );
  return (l.executions ?? []).length;
}

/**
 * Starts an ELT execution and waits for its end. MiniStack differs from AWS: every function error comes
 * back as Runtime.HandlerError, so the state machine's Retry on a named error never matches there; the
 * suite relies on no retry (a failed step fails the execution, and the assertion shows its error and cause).
 * One the schedule started at the same moment may hold the
 * run lock (the plan stops with `lockedBy`): then it waits for that one and starts again.
 */
async function runElt(): Promise<Execution> {
  for (let attempt = 0; attempt < 5; attempt++) {
    await waitFor('no ELT execution running', async () => (await runningExecutions()) === 0, 60_000);
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: out.StateMachineArn,
        name: `emulator-test-${Date.now()}`,
      }),
    );
    startedByTest.add(executionArn!);
    let d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    await waitFor(
      `execution ${executionArn} to end`,
      async () => {
        d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        return d.status !== 'RUNNING';
      },
      120_000,
    );
    const run = (JSON.parse(d.output ?? '{}') as { run?: Record<string, unknown> }).run ?? {};
    if (run.lockedBy) continue;
    const { states } = await statesOf(executionArn!);
    expect(d.status, `${executionArn}: ${d.error} ${d.cause}`).toBe('SUCCEEDED');
    return { arn: executionArn!, status: d.status!, run, states };
  }
  throw new Error('every ELT execution found the run lock held');
}

// ---------------------------------------------------------------------------------------------------

describe('the pipeline deployed to MiniStack', () => {
  let input: string;
  let embedded: string;
  let published: Record<string, unknown>;
  let token: string;
  let apiUrl: string;
  /** The entries sent through the ingest API, with the event ids it gave them, for the embedded run. */
  const apiEntries: Record<string, unknown>[] = [];

  beforeAll(async () => {
    input = join(work, 'events.ndjson');
    embedded = join(work, 'embedded');
    await okJson(cli(['generate', '--events', EVENTS, '--seed', SEED, '--out', input, '--json']));
    const embeddedPublish = okJson(cli(['publish', '--file', input, '--data-dir', embedded, '--json']));
    published = await okJson(
      cli([
        'publish',
        '--file',
        input,
        '--bus',
        `eventbridge:${out.BusName}`,
        '--data-dir',
        join(work, 'deployed'),
        '--json',
      ]),
    );
    await embeddedPublish;
    const secret = await new SecretsManagerClient({
      endpoint: ms.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }).send(new GetSecretValueCommand({ SecretId: out.IngestTokenSecretArn }));
    token = secret.SecretString!;
    // MiniStack differs from AWS: the IngestApiUrl output names the API's AWS host; MiniStack serves the API
    // at /_aws/execute-api/<apiId>/ on its own port (the $default stage has no path segment).
    const apiId = /^https:\/\/([^.]+)\.execute-api\./.exec(out.IngestApiUrl)?.[1];
    expect(apiId, out.IngestApiUrl).toBeDefined();
    apiUrl = `${ms.endpoint}/_aws/execute-api/${apiId}/v1/events`;
  }, 300_000);

  const post = (body: string, headers: Record<string, string | undefined> = {}): Promise<Response> =>
    fetch(apiUrl, {
      method: 'POST',
      headers: Object.fromEntries(
        Object.entries({
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          ...headers,
        }).filter((e): e is [string, string] => e[1] !== undefined),
      ),
      body,
    });

  it('takes events through the ingest API with the idempotency and errors it promises', async () => {
    const entries = [
      {
        source: 'marketplace.users',
        'detail-type': 'UserSignedUp',
        time: '2026-12-01T09:00:00Z',
        detail: { ...envelope('UserSignedUp').detail, userId: 'u_api_1' },
      },
      {
        source: 'marketplace.users',
        'detail-type': 'UserLoggedIn',
        time: '2026-12-01T09:05:00Z',
        detail: { ...envelope('UserLoggedIn').detail, userId: 'u_api_1', sessionId: 's_api_1' },
      },
    ];
    for (const e of entries) delete (e.detail as Record<string, unknown>).eventId;
    const body = JSON.stringify({ entries });
    const key = `emulator-${Date.now()}`;

    const first = await post(body, { 'idempotency-key': key });
    const firstBody = (await first.json()) as { status: string; eventIds: string[] };
    expect(first.status, JSON.stringify(firstBody)).toBe(202);
    expect(firstBody).toMatchObject({ status: 'published' });
    expect(firstBody.eventIds).toHaveLength(2);
    entries.forEach((e, i) =>
      apiEntries.push({ ...e, detail: { ...e.detail, eventId: firstBody.eventIds[i] } }),
    );

    const again = await post(body, { 'idempotency-key': key });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(firstBody);

    const reused = await post(JSON.stringify({ entries: [entries[0]] }), { 'idempotency-key': key });
    expect(reused.status).toBe(422);
    expect(reused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await reused.json()).toMatchObject({ status: 422, title: 'Idempotency-Key reused' });

    const anonymous = await post(body, { 'idempotency-key': `${key}-b`, authorization: undefined });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="elt-ingest"');
    expect(await anonymous.json()).toMatchObject({ status: 401, title: 'Unauthorized' });

    const broken = await post('{"entries": [', { 'idempotency-key': `${key}-c` });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ status: 400, title: 'Malformed JSON' });
  });

  it('routes every accepted event through the rule to the queue, and the landing function lands each one', async () => {
    // MiniStack differs from AWS: its SQS event source mapping hands the function batches of at most 10
    // (BatchSize 100 is capped) and ignores the 1 s batching window, so 3,000 events are ~300 invocations.
    await drained(out.LandingQueueUrl, 180_000);
    expect(await depth(out.LandingDeadLetterQueueUrl)).toBe(0);
    const raw = (await listKeys('raw/')).filter((k) => k.startsWith('raw/source=marketplace.'));
    const quarantine = await listKeys('quarantine/stage=landing/');
    for (const k of raw)
      expect(k).toMatch(
        /^raw\/source=[^/]+\/detail_type=[^/]+\/dt=\d{4}-\d\d-\d\d\/hour=\d\d\/[^/]+\.ndjson\.gz$/,
      );
    const counts = await Promise.all([...raw, ...quarantine].map(async (k) => (await linesOf(k)).length));
    // Every event the bus took (the file's and the API's) is in an object: landed, or quarantined by landing.
    expect(counts.reduce((a, b) => a + b, 0)).toBe(Number(published.accepted) + apiEntries.length);
  }, 240_000);

  it('runs the ELT state machine on the Data API and builds the same warehouse as DuckDB', async () => {
    const apiFile = join(work, 'api.ndjson');
    await writeFile(apiFile, apiEntries.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const embeddedRun = (async () => {
      await okJson(cli(['publish', '--file', apiFile, '--data-dir', embedded, '--json']));
      return okJson(cli(['run', '--data-dir', embedded, '--json']));
    })();
    const execution = await runElt();
    expect(execution.run.status).toBe('succeeded');
    expect(execution.states).toContain('Run-load');
    // DuckDB over the objects the deployed pipeline landed in MiniStack's S3: the same events, the same times.
    const fromLanded = join(work, 'from-landed');
    const landedRun = okJson(
      cli(['run', '--store', `s3://${out.RawBucketName}/`, '--data-dir', fromLanded, '--json']),
    );
    const [runEmbedded, runLanded] = await Promise.all([embeddedRun, landedRun]);
    expect(runEmbedded.status).toBe('succeeded');
    expect(runLanded.status).toBe('succeeded');
    const onPostgres = (sql: string): Promise<Record<string, unknown>> =>
      okJson(cli(['query', sql, '--json', '--data-dir', join(work, 'q'), '--warehouse', pgUrl]));
    const onDuckDb = (dir: string, sql: string): Promise<Record<string, unknown>> =>
      okJson(cli(['query', sql, '--json', '--data-dir', dir]));

    // MiniStack differs from AWS: PutEvents ignores an entry's Time and stamps the time of the call (ministack
    // services/eventbridge.py, put_events: event_time = now), where EventBridge keeps the Time given. So the
    // events' times, and every mart bucketed by time, differ from the input's. Against the embedded run of the
    // input (file + API events), the staging table is compared without its time: the same events, row for row.
    const timeless = 'SELECT event_id, detail_type, user_id, amount_minor FROM stg_events ORDER BY event_id';
    const [deployedEvents, inputEvents] = await Promise.all([
      onPostgres(timeless),
      onDuckDb(embedded, timeless),
    ]);
    expect((deployedEvents as unknown as unknown[]).length).toBeGreaterThan(0);
    expect(deployedEvents).toEqual(inputEvents);
    // Every mart, against DuckDB over the same landed objects: row for row.
    for (const [table, sql] of Object.entries(MART_QUERIES)) {
      const [deployed, local] = await Promise.all([onPostgres(sql), onDuckDb(fromLanded, sql)]);
      expect((deployed as unknown as unknown[]).length, table).toBeGreaterThan(0);
      expect(deployed, table).toEqual(local);
    }
    // The API's events are in the warehouse under the ids the API answered with.
    const ids = apiEntries.map((e) => (e.detail as { eventId: string }).eventId);
    const rows = (await onPostgres(
      `SELECT event_id FROM stg_events WHERE event_id IN (${ids.map((i) => `'${i}'`).join(', ')}) ORDER BY event_id`,
    )) as unknown as { event_id: string }[];
    expect(rows.map((r) => r.event_id)).toEqual([...ids].sort());
  }, 240_000);

  it('moves a message the landing function cannot write to the DLQ after maxReceiveCount, alarms, and redrives it', async () => {
    const alarmInbox = (
      await sqs.send(new CreateQueueCommand({ QueueName: `elt-emulator-test-alarms-${Date.now()}` }))
    ).QueueUrl!;
    const inboxArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: alarmInbox, AttributeNames: ['QueueArn'] }))
    ).Attributes!.QueueArn!;
    await awsQuery({
      Action: 'Subscribe',
      Version: '2010-03-31',
      TopicArn: out.AlarmTopicArn,
      Protocol: 'sqs',
      Endpoint: inboxArn,
      'Attributes.entry.1.key': 'RawMessageDelivery',
      'Attributes.entry.1.value': 'true',
    });

    // S3 fails every write under the poison's partition (a day no other event has), as a broken bucket policy
    // or a KMS key without access would: the message can never land. The landing function's S3 calls go
    // through a fault proxy for this (its AWS_ENDPOINT_URL_S3); everything else passes through.
    const proxy = await startFaultProxy(ms.endpoint, (req) =>
      req.method === 'PUT' && /dt(?:%3D|=)2031-02-28/.test(req.url ?? '')
        ? { status: 503, code: 'SlowDown' }
        : undefined,
    );
    const original = await landingEnvironment();
    const { Attributes: queueAttributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: out.LandingQueueUrl, AttributeNames: ['VisibilityTimeout'] }),
    );
    try {
      await setLandingEnvironment({ ...original, AWS_ENDPOINT_URL_S3: proxy.url });
      // Each redelivery waits for the queue's visibility timeout (181 s, 6 × the function's timeout, as on
      // AWS); three of them would take 9 minutes. Shortened for this test only, and restored below.
      await sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: out.LandingQueueUrl,
          Attributes: { VisibilityTimeout: '2' },
        }),
      );
      const poison = envelope('UserLoggedIn', {
        id: 'dddddddd-0000-4000-8000-000000000001',
        time: '2031-02-28T12:00:00Z',
        detail: {
          eventId: '00000000-0000-4000-8000-0000000000d1',
          userId: 'u_poison',
          sessionId: 's_poison',
        },
      });
      await sqs.send(
        new SendMessageCommand({ QueueUrl: out.LandingQueueUrl, MessageBody: JSON.stringify(poison) }),
      );
      await waitFor(
        'the poison message to reach the landing DLQ',
        async () =>
          (await depth(out.LandingDeadLetterQueueUrl)) === 1 && (await depth(out.LandingQueueUrl)) === 0,
        90_000,
      );
      // One failed write per delivery: maxReceiveCount (3) deliveries, each reported as a batch item failure.
      expect(proxy.injected.length).toBeGreaterThanOrEqual(3);
    } finally {
      await setLandingEnvironment(original);
      await sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: out.LandingQueueUrl,
          Attributes: { VisibilityTimeout: queueAttributes.VisibilityTimeout ?? '181' },
        }),
      );
      await proxy.close();
    }

    // MiniStack differs from AWS: SQS publishes no AWS/SQS metrics and alarms are evaluated only when
    // PutMetricData arrives (no timer), so the DLQ alarm never fires by itself. The suite puts the depth
    // datapoint the SQS service would have published. MiniStack also ignores the dimensions when it
    // evaluates, so every alarm on this metric (the bus target DLQ's too) sees it: the notification of the
    // landing DLQ's alarm is the one looked for.
    const dlqName = out.LandingDeadLetterQueueUrl.split('/').at(-1)!;
    await awsQuery({
      Action: 'PutMetricData',
      Version: '2010-08-01',
      Namespace: 'AWS/SQS',
      'MetricData.member.1.MetricName': 'ApproximateNumberOfMessagesVisible',
      'MetricData.member.1.Value': '1',
      'MetricData.member.1.Unit': 'Count',
      'MetricData.member.1.Dimensions.member.1.Name': 'QueueName',
      'MetricData.member.1.Dimensions.member.1.Value': dlqName,
    });
    const notifications: Record<string, unknown>[] = [];
    await waitFor(
      'the landing DLQ alarm on the alarm topic',
      async () => {
        const r = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: alarmInbox, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        for (const m of r.Messages ?? []) {
          const body = JSON.parse(m.Body!) as Record<string, unknown>;
          notifications.push(
            typeof body.Message === 'string' ? (JSON.parse(body.Message) as Record<string, unknown>) : body,
          );
          await sqs.send(new DeleteMessageCommand({ QueueUrl: alarmInbox, ReceiptHandle: m.ReceiptHandle! }));
        }
        return notifications.some(
          (n) => n.NewStateValue === 'ALARM' && String(n.AlarmName).includes('LandingDlqNotEmpty'),
        );
      },
      30_000,
    );
    const alarm = notifications.find((n) => String(n.AlarmName).includes('LandingDlqNotEmpty'))!;
    expect(alarm).toMatchObject({
      NewStateValue: 'ALARM',
      Trigger: { MetricName: 'ApproximateNumberOfMessagesVisible' },
    });
    // MiniStack differs from AWS: the notification's Trigger.Dimensions entries are {Name, Value}, where
    // CloudWatch writes {name, value}.
    const dimensions = (alarm.Trigger as { Dimensions: Record<string, string>[] }).Dimensions.map((d) =>
      Object.fromEntries(Object.entries(d).map(([k, v]) => [k.toLowerCase(), v])),
    );
    expect(dimensions).toContainEqual({ name: 'QueueName', value: dlqName });

    // The cause is fixed (the function writes to S3 directly again): redrive, and the message lands.
    const redriven = await okJson(cli(['redrive', '--outputs', out.file, '--json']));
    expect(redriven).toMatchObject({ moved: 1, failed: 0 });
    await drained(out.LandingQueueUrl, 60_000);
    expect(await depth(out.LandingDeadLetterQueueUrl)).toBe(0);
    const landed = await listKeys('raw/source=marketplace.users/detail_type=UserLoggedIn/dt=2031-02-28/');
    expect(landed).toHaveLength(1);
    expect(
      (await linesOf(landed[0]!)).map((l) => (JSON.parse(l) as { detail: { userId: string } }).detail.userId),
    ).toEqual(['u_poison']);
  }, 180_000);

  it('the schedule starts executions by itself', async () => {
    let scheduled: string | undefined;
    // MiniStack's scheduler counts rate(1 minute) from the schedule's creation (the deploy) on a 10 s tick.
    await waitFor(
      'an execution the schedule started',
      async () => {
        const l = await sfn.send(new ListExecutionsCommand({ stateMachineArn: out.StateMachineArn }));
        scheduled = l.executions?.find((e) => !startedByTest.has(e.executionArn!))?.executionArn;
        return scheduled !== undefined;
      },
      100_000,
    );
    expect(scheduled).toMatch(/^arn:aws:states:us-east-1:000000000000:execution:elt-emulator-elt:/);
  }, 120_000);

  it('runs no load or transform when nothing new arrived, though its own events land', async () => {
    const before = (await listKeys('raw/')).filter((k) => !k.startsWith('raw/source=marketplace.')).length;
    // The first picks up what came since the last run (the redriven event, the pipeline's own events).
    await runElt();
    const runs: Execution[] = [];
    for (let i = 0; i < 3; i++) {
      // Its EltRunSucceeded event is landed before the next run starts.
      await drained(out.LandingQueueUrl, 30_000);
      runs.push(await runElt());
    }
    for (const r of runs) {
      const { states, plan } = await statesOf(r.arn);
      const pending =
        plan?.planKey !== undefined ? (await linesOf(String(plan.planKey))).join('\n').slice(0, 2000) : '';
      expect(
        { states, nothingNew: plan?.nothingNew },
        `${r.arn}: plan ${JSON.stringify(plan)} ${pending}`,
      ).toEqual({
        states: ['Run-plan', 'AnythingNew', 'NothingNew'],
        nothingNew: true,
      });
    }
    const after = (await listKeys('raw/')).filter((k) => !k.startsWith('raw/source=marketplace.')).length;
    expect(after).toBeGreaterThan(before);
  }, 240_000);
});

describe('the deploy script', () => {
  it('refuses to run when MiniStack does not answer, and says what to run', async () => {
    const { spawn } = await import('node:child_process');
    const { packageRoot } = await import('../../lib/package-paths.js');
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(join(packageRoot(), 'scripts', 'services', 'emulator-stack.sh'), ['deploy'], {
        env: { ...process.env, ELT_MINISTACK_PORT: '4598' },
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.code).toBe(3);
    expect(r.stderr.trim()).toBe(
      'MiniStack does not answer on http://127.0.0.1:4598. Start it first: npm run emulator:up',
    );
  });
});
