import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DeleteItemCommandInput,
  type GetItemCommandInput,
  type PutItemCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandInput,
  type PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createIngestHandler,
  IDEMPOTENCY_KEY_PREFIX,
  type HttpApiEvent,
  type HttpApiResult,
  type IngestOutcome,
} from '../../lambdas/ingest/handler.js';
import type { IngestSettings } from '../../lambdas/ingest/settings.js';
import { requestFingerprint } from '../../lib/core/ingest/idempotency.js';
import { eventIdFor } from '../../lib/core/ingest/ingest-request.js';
import {
  INGEST_SECRET_ARN,
  INGEST_SETTINGS,
  INGEST_TOKEN as TOKEN,
  login,
} from '../core/ingest/ingest-fixtures.js';

// The ingest function's wire: API Gateway's payload format 2.0 in and out, and the AWS calls its adapters
// make (DynamoDB through Powertools, EventBridge, Secrets Manager), asserted on their inputs. What the
// ingest flow answers is tested once, on the use case (test/core/ingest/handle-ingest.test.ts).

const NOW = Date.parse('2026-11-01T12:00:00.000Z');
const REMAINING_MS = 14_000;
const SECRET_ARN = INGEST_SECRET_ARN;
const config: IngestSettings = INGEST_SETTINGS;
const KEY = '0B7F2F7E-6A4F-4B8E-9D0A-00000000002A';
/** How the table holds KEY: a UUID key compares case-insensitively, so it is stored lowercased. */
const STORED_KEY = KEY.toLowerCase();
const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => REMAINING_MS };
const CONDITION =
  'attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)';
// The same problem body as the local server's (RFC 9457 "about:blank" and where the docs explain it).
const PROBLEM_TYPE = 'about:blank';

const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };
const dynamodb = new DynamoDBClient({ region: 'eu-west-1', credentials });
const eventBridge = new EventBridgeClient({ region: 'eu-west-1', credentials });
const secretsManager = new SecretsManagerClient({ region: 'eu-west-1', credentials });
const ddbMock = mockClient(dynamodb);
const ebMock = mockClient(eventBridge);
const smMock = mockClient(secretsManager);

interface RequestOptions {
  readonly key?: string | null;
  readonly token?: string | null;
  readonly authorization?: string;
  readonly contentType?: string | null;
  readonly method?: string;
  readonly path?: string;
  readonly base64?: boolean;
}

/** A request as API Gateway (HTTP API, payload format 2.0) hands it to the function. */
function request(body: unknown, options: RequestOptions = {}): HttpApiEvent {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const key = options.key === undefined ? KEY : options.key;
  const token = options.token === undefined ? TOKEN : options.token;
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
  const headers: Record<string, string> = {
    host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    ...(token !== null ? { authorization: options.authorization ?? `Bearer ${token}` } : {}),
    ...(key !== null ? { 'idempotency-key': key } : {}),
    ...(contentType !== null ? { 'content-type': contentType } : {}),
  };
  return {
    version: '2.0',
    routeKey: 'POST /v1/events',
    rawPath: options.path ?? '/v1/events',
    headers,
    body: options.base64 ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: options.base64 ?? false,
    requestContext: { http: { method: options.method ?? 'POST' }, requestId: 'api-req-1' },
  };
}

const sha256b64 = (text: string): string => createHash('sha256').update(text).digest('base64');
/** The record id Powertools derives from the key: prefix # base64(SHA-256(JSON of the key)). */
const recordId = (key: string): string => `${IDEMPOTENCY_KEY_PREFIX}#${sha256b64(JSON.stringify(key))}`;
/** The validation hash Powertools stores: base64(SHA-256(JSON of the body's fingerprint)). */
const validationOf = (body: unknown): string =>
  sha256b64(
    JSON.stringify(
      requestFingerprint(
        'POST',
        '/v1/events',
        Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      ),
    ),
  );

type Item = Record<string, AttributeValue>;

/**
 * The idempotency table as DynamoDB would behave for Powertools' calls: a conditional PutItem that fails
 * with ConditionalCheckFailedException (returning the old item, as ReturnValuesOnConditionCheckFailure
 * ALL_OLD asks) while a live record holds the key, GetItem, UpdateItem's SET and DeleteItem.
 */
