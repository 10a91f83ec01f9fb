import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngestHandler } from '../../lambdas/ingest/handler.js';
import { Breaker } from '../../lib/adapters/resilience/circuit-breaker.js';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { createEventValidator } from '../../lib/core/events/validator.js';
import { DEFAULT_MAX_BODY_BYTES } from '../../lib/core/ingest/handle-ingest.js';
import { MemoryIdempotencyStore } from '../../lib/core/ingest/idempotency.js';
import type { Bus } from '../../lib/core/ports.js';
import { IngestPublisher } from '../../lib/local/ingest/ingest-publisher.js';
import { IngestServer } from '../../lib/local/ingest/ingest-server.js';
import { DirectorySpool } from '../../lib/local/ingest/spool.js';
import {
  bodyText,
  ingestHeaders,
  INGEST_SETTINGS,
  INGEST_TOKEN,
  login,
  type BadRequest,
} from '../core/ingest/ingest-fixtures.js';
import { useTempDirs } from '../support/temp-dir.js';

// The two front ends of the ingest API, the Lambda behind API Gateway and `elt serve`'s HTTP server, given
// the same bad request, must answer the same: status, problem body and headers. A problem text changed in
// one adapter and not the other fails here.

const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };
const dynamodb = new DynamoDBClient({ region: 'eu-west-1', credentials });
const secretsManager = new SecretsManagerClient({ region: 'eu-west-1', credentials });
const eventBridge = new EventBridgeClient({ region: 'eu-west-1', credentials });
const tempDir = useTempDirs();

/** A bus that must not be reached: every request here is refused before it. */
const UNREACHED_BUS: Bus = {
  putEvents: () => Promise.reject(new Error('no bad request should reach the bus')),
  describe: () => 'unreached',
};

/** What both answers are compared on. */
interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | undefined>;
  readonly body: unknown;
}

const COMPARED_HEADERS = ['content-type', 'retry-after', 'www-authenticate', 'idempotent-replayed', 'allow'];
const DEEP = '['.repeat(100_000) + ']'.repeat(100_000);
/** A valid entry's JSON with one more member in front (as text: too deep for JSON.stringify). */
const withMember = (member: string): string => JSON.stringify(login()).replace(/^\{/, `{${member},`);

let lambda: (bad: BadRequest & { method?: string }, key: string) => Promise<Answer>;
let local: (bad: BadRequest & { method?: string }, key: string) => Promise<Answer>;
let server: IngestServer;
let publisher: IngestPublisher;
let breaker: Breaker;

beforeAll(async () => {
  mockClient(secretsManager).on(GetSecretValueCommand).resolves({ SecretString: INGEST_TOKEN });
  const ddb = mockClient(dynamodb);
  ddb.on(PutItemCommand).resolves({});
  ddb.on(UpdateItemCommand).resolves({});
  mockClient(eventBridge).rejects(new Error('no bad request should reach the bus'));
  const handler = createIngestHandler(INGEST_SETTINGS, {
    dynamodb,
    secretsManager,
    eventBridge,
    log: () => undefined,
  });
  lambda = async (bad, key) => {
    const result = await handler(
      {
        rawPath: '/v1/events',
        headers: ingestHeaders(key, bad.headers),
        body: bodyText(bad.body),
        requestContext: { http: { method: bad.method ?? 'POST' } },
      },
      { awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000 },
    );
    const headers = Object.fromEntries(Object.entries(result.headers).map(([k, v]) => [k.toLowerCase(), v]));
    return { status: result.statusCode, headers: pick(headers), body: JSON.parse(result.body) };
  };

  const dir = await tempDir();
  breaker = new Breaker('bus', {});
  publisher = new IngestPublisher({
    bus: UNREACHED_BUS,
    breaker,
    spool: await DirectorySpool.open(`${dir}/spool`),
    store: new FsObjectStore(`${dir}/store`),
  });
  server = new IngestServer({
    token: INGEST_TOKEN,
    publisher,
    idempotency: new MemoryIdempotencyStore({ ttlMs: 60_000 }),
    validator: createEventValidator(),
    breakers: [breaker],
  });
  const base = `http://127.0.0.1:${await server.listen(0)}`;
  local = async (bad, key) => {
    const res = await fetch(`${base}/v1/events`, {
      method: bad.method ?? 'POST',
      headers: ingestHeaders(key, bad.headers),
      body: bodyText(bad.body),
    });
    return {
      status: res.status,
      headers: pick(Object.fromEntries(res.headers.entries())),
      body: await res.json(),
    };
  };
});

afterAll(async () => {
  await server.close();
  await publisher.close(100);
  breaker.shutdown();
});

function pick(headers: Record<string, string>): Record<string, string | undefined> {
  return Object.fromEntries(COMPARED_HEADERS.map((h) => [h, headers[h]]));
}

describe('the Lambda and elt serve answer a bad request alike', () => {
  it.each<[string, BadRequest & { method?: string }]>([
    ['no token', { body: login(), headers: { authorization: null } }],
    ['a wrong token', { body: login(), headers: { authorization: `Bearer ${INGEST_TOKEN}x` } }],
    ['another scheme', { body: login(), headers: { authorization: `Basic ${INGEST_TOKEN}` } }],
    ['another method', { body: login(), method: 'PUT' }],
    ['a missing key', { body: login(), headers: { 'idempotency-key': null } }],
    ['a malformed key', { body: login(), headers: { 'idempotency-key': 'has spaces in it' } }],
    ['an oversized body', { body: { ...login(), pad: 'x'.repeat(DEFAULT_MAX_BODY_BYTES) } }],
    ['a wrong content type', { body: login(), headers: { 'content-type': 'text/plain' } }],
    ['malformed JSON', { body: '{"source":' }],
    ['an empty batch', { body: [] }],
    ['a wrong type', { body: { ...login(), 'detail-type': 42 } }],
    ['a schema violation', { body: login({ method: 'fax' }) }],
    ['too many entries', { body: Array.from({ length: 501 }, () => login()) }],
    ['a 100,000-deep time', { body: withMember(`"time":${DEEP}`) }],
    ['a 100,000-deep unknown field', { body: withMember(`"junk":${DEEP}`) }],
    ['an unknown field', { body: { ...login(), pad: 'x' } }],
    ['a 500 kB time', { body: { ...login(), time: 'x'.repeat(500_000) } }],
    [
      "the pipeline's own source",
      {
        body: {
          source: 'elt.pipeline',
          'detail-type': 'EltRunSucceeded',
          detail: { runId: 'run-20261101T120000Z-a1b2c3', status: 'succeeded' },
        },
      },
    ],
  ])('%s', async (name, bad) => {
    const key = `parity-${name.replaceAll(' ', '-')}`;
    const fromLambda = await lambda(bad, key);
    const fromLocal = await local(bad, key);
    expect(fromLambda.status).toBeGreaterThanOrEqual(400);
    expect(fromLambda.status).toBeLessThan(500);
    expect(fromLambda.body).toMatchObject({ status: fromLambda.status, type: 'about:blank' });
    // A problem body is bounded, whatever the request carried.
    expect(JSON.stringify(fromLambda.body).length).toBeLessThan(1500);
    expect(fromLocal).toEqual(fromLambda);
  });
});
