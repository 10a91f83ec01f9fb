import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../lib/adapters/store/s3-object-store.js';
import { ObjectKeyInvalidError, ObjectStoreLocationError } from '../../lib/core/landing/object-keys.js';
import type { ObjectInfo } from '../../lib/core/ports.js';

const BUCKET = 'raw-bucket-123';
const KEY = 'raw/source=marketplace.users/detail_type=UserSignedUp/dt=2026-11-01/hour=12/part-1.ndjson.gz';

/** A GetObject body as the SDK returns it: the adapter only uses transformToByteArray. */
function body(bytes: Uint8Array): GetObjectCommandOutput['Body'] {
  return { transformToByteArray: async () => bytes } as unknown as GetObjectCommandOutput['Body'];
}

async function listAll(store: S3ObjectStore, prefix: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const o of store.list(prefix)) out.push(o);
  return out;
}

describe('S3ObjectStore', () => {
  const client = new S3Client({ region: 'eu-west-1' });
  const s3 = mockClient(client);

  beforeEach(() => {
    s3.reset();
  });

  describe('put', () => {
    it('sends PutObject with the bucket, the prefixed key, the body and the content headers', async () => {
      s3.on(PutObjectCommand).resolves({});
      const store = new S3ObjectStore({ bucket: BUCKET, prefix: 'pipeline/', client });
      const bytes = new Uint8Array([31, 139, 8, 0]);

      await store.put(KEY, bytes, { contentType: 'application/x-ndjson', contentEncoding: 'gzip' });

      expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toStrictEqual([
        {
          Bucket: BUCKET,
          Key: `pipeline/${KEY}`,
          Body: bytes,
          ContentType: 'application/x-ndjson',
          ContentEncoding: 'gzip',
        },
      ]);
    });

    it('sends no content headers when none are given', async () => {
      s3.on(PutObjectCommand).resolves({});
      const store = new S3ObjectStore({ bucket: BUCKET, client });
      const bytes = new Uint8Array([1]);

      await store.put(KEY, bytes);

      expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toStrictEqual([
        { Bucket: BUCKET, Key: KEY, Body: bytes },
      ]);
    });

    it('rejects with the S3 error when PutObject fails', async () => {
      s3.on(PutObjectCommand).rejects(new Error('AccessDenied'));
      const store = new S3ObjectStore({ bucket: BUCKET, client });

      await expect(store.put(KEY, new Uint8Array([1]))).rejects.toThrow('AccessDenied');
    });
  });

  describe('get', () => {
    it('sends GetObject for the prefixed key and returns the body bytes', async () => {
      const bytes = new Uint8Array([1, 2, 3, 250]);
      s3.on(GetObjectCommand).resolves({ Body: body(bytes) });
      const store = new S3ObjectStore({ bucket: BUCKET, prefix: 'pipeline/', client });

      const got = await store.get(KEY);

      expect(got).toEqual(bytes);
      expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toStrictEqual([
        { Bucket: BUCKET, Key: `pipeline/${KEY}` },
      ]);
    });

    it('rejects, naming the object, when the response has no body', async () => {
      s3.on(GetObjectCommand).resolves({});
      const store = new S3ObjectStore({ bucket: BUCKET, prefix: 'pipeline/', client });

      await expect(store.get(KEY)).rejects.toThrow(`s3://${BUCKET}/pipeline/${KEY} has no body`);
    });
  });

  describe('list', () => {
    it('follows continuation tokens and returns every page with the store prefix stripped', async () => {
      s3.on(ListObjectsV2Command).resolvesOnce({
        IsTruncated: true,
        NextContinuationToken: 'token-1',
        Contents: [
          { Key: 'pipeline/raw/a.ndjson.gz', Size: 10 },
          { Key: 'pipeline/raw/b.ndjson.gz', Size: 20 },
        ],
      });
      s3.on(ListObjectsV2Command, { ContinuationToken: 'token-1' }).resolvesOnce({
        IsTruncated: true,
        NextContinuationToken: 'token-2',
        Contents: [{ Key: 'pipeline/raw/c.ndjson.gz', Size: 30 }],
      });
      s3.on(ListObjectsV2Command, { ContinuationToken: 'token-2' }).resolvesOnce({
        IsTruncated: false,
        Contents: [{ Key: 'pipeline/raw/d.ndjson.gz', Size: 40 }],
      });
      const store = new S3ObjectStore({ bucket: BUCKET, prefix: 'pipeline/', client });

      const listed = await listAll(store, 'raw/');

      expect(listed).toEqual([
        { key: 'raw/a.ndjson.gz', size: 10 },
        { key: 'raw/b.ndjson.gz', size: 20 },
        { key: 'raw/c.ndjson.gz', size: 30 },
        { key: 'raw/d.ndjson.gz', size: 40 },
      ]);
      expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toStrictEqual([
        { Bucket: BUCKET, Prefix: 'pipeline/raw/' },
        { Bucket: BUCKET, Prefix: 'pipeline/raw/', ContinuationToken: 'token-1' },
        { Bucket: BUCKET, Prefix: 'pipeline/raw/', ContinuationToken: 'token-2' },
      ]);
    });

    it('sends StartAfter (prefixed) on the first request only, and continues with the token', async () => {
      s3.on(ListObjectsV2Command).resolvesOnce({
        IsTruncated: true,
        NextContinuationToken: 'token-1',
        Contents: [{ Key: 'pipeline/raw/t/dt=2026-11-30/a', Size: 1 }],
      });
      s3.on(ListObjectsV2Command, { ContinuationToken: 'token-1' }).resolvesOnce({
        IsTruncated: false,
        Contents: [{ Key: 'pipeline/raw/t/dt=2026-12-01/b', Size: 2 }],
      });
      const store = new S3ObjectStore({ bucket: BUCKET, prefix: 'pipeline/', client });
      const listed: string[] = [];
      for await (const o of store.list('raw/t/', { startAfter: 'raw/t/dt=2026-11-29' })) listed.push(o.key);
      expect(listed).toEqual(['raw/t/dt=2026-11-30/a', 'raw/t/dt=2026-12-01/b']);
      expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toStrictEqual([
        { Bucket: BUCKET, Prefix: 'pipeline/raw/t/', StartAfter: 'pipeline/raw/t/dt=2026-11-29' },
        { Bucket: BUCKET, Prefix: 'pipeline/raw/t/', ContinuationToken: 'token-1' },
      ]);
    });

    it('lists common prefixes with the delimiter "/", every page, the store prefix stripped', async () => {
      s3.on(ListObjectsV2Command).resolvesOnce({
        IsTruncated: true,
        NextContinuationToken: 'token-1',
        CommonPrefixes: [{ Prefix: 'pipeline/raw/source=a/' }],
      });
      s3.on(ListObjectsV2Command, { ContinuationToken: 'token-1' }).resolvesOnce({
        IsTruncated: false,
        CommonPrefixes: [{ Prefix: 'pipeline/raw/source=b/' }],
      });
      const store = new S3ObjectStore({ bucket: BUCKET, prefix: 'pipeline/', client });
      const prefixes: string[] = [];
      for await (const p of store.listPrefixes('raw/')) prefixes.push(p);
      expect(prefixes).toEqual(['raw/source=a/', 'raw/source=b/']);
      expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toStrictEqual([
        { Bucket: BUCKET, Prefix: 'pipeline/raw/', Delimiter: '/' },
        { Bucket: BUCKET, Prefix: 'pipeline/raw/', Delimiter: '/', ContinuationToken: 'token-1' },
      ]);
    });

    it('stops after a page that is not truncated', async () => {
      s3.on(ListObjectsV2Command).resolves({
        IsTruncated: false,
        NextContinuationToken: 'ignored',
        Contents: [{ Key: 'raw/a', Size: 1 }],
      });
      const store = new S3ObjectStore({ bucket: BUCKET, client });

      expect(await listAll(store, 'raw/')).toEqual([{ key: 'raw/a', size: 1 }]);
      expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(1);
    });

    it('lists nothing for an empty page and reports a missing size as 0', async () => {
      s3.on(ListObjectsV2Command)
        .resolvesOnce({ IsTruncated: true, NextContinuationToken: 't' })
        .resolvesOnce({ Contents: [{ Key: 'raw/a' }, {}] });
      const store = new S3ObjectStore({ bucket: BUCKET, client });

      expect(await listAll(store, 'raw/')).toEqual([{ key: 'raw/a', size: 0 }]);
    });
  });

  describe('unsafe keys', () => {
    const unsafe = ['../outside', '/abs/key', 'raw//part', 'raw/my part', '', 'raw/..'];

    it.each(unsafe)('put rejects %j without calling S3', async (key) => {
      const store = new S3ObjectStore({ bucket: BUCKET, client });

      await expect(store.put(key, new Uint8Array([1]))).rejects.toBeInstanceOf(ObjectKeyInvalidError);

      expect(s3.calls()).toHaveLength(0);
    });

    it.each(unsafe)('get rejects %j without calling S3', async (key) => {
      const store = new S3ObjectStore({ bucket: BUCKET, client });

      await expect(store.get(key)).rejects.toBeInstanceOf(ObjectKeyInvalidError);

      expect(s3.calls()).toHaveLength(0);
    });
  });

  describe('configuration', () => {
    it('rejects a prefix that does not end in "/"', () => {
      expect(() => new S3ObjectStore({ bucket: BUCKET, prefix: 'pipeline', client })).toThrow(
        ObjectStoreLocationError,
      );
      expect(() => new S3ObjectStore({ bucket: BUCKET, prefix: 'pipeline', client })).toThrow(
        'S3 prefix must end with "/": pipeline',
      );
    });

    it.each([
      ['s3://raw-bucket', 's3://raw-bucket/'],
      ['s3://raw-bucket/', 's3://raw-bucket/'],
      ['s3://raw-bucket/pipeline', 's3://raw-bucket/pipeline/'],
      ['s3://raw-bucket/pipeline/', 's3://raw-bucket/pipeline/'],
      ['s3://raw.bucket-1/a/b', 's3://raw.bucket-1/a/b/'],
    ])('fromUrl(%j) is %j', (url, described) => {
      expect(S3ObjectStore.fromUrl(url, { client }).describe()).toBe(described);
    });

    it('fromUrl sends requests to the parsed bucket and prefix through the given client', async () => {
      s3.on(PutObjectCommand).resolves({});
      const bytes = new Uint8Array([1]);

      await S3ObjectStore.fromUrl('s3://raw-bucket/pipeline', { client }).put('raw/a', bytes);

      expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toStrictEqual([
        { Bucket: 'raw-bucket', Key: 'pipeline/raw/a', Body: bytes },
      ]);
    });

    it.each([
      ['another scheme', 'https://raw-bucket/pipeline/'],
      ['no scheme', 'raw-bucket/pipeline/'],
      ['no bucket', 's3://'],
      ['a bucket name under 3 characters', 's3://ab'],
      ['upper case in the bucket name', 's3://Raw-Bucket'],
      ['a bucket name starting with "-"', 's3://-raw-bucket'],
      ['a bucket name over 63 characters', `s3://${'a'.repeat(64)}`],
    ])('fromUrl rejects %s', (_what, url) => {
      expect(() => S3ObjectStore.fromUrl(url, { client })).toThrow(ObjectStoreLocationError);
      expect(() => S3ObjectStore.fromUrl(url, { client })).toThrow(
        `not an S3 URL (s3://bucket[/prefix/]): ${url}`,
      );
    });
  });
});