class FakeIdempotencyTable {
  readonly items = new Map<string, Item>();
  /** Set false to answer a failed condition without the old item (Powertools then reads it). */
  returnOldItem = true;

  put(input: PutItemCommandInput): Record<string, never> {
    expect(input.TableName).toBe(config.idempotencyTable);
    expect(input.ConditionExpression).toBe(CONDITION);
    const item = input.Item!;
    const id = item.id!.S!;
    const old = this.items.get(id);
    if (old) {
      const values = input.ExpressionAttributeValues!;
      const expired = Number(old.expiration!.N) < Number(values[':now']!.N);
      const inProgressExpired =
        old.status!.S === values[':inprogress']!.S &&
        old.in_progress_expiration !== undefined &&
        Number(old.in_progress_expiration.N) < Number(values[':now_in_millis']!.N);
      if (!expired && !inProgressExpired) {
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: { httpStatusCode: 400 },
          ...(this.returnOldItem ? { Item: old } : {}),
        });
      }
    }
    this.items.set(id, item);
    return {};
  }

  get(input: GetItemCommandInput): { Item?: Item } {
    const item = this.items.get(input.Key!.id!.S!);
    return item ? { Item: item } : {};
  }

  update(input: UpdateItemCommandInput): Record<string, never> {
    const id = input.Key!.id!.S!;
    const item: Item = { ...(this.items.get(id) ?? { id: { S: id } }) };
    for (const assignment of input.UpdateExpression!.replace(/^SET /, '').split(', ')) {
      const [name, value] = assignment.split(' = ') as [string, string];
      item[input.ExpressionAttributeNames![name]!] = input.ExpressionAttributeValues![value]!;
    }
    this.items.set(id, item);
    return {};
  }

  delete(input: DeleteItemCommandInput): Record<string, never> {
    this.items.delete(input.Key!.id!.S!);
    return {};
  }
}

let table: FakeIdempotencyTable;
let logs: Record<string, unknown>[];
let outcomes: IngestOutcome[];

/** PutEvents answers: every entry accepted. */
const acceptAll = (input: PutEventsCommandInput): PutEventsCommandOutput => ({
  $metadata: {},
  FailedEntryCount: 0,
  Entries: input.Entries!.map((_, i) => ({ EventId: `eb-${i}` })),
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  ddbMock.reset();
  ebMock.reset();
  smMock.reset();
  table = new FakeIdempotencyTable();
  ddbMock.on(PutItemCommand).callsFake((input: PutItemCommandInput) => table.put(input));
  ddbMock.on(GetItemCommand).callsFake((input: GetItemCommandInput) => table.get(input));
  ddbMock.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => table.update(input));
  ddbMock.on(DeleteItemCommand).callsFake((input: DeleteItemCommandInput) => table.delete(input));
  ebMock.on(PutEventsCommand).callsFake(acceptAll);
  smMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: TOKEN });
  logs = [];
  outcomes = [];
});

afterEach(() => {
  vi.useRealTimers();
});

function handler(overrides: Partial<IngestSettings> = {}) {
  return createIngestHandler(
    { ...config, ...overrides },
    {
      dynamodb,
      eventBridge,
      secretsManager,
      publishRetry: { maxAttempts: 3, baseDelayMs: 1 },
      log: (entry) => logs.push(entry),
      onResult: (outcome) => outcomes.push(outcome),
    },
  );
}

const json = (result: HttpApiResult): Record<string, unknown> =>
  JSON.parse(result.body) as Record<string, unknown>;
const putEventsInputs = (): PutEventsCommandInput[] =>
  ebMock.commandCalls(PutEventsCommand).map((c) => c.args[0].input);
const ddbCalls = (): string[] => ddbMock.calls().map((c) => (c.args[0] as object).constructor.name);

/** The detail a published entry must carry: the entry's detail with the eventId the API derived. */
const detailOf = (entry: Record<string, unknown>, eventId: string): string =>
  JSON.stringify({ ...(entry.detail as Record<string, unknown>), eventId });

