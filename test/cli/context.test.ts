import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import { S3ObjectStore } from '../../lib/adapters/store/s3-object-store.js';
import { openStore } from '../../lib/cli/context.js';
import { CliError } from '../../lib/cli/output.js';

describe('--store', () => {
  const local = new FsObjectStore(join(tmpdir(), 'elt-unused-store'));

  it('is the data directory store for "local"', () => {
    expect(openStore('local', () => local)).toBe(local);
  });

  it('opens a bucket, with or without a prefix', () => {
    const plain = openStore('s3://elt-dev-raw-123', () => local);
    expect(plain).toBeInstanceOf(S3ObjectStore);
    expect(plain.describe()).toBe('s3://elt-dev-raw-123/');
    const prefixed = openStore('s3://elt-dev-raw-123/pipeline/', () => local);
    expect(prefixed.describe()).toBe('s3://elt-dev-raw-123/pipeline/');
  });

  it.each([
    ['s3://', /not valid: use local or s3:\/\/<bucket>/],
    ['s3://Upper_Case', /not valid/],
    ['gs://bucket', /not valid/],
    ['s3://bucket/prefix', /the prefix must end with "\/"/],
  ])('rejects %s with a clear error', (url, why) => {
    expect(() => openStore(url, () => local)).toThrow(CliError);
    expect(() => openStore(url, () => local)).toThrow(why);
  });
});