describe('POST /v1/events through API Gateway', () => {
  it('publishes one entry with detail.eventId from the key, and answers 202 with the id', async () => {
    const entry = login();
    const result = await handler()(request(entry), context);
    const eventId = eventIdFor(KEY, 0, entry);
    expect(result).toEqual({
      statusCode: 202,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ status: 'published', eventIds: [eventId] }),
      isBase64Encoded: false,
    });
    expect(putEventsInputs()).toStrictEqual([
      {
        Entries: [
          {
            EventBusName: 'elt-dev-bus',
            Source: 'marketplace.users',
            DetailType: 'UserLoggedIn',
            Detail: detailOf(entry, eventId),
          },
        ],
      },
    ]);
    expect(outcomes).toEqual([{ status: 202, published: 1, replayed: false }]);
  });

  it('claims the key with a conditional PutItem, then stores the response with UpdateItem', async () => {
    const entry = login();
    await handler()(request(entry), context);
    expect(ddbCalls()).toEqual(['PutItemCommand', 'UpdateItemCommand']);
    const [put, update] = ddbMock.calls().map((c) => (c.args[0] as { input: unknown }).input);
    const expiration = { N: String(Math.round(NOW / 1000 + 86_400)) };
    expect(put).toStrictEqual({
      TableName: 'elt-dev-idempotency',
      Item: {
        id: { S: recordId(STORED_KEY) },
        expiration,
        status: { S: 'INPROGRESS' },
        in_progress_expiration: { N: String(NOW + REMAINING_MS) },
        validation: { S: validationOf(entry) },
      },
      ExpressionAttributeNames: {
        '#id': 'id',
        '#expiry': 'expiration',
        '#in_progress_expiry': 'in_progress_expiration',
        '#status': 'status',
      },
      ExpressionAttributeValues: {
        ':now': { N: String(NOW / 1000) },
        ':now_in_millis': { N: String(NOW) },
        ':inprogress': { S: 'INPROGRESS' },
      },
      ConditionExpression: CONDITION,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(update).toStrictEqual({
      TableName: 'elt-dev-idempotency',
      Key: { id: { S: recordId(STORED_KEY) } },
      UpdateExpression:
        'SET #expiry = :expiry, #status = :status, #response_data = :response_data, #validation_key = :validation_key',
      ExpressionAttributeNames: {
        '#expiry': 'expiration',
        '#status': 'status',
        '#response_data': 'data',
        '#validation_key': 'validation',
      },
      ExpressionAttributeValues: {
        ':expiry': expiration,
        ':status': { S: 'COMPLETED' },
        ':response_data': {
          M: {
            status: { N: '202' },
            body: {
              M: { status: { S: 'published' }, eventIds: { L: [{ S: eventIdFor(KEY, 0, entry) }] } },
            },
          },
        },
        ':validation_key': { S: validationOf(entry) },
      },
    });
  });

  it('remembers keys for IDEMPOTENCY_TTL_SECONDS', async () => {
    await handler({ idempotencyTtlSeconds: 600 })(request(login()), context);
    const item = table.items.get(recordId(STORED_KEY))!;
    expect(item.expiration).toEqual({ N: String(NOW / 1000 + 600) });
  });

  it('publishes a batch in PutEvents calls of at most 10, with ids derived from the key and index', async () => {
    const entries = Array.from({ length: 12 }, (_, i) => login({ sessionId: `s_${i}` }));
    const key = 'batch-2026-11-01:7';
    const result = await handler()(request({ entries }, { key }), context);
    const ids = entries.map((entry, i) => eventIdFor(key, i, entry));
    expect(result.statusCode).toBe(202);
    expect(json(result)).toEqual({ status: 'published', eventIds: ids });
    const calls = putEventsInputs();
    expect(calls.map((c) => c.Entries!.length)).toEqual([10, 2]);
    expect(calls.flatMap((c) => c.Entries)).toStrictEqual(
      entries.map((entry, i) => ({
        EventBusName: 'elt-dev-bus',
        Source: 'marketplace.users',
        DetailType: 'UserLoggedIn',
        Detail: detailOf(entry, ids[i]!),
      })),
    );
    expect(outcomes).toEqual([{ status: 202, published: 12, replayed: false }]);
  });

  it('sends the entry time and resources through', async () => {
    const entry = { ...login(), time: '2026-11-01T11:59:58Z', resources: ['arn:aws:x:::y'] };
    await handler()(request([entry], { key: 'with-time' }), context);
    expect(putEventsInputs()[0]!.Entries![0]).toMatchObject({
      Time: new Date('2026-11-01T11:59:58Z'),
      Resources: ['arn:aws:x:::y'],
    });
  });

  it('retries only the entries the bus failed', async () => {
    ebMock
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'eb-0' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
      })
      .callsFake(acceptAll);
    const entries = [login({ sessionId: 's_a' }), login({ sessionId: 's_b' })];
    const result = await handler()(request(entries, { key: 'partial-1' }), context);
    expect(result.statusCode).toBe(202);
    const calls = putEventsInputs();
    expect(calls.map((c) => c.Entries!.length)).toEqual([2, 1]);
    expect(calls[1]!.Entries![0]!.Detail).toBe(detailOf(entries[1]!, eventIdFor('partial-1', 1, entries[1])));
  });

  it('reads a base64-encoded body as API Gateway may send it', async () => {
    const result = await handler()(request(login(), { base64: true }), context);
    expect(result.statusCode).toBe(202);
    expect(table.items.get(recordId(STORED_KEY))!.validation).toEqual({ S: validationOf(login()) });
  });

  it('fetches the token once and keeps it for the cache time', async () => {
    const ingest = handler();
    for (let i = 0; i < 3; i++) await ingest(request(login(), { key: `k-${i}` }), context);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(smMock.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: SECRET_ARN });
    vi.setSystemTime(NOW + 301_000);
    await ingest(request(login(), { key: 'k-later' }), context);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });
});

describe('the idempotency table', () => {
  it('answers a repeat from the old item the failed put returns, with no extra read', async () => {
    const ingest = handler();
    const first = await ingest(request(login()), context);
    vi.setSystemTime(NOW + 60_000);
    const second = await ingest(request(login()), context);
    expect(second).toEqual({
      ...first,
      headers: { ...first.headers, 'Idempotent-Replayed': 'true' },
    });
    expect(putEventsInputs()).toHaveLength(1);
    expect(ddbCalls()).toEqual(['PutItemCommand', 'UpdateItemCommand', 'PutItemCommand']);
    expect(outcomes).toEqual([
      { status: 202, published: 1, replayed: false },
      { status: 202, published: 0, replayed: true },
    ]);
  });

  it('reads the record when the failed put does not return it', async () => {
    table.returnOldItem = false;
    const ingest = handler();
    const first = await ingest(request(login()), context);
    const second = await ingest(request(login()), context);
    expect(second.headers['Idempotent-Replayed']).toBe('true');
    expect(second.body).toBe(first.body);
    expect(ddbCalls()).toEqual(['PutItemCommand', 'UpdateItemCommand', 'PutItemCommand', 'GetItemCommand']);
    expect(ddbMock.commandCalls(GetItemCommand)[0]!.args[0].input).toEqual({
      TableName: 'elt-dev-idempotency',
      Key: { id: { S: recordId(STORED_KEY) } },
      ConsistentRead: true,
    });
  });

  it('refuses another body under the key by its validation hash, leaving the record untouched', async () => {
    const ingest = handler();
    await ingest(request(login()), context);
    const before = table.items.get(recordId(STORED_KEY));
    const result = await ingest(request(login({ device: 'desktop' })), context);
    expect(result.statusCode).toBe(422);
    expect(json(result)).toMatchObject({ title: 'Idempotency-Key reused' });
    expect(table.items.get(recordId(STORED_KEY))).toBe(before);
    expect(putEventsInputs()).toHaveLength(1);
  });

  it('answers 409 for a record another instance holds in progress', async () => {
    table.items.set(recordId(STORED_KEY), {
      id: { S: recordId(STORED_KEY) },
      expiration: { N: String(NOW / 1000 + 86_400) },
      status: { S: 'INPROGRESS' },
      in_progress_expiration: { N: String(NOW + 5_000) },
      validation: { S: validationOf(login()) },
    });
    const result = await handler()(request(login()), context);
    expect(result.statusCode).toBe(409);
    expect(putEventsInputs()).toHaveLength(0);
  });

  it('takes over a key whose in-progress record outlived its invocation (a crash or timeout)', async () => {
    table.items.set(recordId(STORED_KEY), {
      id: { S: recordId(STORED_KEY) },
      expiration: { N: String(NOW / 1000 + 86_400) },
      status: { S: 'INPROGRESS' },
      in_progress_expiration: { N: String(NOW - 1) },
      validation: { S: validationOf(login()) },
    });
    const result = await handler()(request(login()), context);
    expect(result.statusCode).toBe(202);
    expect(putEventsInputs()).toHaveLength(1);
  });

  it('handles a key afresh once its record expired', async () => {
    const ingest = handler({ idempotencyTtlSeconds: 60 });
    await ingest(request(login()), context);
    vi.setSystemTime(NOW + 61_000);
    const again = await ingest(request(login({ device: 'desktop' })), context);
    expect(again.statusCode).toBe(202);
    expect(again.headers['Idempotent-Replayed']).toBeUndefined();
    expect(putEventsInputs()).toHaveLength(2);
  });

  it('deletes the record when the bus fails, so a retry is handled afresh', async () => {
    ebMock.on(PutEventsCommand).rejects(new Error('connect ETIMEDOUT'));
    const ingest = handler();
    const result = await ingest(request(login()), context);
    expect(result.statusCode).toBe(503);
    expect(putEventsInputs()).toHaveLength(3);
    expect(ddbCalls()).toEqual(['PutItemCommand', 'DeleteItemCommand']);
    expect(ddbMock.commandCalls(DeleteItemCommand)[0]!.args[0].input).toEqual({
      TableName: 'elt-dev-idempotency',
      Key: { id: { S: recordId(STORED_KEY) } },
    });
    expect(table.items.size).toBe(0);

    ebMock.on(PutEventsCommand).callsFake(acceptAll);
    const retry = await ingest(request(login()), context);
    expect(retry.statusCode).toBe(202);
    expect(outcomes.map((o) => o.status)).toEqual([503, 202]);
  });

  it('answers 503 when the idempotency table is unavailable, publishing nothing', async () => {
    ddbMock.on(PutItemCommand).rejects(new Error('ProvisionedThroughputExceededException'));
    const result = await handler()(request(login()), context);
    expect(result.statusCode).toBe(503);
    expect(result.headers['Retry-After']).toBe('1');
    expect(putEventsInputs()).toHaveLength(0);
  });

  it('deletes the record after a refused body, so the corrected request with the key is published', async () => {
    const ingest = handler();
    const result = await ingest(request(login({ method: 'carrier-pigeon' })), context);
    expect(result.statusCode).toBe(422);
    expect(ddbCalls()).toEqual(['PutItemCommand', 'DeleteItemCommand']);
    expect(table.items.size).toBe(0);
    expect(ebMock.calls()).toHaveLength(0);
    const corrected = await ingest(request(login()), context);
    expect(corrected.statusCode).toBe(202);
    expect(corrected.headers['Idempotent-Replayed']).toBeUndefined();
    expect(putEventsInputs()).toHaveLength(1);
  });

  it('checks the content type before the table: a 415 is not remembered under the key', async () => {
    const ingest = handler();
    const refused = await ingest(request(login(), { contentType: 'text/plain' }), context);
    expect(refused.statusCode).toBe(415);
    expect(ddbMock.calls()).toHaveLength(0);
    expect((await ingest(request(login()), context)).statusCode).toBe(202);
  });

  it('stores a UUID key lowercased: the same key in other letter case replays, with another body is refused', async () => {
    const ingest = handler();
    const first = await ingest(request(login(), { key: KEY.toUpperCase() }), context);
    const again = await ingest(request(login(), { key: KEY.toLowerCase() }), context);
    expect(again.headers['Idempotent-Replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    const other = await ingest(request(login({ device: 'tablet' }), { key: KEY.toLowerCase() }), context);
    expect(other.statusCode).toBe(422);
    expect([...table.items.keys()]).toEqual([recordId(STORED_KEY)]);
    expect(putEventsInputs()).toHaveLength(1);
  });

  it("refuses the pipeline's own source with 422 and deletes the record, publishing nothing", async () => {
    const forged = {
      source: 'elt.pipeline',
      'detail-type': 'EltRunSucceeded',
      detail: { runId: 'run-20261101T120000Z-a1b2c3', status: 'succeeded' },
    };
    const result = await handler()(request(forged), context);
    expect(result.statusCode).toBe(422);
    expect(json(result)).toMatchObject({ title: 'Reserved source', field: 'source' });
    expect(table.items.size).toBe(0);
    expect(ebMock.calls()).toHaveLength(0);
  });
});

describe('EventBridge and Secrets Manager fail', () => {
  it('answers 503 when the bus keeps failing an entry, instead of accepting the request', async () => {
    ebMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'internal' }],
    });
    const result = await handler()(request(login()), context);
    expect(result.statusCode).toBe(503);
    expect(putEventsInputs()).toHaveLength(3);
    expect(table.items.size).toBe(0);
  });

  it('answers 503 when the bus rejects an entry for good, quarantining nothing', async () => {
    ebMock.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed' }],
    });
    const result = await handler()(request(login()), context);
    expect(result.statusCode).toBe(503);
    expect(putEventsInputs()).toHaveLength(1);
    expect(table.items.size).toBe(0);
  });

  it('answers 503 when the token secret cannot be read, before the table', async () => {
    smMock.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException'));
    const result = await handler()(request(login()), context);
    expect(result.statusCode).toBe(503);
    expect(result.headers['Retry-After']).toBe('5');
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('answers 503 when the token secret is too short to be a token', async () => {
    smMock.on(GetSecretValueCommand).resolves({ SecretString: 'short' });
    const result = await handler()(request(login()), context);
    expect(result.statusCode).toBe(503);
    expect(logs.find((l) => l.message === 'token unavailable')).toMatchObject({
      level: 'ERROR',
      error: expect.stringContaining('at least 16 characters'),
    });
    expect(ddbMock.calls()).toHaveLength(0);
  });
});

describe('the API Gateway wire', () => {
  it('answers a problem as payload format 2.0, with its headers and a JSON body', async () => {
    const result = await handler()(request(login(), { token: null }), context);
    expect(result).toEqual({
      statusCode: 401,
      headers: {
        'Content-Type': 'application/problem+json',
        'WWW-Authenticate': 'Bearer realm="elt-ingest"',
      },
      body: JSON.stringify({
        type: PROBLEM_TYPE,
        docs: 'docs/failure-modes.md#ingest-api-errors',
        title: 'Unauthorized',
        status: 401,
        detail: 'Send Authorization: Bearer <token> with the ingest token.',
      }),
      isBase64Encoded: false,
    });
    expect(outcomes).toEqual([{ status: 401, published: 0, replayed: false }]);
  });

  it('reads headers whatever the case of their names', async () => {
    const event = request(login());
    const headers = Object.fromEntries(
      Object.entries(event.headers ?? {}).map(([k, v]) => [k.replace(/^./, (c) => c.toUpperCase()), v]),
    );
    expect((await handler()({ ...event, headers }, context)).statusCode).toBe(202);
  });

  it('takes the method and path from the request context and rawPath', async () => {
    expect((await handler()(request(login(), { path: '/v1/other' }), context)).statusCode).toBe(404);
    const wrong = await handler()(request(login(), { method: 'GET' }), context);
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.Allow).toBe('POST');
  });

  it('logs one request line through the given log, with the status', async () => {
    await handler()(request(login()), context);
    expect(logs.filter((l) => l.message === 'request')).toEqual([
      expect.objectContaining({ method: 'POST', path: '/v1/events', status: 202, accepted: 1 }),
    ]);
  });
});
